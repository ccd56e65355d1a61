package ui_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/internal/uiext"
	"github.com/rtcstream/rtcstream/ui"
)

// buildErr builds a page holding cs and returns the error.
func buildErr(cs ...ui.Component) error {
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(cs...)
	return b.Build()
}

func wantBuildErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Build succeeded; want an error mentioning %q", parts)
	}
	if !errors.Is(err, ui.ErrBuild) {
		t.Errorf("%v does not wrap ErrBuild", err)
	}
	var be *ui.BuildError
	if !errors.As(err, &be) {
		t.Errorf("%v is not a *BuildError", err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q lacks %q", err, p)
		}
	}
}

func TestValueFuncBindingErrors(t *testing.T) {
	slider := &ui.Slider{Props: ui.Props{Label: "Speed", Key: "speed"}}
	check := &ui.Checkbox{Props: ui.Props{Label: "On", Key: "on"}}
	label := &ui.Label{Props: ui.Props{Label: "Top"}}
	tests := []struct {
		name  string
		props ui.Props
		want  []string
	}{
		{"not a func", ui.Props{ValueFunc: 3}, []string{"ValueFunc", "is a int, not a func"}},
		{"nil func", ui.Props{ValueFunc: (func() string)(nil)}, []string{"nil func"}},
		{"too few parameters", ui.Props{ValueFunc: func() string { return "" }, Inputs: []ui.Component{slider}},
			[]string{"takes 0 parameter(s) for inputs, but Props.Inputs lists 1"}},
		{"too many parameters", ui.Props{ValueFunc: func(float64, bool) string { return "" }, Inputs: []ui.Component{slider}},
			[]string{"takes 2 parameter(s)"}},
		{"wrong parameter type", ui.Props{ValueFunc: func(float64, string) string { return "" }, Inputs: []ui.Component{slider, check}},
			[]string{"parameter 2 is string", `ui.Checkbox "On" (on) gives a bool`}},
		{"wrong parameter after a context", ui.Props{ValueFunc: func(context.Context, bool) string { return "" }, Inputs: []ui.Component{slider}},
			[]string{"parameter 2 is bool", `ui.Slider "Speed" (speed) gives a float64`}},
		{"input is not an Input", ui.Props{ValueFunc: func(ui.LabelValue) string { return "" }, Inputs: []ui.Component{label}},
			[]string{`parameter 1: ui.Label "Top" is not an input`}},
		{"input not on the page", ui.Props{ValueFunc: func(string) string { return "" }, Inputs: []ui.Component{&ui.Textbox{Props: ui.Props{Label: "Away"}}}},
			[]string{`parameter 1: ui.Textbox "Away" is not on the page`}},
		{"nil input", ui.Props{ValueFunc: func(string) string { return "" }, Inputs: []ui.Component{nil}},
			[]string{"Props.Inputs[0] (parameter 1) is nil"}},
		{"wrong result", ui.Props{ValueFunc: func() int { return 0 }}, []string{"result is int, but the component takes a string"}},
		{"no result", ui.Props{ValueFunc: func() {}}, []string{"must return the component's value"}},
		{"second result not error", ui.Props{ValueFunc: func() (string, string) { return "", "" }}, []string{"must return"}},
		{"variadic", ui.Props{ValueFunc: func(...float64) string { return "" }, Inputs: []ui.Component{slider}}, []string{"variadic"}},
		{"Every without ValueFunc", ui.Props{Every: time.Second}, []string{"Every is set but ValueFunc is not"}},
		{"Inputs without ValueFunc", ui.Props{Inputs: []ui.Component{slider}}, []string{"Inputs is set but ValueFunc is not"}},
		{"negative Every", ui.Props{ValueFunc: func() string { return "" }, Every: -time.Second}, []string{"Every -1s is negative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.props
			p.Label = "Out"
			p.Key = "out"
			err := buildErr(&ui.Textbox{Props: p}, slider, check, label)
			wantBuildErr(t, err, append([]string{`ui.Textbox "Out" (out)`}, tt.want...)...)
		})
	}
}

