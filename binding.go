package rtcstream

import (
	"context"
	"fmt"
	"image"
	"iter"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/ui"
)

var (
	typeContext   = reflect.TypeFor[context.Context]()
	typeImage     = reflect.TypeFor[image.Image]()
	typeYCbCr     = reflect.TypeFor[*image.YCbCr]()
	typeError     = reflect.TypeFor[error]()
	typeImageSeq  = reflect.TypeFor[iter.Seq[image.Image]]()
	typeYCbCrSeq  = reflect.TypeFor[iter.Seq[*image.YCbCr]]()
	typeImageChan = reflect.TypeFor[<-chan image.Image]()
)

// param is one handler parameter after the optional context: the frame, or
// an extra input's value.
type param struct {
	input ui.Input     // nil for the frame
	typ   reflect.Type // the parameter's type
	// live is set for a Live[T] parameter; typ is then T, and liveType
	// the parameter's own type.
	live     bool
	liveType reflect.Type
}

// result is one handler result before the optional error: the frame, or
// an additional output.
type result struct {
	output ui.Output // nil for the frame
	typ    reflect.Type
}

// binding is a user handler checked once, at start-up, against the
// stream's inputs and outputs. Calls go through reflection only when the
// handler has extra inputs or outputs; a plain frame handler is called
// directly and allocates nothing.
type binding struct {
	fn      reflect.Value
	hasCtx  bool
	params  []param
	results []result
	hasErr  bool
	// generator reports a receive-mode handler, whose only result is a
	// sequence of frames.
	generator bool
	// direct is the allocation-free form of a plain frame handler.
	direct pipeline.VideoHandler
}

// frameParam reports the index of the frame parameter, or -1.
func (b *binding) frameParam() int {
	for i, p := range b.params {
		if p.input == nil {
			return i
		}
	}
	return -1
}

// bind checks fn against the stream's inputs and outputs. self is the
// stream's own component: where it appears among inputs the handler gets
// the frame, among outputs it returns the frame. With a nil self (NewStream)
// the first parameter is the frame and the first result the output frame.
func bind(mode Mode, fn any, self ui.Component, inputs, outputs []ui.Component) (*binding, error) {
	if fn == nil {
		return nil, fmt.Errorf("%w: handler is nil", ErrBadHandler)
	}
	if self == nil && len(inputs) == 0 && len(outputs) == 0 && mode == SendReceive {
		if h, err := adaptVideo(fn); err == nil {
			return &binding{direct: h}, nil
		}
	}
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func {
		return nil, fmt.Errorf("%w: the handler is a %T, not a function", ErrBadHandler, fn)
	}
	if t.IsVariadic() {
		return nil, fmt.Errorf("%w: the handler %s is variadic; give it one parameter per input", ErrBadHandler, t)
	}
	b := &binding{fn: v}
	in := 0
	if t.NumIn() > 0 && t.In(0) == typeContext {
		b.hasCtx, in = true, 1
	}

	// Parameters follow the inputs.
	wantFrame := mode != Receive
	if self == nil && len(inputs) == 0 && wantFrame {
		inputs = []ui.Component{nil} // the frame
	}
	if got, want := t.NumIn()-in, len(inputs); got != want {
		return nil, fmt.Errorf("%w: the handler %s takes %s (after any context.Context) but the stream has %s (%s); give it one parameter per input, in order",
			ErrBadHandler, t, count(got, "parameter"), count(want, "input"), describeAll(inputs))
	}
	frames := 0
	for i, c := range inputs {
		pt := t.In(in + i)
		if c == nil || c == self {
			if !wantFrame {
				return nil, fmt.Errorf("%w: input %d is the stream itself, but a %v stream has no incoming frames", ErrBadHandler, i+1, mode)
			}
			if pt != typeImage && pt != typeYCbCr {
				return nil, fmt.Errorf("%w: handler parameter %d is %s, but input %d is the video frame: want image.Image or *image.YCbCr",
					ErrBadHandler, in+i+1, pt, i+1)
			}
			frames++
			b.params = append(b.params, param{typ: pt})
			continue
		}
		inp, ok := c.(ui.Input)
		if !ok {
			return nil, fmt.Errorf("%w: input %d (%s) is not an input component", ErrBadHandler, i+1, ui.Describe(c))
		}
		p := param{input: inp, typ: pt}
		if elem, ok := liveElem(pt); ok {
			p = param{input: inp, typ: elem, live: true, liveType: pt}
		}
		if !convertible(inp.ValueType(), p.typ) {
			return nil, fmt.Errorf("%w: handler parameter %d is %s, but input %d (%s) gives %s",
				ErrBadHandler, in+i+1, pt, i+1, ui.Describe(c), inp.ValueType())
		}
		b.params = append(b.params, p)
	}
	if wantFrame && frames != 1 {
		return nil, fmt.Errorf("%w: the stream's own component must be among the inputs exactly once (found %d)", ErrBadHandler, frames)
	}

	// Results follow the outputs, with an optional trailing error.
	out := t.NumOut()
	if out > 0 && t.Out(out-1) == typeError {
		b.hasErr, out = true, out-1
	}
	if mode == Receive {
		if out != 1 || !isGenerator(t.Out(0)) {
			return nil, fmt.Errorf("%w: a receive-mode handler returns iter.Seq[image.Image], iter.Seq[*image.YCbCr] or <-chan image.Image (and optionally an error); %s does not",
				ErrBadHandler, t)
		}
		b.generator = true
		return b, nil
	}
	wantOutFrame := mode == SendReceive
	if self == nil && len(outputs) == 0 && wantOutFrame {
		outputs = []ui.Component{nil}
	}
	if out != len(outputs) {
		return nil, fmt.Errorf("%w: the handler %s returns %d values (before any error) but the stream has %d outputs (%s)",
			ErrBadHandler, t, out, len(outputs), describeAll(outputs))
	}
	frames = 0
	for i, c := range outputs {
		rt := t.Out(i)
		if c == nil || c == self {
			if !wantOutFrame {
				return nil, fmt.Errorf("%w: output %d is the stream itself, but a %v stream sends no frames back", ErrBadHandler, i+1, mode)
			}
			if rt != typeImage && rt != typeYCbCr {
				return nil, fmt.Errorf("%w: handler result %d is %s, but output %d is the video: want image.Image or *image.YCbCr",
					ErrBadHandler, i+1, rt, i+1)
			}
			frames++
			b.results = append(b.results, result{typ: rt})
			continue
		}
		o, ok := c.(ui.Output)
		if !ok {
			return nil, fmt.Errorf("%w: output %d (%s) is not an output component", ErrBadHandler, i+1, ui.Describe(c))
		}
		b.results = append(b.results, result{output: o, typ: rt})
	}
	if wantOutFrame && frames != 1 {
		return nil, fmt.Errorf("%w: the stream's own component must be among the outputs exactly once (found %d)", ErrBadHandler, frames)
	}
	return b, nil
}

