package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Dropdown picks one of its Choices (a string), or several with
// Multiselect (a []string): Gradio's gr.Dropdown. It is an Input and an
// Output.
type Dropdown struct {
	Props

	// Choices are the values offered, in order. Default: none.
	Choices []string

	// Value is the initial choice. Default: the first choice. Not used
	// with Multiselect.
	Value string

	// Multiselect lets a person pick several choices; the value is then a
	// []string in the order of Choices. Default: one choice, a string.
	Multiselect bool

	// Values are the initial choices with Multiselect. Default: none.
	Values []string

	// MaxChoices limits how many choices Multiselect allows. Default (0):
	// no limit.
	MaxChoices int

	// AllowCustomValue accepts values that are not among Choices (typed in
	// by a person). Default: only Choices. Not with Multiselect.
	AllowCustomValue bool
}

func (d *Dropdown) check() error {
	if err := checkChoices(d.Choices); err != nil {
		return err
	}
	switch {
	case d.MaxChoices < 0:
		return fmt.Errorf("MaxChoices %d is negative", d.MaxChoices)
	case d.Multiselect && d.AllowCustomValue:
		return errors.New("AllowCustomValue is not supported with Multiselect")
	case d.Multiselect && d.Value != "":
		return errors.New("Value is set with Multiselect; set Values")
	case !d.Multiselect && len(d.Values) > 0:
		return errors.New("Values is set without Multiselect; set Value")
	}
	if d.Multiselect {
		return d.checkMany(d.Values)
	}
	return d.checkOne(d.Value)
}

func (d *Dropdown) checkOne(s string) error {
	if s == "" || d.AllowCustomValue || slices.Contains(d.Choices, s) {
		return nil
	}
	return valueErr(d, "%s is not one of the choices %s", quoteValue(s), choiceList(d.Choices))
}

func (d *Dropdown) checkMany(values []string) error {
	for i, s := range values {
		if !slices.Contains(d.Choices, s) {
			return valueErr(d, "%s is not one of the choices %s", quoteValue(s), choiceList(d.Choices))
		}
		if slices.Contains(values[:i], s) {
			return valueErr(d, "%s is chosen twice", quoteValue(s))
		}
	}
	if d.MaxChoices > 0 && len(values) > d.MaxChoices {
		return valueErr(d, "%d choices, more than MaxChoices %d", len(values), d.MaxChoices)
	}
	return nil
}

// initialOne is the initial single choice: Value, or the first choice.
func (d *Dropdown) initialOne() string {
	if d.Value == "" && len(d.Choices) > 0 {
		return d.Choices[0]
	}
	return d.Value
}

// ValueType is string, or []string with Multiselect.
func (d *Dropdown) ValueType() reflect.Type {
	if d.Multiselect {
		return reflect.TypeFor[[]string]()
	}
	return reflect.TypeFor[string]()
}

// Initial returns the initial choice (a string), or the initial choices (a
// []string, never nil) with Multiselect.
func (d *Dropdown) Initial() any {
	if d.Multiselect {
		return append([]string{}, d.Values...)
	}
	return d.initialOne()
}

// Decode takes a JSON string among Choices (or "" or null for no choice),
// or with Multiselect an array of distinct choices (or null for none).
func (d *Dropdown) Decode(raw json.RawMessage) (any, error) {
	if d.Multiselect {
		var values []string
		if err := decodeJSON(d, raw, &values, "an array of strings"); err != nil {
			return nil, err
		}
		if values == nil {
			values = []string{}
		}
		return values, d.checkMany(values)
	}
	var s *string
	if err := decodeJSON(d, raw, &s, "a string"); err != nil {
		return nil, err
	}
	if s == nil {
		return "", nil
	}
	return *s, d.checkOne(*s)
}

// Encode takes a string among Choices, or with Multiselect a []string of
// distinct choices.
func (d *Dropdown) Encode(v any) (json.RawMessage, error) {
	if d.Multiselect {
		values, ok := toStrings(v)
		if !ok {
			return nil, valueErr(d, "got a %s; want a []string", goKind(v))
		}
		if err := d.checkMany(values); err != nil {
			return nil, err
		}
		return mustJSON(values), nil
	}
	s, ok := toString(v)
	if !ok {
		return nil, valueErr(d, "got a %s; want a string", goKind(v))
	}
	if err := d.checkOne(s); err != nil {
		return nil, err
	}
	return mustJSON(s), nil
}

func (d *Dropdown) acceptsResult(t reflect.Type) bool {
	if d.Multiselect {
		return t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String
	}
	return t.Kind() == reflect.String
}

