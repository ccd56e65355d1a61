package ui

import (
	"encoding/json"
	"reflect"
)

// Checkbox is a yes/no box: Gradio's gr.Checkbox. Its value is a bool and
// its label sits beside the box. It is an Input and an Output.
type Checkbox struct {
	Props

	// Value is the initial state. Default: unchecked.
	Value bool
}

// ValueType is bool.
func (c *Checkbox) ValueType() reflect.Type { return reflect.TypeFor[bool]() }

// Initial returns Value.
func (c *Checkbox) Initial() any { return c.Value }

// Decode takes a JSON true or false.
func (c *Checkbox) Decode(raw json.RawMessage) (any, error) {
	var b *bool
	if err := decodeJSON(c, raw, &b, "true or false"); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, valueErr(c, "got null; want true or false")
	}
	return *b, nil
}

// Encode takes a bool.
func (c *Checkbox) Encode(v any) (json.RawMessage, error) {
	b, ok := v.(bool)
	if !ok {
		rv := reflect.ValueOf(v)
		if !rv.IsValid() || rv.Kind() != reflect.Bool {
			return nil, valueErr(c, "got a %s; want a bool", goKind(v))
		}
		b = rv.Bool()
	}
	return mustJSON(b), nil
}

// Render writes the box with its label beside it.
func (c *Checkbox) Render(r *Renderer, id string) error {
	return r.Block(id, c, Block{Kind: "checkbox", Value: mustJSON(c.Value)}, func() error {
		r.WriteString(`<label class="checkbox-label"><input type="checkbox"`)
		r.Attr("id", id+"-input")
		if c.Value {
			r.WriteString(" checked")
		}
		if !r.Interactive(c) {
			r.WriteString(" disabled")
		}
		if c.Label == "" {
			r.Attr("aria-label", "checkbox")
		}
		r.WriteString(">")
		if c.Label != "" {
			r.WriteString("<span")
			r.Attr("id", id+"-label")
			if c.HideLabel {
				r.Attr("class", "sr-only")
			}
			r.WriteString(">")
			r.Text(c.Label)
			r.WriteString("</span>")
		}
		r.WriteString("</label>")
		return nil
	})
}
