package ui_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/rtcstream/rtcstream/ui"
)

type decodeCase struct {
	raw     string
	want    any    // the decoded value, when wantErr is ""
	wantErr string // a part of the error, which must also name the component
}

func checkDecode(t *testing.T, in ui.Input, name string, cases []decodeCase) {
	t.Helper()
	for _, c := range cases {
		got, err := in.Decode(json.RawMessage(c.raw))
		if c.wantErr == "" {
			if err != nil {
				t.Errorf("%s.Decode(%s): %v", name, c.raw, err)
				continue
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s.Decode(%s) = %#v, want %#v", name, c.raw, got, c.want)
			}
			if reflect.TypeOf(got) != in.ValueType() {
				t.Errorf("%s.Decode(%s) gave a %T, but ValueType is %v", name, c.raw, got, in.ValueType())
			}
			continue
		}
		checkValueErr(t, err, name, "Decode("+c.raw+")", c.wantErr)
	}
}

func checkValueErr(t *testing.T, err error, name, call, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Errorf("%s.%s: no error, want one about %q", name, call, want)
	case !errors.Is(err, ui.ErrInvalidValue):
		t.Errorf("%s.%s: %v does not wrap ErrInvalidValue", name, call, err)
	case !strings.Contains(err.Error(), name):
		t.Errorf("%s.%s: %q does not name the component", name, call, err)
	case !strings.Contains(err.Error(), want):
		t.Errorf("%s.%s: %q, want it to mention %q", name, call, err, want)
	}
}

type encodeCase struct {
	v       any
	want    string // JSON, when wantErr is ""
	wantErr string
}

func checkEncode(t *testing.T, out ui.Output, name string, cases []encodeCase) {
	t.Helper()
	for _, c := range cases {
		got, err := out.Encode(c.v)
		if c.wantErr == "" {
			if err != nil {
				t.Errorf("%s.Encode(%#v): %v", name, c.v, err)
			} else if string(got) != c.want {
				t.Errorf("%s.Encode(%#v) = %s, want %s", name, c.v, got, c.want)
			}
			continue
		}
		checkValueErr(t, err, name, "Encode", c.wantErr)
	}
}

func TestSliderValues(t *testing.T) {
	s := &ui.Slider{Props: ui.Props{Label: "Conf"}, Minimum: 0, Maximum: 1, Step: 0.05, Value: 0.3}
	name := `ui.Slider "Conf"`
	checkDecode(t, s, name, []decodeCase{
		{raw: "0.5", want: 0.5},
		{raw: "0", want: 0.0},
		{raw: "1", want: 1.0},
		{raw: "1.5", wantErr: "outside [0, 1]"},
		{raw: "-0.1", wantErr: "outside [0, 1]"},
		{raw: `"0.5"`, wantErr: "got a string; want a number"},
		{raw: "null", wantErr: "got null"},
		{raw: "true", wantErr: "got a boolean"},
		{raw: "", wantErr: "no value"},
	})
	checkEncode(t, s, name, []encodeCase{
		{v: 0.25, want: "0.25"},
		{v: 1, want: "1"},
		{v: float32(0.5), want: "0.5"},
		{v: 2, wantErr: "outside"},
		{v: math.NaN(), wantErr: "outside"},
		{v: "x", wantErr: "want a number"},
	})
	if got := s.Initial(); got != 0.3 {
		t.Errorf("Initial = %v", got)
	}
	// Defaults: 0..100, Value 0 outside the range means Minimum.
	d := &ui.Slider{Minimum: 10, Maximum: 20}
	if got := d.Initial(); got != 10.0 {
		t.Errorf("Initial of a slider over [10, 20] = %v, want 10", got)
	}
	if _, err := (&ui.Slider{}).Decode(json.RawMessage("100")); err != nil {
		t.Errorf("the default range lacks 100: %v", err)
	}
}

func TestNumberValues(t *testing.T) {
	n := &ui.Number{Props: ui.Props{Key: "fps"}, Minimum: 1, Maximum: 60}
	name := `ui.Number (key "fps")`
	checkDecode(t, n, name, []decodeCase{
		{raw: "30", want: 30.0},
		{raw: "0", wantErr: "outside [1, 60]"},
		{raw: "61", wantErr: "outside"},
		{raw: `"3"`, wantErr: "want a number"},
		{raw: "[1]", wantErr: "got an array"},
	})
	checkEncode(t, n, name, []encodeCase{
		{v: 30, want: "30"},
		{v: uint8(7), want: "7"},
		{v: 0.5, wantErr: "outside"},
		{v: true, wantErr: "want a number"},
	})
	free := &ui.Number{}
	checkDecode(t, free, "Number", []decodeCase{{raw: "-1e9", want: -1e9}})
	checkEncode(t, free, "Number", []encodeCase{{v: math.Inf(1), wantErr: "not a finite number"}})
	half := &ui.Number{Minimum: 0, Maximum: math.Inf(1)}
	checkDecode(t, half, "Number", []decodeCase{{raw: "1e12", want: 1e12}, {raw: "-1", wantErr: "outside"}})
}

