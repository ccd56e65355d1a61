package ui

import (
	"bytes"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// RenderMarkdown turns CommonMark into HTML, safely: headings, paragraphs,
// emphasis, code spans, fenced and indented code blocks, links and
// <https://autolinks>, bullet and numbered lists, and horizontal rules.
// Raw HTML and block quotes are not interpreted: they stay text, escaped.
// Links keep only http, https and mailto URLs and relative ones; others
// become "#". Images are not loaded: ![alt](url) becomes "!" and a link.
// To bound the time it takes, a link whose destination and title run past
// 2,000 bytes, '[' past 1,000 unclosed ones and emphasis past 1,000
// unmatched runs of * or _ in a block, and lists nested more than 32 deep
// stay text.
func RenderMarkdown(src string) template.HTML {
	src = strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\r", "\n")
	var b strings.Builder
	if err := markdown.Convert([]byte(src), &b); err != nil {
		panic(err) // a strings.Builder does not fail
	}
	return template.HTML(b.String())
}

// markdown is CommonMark without the parsers of raw HTML (blocks and
// inline) and of block quotes, with links and emphasis parsed in bounded
// time, lists nested at most listMax deep, and with safeHTML rendering
// links and code fences.
var markdown = goldmark.New(
	goldmark.WithParser(parser.NewParser(
		parser.WithBlockParsers(
			util.Prioritized(parser.NewSetextHeadingParser(), 100),
			util.Prioritized(parser.NewThematicBreakParser(), 200),
			util.Prioritized(shallowLists{parser.NewListParser()}, 300),
			util.Prioritized(parser.NewListItemParser(), 400),
			util.Prioritized(parser.NewCodeBlockParser(), 500),
			util.Prioritized(parser.NewATXHeadingParser(), 600),
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(parser.NewParagraphParser(), 1000),
		),
		parser.WithInlineParsers(
			util.Prioritized(parser.NewCodeSpanParser(), 100),
			util.Prioritized(boundedLinks{parser.NewLinkParser()}, 200),
			util.Prioritized(parser.NewAutoLinkParser(), 300),
			util.Prioritized(boundedEmphasis{parser.NewEmphasisParser()}, 500),
		),
		parser.WithParagraphTransformers(parser.DefaultParagraphTransformers()...),
	)),
	goldmark.WithRenderer(renderer.NewRenderer(renderer.WithNodeRenderers(
		util.Prioritized(html.NewRenderer(), 1000),
		util.Prioritized(safeHTML{}, 100), // overrides html's links and fences
	))),
)

// linkMax bounds how far past a ']' the link parser looks for "(url)":
// goldmark scans a destination to the end of its line, so without a bound
// a line of many "[a](" costs quadratic time. A link whose destination
// and title are longer is text.
const linkMax = 2000

// openMax bounds the '[' awaiting their ']' in a block: goldmark makes
// nodes of them, which many of them make slow. Later ones are text.
const openMax = 1000

// boundedLinks is goldmark's link parser, with at most openMax '['
// awaiting their ']', and reading, at a ']', through a linkWindow of
// linkMax bytes, or of two ("](") if there is no ')' in them to end an
// inline link.
type boundedLinks struct{ parser.InlineParser }

// opened counts the '[' awaiting their ']' in a block.
type opened struct {
	block ast.Node
	n     int
}

var openedKey = parser.NewContextKey()

func (p boundedLinks) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	o, _ := pc.Get(openedKey).(*opened)
	if o == nil || o.block != parent {
		o = &opened{block: parent}
		pc.Set(openedKey, o)
	}
	if block.Peek() != ']' { // '[' or '!'
		if o.n >= openMax {
			return nil
		}
		n := p.InlineParser.Parse(parent, block, pc)
		if n != nil {
			o.n++
		}
		return n
	}
	o.n = max(o.n-1, 0)
	_, pos := block.Position()
	src := block.Source()
	end := min(pos.Start+linkMax, len(src))
	if bytes.IndexByte(src[pos.Start:end], ')') < 0 {
		end = pos.Start + 2
	}
	return p.InlineParser.Parse(parent, linkWindow{block, end}, pc)
}

func (p boundedLinks) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	p.InlineParser.(parser.CloseBlocker).CloseBlock(parent, block, pc)
}

// linkWindow is a text.Reader that ends at the source offset end.
type linkWindow struct {
	text.Reader
	end int
}

