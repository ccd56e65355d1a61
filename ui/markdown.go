package ui

import (
	"html/template"
	"regexp"
	"strconv"
	"strings"
)

// RenderMarkdown turns a small, safe subset of Markdown into HTML: ATX
// headings (# to ######), paragraphs, *emphasis* and **strong** (also with
// underscores), `code` spans, fenced code blocks (``` or ~~~), links
// [text](url) and <https://autolinks>, bullet lists (-, *, +) and numbered
// lists (1. or 1)), nested by indentation, and horizontal rules (---).
// Everything else, HTML included, is text: escaped, never interpreted.
// Links keep only http, https and mailto URLs and relative ones; others
// become "#".
func RenderMarkdown(src string) template.HTML {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\r", "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(l, "\t", "    ")
	}
	mdBlocks(&b, lines, false)
	return template.HTML(b.String())
}

var (
	mdHeadingRE = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ ]+(.*?))?(?:[ ]+#+)?[ ]*$`)
	mdFenceRE   = regexp.MustCompile("^( {0,3})(`{3,}|~{3,})[ ]*([A-Za-z0-9_+.#-]*)")
	mdRuleRE    = regexp.MustCompile(`^ {0,3}((\*[ ]*){3,}|(-[ ]*){3,}|(_[ ]*){3,})$`)
	mdBulletRE  = regexp.MustCompile(`^( {0,3})([-*+])( +|$)`)
	mdOrderedRE = regexp.MustCompile(`^( {0,3})([0-9]{1,9})([.)])( +|$)`)
)

// mdBlocks renders block-level Markdown. tight renders a lone paragraph
// without <p>, as in list items.
func mdBlocks(b *strings.Builder, lines []string, tight bool) {
	var para []string
	paras := 0
	flush := func() {
		if len(para) == 0 {
			return
		}
		text := strings.TrimSpace(strings.Join(para, "\n"))
		para = nil
		if text == "" {
			return
		}
		paras++
		if tight {
			if paras > 1 {
				b.WriteString("<br>")
			}
			mdInline(b, text)
			return
		}
		b.WriteString("<p>")
		mdInline(b, text)
		b.WriteString("</p>\n")
	}
	for i := 0; i < len(lines); {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "":
			flush()
			i++
		case mdFenceRE.MatchString(line):
			flush()
			i = mdFence(b, lines, i)
		case mdHeadingRE.MatchString(line):
			flush()
			m := mdHeadingRE.FindStringSubmatch(line)
			level := strconv.Itoa(len(m[1]))
			b.WriteString("<h" + level + ">")
			mdInline(b, strings.TrimSpace(m[2]))
			b.WriteString("</h" + level + ">\n")
			i++
		case mdRuleRE.MatchString(line):
			flush()
			b.WriteString("<hr>\n")
			i++
		case mdBulletRE.MatchString(line) || mdOrderedRE.MatchString(line):
			if len(para) > 0 && mdOrderedRE.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "1") {
				// Only a list starting at 1 interrupts a paragraph.
				para = append(para, line)
				i++
				continue
			}
			flush()
			i = mdList(b, lines, i)
		default:
			para = append(para, line)
			i++
		}
	}
	flush()
}

// mdFence renders the fenced code block starting at lines[i] and returns the
// index after it. An unclosed fence runs to the end.
func mdFence(b *strings.Builder, lines []string, i int) int {
	m := mdFenceRE.FindStringSubmatch(lines[i])
	indent, fence, lang := len(m[1]), m[2], m[3]
	b.WriteString("<pre><code")
	if lang != "" {
		b.WriteString(` class="language-` + template.HTMLEscapeString(lang) + `"`)
	}
	b.WriteString(">")
	i++
	for ; i < len(lines); i++ {
		l := lines[i]
		t := strings.TrimLeft(l, " ")
		if len(l)-len(t) <= 3 && strings.HasPrefix(t, fence[:1]) && strings.TrimRight(t, fence[:1]+" ") == "" &&
			len(strings.TrimRight(t, " ")) >= len(fence) {
			i++
			break
		}
		// Remove up to the fence's indentation.
		for k := 0; k < indent && strings.HasPrefix(l, " "); k++ {
			l = l[1:]
		}
		b.WriteString(template.HTMLEscapeString(l))
		b.WriteString("\n")
	}
	b.WriteString("</code></pre>\n")
	return i
}