// Render writes a <select>, a text field with suggestions
// (AllowCustomValue), or a set of checkable choices (Multiselect).
func (d *Dropdown) Render(r *Renderer, id string) error {
	var value json.RawMessage
	if d.Multiselect {
		value = mustJSON(d.Initial())
	} else {
		value = mustJSON(d.initialOne())
	}
	return r.Block(id, d, Block{Kind: "dropdown", Value: value}, func() error {
		disabled := ""
		if !r.Interactive(d) {
			disabled = " disabled"
		}
		switch {
		case d.Multiselect:
			r.Label(id, d, "")
			r.WriteString(`<div class="choices" role="group"`)
			if d.Label != "" {
				r.Attr("aria-labelledby", id+"-label")
			}
			if d.MaxChoices > 0 {
				r.Attr("data-max", fmt.Sprint(d.MaxChoices))
			}
			r.WriteString(">")
			for _, c := range d.Choices {
				r.writeChoice("checkbox", "", c, slices.Contains(d.Values, c), disabled)
			}
			r.WriteString("</div>")
		case d.AllowCustomValue:
			r.Label(id, d, id+"-input")
			r.WriteString(`<input type="text" class="input"`)
			r.Attr("id", id+"-input")
			r.Attr("list", id+"-list")
			r.Attr("value", d.initialOne())
			r.WriteString(disabled + "><datalist")
			r.Attr("id", id+"-list")
			r.WriteString(">")
			for _, c := range d.Choices {
				r.WriteString("<option")
				r.Attr("value", c)
				r.WriteString("></option>")
			}
			r.WriteString("</datalist>")
		default:
			r.Label(id, d, id+"-input")
			r.WriteString(`<select class="input"`)
			r.Attr("id", id+"-input")
			r.WriteString(disabled + ">")
			current := d.initialOne()
			for _, c := range d.Choices {
				r.WriteString("<option")
				r.Attr("value", c)
				if c == current {
					r.WriteString(" selected")
				}
				r.WriteString(">")
				r.Text(c)
				r.WriteString("</option>")
			}
			r.WriteString("</select>")
		}
		return nil
	})
}

// Radio picks one of its Choices, shown as radio buttons: Gradio's
// gr.Radio. Its value is a string, "" for no choice. It is an Input and an
// Output.
type Radio struct {
	Props

	// Choices are the values offered, in order. Default: none.
	Choices []string

	// Value is the initial choice. Default: none chosen.
	Value string
}

func (rd *Radio) check() error {
	if err := checkChoices(rd.Choices); err != nil {
		return err
	}
	return rd.checkOne(rd.Value)
}

func (rd *Radio) checkOne(s string) error {
	if s == "" || slices.Contains(rd.Choices, s) {
		return nil
	}
	return valueErr(rd, "%s is not one of the choices %s", quoteValue(s), choiceList(rd.Choices))
}

// ValueType is string.
func (rd *Radio) ValueType() reflect.Type { return reflect.TypeFor[string]() }

// Initial returns Value.
func (rd *Radio) Initial() any { return rd.Value }

// Decode takes a JSON string among Choices, or "" or null for no choice.
func (rd *Radio) Decode(raw json.RawMessage) (any, error) {
	var s *string
	if err := decodeJSON(rd, raw, &s, "a string"); err != nil {
		return nil, err
	}
	if s == nil {
		return "", nil
	}
	return *s, rd.checkOne(*s)
}

// Encode takes a string among Choices, or "".
func (rd *Radio) Encode(v any) (json.RawMessage, error) {
	s, ok := toString(v)
	if !ok {
		return nil, valueErr(rd, "got a %s; want a string", goKind(v))
	}
	if err := rd.checkOne(s); err != nil {
		return nil, err
	}
	return mustJSON(s), nil
}

// Render writes the label and one radio button per choice.
func (rd *Radio) Render(r *Renderer, id string) error {
	return r.Block(id, rd, Block{Kind: "radio", Value: mustJSON(rd.Value)}, func() error {
		disabled := ""
		if !r.Interactive(rd) {
			disabled = " disabled"
		}
		r.Label(id, rd, "")
		r.WriteString(`<div class="choices" role="radiogroup"`)
		if rd.Label != "" {
			r.Attr("aria-labelledby", id+"-label")
		}
		r.WriteString(">")
		for _, c := range rd.Choices {
			r.writeChoice("radio", id+"-radio", c, c == rd.Value, disabled)
		}
		r.WriteString("</div>")
		return nil
	})
}

// writeChoice writes one checkable choice: a pill holding a radio button or
// checkbox and its text.
func (r *Renderer) writeChoice(typ, name, value string, checked bool, disabled string) {
	r.WriteString(`<label class="choice"><input`)
	r.Attr("type", typ)
	if name != "" {
		r.Attr("name", name)
	}
	r.Attr("value", value)
	if checked {
		r.WriteString(" checked")
	}
	r.WriteString(disabled + "><span>")
	r.Text(value)
	r.WriteString("</span></label>")
}

func checkChoices(choices []string) error {
	for i, c := range choices {
		if slices.Contains(choices[:i], c) {
			return fmt.Errorf("the choice %q is listed twice", c)
		}
	}
	return nil
}

// choiceList writes choices for a message, shortened when long.
func choiceList(choices []string) string {
	const show = 8
	q := make([]string, 0, min(len(choices), show))
	for i, c := range choices {
		if i == show {
			q = append(q, fmt.Sprintf("and %d more", len(choices)-show))
			break
		}
		q = append(q, fmt.Sprintf("%q", c))
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// toStrings takes a []string or a slice of a string type.
func toStrings(v any) ([]string, bool) {
	if s, ok := v.([]string); ok {
		if s == nil {
			s = []string{}
		}
		return s, true
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || rv.Kind() != reflect.Slice || rv.Type().Elem().Kind() != reflect.String {
		return nil, false
	}
	out := make([]string, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).String()
	}
	return out, true
}
