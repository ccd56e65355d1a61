package web

import (
	"errors"
	"fmt"
	"html/template"
	"os"
	"strings"
	"testing"
)

func renderString(t *testing.T, p Page) string {
	t.Helper()
	var b strings.Builder
	if err := RenderPage(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRenderPageDefaults(t *testing.T) {
	page := renderString(t, Page{})
	for _, want := range []string{
		"<!doctype html>",
		"<title>rtcstream</title>",
		`<link rel="stylesheet" href="assets/rtc-stream.css">`,
		`<script type="module" src="assets/rtc-stream.js"></script>`,
		"<rtc-stream></rtc-stream>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "<h1>") {
		t.Error("a page without a title should have no heading")
	}
}

func TestRenderPageAssetsURL(t *testing.T) {
	for in, want := range map[string]string{
		"/static/":       `src="/static/rtc-stream.js"`,
		"/":              `src="/rtc-stream.js"`,
		"../ui":          `src="../ui/rtc-stream.js"`,
		"javascript:foo": `src="#ZgotmplZ/rtc-stream.js"`,
	} {
		page := renderString(t, Page{AssetsURL: in})
		if !strings.Contains(page, want) {
			t.Errorf("AssetsURL %q: page lacks %s:\n%s", in, want, page)
		}
	}
}

func TestRenderPageEscapes(t *testing.T) {
	page := renderString(t, Page{
		Title:       `<b>"x"</b>`,
		Description: "a & b",
		Element:     Element{Label: `"><script>alert(1)</script>`},
	})
	if strings.Contains(page, "<b>") || strings.Contains(page, "<script>alert") {
		t.Errorf("page is not escaped:\n%s", page)
	}
	if !strings.Contains(page, "a &amp; b") {
		t.Errorf("description is not escaped:\n%s", page)
	}
}

func TestElementHTML(t *testing.T) {
	tests := []struct {
		e    Element
		want template.HTML
	}{
		{Element{}, `<rtc-stream></rtc-stream>`},
		{Element{NoMirror: true}, `<rtc-stream mirror-webcam="false"></rtc-stream>`},
		{
			Element{Src: "/api/webrtc", Mode: "receive", Label: "Out", Width: "640", Height: "50vh", ButtonStart: "Go", ButtonStop: "Halt"},
			`<rtc-stream src="/api/webrtc" mode="receive" label="Out" width="640" height="50vh" button-start="Go" button-stop="Halt"></rtc-stream>`,
		},
		{
			Element{Mode: "receive", Attrs: map[string]string{"mode": "send-receive", "data-x": "1", "onclick": "", "Bad": "x", "a b": "y", `x"`: "z"}},
			`<rtc-stream mode="receive" data-x="1"></rtc-stream>`,
		},
		{Element{Label: `a"b<c>&`}, `<rtc-stream label="a&#34;b&lt;c&gt;&amp;"></rtc-stream>`},
	}
	for _, tt := range tests {
		if got := tt.e.HTML(); got != tt.want {
			t.Errorf("%+v.HTML() =\n%s\nwant\n%s", tt.e, got, tt.want)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderPageWriteError(t *testing.T) {
	if err := RenderPage(failWriter{}, Page{}); err == nil {
		t.Fatal("RenderPage ignored the writer's error")
	}
}

func ExampleElement_HTML() {
	e := Element{Label: "Webcam", NoMirror: true}
	fmt.Println(e.HTML())
	// Output: <rtc-stream mirror-webcam="false" label="Webcam"></rtc-stream>
}

func ExampleRenderPage() {
	err := RenderPage(os.Stdout, Page{Title: "Object detection", AssetsURL: "/assets"})
	if err != nil {
		fmt.Println(err)
	}
}
