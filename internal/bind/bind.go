// Package bind checks a user's handler once, at start-up, against its
// stream's modality, mode, inputs and outputs, and makes each session's
// handlers (server.Handlers) from it. A plain video or audio handler is
// called directly and allocates nothing per frame; handlers with extra
// inputs or additional outputs go through reflection.
//
// Extra inputs reach a handler as its parameters, one per input after the
// frame; additional outputs as its results, one per output after the
// frame. Handlers of a fixed signature (an AudioStreamFunc such as
// voice.ReplyOnPause's, an AudioVideoHandler) read their inputs and send
// their outputs through their session instead (server.Handlers.Input and
// Output): such inputs and outputs are "ambient".
package bind

import (
	"context"
	"fmt"
	"image"
	"iter"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/server"
	"github.com/rtcstream/rtcstream/internal/uiext"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
)

// Error is a handler or stream that cannot be bound; the root package
// reports it under its ErrBadHandler or ErrUnsupported.
type Error struct {
	Unsupported bool // the modality and mode, not the handler
	Msg         string
}

func (e *Error) Error() string { return e.Msg }

func badHandler(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...)}
}

// Spec is what New binds.
type Spec struct {
	Modality server.Modality
	Mode     server.Mode
	Fn       any
	// Self is the stream's own component on a Blocks page: among Inputs
	// it stands for the incoming frame, among Outputs for the frame
	// returned. Nil (NewStream): the handler takes the frame and returns
	// one. Empty Inputs and Outputs mean the stream itself alone.
	Self            ui.Component
	Inputs, Outputs []ui.Component
	// Live recognises and makes the root package's Live[T] parameters.
	Live Live
}

// Live lets bind handle rtcstream.Live[T] without the root exporting its
// workings: Elem returns T for a Live[T] type, Make a Live[T] reading val
// under mu.
type Live struct {
	Elem func(t reflect.Type) (reflect.Type, bool)
	Make func(t reflect.Type, mu *sync.Mutex, val *reflect.Value) reflect.Value
}

var (
	typeContext   = reflect.TypeFor[context.Context]()
	typeImage     = reflect.TypeFor[image.Image]()
	typeYCbCr     = reflect.TypeFor[*image.YCbCr]()
	typeError     = reflect.TypeFor[error]()
	typeImageSeq  = reflect.TypeFor[iter.Seq[image.Image]]()
	typeYCbCrSeq  = reflect.TypeFor[iter.Seq[*image.YCbCr]]()
	typeImageChan = reflect.TypeFor[<-chan image.Image]()

	typeAudioFrame = reflect.TypeFor[media.AudioFrame]()
	typeAudioSeq   = reflect.TypeFor[iter.Seq[media.AudioFrame]]()
	typeAudioIn    = reflect.TypeFor[<-chan media.AudioFrame]()
	typeAudioOut   = reflect.TypeFor[chan<- media.AudioFrame]()
)

// Binding is a handler bound to its stream. Safe for concurrent use.
type Binding struct {
	spec Spec

	// Video handlers through reflection.
	fn      reflect.Value
	hasCtx  bool
	params  []param
	results []result
	hasErr  bool
	// direct is the allocation-free form of a plain frame handler.
	direct pipeline.VideoHandler

	// frame describes the stream's frames: video or audio.
	frame frameKind
	// streamArgs: the reflected handler is an audio stream function,
	// called once with (ctx, in, out) before its extra inputs.
	streamArgs bool

	// Audio and audio-video handlers.
	audio   audioForm
	newAV   func() any // an AudioVideo, or an AudioVideoGenerator in receive mode
	idsMu   sync.RWMutex
	inputID map[string]int // component id -> parameter index, once linked
	outID   map[int]string // result index -> component id

	// encoded: the handler is media already encoded, sent as it is.
	encoded Encoded
}