func TestValueFuncBindingOK(t *testing.T) {
	type level int
	slider := &ui.Slider{}
	check := &ui.Checkbox{}
	multi := &ui.Dropdown{Choices: []string{"a"}, Multiselect: true}
	ok := []struct {
		target ui.Component
		fn     any
		inputs []ui.Component
	}{
		{&ui.Textbox{}, func(x float64, b bool, s []string) string { return "" }, []ui.Component{slider, check, multi}},
		{&ui.Textbox{}, func(ctx context.Context, x int) (string, error) { return "", nil }, []ui.Component{slider}},
		{&ui.Textbox{}, func(x level, v any) string { return "" }, []ui.Component{slider, check}},
		{&ui.Slider{}, func() int { return 3 }, nil},
		{&ui.Slider{}, func() (float32, error) { return 3, nil }, nil},
		{&ui.Label{}, func() map[string]float64 { return nil }, nil},
		{&ui.Label{}, func() string { return "" }, nil},
		{&ui.Label{}, func() ui.LabelValue { return ui.LabelValue{} }, nil},
		{&ui.JSON{}, func() []int { return nil }, nil},
		{&ui.Chatbot{}, func() []ui.Message { return nil }, nil},
		{&ui.Dropdown{Multiselect: true}, func() []string { return nil }, nil},
		{&ui.Markdown{}, func() string { return "" }, nil},
	}
	for i, tt := range ok {
		tt.target.Common().ValueFunc = tt.fn
		tt.target.Common().Inputs = tt.inputs
		if err := buildErr(tt.target, slider, check, multi); err != nil {
			t.Errorf("case %d (%T): %v", i, tt.fn, err)
		}
	}
}

func TestValueFuncCycles(t *testing.T) {
	a := &ui.Textbox{Props: ui.Props{Key: "a"}}
	b := &ui.Textbox{Props: ui.Props{Key: "b"}}
	a.ValueFunc = func(string) string { return "" }
	a.Inputs = []ui.Component{b}
	b.ValueFunc = func(string) string { return "" }
	b.Inputs = []ui.Component{a}
	wantBuildErr(t, buildErr(a, b), "is computed from itself")

	self := &ui.Textbox{Props: ui.Props{Key: "self"}}
	self.ValueFunc = func(string) string { return "" }
	self.Inputs = []ui.Component{self}
	wantBuildErr(t, buildErr(self), `ui.Textbox (key "self") (self): is computed from itself`)
}

func TestPropsErrors(t *testing.T) {
	tests := []struct {
		name string
		cs   []ui.Component
		want []string
	}{
		{"bad Height", []ui.Component{&ui.Textbox{Props: ui.Props{Label: "T", Height: "10px; color: red"}}}, []string{`ui.Textbox "T" (component-1): Height`, "not a CSS size"}},
		{"bad Width", []ui.Component{&ui.Textbox{Props: ui.Props{Width: "expression(alert(1))"}}}, []string{"Width", "not a CSS size"}},
		{"negative Height", []ui.Component{&ui.Textbox{Props: ui.Props{Height: "-3"}}}, []string{"negative"}},
		{"bad Key", []ui.Component{&ui.Textbox{Props: ui.Props{Key: "a b"}}}, []string{`Key "a b" may hold only`}},
		{"duplicate Key", []ui.Component{&ui.Textbox{Props: ui.Props{Key: "k"}}, &ui.Number{Props: ui.Props{Key: "k"}}}, []string{`has the id "k"`, "Textbox"}},
		{"Key as a position id", []ui.Component{&ui.Textbox{}, &ui.Number{Props: ui.Props{Key: "component-1"}}}, []string{`has the id "component-1"`}},
		{"duplicate ElemID", []ui.Component{&ui.Textbox{Props: ui.Props{ElemID: "e"}}, &ui.Number{Props: ui.Props{ElemID: "e"}}}, []string{`ElemID "e" is the ElemID of`}},
		{"Scale", []ui.Component{&ui.Textbox{Props: ui.Props{Scale: -2}}}, []string{"Scale -2 is negative"}},
		{"Interactive", []ui.Component{&ui.Textbox{Props: ui.Props{Interactive: 7}}}, []string{"Interactive is Interactivity(7)"}},
		{"slider range", []ui.Component{&ui.Slider{Props: ui.Props{Label: "S"}, Minimum: 5, Maximum: 1}}, []string{`ui.Slider "S"`, "Maximum 1 is not above Minimum 5"}},
		{"slider value", []ui.Component{&ui.Slider{Maximum: 1, Value: 3}}, []string{"Value 3 is outside [0, 1]"}},
		{"number value", []ui.Component{&ui.Number{Minimum: 1, Maximum: 2, Value: 3}}, []string{"3 is outside [1, 2]"}},
		{"dropdown value", []ui.Component{&ui.Dropdown{Choices: []string{"a"}, Value: "b"}}, []string{`"b" is not one of the choices`}},
		{"dropdown duplicate", []ui.Component{&ui.Dropdown{Choices: []string{"a", "a"}}}, []string{`the choice "a" is listed twice`}},
		{"dropdown Values", []ui.Component{&ui.Dropdown{Choices: []string{"a"}, Values: []string{"a"}}}, []string{"Values is set without Multiselect"}},
		{"radio value", []ui.Component{&ui.Radio{Choices: []string{"a"}, Value: "b"}}, []string{`"b" is not one of the choices`}},
		{"textbox length", []ui.Component{&ui.Textbox{Value: "long", MaxLength: 2}}, []string{"more than MaxLength 2"}},
		{"label confidence", []ui.Component{&ui.Label{Value: ui.LabelValue{Confidences: []ui.Confidence{{"a", 2}}}}}, []string{"not in [0, 1]"}},
		{"json value", []ui.Component{&ui.JSON{Value: func() {}}}, []string{"does not marshal"}},
		{"chat role", []ui.Component{&ui.Chatbot{Value: []ui.Message{{Role: "robot"}}}}, []string{`role "robot"`}},
		{"button variant", []ui.Component{&ui.Button{Variant: 9}}, []string{"Variant is Variant(9)"}},
		{"not a pointer", []ui.Component{valueComponent{}}, []string{"add a pointer"}},
		{"nil", []ui.Component{nil}, []string{"nil component"}},
		{"nil pointer", []ui.Component{(*ui.Slider)(nil)}, []string{"nil component"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantBuildErr(t, buildErr(tt.cs...), tt.want...)
		})
	}
}