func TestCheckboxValues(t *testing.T) {
	c := &ui.Checkbox{Props: ui.Props{Label: "Mirror"}, Value: true}
	name := `ui.Checkbox "Mirror"`
	checkDecode(t, c, name, []decodeCase{
		{raw: "true", want: true},
		{raw: "false", want: false},
		{raw: "1", wantErr: "got a number; want true or false"},
		{raw: `"true"`, wantErr: "got a string"},
		{raw: "null", wantErr: "got null"},
	})
	type flag bool
	checkEncode(t, c, name, []encodeCase{
		{v: true, want: "true"},
		{v: flag(false), want: "false"},
		{v: 1, wantErr: "want a bool"},
	})
	if c.Initial() != true {
		t.Error("Initial is not Value")
	}
}

func TestDropdownValues(t *testing.T) {
	d := &ui.Dropdown{Props: ui.Props{Label: "Model"}, Choices: []string{"n", "s", "m"}}
	name := `ui.Dropdown "Model"`
	if d.Initial() != "n" {
		t.Errorf("Initial = %v, want the first choice", d.Initial())
	}
	checkDecode(t, d, name, []decodeCase{
		{raw: `"s"`, want: "s"},
		{raw: `""`, want: ""},
		{raw: `null`, want: ""},
		{raw: `"x"`, wantErr: `"x" is not one of the choices ["n", "s", "m"]`},
		{raw: `["s"]`, wantErr: "got an array; want a string"},
	})
	checkEncode(t, d, name, []encodeCase{
		{v: "m", want: `"m"`},
		{v: "x", wantErr: "not one of the choices"},
		{v: 3, wantErr: "want a string"},
	})

	m := &ui.Dropdown{Props: ui.Props{Label: "Classes"}, Choices: []string{"a", "b", "c"}, Multiselect: true, MaxChoices: 2, Values: []string{"a"}}
	name = `ui.Dropdown "Classes"`
	if m.ValueType() != reflect.TypeFor[[]string]() || !reflect.DeepEqual(m.Initial(), []string{"a"}) {
		t.Errorf("multiselect ValueType %v, Initial %#v", m.ValueType(), m.Initial())
	}
	checkDecode(t, m, name, []decodeCase{
		{raw: `["a","c"]`, want: []string{"a", "c"}},
		{raw: `[]`, want: []string{}},
		{raw: `null`, want: []string{}},
		{raw: `["a","b","c"]`, wantErr: "more than MaxChoices 2"},
		{raw: `["a","a"]`, wantErr: `"a" is chosen twice`},
		{raw: `["z"]`, wantErr: "not one of the choices"},
		{raw: `"a"`, wantErr: "want an array of strings"},
		{raw: `[1]`, wantErr: "want an array of strings"},
	})
	checkEncode(t, m, name, []encodeCase{
		{v: []string{"b"}, want: `["b"]`},
		{v: []string(nil), want: `[]`},
		{v: []string{"q"}, wantErr: "not one of the choices"},
		{v: "a", wantErr: "want a []string"},
	})

	custom := &ui.Dropdown{Choices: []string{"a"}, AllowCustomValue: true}
	checkDecode(t, custom, "Dropdown", []decodeCase{{raw: `"anything"`, want: "anything"}})
}

func TestRadioValues(t *testing.T) {
	r := &ui.Radio{Props: ui.Props{Label: "Device"}, Choices: []string{"CPU", "GPU"}}
	name := `ui.Radio "Device"`
	if r.Initial() != "" {
		t.Errorf("Initial = %v, want none", r.Initial())
	}
	checkDecode(t, r, name, []decodeCase{
		{raw: `"GPU"`, want: "GPU"},
		{raw: `null`, want: ""},
		{raw: `"TPU"`, wantErr: `"TPU" is not one of the choices`},
		{raw: `1`, wantErr: "want a string"},
	})
	checkEncode(t, r, name, []encodeCase{
		{v: "CPU", want: `"CPU"`},
		{v: "TPU", wantErr: "not one of the choices"},
		{v: false, wantErr: "want a string"},
	})
}

func TestTextboxValues(t *testing.T) {
	tb := &ui.Textbox{Props: ui.Props{Label: "Prompt"}, MaxLength: 5}
	name := `ui.Textbox "Prompt"`
	checkDecode(t, tb, name, []decodeCase{
		{raw: `"héllo"`, want: "héllo"},
		{raw: `null`, want: ""},
		{raw: `"toolong"`, wantErr: "7 characters, more than MaxLength 5"},
		{raw: `12`, wantErr: "got a number; want a string"},
		{raw: `{"a":1}`, wantErr: "got an object"},
	})
	type name2 string
	checkEncode(t, tb, name, []encodeCase{
		{v: "hi", want: `"hi"`},
		{v: name2("ok"), want: `"ok"`},
		{v: "<b>", want: `"\u003cb\u003e"`},
		{v: "toolong", wantErr: "more than MaxLength"},
		{v: 1.5, wantErr: "want a string"},
		{v: nil, wantErr: "got a nil"},
	})
}

