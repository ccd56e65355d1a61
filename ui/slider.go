package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Slider picks a number in a range: Gradio's gr.Slider. Its value is a
// float64; a handler parameter of another number type gets it converted.
// It is an Input, and an Output (a function can move it).
type Slider struct {
	Props

	// Minimum and Maximum bound the value. Default: 0 and 100, when both
	// are 0.
	Minimum, Maximum float64

	// Step is the increment. Default (0): 1.
	Step float64

	// Value is the initial value. Default: Minimum (a zero Value outside
	// the range is taken as unset; any other value outside is an error).
	Value float64
}

func (s *Slider) bounds() (lo, hi, step float64) {
	lo, hi, step = s.Minimum, s.Maximum, s.Step
	if lo == 0 && hi == 0 {
		hi = 100
	}
	if step == 0 {
		step = 1
	}
	return lo, hi, step
}

func (s *Slider) check() error {
	lo, hi, step := s.bounds()
	switch {
	case !finite(lo) || !finite(hi) || !finite(step) || !finite(s.Value):
		return errors.New("Minimum, Maximum, Step and Value must be finite numbers")
	case hi <= lo:
		return fmt.Errorf("Maximum %s is not above Minimum %s", formatNumber(hi), formatNumber(lo))
	case step < 0:
		return fmt.Errorf("Step %s is negative", formatNumber(step))
	case s.Value != 0 && (s.Value < lo || s.Value > hi):
		return fmt.Errorf("Value %s is outside [%s, %s]", formatNumber(s.Value), formatNumber(lo), formatNumber(hi))
	}
	return nil
}

func (s *Slider) initial() float64 {
	lo, hi, _ := s.bounds()
	if s.Value < lo || s.Value > hi {
		return lo
	}
	return s.Value
}

// ValueType is float64.
func (s *Slider) ValueType() reflect.Type { return reflect.TypeFor[float64]() }

// Initial returns the initial value, a float64.
func (s *Slider) Initial() any { return s.initial() }

// Decode takes a JSON number within [Minimum, Maximum] and returns it as a
// float64.
func (s *Slider) Decode(raw json.RawMessage) (any, error) {
	f, err := decodeNumber(s, raw)
	if err != nil {
		return nil, err
	}
	return f, s.inRange(f)
}

func (s *Slider) inRange(f float64) error {
	lo, hi, _ := s.bounds()
	if !finite(f) || f < lo || f > hi {
		return valueErr(s, "%s is outside [%s, %s]", formatNumber(f), formatNumber(lo), formatNumber(hi))
	}
	return nil
}

// Encode takes a Go number within [Minimum, Maximum].
func (s *Slider) Encode(v any) (json.RawMessage, error) {
	f, ok := toFloat64(v)
	if !ok {
		return nil, valueErr(s, "got a %s; want a number", goKind(v))
	}
	if err := s.inRange(f); err != nil {
		return nil, err
	}
	return json.RawMessage(formatNumber(f)), nil
}

// Render writes the slider: its label and a number box above a range input.
func (s *Slider) Render(r *Renderer, id string) error {
	lo, hi, step := s.bounds()
	v := s.initial()
	return r.Block(id, s, Block{Kind: "slider", Value: json.RawMessage(formatNumber(v))}, func() error {
		r.WriteString(`<div class="slider-head">`)
		r.Label(id, s, id+"-number")
		r.WriteString(`<input type="number" class="slider-number"`)
		r.Attr("id", id+"-number")
		attrs := func() {
			r.Attr("min", formatNumber(lo))
			r.Attr("max", formatNumber(hi))
			r.Attr("step", formatNumber(step))
			r.Attr("value", formatNumber(v))
			if !r.Interactive(s) {
				r.WriteString(" disabled")
			}
		}
		attrs()
		if s.Label == "" {
			r.Attr("aria-label", "value")
		}
		r.WriteString(`></div><input type="range" class="slider-range"`)
		r.Attr("id", id+"-range")
		attrs()
		if s.Label != "" {
			r.Attr("aria-labelledby", id+"-label")
		}
		r.Attr("style", fmt.Sprintf("--fill:%.4g%%", 100*(v-lo)/(hi-lo)))
		r.WriteString(">")
		return nil
	})
}