// valueComponent is a Component that is not a pointer.
type valueComponent struct{}

func (valueComponent) Common() *ui.Props                 { return &ui.Props{} }
func (valueComponent) Render(*ui.Renderer, string) error { return nil }

func TestPlacedTwice(t *testing.T) {
	tb := &ui.Textbox{Props: ui.Props{Label: "Twice"}}
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(tb)
	b.Row(ui.Props{}, func(r *ui.Layout) { r.Add(tb) })
	wantBuildErr(t, b.Build(), `ui.Textbox "Twice"`, "placed twice")
}

func TestBuildIsOnceAndFreezes(t *testing.T) {
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(&ui.Slider{Maximum: 1, Value: 5})
	err1 := b.Build()
	if err1 == nil || b.Build() != err1 {
		t.Fatalf("Build = %v, then %v; want the same error", err1, b.Build())
	}
	w := get(t, b, "/")
	if w.Code != http.StatusInternalServerError || !strings.Contains(w.Body.String(), "outside [0, 1]") {
		t.Errorf("a broken page answers %d %q", w.Code, w.Body)
	}
	defer func() {
		if recover() == nil {
			t.Error("Add after Build did not panic")
		}
	}()
	b.Add(&ui.Textbox{})
}

// fakeStream has stream hooks (package internal/uiext), like the root
// package's WebRTC component.
type fakeStream struct {
	ui.Props
	inputs  []ui.Component
	outputs []ui.Component
	trigger ui.Component

	prefix    string
	triggerID string
	inputIDs  []string
	outputIDs []string
	linkErr   error
}

// Common attaches the fake's hooks, as rtcstream.NewWebRTC does.
func (f *fakeStream) Common() *ui.Props {
	uiext.Attach(&f.Props, fakeHooks{f})
	return &f.Props
}

type fakeHooks struct{ f *fakeStream }

func (h fakeHooks) Link(l uiext.Links) error                { return h.f.link(l) }
func (h fakeHooks) Mount(mux *http.ServeMux, prefix string) { h.f.mount(mux, prefix) }
func (h fakeHooks) InteractiveByDefault() bool              { return false }

func (f *fakeStream) mount(mux *http.ServeMux, prefix string) {
	f.prefix = prefix
	mux.HandleFunc("POST "+prefix+"/offer", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "offer for %s", prefix)
	})
}