func (r linkWindow) Peek() byte {
	if _, pos := r.Position(); pos.Start >= r.end {
		return text.EOF
	}
	return r.Reader.Peek()
}

func (r linkWindow) PeekLine() ([]byte, text.Segment) {
	line, pos := r.Reader.PeekLine()
	if n := max(r.end-pos.Start, 0); n < len(line) {
		line = line[:n]
	}
	return line, pos
}

// emphMax bounds the runs of '*' and '_' awaiting a match in a block:
// goldmark matches each closing run against every opening run before it,
// so many runs that never match cost quadratic time. Later runs are text.
const emphMax = 1000

// boundedEmphasis is goldmark's emphasis parser, leaving a run as text
// when emphMax others await a match.
type boundedEmphasis struct{ parser.InlineParser }

func (p boundedEmphasis) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	n := 0
	for d := pc.LastDelimiter(); d != nil; d = d.PreviousDelimiter {
		if n++; n >= emphMax {
			return nil
		}
	}
	return p.InlineParser.Parse(parent, block, pc)
}

// listMax bounds the nesting of lists: goldmark works out each level's
// column from the start of the line, so "- - - … x" nested as deep as it is
// long costs quadratic time. A deeper marker is text.
const listMax = 32

// shallowLists is goldmark's list parser opening no list inside listMax
// others.
type shallowLists struct{ parser.BlockParser }

func (p shallowLists) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	depth := 0
	for n := parent; n != nil; n = n.Parent() {
		if n.Kind() == ast.KindList {
			if depth++; depth >= listMax {
				return nil, parser.NoChildren
			}
		}
	}
	return p.BlockParser.Open(parent, reader, pc)
}

// safeHTML renders links, autolinks, images and fenced code blocks in
// place of goldmark's html renderer: hrefs through safeURL and without
// titles, images as links, code languages as class names of safe bytes.
type safeHTML struct{}

func (safeHTML) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	r.Register(ast.KindLink, renderLink)
	r.Register(ast.KindImage, renderLink)
	r.Register(ast.KindAutoLink, renderAutoLink)
	r.Register(ast.KindFencedCodeBlock, renderFence)
}

func renderLink(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	dest := ""
	switch n := n.(type) {
	case *ast.Link:
		dest = string(n.Destination)
	case *ast.Image:
		_ = w.WriteByte('!')
		dest = string(n.Destination)
	}
	writeHref(w, dest, true)
	return ast.WalkContinue, nil
}

func renderAutoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*ast.AutoLink)
	url, label := string(n.URL(source)), n.Label(source)
	if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(url), "mailto:") {
		url = "mailto:" + url
	}
	if safeURL(url) != url { // an unsafe scheme: the text as written
		_, _ = w.Write(util.EscapeHTML([]byte("<" + string(label) + ">")))
		return ast.WalkContinue, nil
	}
	writeHref(w, url, false)
	_, _ = w.Write(util.EscapeHTML(label))
	_, _ = w.WriteString("</a>")
	return ast.WalkContinue, nil
}

// writeHref writes the start tag of a link to dest: as goldmark does,
// with backslash escapes and entities resolved (unless in autolinks) and
// percent-encoded; then made safe.
func writeHref(w util.BufWriter, dest string, resolve bool) {
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML([]byte(safeURL(string(util.URLEscape([]byte(dest), resolve))))))
	_, _ = w.WriteString(`">`)
}

func renderFence(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		_, _ = w.WriteString("</code></pre>\n")
		return ast.WalkContinue, nil
	}
	n := node.(*ast.FencedCodeBlock)
	_, _ = w.WriteString("<pre><code")
	// The language is the info string's first word, cut at the first byte
	// that is not a letter, digit or one of _+.#-.
	lang := n.Language(source)
	for i, c := range lang {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+.#-", c) >= 0) {
			lang = lang[:i]
			break
		}
	}
	if len(lang) > 0 {
		_, _ = w.WriteString(` class="language-`)
		_, _ = w.Write(lang)
		_ = w.WriteByte('"')
	}
	_ = w.WriteByte('>')
	for i := range n.Lines().Len() {
		line := n.Lines().At(i)
		_, _ = w.Write(util.EscapeHTML(line.Value(source)))
	}
	return ast.WalkContinue, nil
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