// mdList renders the list starting at lines[i] and returns the index after
// it. Items continue on lines indented past the marker; a blank line
// followed by an unindented line that is not an item ends the list.
func mdList(b *strings.Builder, lines []string, i int) int {
	ordered := !mdBulletRE.MatchString(lines[i])
	var marker string // the bullet character or the ordered delimiter
	start := 1
	if ordered {
		m := mdOrderedRE.FindStringSubmatch(lines[i])
		marker = m[3]
		start, _ = strconv.Atoi(m[2])
		b.WriteString("<ol")
		if start != 1 {
			b.WriteString(` start="` + strconv.Itoa(start) + `"`)
		}
		b.WriteString(">\n")
	} else {
		marker = mdBulletRE.FindStringSubmatch(lines[i])[2]
		b.WriteString("<ul>\n")
	}
	// item parses the marker of line, if it starts an item of this list,
	// and returns the content column.
	item := func(line string) (content int, ok bool) {
		if ordered {
			m := mdOrderedRE.FindStringSubmatch(line)
			if m == nil || m[3] != marker {
				return 0, false
			}
			return len(m[0]), true
		}
		m := mdBulletRE.FindStringSubmatch(line)
		if m == nil || m[2] != marker || mdRuleRE.MatchString(line) {
			return 0, false
		}
		return len(m[0]), true
	}
	for i < len(lines) {
		col, ok := item(lines[i])
		if !ok {
			break
		}
		if col == len(lines[i]) { // an empty item: content on the next lines
			col = len(lines[i]) + 1
		}
		body := []string{strings.TrimRight(lines[i][min(col, len(lines[i])):], " ")}
		i++
		for i < len(lines) {
			l := lines[i]
			if strings.TrimSpace(l) == "" {
				// A blank line: the item goes on only if the next
				// non-blank line is indented to its content.
				j := i + 1
				for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
					j++
				}
				if j < len(lines) && indentOf(lines[j]) >= col {
					for ; i < j; i++ {
						body = append(body, "")
					}
					continue
				}
				break
			}
			if indentOf(l) >= col {
				body = append(body, l[col:])
				i++
				continue
			}
			if _, next := item(l); next || mdBulletRE.MatchString(l) || mdOrderedRE.MatchString(l) ||
				mdHeadingRE.MatchString(l) || mdFenceRE.MatchString(l) || mdRuleRE.MatchString(l) {
				break
			}
			body = append(body, strings.TrimLeft(l, " ")) // a lazy continuation
			i++
		}
		b.WriteString("<li>")
		mdBlocks(b, body, true)
		b.WriteString("</li>\n")
		// Skip blank lines between items of this list.
		j := i
		for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
			j++
		}
		if j > i && j < len(lines) {
			if _, ok := item(lines[j]); ok {
				i = j
			}
		}
	}
	if ordered {
		b.WriteString("</ol>\n")
	} else {
		b.WriteString("</ul>\n")
	}
	return i
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// mdInline renders inline Markdown: escapes, code spans, links, autolinks,
// emphasis; everything else is escaped text. It runs in linear time but for
// the bounded scans of links: a search for a closing delimiter that fails
// is not repeated for a later opener, which would find nothing either.
func mdInline(b *strings.Builder, s string) {
	text := func(t string) { b.WriteString(template.HTMLEscapeString(t)) }
	var (
		noCode  = map[int]bool{}    // code span runs with no closer
		noEmph  = map[[2]int]bool{} // emphasis runs (char, length) with no closer
		noClose bool                // no '>' for an autolink
	)
	last := 0 // s[last:i] is plain text not yet written
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && strings.IndexByte(mdPunct, s[i+1]) >= 0 {
				text(s[last:i])
				text(s[i+1 : i+2])
				i += 2
				last = i
				continue
			}
			if i+1 < len(s) && s[i+1] == '\n' {
				text(s[last:i])
				b.WriteString("<br>\n")
				i += 2
				last = i
				continue
			}
		case '`':
			n := runLen(s, i, '`')
			if !noCode[n] {
				if end := findRun(s, i+n, '`', n); end >= 0 {
					text(s[last:i])
					code := s[i+n : end]
					if len(code) > 2 && code[0] == ' ' && code[len(code)-1] == ' ' && strings.TrimSpace(code) != "" {
						code = code[1 : len(code)-1]
					}
					b.WriteString("<code>")
					text(strings.ReplaceAll(code, "\n", " "))
					b.WriteString("</code>")
					i = end + n
					last = i
					continue
				}
				noCode[n] = true
			}
			i += n // an unmatched run is text
			continue
		case '[':
			if label, url, end, ok := mdLink(s, i); ok {
				text(s[last:i])
				b.WriteString(`<a href="` + template.HTMLEscapeString(safeURL(url)) + `">`)
				mdInline(b, label)
				b.WriteString("</a>")
				i = end
				last = i
				continue
			}
		case '<':
			if noClose {
				break
			}
			end := strings.IndexByte(s[i:], '>')
			if end < 0 {
				noClose = true
				break
			}
			if url := s[i+1 : i+end]; mdAutolinkRE.MatchString(url) {
				text(s[last:i])
				b.WriteString(`<a href="` + template.HTMLEscapeString(safeURL(url)) + `">`)
				text(url)
				b.WriteString("</a>")
				i += end + 1
				last = i
				continue
			}
		case '*', '_':
			n := runLen(s, i, c)
			if key := [2]int{int(c), n}; !noEmph[key] {
				end, ok, searched := mdEmphasis(s, i)
				if ok {
					text(s[last:i])
					open, close := "<em>", "</em>"
					switch n {
					case 2:
						open, close = "<strong>", "</strong>"
					case 3:
						open, close = "<strong><em>", "</em></strong>"
					}
					b.WriteString(open)
					mdInline(b, s[i+n:end])
					b.WriteString(close)
					i = end + n
					last = i
					continue
				}
				if searched {
					noEmph[key] = true
				}
			}
			i += n
			continue
		case '\n':
			// Two trailing spaces make a hard line break.
			if strings.HasSuffix(s[last:i], "  ") {
				text(strings.TrimRight(s[last:i], " "))
				b.WriteString("<br>\n")
				i++
				last = i
				continue
			}
		}
		i++
	}
	text(s[last:])
}