func (f *fakeStream) link(l uiext.Links) error {
	for _, c := range f.inputs {
		id, err := l.UseInput(c)
		if err != nil {
			return err
		}
		f.inputIDs = append(f.inputIDs, id)
	}
	for _, c := range f.outputs {
		id, err := l.UseOutput(c)
		if err != nil {
			return err
		}
		f.outputIDs = append(f.outputIDs, id)
	}
	if f.trigger != nil {
		id, err := l.ID(f.trigger)
		if err != nil {
			return err
		}
		f.triggerID = id
	}
	return f.linkErr
}

func (f *fakeStream) Render(r *ui.Renderer, id string) error {
	r.Module("rtc-stream.js")
	r.Stylesheet("rtc-stream.css")
	src, _ := r.MountURL(f)
	return r.Block(id, f, ui.Block{Kind: "webrtc"}, func() error {
		r.Label(id, f, "")
		r.WriteString("<rtc-stream")
		r.Attr("src", src)
		if len(f.inputIDs) > 0 {
			r.Attr("inputs", strings.Join(f.inputIDs, " "))
		}
		if f.triggerID != "" {
			r.Attr("trigger", f.triggerID)
			r.Attr("mode", "receive")
		}
		r.WriteString("></rtc-stream>")
		return nil
	})
}