// Encoded is a source of media already encoded (package source's File):
// a receive-mode stream given one as its handler sends its VP8 frames and
// Opus packets as they are.
type Encoded interface {
	Encoded(ctx context.Context) (video, audio iter.Seq[media.EncodedFrame])
}

// param is one handler parameter after the optional context: the frame, or
// an extra input's value.
type param struct {
	input ui.Input     // nil for the frame
	typ   reflect.Type // the parameter's type
	// live is set for a Live[T] parameter; typ is then T, and liveType
	// the parameter's own type.
	live     bool
	liveType reflect.Type
	// ambient: no parameter; the handler reads the input through its
	// session.
	ambient bool
}

// result is one handler result before the optional error: the frame, or
// an additional output.
type result struct {
	output ui.Output // nil for the frame
	typ    reflect.Type
	// ambient: no result; the handler sends the output through its
	// session.
	ambient bool
}

// frameKind is what a stream's frames are to its handlers.
type frameKind struct {
	what  string         // "video frame", "audio frame"
	types []reflect.Type // a frame parameter's or result's types
	want  string         // those, in words
}

var (
	videoFrames = frameKind{what: "video frame", types: []reflect.Type{typeImage, typeYCbCr}, want: "image.Image or *image.YCbCr"}
	audioFrames = frameKind{what: "audio frame", types: []reflect.Type{typeAudioFrame}, want: "media.AudioFrame"}
)

func (k frameKind) fits(t reflect.Type) bool { return slices.Contains(k.types, t) }

// New checks spec.Fn against the stream. The handler forms are listed in
// the root package's NewStream documentation.
func New(spec Spec) (*Binding, error) {
	b := &Binding{spec: spec, frame: videoFrames}
	if spec.Fn == nil {
		return nil, badHandler("handler is nil")
	}
	if e, ok := spec.Fn.(Encoded); ok && spec.Mode == server.Receive {
		b.encoded = e
		return b, nil
	}
	switch spec.Modality {
	case server.Audio:
		b.frame = audioFrames
		return b, b.bindAudio()
	case server.AudioVideo:
		return b, b.bindAudioVideo()
	case server.Video:
		return b, b.bindVideo()
	}
	return nil, &Error{Unsupported: true, Msg: fmt.Sprintf("modality %d", spec.Modality)}
}

func modeName(m server.Mode) string {
	switch m {
	case server.Receive:
		return "receive"
	case server.Send:
		return "send"
	}
	return "send-receive"
}

// bindVideo checks a video handler: a plain form, called directly, or a
// function whose parameters follow the inputs and results the outputs.
func (b *Binding) bindVideo() error {
	s := b.spec
	if b.plain() && s.Mode == server.SendReceive {
		if h, ok := plainVideo(s.Fn); ok {
			b.direct = h
			return nil
		}
	}
	t, err := b.reflectFn()
	if err != nil {
		return err
	}
	if err := b.bindParams(t); err != nil {
		return err
	}
	return b.bindResults(t)
}

// reflectFn takes the handler for calls through reflection: a function,
// not variadic. It returns its type.
func (b *Binding) reflectFn() (reflect.Type, error) {
	v := reflect.ValueOf(b.spec.Fn)
	t := v.Type()
	if t.Kind() != reflect.Func {
		return nil, badHandler("the handler is a %T, not a function", b.spec.Fn)
	}
	if t.IsVariadic() {
		return nil, badHandler("the handler %s is variadic; give it one parameter per input", t)
	}
	b.fn = v
	return t, nil
}

// plain says whether the stream's inputs and outputs are the stream
// alone, so a handler of a plain form fits.
func (b *Binding) plain() bool {
	s := b.spec
	return s.Self == nil || (len(s.Inputs) == 0 && len(s.Outputs) == 0) ||
		(slicesEqual(s.Inputs, s.Self) && slicesEqual(s.Outputs, s.Self))
}

