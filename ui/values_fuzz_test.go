package ui_test

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rtcstream/rtcstream/ui"
)

// maxValueMessage bounds the message of a refused value: it goes back to
// the page and into logs, so it must not echo a stranger's megabyte.
const maxValueMessage = 1024

// fuzzInput is one input component and what its decoded values must obey.
type fuzzInput struct {
	c  ui.Input
	ok func(v any) string // what is wrong with an accepted value; "" when nothing
}

func inRange(lo, hi float64) func(any) string {
	return func(v any) string {
		f := v.(float64)
		if math.IsNaN(f) || math.IsInf(f, 0) || f < lo || f > hi {
			return "outside its range"
		}
		return ""
	}
}

func oneOf(choices []string, empty bool) func(any) string {
	return func(v any) string {
		s := v.(string)
		if (s == "" && empty) || slices.Contains(choices, s) {
			return ""
		}
		return "not one of the choices"
	}
}

func fuzzInputs() []fuzzInput {
	models := []string{"yolov10n", "yolov10s", "yolov10m"}
	classes := []string{"person", "car", "dog", "cat"}
	return []fuzzInput{
		{&ui.Slider{Props: ui.Props{Label: "Confidence"}, Minimum: 0, Maximum: 1, Step: 0.05, Value: 0.3}, inRange(0, 1)},
		{&ui.Slider{Props: ui.Props{Label: "Default range"}}, inRange(0, 100)},
		{&ui.Slider{Props: ui.Props{Label: "Negative"}, Minimum: -1e9, Maximum: -1}, inRange(-1e9, -1)},
		{&ui.Number{Props: ui.Props{Label: "Bounded"}, Minimum: -5, Maximum: 5}, inRange(-5, 5)},
		{&ui.Number{Props: ui.Props{Label: "Unbounded"}}, inRange(-math.MaxFloat64, math.MaxFloat64)},
		{&ui.Checkbox{Props: ui.Props{Label: "On"}}, func(any) string { return "" }},
		{&ui.Textbox{Props: ui.Props{Label: "Short"}, MaxLength: 8}, func(v any) string {
			s := v.(string)
			if !utf8.ValidString(s) || utf8.RuneCountInString(s) > 8 {
				return "not valid UTF-8 of at most 8 characters"
			}
			return ""
		}},
		{&ui.Textbox{Props: ui.Props{Label: "Long"}}, func(v any) string {
			if !utf8.ValidString(v.(string)) {
				return "not valid UTF-8"
			}
			return ""
		}},
		{&ui.Dropdown{Props: ui.Props{Label: "Model"}, Choices: models}, oneOf(models, true)},
		{&ui.Dropdown{Props: ui.Props{Label: "Free"}, Choices: models, AllowCustomValue: true}, func(any) string { return "" }},
		{&ui.Dropdown{Props: ui.Props{Label: "Classes"}, Choices: classes, Multiselect: true, MaxChoices: 2}, func(v any) string {
			vs := v.([]string)
			if vs == nil || len(vs) > 2 {
				return "nil or more than MaxChoices"
			}
			for i, s := range vs {
				if !slices.Contains(classes, s) || slices.Contains(vs[:i], s) {
					return "not distinct choices"
				}
			}
			return ""
		}},
		{&ui.Radio{Props: ui.Props{Label: "Size"}, Choices: []string{"small", "large"}}, oneOf([]string{"small", "large"}, true)},
		{&ui.Button{Value: "Go"}, func(any) string { return "" }},
	}
}

// FuzzInputDecode decodes what a page (or a stranger) sends as an input's
// value with every kind of input component. Invariants: no panic; a
// refused value is a *ui.ValueError wrapping ErrInvalidValue that names
// the component, with a short, valid UTF-8 message; an accepted value has
// the component's ValueType and is within its bounds (a Slider's range, a
// Textbox's MaxLength, a Dropdown's choices and MaxChoices), and encodes
// back (an input is also an output) to JSON that decodes to the same value.
func FuzzInputDecode(f *testing.F) {
	for _, seed := range []string{
		`0.3`, `1`, `-0`, `1e308`, `1e400`, `-1e-320`, `0x10`, `NaN`, `"0.5"`, `null`, `true`, `false`,
		`""`, `"yolov10n"`, `"YOLOV10N"`, `"small"`, `["person","dog"]`, `["person","person"]`,
		`["person","car","dog"]`, `[]`, `{}`, `[`, `"\ud800"`, `"héllo wörld"`, `"12345678"`, `"123456789"`,
		` 0.5 `, `0.5 0.6`, `"` + strings.Repeat("x", 300) + `"`, `[["person"]]`, `{"value": 1}`,
	} {
		f.Add([]byte(seed))
	}
	inputs := fuzzInputs()
	b := ui.NewBlocks(nil)
	for _, in := range inputs {
		b.Add(in.c)
	}
	if err := b.Build(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, in := range inputs {
			c := in.c
			name := ui.Describe(c)
			v, err := c.Decode(raw)
			if err != nil {
				var ve *ui.ValueError
				switch msg := err.Error(); {
				case !errors.As(err, &ve) || !errors.Is(err, ui.ErrInvalidValue):
					t.Fatalf("%s: Decode(%q) = %T %v, want a *ui.ValueError", name, raw, err, err)
				case ve.Component != name:
					t.Fatalf("%s: the error names %q", name, ve.Component)
				case len(msg) > maxValueMessage || !utf8.ValidString(msg):
					t.Fatalf("%s: Decode(%.100q...) refused it with a message of %d bytes (valid UTF-8: %v)",
						name, raw, len(msg), utf8.ValidString(msg))
				}
				continue
			}
			if reflect.TypeOf(v) != c.ValueType() {
				t.Fatalf("%s: Decode(%q) = %T, want a %v", name, raw, v, c.ValueType())
			}
			if why := in.ok(v); why != "" {
				t.Fatalf("%s: Decode(%q) accepted %#v: %s", name, raw, v, why)
			}
			out, ok := c.(ui.Output)
			if !ok {
				continue
			}
			enc, err := out.Encode(v)
			if err != nil {
				t.Fatalf("%s: Decode(%q) accepted %#v, which Encode refuses: %v", name, raw, v, err)
			}
			again, err := c.Decode(enc)
			if err != nil || !reflect.DeepEqual(again, v) {
				t.Fatalf("%s: %#v encodes to %s, which decodes to %#v, %v", name, v, enc, again, err)
			}
		}
	})
}
