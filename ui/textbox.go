package ui

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"unicode/utf8"
)

// Textbox is a text field: Gradio's gr.Textbox. Its value is a string. It is
// an Input and an Output; used only as an output (a function's or a
// stream's) it is read-only by default.
type Textbox struct {
	Props

	// Value is the initial text. Default: empty.
	Value string

	// Lines is the height of the field in lines; more than 1 makes it a
	// text area. Default (0): 1.
	Lines int

	// MaxLines is how many lines a text area grows to before it scrolls.
	// Default (0): 20, and at least Lines.
	MaxLines int

	// Placeholder is the hint shown while the field is empty. Default: none.
	Placeholder string

	// MaxLength is the longest text accepted, in characters. Default (0):
	// no limit.
	MaxLength int
}

func (t *Textbox) check() error {
	switch {
	case t.Lines < 0:
		return fmt.Errorf("Lines %d is negative", t.Lines)
	case t.MaxLines < 0:
		return fmt.Errorf("MaxLines %d is negative", t.MaxLines)
	case t.MaxLength < 0:
		return fmt.Errorf("MaxLength %d is negative", t.MaxLength)
	}
	return t.checkText(t.Value)
}

func (t *Textbox) checkText(s string) error {
	if !utf8.ValidString(s) {
		return valueErr(t, "the text is not valid UTF-8")
	}
	if t.MaxLength > 0 {
		if n := utf8.RuneCountInString(s); n > t.MaxLength {
			return valueErr(t, "the text has %d characters, more than MaxLength %d", n, t.MaxLength)
		}
	}
	return nil
}

// ValueType is string.
func (t *Textbox) ValueType() reflect.Type { return reflect.TypeFor[string]() }

// Initial returns Value.
func (t *Textbox) Initial() any { return t.Value }

// Decode takes a JSON string (null is ""), at most MaxLength characters.
func (t *Textbox) Decode(raw json.RawMessage) (any, error) {
	var s *string
	if err := decodeJSON(t, raw, &s, "a string"); err != nil {
		return nil, err
	}
	if s == nil {
		return "", nil
	}
	return *s, t.checkText(*s)
}

// Encode takes a string (or a value of a string type), at most MaxLength
// characters.
func (t *Textbox) Encode(v any) (json.RawMessage, error) {
	s, ok := toString(v)
	if !ok {
		return nil, valueErr(t, "got a %s; want a string", goKind(v))
	}
	if err := t.checkText(s); err != nil {
		return nil, err
	}
	return mustJSON(s), nil
}

// Render writes the label and an <input>, or a <textarea> when Lines > 1.
func (t *Textbox) Render(r *Renderer, id string) error {
	return r.Block(id, t, Block{Kind: "textbox", Value: mustJSON(t.Value)}, func() error {
		r.Label(id, t, id+"-input")
		attrs := func() {
			r.Attr("id", id+"-input")
			r.Attr("class", "input")
			if t.Placeholder != "" {
				r.Attr("placeholder", t.Placeholder)
			}
			if t.MaxLength > 0 {
				r.Attr("maxlength", strconv.Itoa(t.MaxLength))
			}
			if !r.Interactive(t) {
				r.WriteString(" readonly")
			}
		}
		if t.Lines <= 1 {
			r.WriteString(`<input type="text"`)
			attrs()
			r.Attr("value", t.Value)
			r.WriteString(">")
			return nil
		}
		maxLines := t.MaxLines
		if maxLines == 0 {
			maxLines = 20
		}
		maxLines = max(maxLines, t.Lines)
		r.WriteString("<textarea")
		attrs()
		r.Attr("rows", strconv.Itoa(t.Lines))
		r.Attr("data-max-lines", strconv.Itoa(maxLines))
		r.WriteString(">")
		// A newline right after <textarea> is dropped by parsers; keep a
		// leading one of the value.
		r.WriteString("\n")
		r.Text(t.Value)
		r.WriteString("</textarea>")
		return nil
	})
}
