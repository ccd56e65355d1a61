package ui_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/ui"
)

func TestRenderMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"# Title", "<h1>Title</h1>\n"},
		{"### Third ###", "<h3>Third</h3>\n"},
		{"#hashtag", "<p>#hashtag</p>\n"},
		{"####### seven", "<p>####### seven</p>\n"},
		{"one\ntwo\n\nthree", "<p>one\ntwo</p>\n<p>three</p>\n"},
		// CommonMark reads a *** run as <em><strong> (spec, "Emphasis and strong emphasis").
		{"*em* and **strong** and ***both***", "<p><em>em</em> and <strong>strong</strong> and <em><strong>both</strong></em></p>\n"},
		{"_em_ and __strong__ and snake_case_name", "<p><em>em</em> and <strong>strong</strong> and snake_case_name</p>\n"},
		{"a * b * c", "<p>a * b * c</p>\n"},
		{"**unclosed", "<p>**unclosed</p>\n"},
		{"`x < y` and ``a ` b``", "<p><code>x &lt; y</code> and <code>a ` b</code></p>\n"},
		{"`**not bold**`", "<p><code>**not bold**</code></p>\n"},
		{"[Go](https://go.dev) site", `<p><a href="https://go.dev">Go</a> site</p>` + "\n"},
		{"[**bold** link](/docs?a=1&b=2)", `<p><a href="/docs?a=1&amp;b=2"><strong>bold</strong> link</a></p>` + "\n"},
		{"[t](https://x.org \"title\")", `<p><a href="https://x.org">t</a></p>` + "\n"},
		// The destination is "javascript:alert(1)": CommonMark balances parentheses.
		{"[x](javascript:alert(1))", `<p><a href="#">x</a></p>` + "\n"},
		{"[x](javascript&#58;alert(1))", `<p><a href="#">x</a></p>` + "\n"},
		{`[x](javascript\:alert(1))`, `<p><a href="#">x</a></p>` + "\n"},
		{"[x]\n\n[x]: javascript:alert(1)", `<p><a href="#">x</a></p>` + "\n"},
		{"<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>\n"},
		{"![x](javascript:alert(1)) ![y](/y.png)", `<p>!<a href="#">x</a> !<a href="/y.png">y</a></p>` + "\n"},
		{"[x](JaVaScRiPt:alert)", `<p><a href="#">x</a></p>` + "\n"},
		{"[x](data:text/html,hi)", `<p><a href="#">x</a></p>` + "\n"},
		{"[x](mailto:a@b.c)", `<p><a href="mailto:a@b.c">x</a></p>` + "\n"},
		{"<https://go.dev>", `<p><a href="https://go.dev">https://go.dev</a></p>` + "\n"},
		{"[not a link]", "<p>[not a link]</p>\n"},
		{"- a\n- b\n- c", "<ul>\n<li>a</li>\n<li>b</li>\n<li>c</li>\n</ul>\n"},
		{"* a\n+ b", "<ul>\n<li>a</li>\n</ul>\n<ul>\n<li>b</li>\n</ul>\n"},
		{"1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n"},
		{"3) three\n4) four", "<ol start=\"3\">\n<li>three</li>\n<li>four</li>\n</ol>\n"},
		{"- a\n  - nested\n  - more\n- b", "<ul>\n<li>a\n<ul>\n<li>nested</li>\n<li>more</li>\n</ul>\n</li>\n<li>b</li>\n</ul>\n"},
		// A blank line between items keeps one list, and makes it loose: <p> in items.
		{"- a\n\n- b", "<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ul>\n"},
		{"- item\ncontinued", "<ul>\n<li>item\ncontinued</li>\n</ul>\n"},
		{"text\n- list", "<p>text</p>\n<ul>\n<li>list</li>\n</ul>\n"},
		{"```go\nfmt.Println(\"<hi>\")\n```", "<pre><code class=\"language-go\">fmt.Println(&quot;&lt;hi&gt;&quot;)\n</code></pre>\n"},
		{"~~~\n# not a heading\n~~~\nafter", "<pre><code># not a heading\n</code></pre>\n<p>after</p>\n"},
		{"```\nunclosed", "<pre><code>unclosed\n</code></pre>\n"},
		{"---", "<hr>\n"},
		{"a  \nb", "<p>a<br>\nb</p>\n"},
		{`\*literal\*`, "<p>*literal*</p>\n"},
		{"<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"},
		{"<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n"},
		{"> quote & \"q\"", "<p>&gt; quote &amp; &quot;q&quot;</p>\n"},
		{"# <b>head</b>", "<h1>&lt;b&gt;head&lt;/b&gt;</h1>\n"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := string(ui.RenderMarkdown(tt.in)); got != tt.want {
			t.Errorf("RenderMarkdown(%q) =\n%q\nwant\n%q", tt.in, got, tt.want)
		}
	}
}

// FuzzRenderMarkdown checks that no input yields markup outside the subset:
// every tag is one the renderer writes, and every href is safe.
func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{"# h", "*a* **b** `c`", "[x](javascript:y)", "- a\n  - b", "```\n<x>\n```", "<a href=x>", "1. a\n2. b"} {
		f.Add(s)
	}
	allowed := map[string]bool{"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "p": true, "em": true,
		"strong": true, "code": true, "pre": true, "a": true, "ul": true, "ol": true, "li": true, "br": true, "hr": true}
	f.Fuzz(func(t *testing.T, s string) {
		out := string(ui.RenderMarkdown(s))
		for i := 0; i < len(out); i++ {
			if out[i] != '<' {
				continue
			}
			j := i + 1
			if j < len(out) && out[j] == '/' {
				j++
			}
			k := j
			for k < len(out) && (out[k] >= 'a' && out[k] <= 'z' || out[k] >= '0' && out[k] <= '9') {
				k++
			}
			tag := out[j:k]
			if !allowed[tag] {
				t.Fatalf("RenderMarkdown(%q) wrote the tag %q:\n%s", s, tag, out)
			}
			end := strings.IndexByte(out[i:], '>')
			if end < 0 {
				t.Fatalf("unclosed tag in %q", out)
			}
			attrs := out[k : i+end]
			if strings.Contains(strings.ToLower(attrs), " on") {
				t.Fatalf("RenderMarkdown(%q) wrote an event attribute: %s", s, out[i:i+end+1])
			}
			if strings.HasPrefix(attrs, ` href="`) {
				href := strings.TrimSuffix(strings.TrimPrefix(attrs, ` href="`), `"`)
				if c := strings.IndexByte(href, ':'); c >= 0 {
					scheme := strings.ToLower(href[:c])
					if !strings.ContainsAny(scheme, "/?#&") && scheme != "http" && scheme != "https" && scheme != "mailto" {
						t.Fatalf("RenderMarkdown(%q) wrote the href %q", s, href)
					}
				}
			}
		}
	})
}

func TestRenderMarkdownPathological(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("*a ", 40000),
		strings.Repeat("**a ", 40000),
		strings.Repeat("_a ", 40000),
		strings.Repeat("[", 100000),
		strings.Repeat("[a](", 30000),
		strings.Repeat("<", 100000),
		strings.Repeat("`a", 40000) + strings.Repeat("``b", 20000),
		strings.Repeat("- a\n  ", 20000),
		strings.Repeat("[a](()", 10000),
		strings.Repeat("*a a_ ", 20000),
		strings.Repeat("- ", 20000) + "x",
	} {
		start := time.Now()
		ui.RenderMarkdown(s)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("RenderMarkdown of %q... (%d bytes) took %v", s[:12], len(s), d)
		}
	}
}
