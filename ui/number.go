package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Number is a numeric field: Gradio's gr.Number. Its value is a float64. It
// is an Input and an Output.
type Number struct {
	Props

	// Value is the initial value. Default: 0.
	Value float64

	// Minimum and Maximum bound the value when Minimum < Maximum; use
	// math.Inf for a one-sided bound (Minimum 0, Maximum math.Inf(1)).
	// Default (both 0): unbounded.
	Minimum, Maximum float64

	// Step is the increment of the field's arrows, and the field accepts
	// only multiples of it. Default (0): any value; the arrows move by 1.
	Step float64
}

func (n *Number) bounded() bool { return n.Minimum < n.Maximum }

func (n *Number) check() error {
	switch {
	case !finite(n.Value):
		return errors.New("Value must be a finite number")
	case n.Step < 0 || !finite(n.Step):
		return fmt.Errorf("Step %s must be a positive number", formatNumber(n.Step))
	case n.Minimum > n.Maximum:
		return fmt.Errorf("Minimum %s is above Maximum %s", formatNumber(n.Minimum), formatNumber(n.Maximum))
	}
	return n.inRange(n.Value)
}

func (n *Number) inRange(f float64) error {
	if !finite(f) {
		return valueErr(n, "%s is not a finite number", formatNumber(f))
	}
	if n.bounded() && (f < n.Minimum || f > n.Maximum) {
		return valueErr(n, "%s is outside [%s, %s]", formatNumber(f), formatNumber(n.Minimum), formatNumber(n.Maximum))
	}
	return nil
}

// ValueType is float64.
func (n *Number) ValueType() reflect.Type { return reflect.TypeFor[float64]() }

// Initial returns Value.
func (n *Number) Initial() any { return n.Value }

// Decode takes a JSON number within the bounds and returns a float64.
func (n *Number) Decode(raw json.RawMessage) (any, error) {
	f, err := decodeNumber(n, raw)
	if err != nil {
		return nil, err
	}
	return f, n.inRange(f)
}

// Encode takes a finite Go number within the bounds.
func (n *Number) Encode(v any) (json.RawMessage, error) {
	f, ok := toFloat64(v)
	if !ok {
		return nil, valueErr(n, "got a %s; want a number", goKind(v))
	}
	if err := n.inRange(f); err != nil {
		return nil, err
	}
	return json.RawMessage(formatNumber(f)), nil
}

// Render writes the label and an <input type="number">.
func (n *Number) Render(r *Renderer, id string) error {
	return r.Block(id, n, Block{Kind: "number", Value: json.RawMessage(formatNumber(n.Value))}, func() error {
		r.Label(id, n, id+"-input")
		r.WriteString(`<input type="number" class="input"`)
		r.Attr("id", id+"-input")
		r.Attr("value", formatNumber(n.Value))
		if n.Step > 0 {
			r.Attr("step", formatNumber(n.Step))
		} else {
			r.Attr("step", "any")
		}
		if n.bounded() {
			if finite(n.Minimum) {
				r.Attr("min", formatNumber(n.Minimum))
			}
			if finite(n.Maximum) {
				r.Attr("max", formatNumber(n.Maximum))
			}
		}
		if !r.Interactive(n) {
			r.WriteString(" disabled")
		}
		r.WriteString(">")
		return nil
	})
}