func TestButtonValues(t *testing.T) {
	b := &ui.Button{}
	if b.Initial() != "Run" {
		t.Errorf("Initial = %v, want Run", b.Initial())
	}
	b = &ui.Button{Value: "Start"}
	checkDecode(t, b, `ui.Button "Start"`, []decodeCase{{raw: `"Start"`, want: "Start"}, {raw: `1`, wantErr: "want a string"}})
	checkEncode(t, b, `ui.Button "Start"`, []encodeCase{{v: "Stop", want: `"Stop"`}, {v: 1, wantErr: "want a string"}})
}

func TestLabelValues(t *testing.T) {
	l := &ui.Label{Props: ui.Props{Label: "Class"}, NumTopClasses: 2}
	name := `ui.Label "Class"`
	checkEncode(t, l, name, []encodeCase{
		{v: "cat", want: `{"label":"cat"}`},
		{v: map[string]float64{"cat": 0.7, "dog": 0.2, "fox": 0.1}, want: `{"label":"cat","confidences":[{"label":"cat","confidence":0.7},{"label":"dog","confidence":0.2}]}`},
		{v: ui.LabelValue{Label: "x", Confidences: []ui.Confidence{{"a", 0.1}, {"b", 0.9}}}, want: `{"label":"x","confidences":[{"label":"b","confidence":0.9},{"label":"a","confidence":0.1}]}`},
		{v: &ui.LabelValue{Label: "p"}, want: `{"label":"p"}`},
		{v: []ui.Confidence{{"only", 1}}, want: `{"label":"only","confidences":[{"label":"only","confidence":1}]}`},
		{v: map[string]float64{"cat": 1.5}, wantErr: `the confidence of "cat" is 1.5, not in [0, 1]`},
		{v: []ui.Confidence{{"nan", math.NaN()}}, wantErr: "not in [0, 1]"},
		{v: 3, wantErr: "want a LabelValue"},
	})
}

func TestJSONValues(t *testing.T) {
	j := &ui.JSON{Props: ui.Props{Label: "Out"}}
	name := `ui.JSON "Out"`
	checkEncode(t, j, name, []encodeCase{
		{v: map[string]any{"a": []int{1, 2}}, want: `{"a":[1,2]}`},
		{v: nil, want: `null`},
		{v: json.RawMessage(` {"x": 1} `), want: `{"x":1}`},
		{v: json.RawMessage(`{`), wantErr: "not valid JSON"},
		{v: make(chan int), wantErr: "does not marshal to JSON"},
		{v: math.Inf(-1), wantErr: "does not marshal"},
	})
}

func TestChatbotValues(t *testing.T) {
	c := &ui.Chatbot{Props: ui.Props{Label: "Chat"}}
	name := `Chatbot "Chat"`
	checkEncode(t, c, name, []encodeCase{
		{v: []ui.Message{{Role: "user", Content: "hi *you*"}}, want: `[{"role":"user","content":"hi *you*","html":"\u003cp\u003ehi \u003cem\u003eyou\u003c/em\u003e\u003c/p\u003e\n"}]`},
		{v: []ui.Message{}, want: `[]`},
		{v: nil, want: `[]`},
		{v: []ui.Message{{Role: "bot", Content: "x"}}, wantErr: `message 0 has the role "bot"`},
		{v: "hello", wantErr: "want a []ui.Message"},
	})
}

func TestHTMLAndMarkdownValues(t *testing.T) {
	checkEncode(t, &ui.HTML{}, "HTML", []encodeCase{{v: "<b>x</b>", want: `"\u003cb\u003ex\u003c/b\u003e"`}, {v: 1, wantErr: "want a string of HTML"}})
	checkEncode(t, &ui.Markdown{}, "Markdown", []encodeCase{
		{v: "**x**", want: `{"markdown":"**x**","html":"\u003cp\u003e\u003cstrong\u003ex\u003c/strong\u003e\u003c/p\u003e\n"}`},
		{v: []byte("x"), wantErr: "want a string of Markdown"},
	})
}

func TestInterfaces(t *testing.T) {
	inputs := []ui.Component{&ui.Slider{}, &ui.Number{}, &ui.Checkbox{}, &ui.Dropdown{}, &ui.Radio{}, &ui.Textbox{}, &ui.Button{}}
	for _, c := range inputs {
		if _, ok := c.(ui.Input); !ok {
			t.Errorf("%T is not an Input", c)
		}
	}
	outputs := append(inputs, &ui.Label{}, &ui.JSON{}, &ui.Chatbot{}, &ui.HTML{}, &ui.Markdown{})
	for _, c := range outputs {
		if _, ok := c.(ui.Output); !ok {
			t.Errorf("%T is not an Output", c)
		}
	}
	for _, c := range []ui.Component{&ui.Label{}, &ui.JSON{}, &ui.Chatbot{}, &ui.HTML{}, &ui.Markdown{}, &ui.Row{}, &ui.Column{}, &ui.Group{}} {
		if _, ok := c.(ui.Input); ok {
			t.Errorf("%T is an Input", c)
		}
	}
}
