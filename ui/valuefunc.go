package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
)

// boundFunc is a ValueFunc checked against its component and inputs once,
// at build time; call then only moves values.
type boundFunc struct {
	target  Component
	out     Output
	fn      reflect.Value
	withCtx bool
	inputs  []boundInput
	hasErr  bool
	// resultTo, when not nil, is the type the result is converted to before
	// Encode (an int result for a Slider's float64).
	resultTo reflect.Type
}

// boundInput is one parameter of a ValueFunc and the input it takes.
type boundInput struct {
	c     Input
	id    string
	param reflect.Type
}

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// valueTyper is a component that says the Go type of its value.
type valueTyper interface {
	ValueType() reflect.Type
}

// resultAccepter is a built-in component whose Encode takes more types than
// its ValueType: a Label takes a string or a map of confidences.
type resultAccepter interface {
	acceptsResult(t reflect.Type) bool
}

// bindValueFunc checks target's ValueFunc against its Inputs and its type.
func bindValueFunc(target Component, ids map[Component]string) (*boundFunc, error) {
	p := target.Common()
	out, ok := target.(Output)
	if !ok {
		return nil, errors.New("the component is not a ui.Output, so a function can't set its value")
	}
	fn := reflect.ValueOf(p.ValueFunc)
	ft := fn.Type()
	if ft.Kind() != reflect.Func {
		return nil, fmt.Errorf("is a %v, not a func", ft)
	}
	if fn.IsNil() {
		return nil, errors.New("is a nil func")
	}
	if ft.IsVariadic() {
		return nil, fmt.Errorf("%v is variadic; take one parameter per input", ft)
	}
	f := &boundFunc{target: target, out: out, fn: fn}

	// Parameters: an optional context, then one per input.
	params := make([]reflect.Type, ft.NumIn())
	for i := range params {
		params[i] = ft.In(i)
	}
	if len(params) > 0 && params[0] == contextType {
		f.withCtx = true
		params = params[1:]
	}
	if len(params) != len(p.Inputs) {
		return nil, fmt.Errorf("%v takes %d parameter(s) for inputs, but Props.Inputs lists %d component(s)", ft, len(params), len(p.Inputs))
	}
	offset := 1
	if f.withCtx {
		offset = 2
	}
	for i, c := range p.Inputs {
		pos := i + offset
		if c == nil {
			return nil, fmt.Errorf("Props.Inputs[%d] (parameter %d) is nil", i, pos)
		}
		in, ok := c.(Input)
		if !ok {
			return nil, fmt.Errorf("parameter %d: %s is not an input (it has no value the page sends)", pos, Describe(c))
		}
		id, ok := ids[c]
		if !ok {
			return nil, fmt.Errorf("parameter %d: %s is not on the page; Add it to the Blocks", pos, Describe(c))
		}
		vt := in.ValueType()
		if !bindable(vt, params[i]) {
			return nil, fmt.Errorf("parameter %d is %v, but %s (%s) gives a %v", pos, params[i], Describe(c), id, vt)
		}
		f.inputs = append(f.inputs, boundInput{c: in, id: id, param: params[i]})
	}

	// Results: the value, or the value and an error.
	switch {
	case ft.NumOut() == 1:
	case ft.NumOut() == 2 && ft.Out(1) == errorType:
		f.hasErr = true
	default:
		return nil, fmt.Errorf("%v must return the component's value, or the value and an error", ft)
	}
	rt := ft.Out(0)
	conv, ok := resultType(target, rt)
	if !ok {
		want := "its value"
		if vt, ok := target.(valueTyper); ok {
			want = vt.ValueType().String()
		}
		return nil, fmt.Errorf("result is %v, but the component takes a %s", rt, want)
	}
	f.resultTo = conv
	return f, nil
}

// bindable reports whether a value of type from can be passed to a
// parameter of type to: assignable, or a number to another number type, or
// between types of the same underlying string, bool or slice type.
func bindable(from, to reflect.Type) bool {
	switch {
	case from.AssignableTo(to):
		return true
	case numeric(from) && numeric(to):
		return true
	case from.Kind() == to.Kind() && from.ConvertibleTo(to):
		k := from.Kind()
		return k == reflect.String || k == reflect.Bool || k == reflect.Slice || k == reflect.Struct
	}
	return false
}

// resultType reports whether a ValueFunc result of type rt fits target, and
// the type to convert it to first, if any.
func resultType(target Component, rt reflect.Type) (reflect.Type, bool) {
	vt, typed := target.(valueTyper)
	if !typed {
		return nil, true // an outside Output: Encode decides
	}
	want := vt.ValueType()
	switch {
	case rt.AssignableTo(want):
		return nil, true
	case bindable(rt, want):
		return want, true
	}
	if a, ok := target.(resultAccepter); ok && a.acceptsResult(rt) {
		return nil, true
	}
	return nil, false
}

func numeric(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// funcError is an error the value function returned or a panic in it.
type funcError struct {
	err      error
	panicked bool
}

func (e *funcError) Error() string { return e.err.Error() }
func (e *funcError) Unwrap() error { return e.err }

// call decodes the inputs' values from raw (keyed by id; a missing one is
// the input's Initial value), calls the function, and encodes its result
// for the page. A value an input refuses is a *ValueError; an error or
// panic of the function is a *funcError; a result the component refuses is
// a *ValueError wrapped in a *funcError.
func (f *boundFunc) call(ctx context.Context, raw map[string]json.RawMessage) (json.RawMessage, error) {
	args := make([]reflect.Value, 0, len(f.inputs)+1)
	if f.withCtx {
		args = append(args, reflect.ValueOf(ctx))
	}
	for _, in := range f.inputs {
		var v any
		if r, ok := raw[in.id]; ok {
			var err error
			if v, err = in.c.Decode(r); err != nil {
				return nil, err
			}
		} else {
			v = in.c.Initial()
		}
		arg, err := argValue(v, in.param)
		if err != nil {
			return nil, fmt.Errorf("ui: %s (%s): %w", Describe(in.c), in.id, err)
		}
		args = append(args, arg)
	}
	results, err := f.invoke(args)
	if err != nil {
		return nil, err
	}
	if f.hasErr && !results[1].IsNil() {
		return nil, &funcError{err: results[1].Interface().(error)}
	}
	res := results[0]
	if f.resultTo != nil {
		res = res.Convert(f.resultTo)
	}
	enc, err := f.out.Encode(res.Interface())
	if err != nil {
		return nil, &funcError{err: fmt.Errorf("the value function's result: %w", err)}
	}
	return enc, nil
}

// invoke calls the function, turning a panic into a *funcError.
func (f *boundFunc) invoke(args []reflect.Value) (results []reflect.Value, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &funcError{err: fmt.Errorf("the value function panicked: %v\n%s", v, debug.Stack()), panicked: true}
		}
	}()
	return f.fn.Call(args), nil
}

// argValue makes a decoded value into an argument of type t.
func argValue(v any, t reflect.Type) (reflect.Value, error) {
	if v == nil {
		return reflect.Zero(t), nil
	}
	rv := reflect.ValueOf(v)
	switch {
	case rv.Type().AssignableTo(t):
		return rv, nil
	case bindable(rv.Type(), t):
		return rv.Convert(t), nil
	}
	return reflect.Value{}, fmt.Errorf("Decode returned a %T, which does not fit a %v parameter", v, t)
}
