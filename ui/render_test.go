package ui_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/ui"
)

// get serves one request to b and returns the response.
func get(t *testing.T, b http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w
}

// pageHTML renders b's page.
func pageHTML(t *testing.T, b *ui.Blocks) string {
	t.Helper()
	if err := b.Build(); err != nil {
		t.Fatalf("Build: %v", err)
	}
	w := get(t, b, "/")
	if w.Code != http.StatusOK {
		t.Fatalf("GET / = %d: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	return w.Body.String()
}

// rootTag returns the start tag of the element with data-component=id.
func rootTag(t *testing.T, page, id string) string {
	t.Helper()
	re := regexp.MustCompile(`<[a-z]+ [^>]*data-component="` + regexp.QuoteMeta(id) + `"[^>]*>`)
	tag := re.FindString(page)
	if tag == "" {
		t.Fatalf("no element has data-component=%q in\n%s", id, page)
	}
	return tag
}

// element returns the HTML from the root of component id to the start of
// the next component at the same or a later position (enough to check its
// inside).
func element(t *testing.T, page, id string) string {
	t.Helper()
	tag := rootTag(t, page, id)
	i := strings.Index(page, tag)
	rest := page[i+len(tag):]
	if j := strings.Index(rest, `data-component="`); j >= 0 {
		rest = rest[:j]
	}
	return tag + rest
}

func TestSeedLayoutRenders(t *testing.T) {
	demo, _ := seedPage()
	page := pageHTML(t, demo)
	for _, want := range []string{
		"<title>YOLOv10 Webcam Stream</title>",
		"YOLOv10 Webcam Stream (Powered by WebRTC ⚡️)",
		`<h1 style='text-align: center'>`,
		`<a href='https://arxiv.org/abs/2405.14458' target='_blank'>arXiv</a>`,
		`.my-group {max-width: 600px !important; max-height: 600 !important;}`,
		`.my-column {display: flex !important; justify-content: center !important; align-items: center !important};`,
		`<link rel="stylesheet" href="assets/blocks.css">`,
		`<script type="module" src="assets/blocks.js"></script>`,
		`>Confidence Threshold</label>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// The custom CSS comes after the built-in stylesheet, in a <style>.
	if strings.Index(page, "<style>") < strings.Index(page, "blocks.css") {
		t.Error("the custom CSS comes before blocks.css")
	}

	col := rootTag(t, page, "component-3")
	for _, want := range []string{`class="column my-column"`, `data-kind="column"`} {
		if !strings.Contains(col, want) {
			t.Errorf("column %s lacks %s", col, want)
		}
	}
	group := rootTag(t, page, "component-4")
	if !strings.Contains(group, `class="group my-group"`) {
		t.Errorf("group %s lacks class my-group", group)
	}
	slider := element(t, page, "conf")
	for _, want := range []string{
		`class="block slider"`, `data-kind="slider"`, `data-value="0.3"`,
		`type="range"`, `min="0"`, `max="1"`, `step="0.05"`, `value="0.3"`,
		`<label id="conf-label" class="block-label" for="conf-number">Confidence Threshold</label>`,
	} {
		if !strings.Contains(slider, want) {
			t.Errorf("slider lacks %s:\n%s", want, slider)
		}
	}
	// Page order: headings, column, group, stream, slider.
	order := []string{`data-component="component-1"`, `data-component="component-2"`, `data-component="component-3"`,
		`data-component="component-4"`, `data-component="stream"`, `data-component="conf"`}
	last := -1
	for _, s := range order {
		i := strings.Index(page, s)
		if i < last {
			t.Errorf("%s is out of order", s)
		}
		last = i
	}
}

func TestPageOptions(t *testing.T) {
	b := ui.NewBlocks(&ui.BlocksOptions{
		Title:      `<T&"itle>`,
		CSS:        "body{color:red}</style><script>alert(1)</script>",
		Head:       `<meta name="x" content="y">`,
		FillHeight: true,
		FillWidth:  true,
	})
	b.Add(&ui.Textbox{})
	page := pageHTML(t, b)
	for _, want := range []string{
		"<title>&lt;T&amp;&#34;itle&gt;</title>",
		`<meta name="x" content="y">`,
		`class="blocks fill-height fill-width"`,
		"body{color:red}<\\/style><script>alert(1)</script>",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	if strings.Count(page, "</style>") != 1 {
		t.Error("the custom CSS ended its <style> element")
	}

	page = pageHTML(t, ui.NewBlocks(&ui.BlocksOptions{}))
	if !strings.Contains(page, "<title>rtcstream</title>") || strings.Contains(page, "<style>") ||
		!strings.Contains(page, `<main class="blocks">`) {
		t.Errorf("default page:\n%s", page)
	}
}

func TestPropsInHTML(t *testing.T) {
	other := &ui.Checkbox{Props: ui.Props{Key: "other"}}
	tests := []struct {
		name    string
		props   ui.Props
		want    []string // in the component's HTML
		wantNot []string
	}{
		{"defaults", ui.Props{}, []string{`class="block textbox"`, `data-kind="textbox"`}, []string{`data-kind="textbox" hidden`, "style=", "<div id=", "static", "readonly", "data-fn", "<label"}},
		{"Label", ui.Props{Label: "Name"}, []string{`<label id="c-label" class="block-label" for="c-input">Name</label>`}, nil},
		{"HideLabel", ui.Props{Label: "Name", HideLabel: true}, []string{`class="block-label sr-only"`}, nil},
		{"Height pixels", ui.Props{Height: "300"}, []string{`style="height:300px"`}, nil},
		{"Height CSS", ui.Props{Height: "50vh"}, []string{`style="height:50vh"`}, nil},
		{"Width", ui.Props{Width: "12.5em"}, []string{`style="width:12.5em"`}, nil},
		{"Width calc", ui.Props{Width: "calc(100% - 8px)"}, []string{`style="width:calc(100% - 8px)"`}, nil},
		{"NoContainer", ui.Props{NoContainer: true}, []string{`class="block textbox no-container"`}, nil},
		{"Scale", ui.Props{Scale: 2}, []string{`style="--scale:2"`}, nil},
		{"NoGrow", ui.Props{Scale: ui.NoGrow}, []string{`style="--scale:0"`}, nil},
		{"MinWidth", ui.Props{MinWidth: 240}, []string{`style="--min-width:240px"`}, nil},
		{"no MinWidth", ui.Props{MinWidth: -1}, []string{`style="--min-width:0px"`}, nil},
		{"all sizes", ui.Props{Scale: 3, MinWidth: 100, Height: "10", Width: "20"}, []string{`style="--scale:3;--min-width:100px;height:10px;width:20px"`}, nil},
		{"Static", ui.Props{Interactive: ui.Static}, []string{`class="block textbox static"`, " readonly"}, nil},
		{"Interactive", ui.Props{Interactive: ui.Interactive}, nil, []string{"static", "readonly"}},
		{"Hidden", ui.Props{Hidden: true}, []string{`data-kind="textbox" hidden`}, nil},
		{"ElemID", ui.Props{ElemID: "my-box"}, []string{`<div id="my-box" class="block textbox"`}, nil},
		{"ElemClasses", ui.Props{ElemClasses: []string{"a", "b-c"}}, []string{`class="block textbox a b-c"`}, nil},
		{"ValueFunc", ui.Props{ValueFunc: func() string { return "x" }}, []string{` data-fn=""`}, []string{"data-every", "data-inputs"}},
		{"Every", ui.Props{ValueFunc: func() string { return "x" }, Every: 250 * time.Millisecond}, []string{`data-fn="" data-every="250"`}, nil},
		{"Inputs", ui.Props{ValueFunc: func(bool) string { return "x" }, Inputs: []ui.Component{other}}, []string{`data-fn="" data-inputs="other"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.props
			p.Key = "c"
			b := ui.NewBlocks(&ui.BlocksOptions{})
			b.Add(&ui.Textbox{Props: p}, other)
			html := element(t, pageHTML(t, b), "c")
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("lacks %s:\n%s", w, html)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(html, w) {
					t.Errorf("has %s:\n%s", w, html)
				}
			}
		})
	}
}

func TestKeyAndPositionIDs(t *testing.T) {
	build := func() (*ui.Blocks, []ui.Component) {
		b := ui.NewBlocks(&ui.BlocksOptions{})
		a := &ui.Textbox{}
		k := &ui.Number{Props: ui.Props{Key: "speed"}}
		var inner *ui.Checkbox
		b.Add(a)
		b.Row(ui.Props{}, func(r *ui.Layout) {
			inner = &ui.Checkbox{}
			r.Add(k, inner)
		})
		return b, []ui.Component{a, k, inner}
	}
	b1, cs1 := build()
	b2, cs2 := build()
	want := []string{"component-1", "speed", "component-4"}
	for i := range cs1 {
		id1, ok1 := b1.ID(cs1[i])
		id2, ok2 := b2.ID(cs2[i])
		if !ok1 || !ok2 || id1 != want[i] || id2 != want[i] {
			t.Errorf("component %d: ids %q %v, %q %v; want %q", i, id1, ok1, id2, ok2, want[i])
		}
	}
	// Rendering twice gives the same page.
	if p1, p2 := pageHTML(t, b1), pageHTML(t, b1); p1 != p2 {
		t.Error("two renders of one Blocks differ")
	}
	if _, ok := b1.ID(&ui.Textbox{}); ok {
		t.Error("ID of a component not on the page reported ok")
	}
}

func TestNoRenderAndRender(t *testing.T) {
	b := ui.NewBlocks(&ui.BlocksOptions{})
	later := &ui.Textbox{Props: ui.Props{Key: "later", NoRender: true}}
	never := &ui.Textbox{Props: ui.Props{Key: "never", NoRender: true}}
	first := &ui.Textbox{Props: ui.Props{Key: "first"}}
	b.Add(later, never, first)
	b.Row(ui.Props{}, func(r *ui.Layout) { r.Render(later) })
	page := pageHTML(t, b)
	if strings.Contains(page, `data-component="never"`) {
		t.Error("a NoRender component that was never placed is on the page")
	}
	if strings.Index(page, `data-component="later"`) < strings.Index(page, `data-component="first"`) {
		t.Error("the NoRender component is not where Render placed it")
	}
	if id, ok := b.ID(never); !ok || id != "never" {
		t.Errorf("ID(never) = %q, %v; an added NoRender component still has an id", id, ok)
	}
}

func TestEscaping(t *testing.T) {
	evil := `"><script>alert(1)</script>`
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(
		&ui.Textbox{Props: ui.Props{Label: evil, ElemID: evil, ElemClasses: []string{evil}}, Value: evil, Placeholder: evil},
		&ui.Textbox{Value: evil, Lines: 3},
		&ui.Dropdown{Choices: []string{evil, "b"}, Value: evil},
		&ui.Dropdown{Choices: []string{evil}, AllowCustomValue: true},
		&ui.Dropdown{Choices: []string{evil}, Multiselect: true, Values: []string{evil}},
		&ui.Radio{Choices: []string{evil}, Value: evil},
		&ui.Checkbox{Props: ui.Props{Label: evil}},
		&ui.Button{Value: evil},
		&ui.Label{Value: ui.LabelValue{Label: evil, Confidences: []ui.Confidence{{Label: evil, Confidence: 1}}}},
		&ui.JSON{Value: map[string]string{evil: evil}},
		&ui.Chatbot{Value: []ui.Message{{Role: "user", Content: evil}}, Placeholder: evil},
		&ui.Markdown{Value: evil},
		&ui.Slider{Props: ui.Props{Label: evil}},
		&ui.Number{Props: ui.Props{Label: evil}},
	)
	page := pageHTML(t, b)
	if strings.Contains(page, "<script>alert") {
		i := strings.Index(page, "<script>alert")
		t.Errorf("unescaped script in the page near %q", page[max(0, i-200):i+20])
	}
	// HTML is the application's own HTML: as is.
	b = ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(&ui.HTML{Value: "<b>bold</b><script>ok()</script>"})
	if page := pageHTML(t, b); !strings.Contains(page, "<b>bold</b><script>ok()</script>") {
		t.Error("HTML's value was escaped")
	}
}

func TestContainersRender(t *testing.T) {
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.With(&ui.Row{Props: ui.Props{Key: "r"}, EqualHeight: true}, func(r *ui.Layout) {
		r.Column(ui.Props{Key: "c", Scale: 2, MinWidth: 400}, func(c *ui.Layout) {
			c.Group(ui.Props{Key: "g"}, func(g *ui.Layout) {
				g.Add(&ui.Textbox{Props: ui.Props{Key: "t"}})
			})
		})
	})
	page := pageHTML(t, b)
	for id, want := range map[string]string{
		"r": `<div class="row equal-height" data-component="r" data-kind="row">`,
		"c": `<div class="column" data-component="c" data-kind="column" style="--scale:2;--min-width:400px">`,
		"g": `<div class="group" data-component="g" data-kind="group">`,
	} {
		if got := rootTag(t, page, id); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	nested := regexp.MustCompile(`data-component="r"[^>]*>\s*<div[^>]*data-component="c"[^>]*>\s*<div[^>]*data-component="g"[^>]*>\s*<div[^>]*data-component="t"`)
	if !nested.MatchString(page) {
		t.Errorf("the containers are not nested:\n%s", page)
	}
}

func TestRoutesOfThePage(t *testing.T) {
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(&ui.Textbox{})
	for path, want := range map[string]int{
		"/":                     http.StatusOK,
		"/assets/blocks.js":     http.StatusOK,
		"/assets/blocks.css":    http.StatusOK,
		"/assets/rtc-stream.js": http.StatusOK,
		"/nope":                 http.StatusNotFound,
		"/ui/nope":              http.StatusNotFound,
	} {
		if w := get(t, b, path); w.Code != want {
			t.Errorf("GET %s = %d, want %d", path, w.Code, want)
		}
	}
	if w := get(t, b, "/assets/blocks.js"); !strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Errorf("blocks.js served as %q", w.Header().Get("Content-Type"))
	}
}