func TestMountersAndLinkers(t *testing.T) {
	conf := &ui.Slider{Props: ui.Props{Key: "conf"}, Maximum: 1}
	text := &ui.Textbox{Props: ui.Props{Key: "text"}}
	first := &fakeStream{Props: ui.Props{Label: "Cam"}, inputs: []ui.Component{conf}, outputs: []ui.Component{text}}
	second := &fakeStream{Props: ui.Props{Key: "cam2"}}
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(first, conf, text, second)
	page := pageHTML(t, b)

	if first.prefix != "/webrtc" || second.prefix != "/webrtc/cam2" {
		t.Errorf("prefixes %q, %q; want /webrtc, /webrtc/cam2", first.prefix, second.prefix)
	}
	if p, ok := b.MountPrefix(second); !ok || p != "/webrtc/cam2" {
		t.Errorf("MountPrefix = %q, %v", p, ok)
	}
	if _, ok := b.MountPrefix(conf); ok {
		t.Error("MountPrefix of a non-Mounter reported ok")
	}
	for _, tt := range []struct{ path, want string }{
		{"/webrtc/offer", "offer for /webrtc"},
		{"/webrtc/cam2/offer", "offer for /webrtc/cam2"},
	} {
		w := httptestPost(t, b, tt.path, "{}")
		if w.Code != http.StatusOK || w.Body.String() != tt.want {
			t.Errorf("POST %s = %d %q, want %q", tt.path, w.Code, w.Body, tt.want)
		}
	}
	if strings.Join(first.inputIDs, ",") != "conf" || strings.Join(first.outputIDs, ",") != "text" {
		t.Errorf("linked ids %v %v", first.inputIDs, first.outputIDs)
	}
	for _, want := range []string{
		`<rtc-stream src="webrtc" inputs="conf"></rtc-stream>`,
		`<rtc-stream src="webrtc/cam2"></rtc-stream>`,
		`<script type="module" src="assets/rtc-stream.js"></script>`,
		`<link rel="stylesheet" href="assets/rtc-stream.css">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Count(page, "rtc-stream.js") != 1 {
		t.Error("a module asked for twice is loaded twice")
	}
	// The stream's output Textbox is read-only; its input slider is not.
	if tag := element(t, page, "text"); !strings.Contains(tag, "readonly") || !strings.Contains(tag, "static") {
		t.Errorf("an output Textbox is editable: %s", tag)
	}
	if tag := element(t, page, "conf"); strings.Contains(tag, "disabled") {
		t.Errorf("an input Slider is disabled: %s", tag)
	}
}

func TestLinkErrors(t *testing.T) {
	away := &ui.Slider{Props: ui.Props{Label: "Away"}}
	wantBuildErr(t, buildErr(&fakeStream{Props: ui.Props{Label: "Cam"}, inputs: []ui.Component{away}}),
		`ui_test.fakeStream "Cam" (component-1): Link`, `ui.Slider "Away" is not on the page`)
	label := &ui.Label{Props: ui.Props{Key: "l"}}
	wantBuildErr(t, buildErr(&fakeStream{inputs: []ui.Component{label}}, label), `ui.Label (key "l") (l) is not an input`)
	wantBuildErr(t, buildErr(&fakeStream{linkErr: errors.New("no handler")}), "Link: no handler")
	wantBuildErr(t, buildErr(&fakeStream{outputs: []ui.Component{&fakeStream{}}}), "not on the page")
}

func TestMountPanicIsABuildError(t *testing.T) {
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(&badMounter{})
	wantBuildErr(t, b.Build(), `Mount("/webrtc")`, "panic")
}

// badMounter registers a route that conflicts with the page's own.
type badMounter struct{ ui.Props }

func (m *badMounter) Common() *ui.Props {
	uiext.Attach(&m.Props, m)
	return &m.Props
}

func (m *badMounter) Link(uiext.Links) error     { return nil }
func (m *badMounter) InteractiveByDefault() bool { return false }
func (m *badMounter) Mount(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("GET /{$}", func(http.ResponseWriter, *http.Request) {})
}
func (m *badMounter) Render(*ui.Renderer, string) error { return nil }

func TestInteractivityInference(t *testing.T) {
	src := &ui.Slider{Props: ui.Props{Key: "src"}}
	computed := &ui.Slider{Props: ui.Props{Key: "computed", ValueFunc: func(x float64) float64 { return x }, Inputs: []ui.Component{src}}}
	loaded := &ui.Slider{Props: ui.Props{Key: "loaded", ValueFunc: func() float64 { return 1 }}}
	ticking := &ui.Textbox{Props: ui.Props{Key: "ticking", ValueFunc: func() string { return "" }, Every: time.Second}}
	forced := &ui.Textbox{Props: ui.Props{Key: "forced", Interactive: ui.Interactive, ValueFunc: func() string { return "" }, Every: time.Second}}
	label := &ui.Label{Props: ui.Props{Key: "label"}}
	labelOn := &ui.Label{Props: ui.Props{Key: "label-on", Interactive: ui.Interactive}}
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(src, computed, loaded, ticking, forced, label, labelOn)
	page := pageHTML(t, b)
	for id, static := range map[string]bool{
		"src": false, "computed": true, "loaded": false, "ticking": true, "forced": false, "label": true, "label-on": false,
	} {
		if got := strings.Contains(rootTag(t, page, id), "static"); got != static {
			t.Errorf("%s: static = %v, want %v", id, got, static)
		}
	}
}

func TestInteractivityString(t *testing.T) {
	for v, want := range map[ui.Interactivity]string{ui.InteractiveAuto: "auto", ui.Interactive: "interactive", ui.Static: "static", 9: "Interactivity(9)"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q, want %q", v, v.String(), want)
		}
	}
	for v, want := range map[ui.Variant]string{ui.VariantSecondary: "secondary", ui.VariantPrimary: "primary", ui.VariantStop: "stop", 5: "Variant(5)"} {
		if v.String() != want {
			t.Errorf("%d.String() = %q, want %q", v, v.String(), want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tt := range []struct {
		c    ui.Component
		want string
	}{
		{&ui.Slider{Props: ui.Props{Label: "Confidence Threshold", Key: "conf"}}, `ui.Slider "Confidence Threshold"`},
		{&ui.Number{Props: ui.Props{Key: "fps", ElemID: "n"}}, `ui.Number (key "fps")`},
		{&ui.Row{Props: ui.Props{ElemID: "toolbar"}}, `ui.Row (elem_id "toolbar")`},
		{&ui.Row{}, `ui.Row`},
		{&ui.Button{}, `ui.Button "Run"`},
		{&ui.Button{Value: "Start"}, `ui.Button "Start"`},
		{&ui.Button{Props: ui.Props{Label: "Go"}, Value: "Start"}, `ui.Button "Go"`},
		{&fakeStream{Props: ui.Props{Label: "Cam"}}, `ui_test.fakeStream "Cam"`},
		{(*ui.Slider)(nil), `nil *ui.Slider`},
		{nil, `<nil>`},
	} {
		if got := ui.Describe(tt.c); got != tt.want {
			t.Errorf("Describe(%#v) = %s, want %s", tt.c, got, tt.want)
		}
	}
}