// describeAll names a handler's inputs or outputs; nil is the video frame.
func describeAll(cs []ui.Component) string {
	if len(cs) == 0 {
		return "none"
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = "the video frame"
		if c != nil {
			names[i] = ui.Describe(c)
		}
	}
	return strings.Join(names, ", ")
}

func isGenerator(t reflect.Type) bool {
	return t == typeImageSeq || t == typeYCbCrSeq || t == typeImageChan
}

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

// inputValues holds one session's current extra input values, converted to
// the handler's parameter types. Safe for concurrent use.
type inputValues struct {
	mu   sync.Mutex
	vals []reflect.Value // parallel to binding.params; zero for the frame
}

func newInputValues(b *binding) *inputValues {
	iv := &inputValues{vals: make([]reflect.Value, len(b.params))}
	for i, p := range b.params {
		if p.input != nil {
			iv.vals[i] = convert(reflect.ValueOf(p.input.Initial()), p.typ)
		}
	}
	return iv
}

// convert turns an input's value into the parameter's type. bind has
// checked that it can.
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

// set decodes a value the page sent for parameter i.
func (iv *inputValues) set(b *binding, i int, raw []byte) error {
	p := b.params[i]
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

// args builds a call's arguments: ctx if wanted, the frame, the inputs.
func (b *binding) args(ctx context.Context, frame *image.YCbCr, iv *inputValues) []reflect.Value {
	args := make([]reflect.Value, 0, len(b.params)+1)
	if b.hasCtx {
		args = append(args, reflect.ValueOf(&ctx).Elem())
	}
	iv.mu.Lock()
	defer iv.mu.Unlock()
	for i, p := range b.params {
		if p.input == nil {
			if p.typ == typeYCbCr {
				args = append(args, reflect.ValueOf(frame))
			} else {
				args = append(args, reflect.ValueOf(image.Image(frame)).Convert(typeImage))
			}
			continue
		}
		if p.live {
			lv := reflect.Zero(p.liveType).Interface().(liveParam).bound(&iv.mu, &iv.vals[i])
			args = append(args, reflect.ValueOf(lv))
			continue
		}
		args = append(args, iv.vals[i])
	}
	return args
}

// errOf extracts a call's trailing error.
func (b *binding) errOf(out []reflect.Value) error {
	if !b.hasErr {
		return nil
	}
	if e := out[len(out)-1]; !e.IsNil() {
		return e.Interface().(error)
	}
	return nil
}

// frameOf extracts the output frame from a call's results; nil when the
// handler returned none.
func frameOf(v reflect.Value) image.Image {
	if !v.IsValid() || (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return nil
	}
	return v.Interface().(image.Image)
}

// outputSink receives a handler's additional outputs.
type outputSink func(values map[int]any)

// videoHandler returns the pipeline handler for one session: it reads the
// session's current inputs and passes additional outputs to sink.
func (b *binding) videoHandler(iv *inputValues, sink outputSink) pipeline.VideoHandler {
	if b.direct != nil {
		return b.direct
	}
	return func(ctx context.Context, frame *image.YCbCr, _ time.Duration) (image.Image, error) {
		out := b.fn.Call(b.args(ctx, frame, iv))
		var img image.Image
		var extra map[int]any
		for i, r := range b.results {
			if r.output == nil {
				img = frameOf(out[i])
				continue
			}
			if extra == nil {
				extra = make(map[int]any, len(b.results))
			}
			extra[i] = out[i].Interface()
		}
		if err := b.errOf(out); err != nil {
			return nil, err
		}
		if extra != nil && sink != nil {
			sink(extra)
		}
		return img, nil
	}
}

// count says n things, with the plural when n is not 1: "1 input", "2 inputs".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