// slicesEqual reports whether cs is exactly [c].
func slicesEqual(cs []ui.Component, c ui.Component) bool {
	return len(cs) == 1 && cs[0] == c
}

// inputs returns the spec's inputs, nil standing for the frame.
func (b *Binding) inputs() []ui.Component {
	s := b.spec
	if len(s.Inputs) == 0 && s.Mode != server.Receive {
		return []ui.Component{nil}
	}
	return s.Inputs
}

func (b *Binding) outputs() []ui.Component {
	s := b.spec
	if len(s.Outputs) == 0 && s.Mode == server.SendReceive {
		return []ui.Component{nil}
	}
	return s.Outputs
}

// bindParams checks the handler's parameters against the inputs.
func (b *Binding) bindParams(t reflect.Type) error {
	in := 0
	if t.NumIn() > 0 && t.In(0) == typeContext {
		b.hasCtx, in = true, 1
	}
	return b.bindParamsFrom(t, in, b.inputs(), b.spec.Mode != server.Receive)
}

// bindParamsFrom checks the handler's parameters from the in'th against
// inputs (nil or Self standing for the frame, which must be there once
// when wantFrame).
func (b *Binding) bindParamsFrom(t reflect.Type, in int, inputs []ui.Component, wantFrame bool) error {
	s := b.spec
	if got, want := t.NumIn()-in, len(inputs); got != want {
		return badHandler("the handler %s takes %s (after any context.Context) but the stream has %s (%s); give it one parameter per input, in order",
			t, count(got, "parameter"), count(want, "input"), b.describeAll(inputs))
	}
	frames := 0
	for i, c := range inputs {
		pt := t.In(in + i)
		if c == nil || c == s.Self {
			if !wantFrame {
				return badHandler("input %d is the stream itself, but a %s stream has no incoming frames", i+1, modeName(s.Mode))
			}
			if !b.frame.fits(pt) {
				return badHandler("handler parameter %d is %s, but input %d is the %s: want %s", in+i+1, pt, i+1, b.frame.what, b.frame.want)
			}
			frames++
			b.params = append(b.params, param{typ: pt})
			continue
		}
		inp, ok := c.(ui.Input)
		if !ok {
			return badHandler("input %d (%s) is not an input component", i+1, ui.Describe(c))
		}
		p := param{input: inp, typ: pt}
		if s.Live.Elem != nil {
			if elem, ok := s.Live.Elem(pt); ok {
				p = param{input: inp, typ: elem, live: true, liveType: pt}
			}
		}
		if !convertible(inp.ValueType(), p.typ) {
			return badHandler("handler parameter %d is %s, but input %d (%s) gives %s", in+i+1, pt, i+1, ui.Describe(c), inp.ValueType())
		}
		b.params = append(b.params, p)
	}
	if wantFrame && frames != 1 {
		return badHandler("the stream's own component must be among the inputs exactly once (found %d); add the WebRTC component itself to Inputs", frames)
	}
	return nil
}

