package bind

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/rtcstream/rtcstream/ui"
)

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// convertible reports whether an input's value type can feed a parameter:
// assignable, or number to number (a slider's float64 to an int).
func convertible(from, to reflect.Type) bool {
	return from.AssignableTo(to) || isNumber(from.Kind()) && isNumber(to.Kind())
}

// convert turns an input's value into the parameter's type. bindParams
// has checked that it can.
func convert(v reflect.Value, to reflect.Type) reflect.Value {
	if !v.IsValid() {
		return reflect.Zero(to)
	}
	if v.Type().AssignableTo(to) {
		out := reflect.New(to).Elem()
		out.Set(v)
		return out
	}
	return v.Convert(to)
}

// inputValues holds one session's current extra input values, converted to
// the handler's parameter types. Safe for concurrent use.
type inputValues struct {
	mu   sync.Mutex
	vals []reflect.Value // parallel to Binding.params; zero for the frame
}

func (b *Binding) newInputValues() *inputValues {
	iv := &inputValues{vals: make([]reflect.Value, len(b.params))}
	for i, p := range b.params {
		if p.input != nil {
			iv.vals[i] = convert(reflect.ValueOf(p.input.Initial()), p.typ)
		}
	}
	return iv
}

// set decodes a value the page sent for parameter i.
func (iv *inputValues) set(p param, i int, raw []byte) error {
	v, err := p.input.Decode(raw)
	if err != nil {
		return err
	}
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || !convertible(rv.Type(), p.typ) {
		return fmt.Errorf("input %s: value of type %T does not fit parameter type %s", ui.Describe(p.input), v, p.typ)
	}
	cv := convert(rv, p.typ)
	iv.mu.Lock()
	iv.vals[i] = cv
	iv.mu.Unlock()
	return nil
}

// args builds a call's arguments: ctx if wanted, pre (an audio stream
// function's channels), then the frame and the inputs in order, ambient
// inputs left out. frame is a *image.YCbCr or a media.AudioFrame; nil for
// a generator.
func (b *Binding) args(ctx context.Context, frame any, iv *inputValues, pre ...reflect.Value) []reflect.Value {
	args := make([]reflect.Value, 0, len(b.params)+len(pre)+1)
	if b.hasCtx {
		args = append(args, reflect.ValueOf(&ctx).Elem())
	}
	args = append(args, pre...)
	iv.mu.Lock()
	defer iv.mu.Unlock()
	for i, p := range b.params {
		switch {
		case p.ambient:
		case p.input == nil:
			fv := reflect.ValueOf(frame)
			if p.typ.Kind() == reflect.Interface {
				fv = fv.Convert(p.typ)
			}
			args = append(args, fv)
		case p.live:
			args = append(args, b.spec.Live.Make(p.liveType, &iv.mu, &iv.vals[i]))
		default:
			args = append(args, iv.vals[i])
		}
	}
	return args
}

// value returns the current value of the input c, if it is one of the
// stream's.
func (b *Binding) value(iv *inputValues, c any) (any, bool) {
	for i, p := range b.params {
		if p.input != nil && any(p.input) == c {
			iv.mu.Lock()
			defer iv.mu.Unlock()
			if !iv.vals[i].IsValid() {
				return nil, true
			}
			return iv.vals[i].Interface(), true
		}
	}
	return nil, false
}

// errOf extracts a call's trailing error.
func (b *Binding) errOf(out []reflect.Value) error {
	if !b.hasErr {
		return nil
	}
	if e := out[len(out)-1]; !e.IsNil() {
		return e.Interface().(error)
	}
	return nil
}
