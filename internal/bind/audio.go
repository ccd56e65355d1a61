package bind

import (
	"context"
	"iter"
	"reflect"

	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/server"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
)

// AudioFunc is the general audio handler; rtcstream.AudioStreamFunc is a
// named form of it.
type AudioFunc = func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error

var typeAudioFunc = reflect.TypeFor[AudioFunc]()

// audioForm is an audio handler as bound: one of its fields is set, or
// none for a reflected handler (Binding.fn).
type audioForm struct {
	stream  AudioFunc                                                     // send-receive and send
	mapper  func(media.AudioFrame) (media.AudioFrame, error)              // send-receive, per frame
	consume func(media.AudioFrame) error                                  // send, per frame
	gen     func(ctx context.Context) (iter.Seq[media.AudioFrame], error) // receive
}

// bindAudio checks an audio handler against the stream's mode, inputs and
// outputs. An AudioStreamFunc takes any inputs and outputs, through its
// session; a plain per-frame function or generator, the stream alone;
// other functions take the extra inputs as parameters and give the
// additional outputs as results.
func (b *Binding) bindAudio() error {
	fn := b.spec.Fn
	if t := reflect.TypeOf(fn); t.Kind() == reflect.Func && t != typeAudioFunc && t.ConvertibleTo(typeAudioFunc) {
		fn = reflect.ValueOf(fn).Convert(typeAudioFunc).Interface()
	}
	if f, ok := fn.(AudioFunc); ok && b.spec.Mode != server.Receive {
		b.audio.stream = f
		return b.bindAmbient(true, true)
	}
	if !b.plain() {
		return b.bindAudioFunc()
	}
	if b.plainAudio(fn) {
		return nil
	}
	if err := b.bindAudioFunc(); err != nil {
		// The stream alone: name the forms that fit.
		return badHandler("a %s audio handler is %s; got %T (%v)", modeName(b.spec.Mode), plainAudioForms[b.spec.Mode], b.spec.Fn, err)
	}
	return nil
}

// plainAudioForms are the audio handlers of each mode, in words.
var plainAudioForms = map[server.Mode]string{
	server.SendReceive: "an AudioStreamFunc, func(media.AudioFrame) media.AudioFrame or func(media.AudioFrame) (media.AudioFrame, error)",
	server.Send:        "an AudioStreamFunc, func(media.AudioFrame) or func(media.AudioFrame) error",
	server.Receive:     "a generator: func(context.Context) iter.Seq[media.AudioFrame] or func() iter.Seq[media.AudioFrame]",
}

// plainAudio binds a plain form of the stream's mode, if fn is one.
func (b *Binding) plainAudio(fn any) bool {
	a := &b.audio
	switch b.spec.Mode {
	case server.SendReceive:
		switch f := fn.(type) {
		case func(media.AudioFrame) media.AudioFrame:
			a.mapper = func(f0 media.AudioFrame) (media.AudioFrame, error) { return f(f0), nil }
		case func(media.AudioFrame) (media.AudioFrame, error):
			a.mapper = f
		default:
			return false
		}
	case server.Send:
		switch f := fn.(type) {
		case func(media.AudioFrame) error:
			a.consume = f
		case func(media.AudioFrame):
			a.consume = func(f0 media.AudioFrame) error { f(f0); return nil }
		default:
			return false
		}
	case server.Receive:
		switch f := fn.(type) {
		case func(context.Context) iter.Seq[media.AudioFrame]:
			a.gen = func(ctx context.Context) (iter.Seq[media.AudioFrame], error) { return f(ctx), nil }
		case func() iter.Seq[media.AudioFrame]:
			a.gen = func(context.Context) (iter.Seq[media.AudioFrame], error) { return f(), nil }
		case func(context.Context) (iter.Seq[media.AudioFrame], error):
			a.gen = f
		default:
			return false
		}
	}
	return true
}

// bindAudioFunc checks a handler with extra inputs or outputs: an audio
// stream function (ctx, in, out, then one parameter per extra input,
// returning an error or nothing; its outputs go through its session), a
// per-frame function (frame and inputs in, frame and outputs out) or a
// generator (inputs in).
func (b *Binding) bindAudioFunc() error {
	s := b.spec
	t, err := b.reflectFn()
	if err != nil {
		return err
	}
	if t.NumIn() >= 3 && t.In(0) == typeContext && t.In(1) == typeAudioIn && t.In(2) == typeAudioOut {
		if s.Mode == server.Receive {
			return badHandler("a receive-mode audio handler is a generator, returning iter.Seq[media.AudioFrame]; %s reads audio", t)
		}
		b.hasCtx, b.streamArgs = true, true
		var extra []ui.Component
		for _, c := range s.Inputs {
			if c != s.Self {
				extra = append(extra, c)
			}
		}
		if err := b.bindParamsFrom(t, 3, extra, false); err != nil {
			return err
		}
		if t.NumOut() > 1 || t.NumOut() == 1 && t.Out(0) != typeError {
			return badHandler("an audio stream function returns an error or nothing; %s returns more (additional outputs go through its session: rtcstream.SessionFrom(ctx).Output)", t)
		}
		b.hasErr = t.NumOut() == 1
		return b.bindAmbient(false, true)
	}
	if err := b.bindParams(t); err != nil {
		return err
	}
	return b.bindResults(t)
}