// mdPunct are the characters a backslash escapes.
const mdPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

var mdAutolinkRE = regexp.MustCompile(`^(https?://|mailto:)[^\s<>]+$`)

func runLen(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// findRun returns the index of the next run of exactly n c's at or after i,
// or -1.
func findRun(s string, i int, c byte, n int) int {
	for i < len(s) {
		j := strings.IndexByte(s[i:], c)
		if j < 0 {
			return -1
		}
		j += i
		if m := runLen(s, j, c); m == n {
			return j
		} else {
			i = j + m
		}
	}
	return -1
}

// mdLinkMax bounds the label and the destination of a link, so that many
// unclosed brackets cost linear time.
const mdLinkMax = 2000

// mdLink parses [label](url "title") at s[i] and returns the index after it.
func mdLink(s string, i int) (label, url string, end int, ok bool) {
	depth := 0
	j := i
	for ; j < len(s) && j-i < mdLinkMax; j++ {
		switch s[j] {
		case '\\':
			j++
			continue
		case '[':
			depth++
		case ']':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	if j >= len(s) || depth != 0 || j+1 >= len(s) || s[j+1] != '(' {
		return "", "", 0, false
	}
	close := strings.IndexByte(s[j+2:min(len(s), j+2+mdLinkMax)], ')')
	if close < 0 {
		return "", "", 0, false
	}
	dest := strings.TrimSpace(s[j+2 : j+2+close])
	if k := strings.IndexAny(dest, " \n"); k >= 0 { // drop a title
		dest = dest[:k]
	}
	dest = strings.TrimSuffix(strings.TrimPrefix(dest, "<"), ">")
	return s[i+1 : j], dest, j + 3 + close, true
}

// mdEmphasis finds the emphasis opened by the run of '*' or '_' at s[i]: it
// returns where the closing run starts. searched reports whether it looked
// for a closer at all (an opener that can't open, such as one followed by a
// space, does not look).
func mdEmphasis(s string, i int) (end int, ok, searched bool) {
	c := s[i]
	n := runLen(s, i, c)
	if n > 3 || i+n >= len(s) || isSpace(s[i+n]) {
		return 0, false, false
	}
	if c == '_' && i > 0 && isWordByte(s[i-1]) {
		return 0, false, false // intra_word_underscores stay
	}
	for j := i + n; j < len(s); {
		k := strings.IndexByte(s[j:], c)
		if k < 0 {
			break
		}
		k += j
		m := runLen(s, k, c)
		if m == n && !isSpace(s[k-1]) && (c != '_' || k+m >= len(s) || !isWordByte(s[k+m])) {
			return k, true, true
		}
		j = k + m
	}
	return 0, false, true
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// safeURL keeps http, https and mailto URLs and relative ones (no scheme);
// anything else becomes "#".
func safeURL(u string) string {
	u = strings.TrimSpace(u)
	colon := strings.IndexByte(u, ':')
	if colon < 0 {
		return u
	}
	if k := strings.IndexAny(u, "/?#"); k >= 0 && k < colon {
		return u // the colon is in the path: relative
	}
	switch strings.ToLower(u[:colon]) {
	case "http", "https", "mailto":
		return u
	}
	return "#"
}