// bindResults checks the handler's results against the outputs, with an
// optional trailing error.
func (b *Binding) bindResults(t reflect.Type) error {
	s := b.spec
	out := t.NumOut()
	if out > 0 && t.Out(out-1) == typeError {
		b.hasErr, out = true, out-1
	}
	if s.Mode == server.Receive {
		if b.frame.what == audioFrames.what {
			if out != 1 || t.Out(0) != typeAudioSeq {
				return badHandler("a receive-mode audio handler returns iter.Seq[media.AudioFrame] (and optionally an error); %s does not", t)
			}
			return nil
		}
		if out != 1 || !isGenerator(t.Out(0)) {
			return badHandler("a receive-mode handler returns iter.Seq[image.Image], iter.Seq[*image.YCbCr] or <-chan image.Image (and optionally an error); %s does not", t)
		}
		return nil
	}
	outputs := b.outputs()
	if out != len(outputs) {
		return badHandler("the handler %s returns %s (before any error) but the stream has %s (%s)",
			t, count(out, "value"), count(len(outputs), "output"), b.describeAll(outputs))
	}
	wantFrame := s.Mode == server.SendReceive
	frames := 0
	for i, c := range outputs {
		rt := t.Out(i)
		if c == nil || c == s.Self {
			if !wantFrame {
				return badHandler("output %d is the stream itself, but a %s stream sends no frames back", i+1, modeName(s.Mode))
			}
			if !b.frame.fits(rt) {
				return badHandler("handler result %d is %s, but output %d is the %s: want %s", i+1, rt, i+1, b.frame.what, b.frame.want)
			}
			frames++
			b.results = append(b.results, result{typ: rt})
			continue
		}
		o, ok := c.(ui.Output)
		if !ok {
			return badHandler("output %d (%s) is not an output component", i+1, ui.Describe(c))
		}
		b.results = append(b.results, result{output: o, typ: rt})
	}
	if wantFrame && frames != 1 {
		return badHandler("the stream's own component must be among the outputs exactly once (found %d); add the WebRTC component itself to Outputs", frames)
	}
	return nil
}

// bindAmbient registers the stream's inputs and outputs other than
// itself as ambient: a handler of a fixed signature reads and sends them
// through its session.
func (b *Binding) bindAmbient(inputs, outputs bool) error {
	s := b.spec
	if inputs {
		for i, c := range s.Inputs {
			if c == s.Self {
				continue
			}
			inp, ok := c.(ui.Input)
			if !ok {
				return badHandler("input %d (%s) is not an input component", i+1, ui.Describe(c))
			}
			b.params = append(b.params, param{input: inp, typ: inp.ValueType(), ambient: true})
		}
	}
	if outputs {
		for i, c := range s.Outputs {
			if c == s.Self {
				continue
			}
			o, ok := c.(ui.Output)
			if !ok {
				return badHandler("output %d (%s) is not an output component", i+1, ui.Describe(c))
			}
			b.results = append(b.results, result{output: o, ambient: true})
		}
	}
	return nil
}

// Link resolves the handler's inputs and outputs to the page's component
// ids, and returns the inputs' ids in order.
func (b *Binding) Link(l uiext.Links) ([]string, error) {
	inputIDs := map[string]int{}
	var ids []string
	for i, p := range b.params {
		if p.input == nil {
			continue
		}
		id, err := l.UseInput(p.input)
		if err != nil {
			return nil, fmt.Errorf("handler parameter %d: %w", i+1, err)
		}
		inputIDs[id] = i
		ids = append(ids, id)
	}
	outputIDs := map[int]string{}
	for i, r := range b.results {
		if r.output == nil {
			continue
		}
		id, err := l.UseOutput(r.output)
		if err != nil {
			return nil, fmt.Errorf("handler result %d: %w", i+1, err)
		}
		outputIDs[i] = id
	}
	b.idsMu.Lock()
	defer b.idsMu.Unlock()
	b.inputID, b.outID = inputIDs, outputIDs
	return ids, nil
}

func (b *Binding) inputIndex(id string) (int, bool) {
	b.idsMu.RLock()
	defer b.idsMu.RUnlock()
	i, ok := b.inputID[id]
	return i, ok
}

func (b *Binding) outputID(i int) string {
	b.idsMu.RLock()
	defer b.idsMu.RUnlock()
	return b.outID[i]
}

// describeAll names a handler's inputs or outputs; nil is the frame.
func (b *Binding) describeAll(cs []ui.Component) string {
	if len(cs) == 0 {
		return "none"
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = "the " + b.frame.what
		if c != nil {
			names[i] = ui.Describe(c)
		}
	}
	return strings.Join(names, ", ")
}

func isGenerator(t reflect.Type) bool {
	return t == typeImageSeq || t == typeYCbCrSeq || t == typeImageChan
}

// count says n things, with the plural when n is not 1: "1 input", "2 inputs".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