// audioHandlers sets a session's audio handler.
func (b *Binding) audioHandlers(hs *server.Handlers, h server.Hooks, iv *inputValues, out *outputs) {
	a := b.audio
	switch {
	case a.stream != nil:
		hs.Audio = a.stream
	case a.mapper != nil:
		hs.Audio = mapAudio(a.mapper, h)
	case a.consume != nil:
		hs.Audio = consumeAudio(a.consume)
	case a.gen != nil:
		hs.AudioFrames = a.gen
	case b.streamArgs:
		hs.Audio = func(ctx context.Context, in <-chan media.AudioFrame, o chan<- media.AudioFrame) error {
			return b.errOf(b.fn.Call(b.args(ctx, nil, iv, reflect.ValueOf(in), reflect.ValueOf(o))))
		}
	case b.spec.Mode == server.Receive:
		hs.AudioFrames = func(ctx context.Context) (iter.Seq[media.AudioFrame], error) {
			res := b.fn.Call(b.args(ctx, nil, iv))
			if err := b.errOf(res); err != nil {
				return nil, err
			}
			seq, _ := res[0].Interface().(iter.Seq[media.AudioFrame])
			if seq == nil {
				seq = func(func(media.AudioFrame) bool) {}
			}
			return seq, nil
		}
	case b.spec.Mode == server.Send:
		hs.Audio = func(ctx context.Context, in <-chan media.AudioFrame, o chan<- media.AudioFrame) error {
			return consumeAudio(func(f media.AudioFrame) error {
				_, err := b.callAudio(ctx, f, iv, out)
				return err
			})(ctx, in, o)
		}
	default:
		hs.Audio = func(ctx context.Context, in <-chan media.AudioFrame, o chan<- media.AudioFrame) error {
			return mapAudio(func(f media.AudioFrame) (media.AudioFrame, error) { return b.callAudio(ctx, f, iv, out) }, h)(ctx, in, o)
		}
	}
}

// callAudio calls a reflected per-frame audio handler on f: it returns
// the frame it gave back (f's zero value in send mode) and sends its
// additional outputs.
func (b *Binding) callAudio(ctx context.Context, f media.AudioFrame, iv *inputValues, out *outputs) (media.AudioFrame, error) {
	res := b.fn.Call(b.args(ctx, f, iv))
	var frame media.AudioFrame
	var extra map[int]any
	for i, r := range b.results {
		switch {
		case r.ambient:
		case r.output == nil:
			frame, _ = res[i].Interface().(media.AudioFrame)
		default:
			if extra == nil {
				extra = make(map[int]any, len(b.results))
			}
			extra[i] = res[i].Interface()
		}
	}
	if err := b.errOf(res); err != nil {
		return frame, err
	}
	if extra != nil {
		out.send(extra)
	}
	return frame, nil
}

// mapAudio makes a stream handler of a plain per-frame function: a
// continuous effect. A failing or panicking call is reported to the page;
// under ContinueOnError the input frame goes out in its place, so the audio
// never stops (as the function left it: one that changed the samples in
// place before failing sends them half-processed, as video does).
func mapAudio(fn func(media.AudioFrame) (media.AudioFrame, error), h server.Hooks) AudioFunc {
	call := func(f media.AudioFrame) (o media.AudioFrame, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = pipeline.Recovered(r)
			}
		}()
		return fn(f)
	}
	return func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
		for f := range in {
			o, err := call(f)
			if err != nil {
				if h.HandlerError(pipeline.AsHandlerError(err)) {
					return err
				}
				o = f
			}
			select {
			case out <- o:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	}
}

// consumeAudio makes a send-mode stream handler of a per-frame consumer.
func consumeAudio(fn func(media.AudioFrame) error) AudioFunc {
	return func(ctx context.Context, in <-chan media.AudioFrame, _ chan<- media.AudioFrame) error {
		for f := range in {
			if err := fn(f); err != nil {
				return err
			}
		}
		return nil
	}
}
