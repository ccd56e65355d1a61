package ui

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// JSON shows a value as indented, highlighted JSON: Gradio's gr.JSON. Its
// value is anything encoding/json marshals. It is an Output.
type JSON struct {
	Props

	// Value is the initial value. Default: nil (shown as null).
	Value any
}

func (j *JSON) check() error {
	_, err := j.Encode(j.Value)
	return err
}

// ValueType is any.
func (j *JSON) ValueType() reflect.Type { return reflect.TypeFor[any]() }

// Encode marshals v with encoding/json; a json.RawMessage must be valid
// JSON. A value that does not marshal (a channel, NaN) is an error.
func (j *JSON) Encode(v any) (json.RawMessage, error) {
	if raw, ok := v.(json.RawMessage); ok {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, valueErr(j, "the json.RawMessage is not valid JSON: %v", err)
		}
		return b.Bytes(), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, valueErr(j, "the %s does not marshal to JSON: %v", goKind(v), err)
	}
	return b, nil
}

// Render writes the value, indented and highlighted, in a <pre>.
func (j *JSON) Render(r *Renderer, id string) error {
	enc, err := j.Encode(j.Value)
	if err != nil {
		return err
	}
	return r.Block(id, j, Block{Kind: "json", Value: enc}, func() error {
		r.Label(id, j, "")
		r.WriteString(`<pre class="json-output"><code>`)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, enc, "", "  "); err != nil {
			return err
		}
		highlightJSON(r, pretty.String())
		r.WriteString("</code></pre>")
		return nil
	})
}

// highlightJSON writes indented JSON text with its tokens in spans: keys
// (json-key), strings (json-string), numbers (json-number), true, false and
// null (json-literal). The runtime highlights the same way.
func highlightJSON(r *Renderer, s string) {
	span := func(class, tok string) {
		r.WriteString(`<span class="` + class + `">`)
		r.Text(tok)
		r.WriteString("</span>")
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			tok := s[i:j]
			k := j
			for k < len(s) && s[k] == ' ' {
				k++
			}
			if k < len(s) && s[k] == ':' {
				span("json-key", tok)
			} else {
				span("json-string", tok)
			}
			i = j
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && bytes.IndexByte([]byte("0123456789.eE+-"), s[j]) >= 0 {
				j++
			}
			span("json-number", s[i:j])
			i = j
		case c == 't' || c == 'f' || c == 'n':
			j := i
			for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
				j++
			}
			span("json-literal", s[i:j])
			i = j
		default:
			r.Text(s[i : i+1])
			i++
		}
	}
}
