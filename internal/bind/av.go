package bind

import (
	"context"
	"errors"
	"image"
	"iter"
	"reflect"
	"time"

	"github.com/rtcstream/rtcstream/internal/server"
	"github.com/rtcstream/rtcstream/media"
)

// AudioVideo is rtcstream.AudioVideoHandler's method set.
type AudioVideo interface {
	Video(ctx context.Context, frame *image.YCbCr, pts time.Duration) (image.Image, error)
	Audio(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error
}

// AudioVideoGenerator is rtcstream.AudioVideoGenerator's method set.
type AudioVideoGenerator interface {
	Frames(ctx context.Context) iter.Seq[image.Image]
	AudioFrames(ctx context.Context) iter.Seq[media.AudioFrame]
}

var (
	typeAudioVideo    = reflect.TypeFor[AudioVideo]()
	typeAudioVideoGen = reflect.TypeFor[AudioVideoGenerator]()
)

// bindAudioVideo checks an audio-video handler: a function of no
// arguments returning an AudioVideoHandler (an AudioVideoGenerator in
// receive mode), called once per session (fastrtc's copy()). Its extra
// inputs and additional outputs are ambient: it reads and sends them
// through its session. In send mode, what its Video returns is not sent
// (nor encoded), nor what its Audio writes.
func (b *Binding) bindAudioVideo() error {
	want, what := typeAudioVideo, "rtcstream.AudioVideoHandler"
	if b.spec.Mode == server.Receive {
		want, what = typeAudioVideoGen, "rtcstream.AudioVideoGenerator"
	}
	v := reflect.ValueOf(b.spec.Fn)
	t := v.Type()
	if t.Kind() != reflect.Func || t.NumIn() != 0 || t.NumOut() != 1 || t.Out(0).Kind() != reflect.Interface || !t.Out(0).Implements(want) {
		return badHandler("a %s audio-video handler is a func() %s, made per session; got %T", modeName(b.spec.Mode), what, b.spec.Fn)
	}
	b.newAV = func() any { return v.Call(nil)[0].Interface() }
	return b.bindAmbient(true, true)
}

// avHandlers sets a session's audio-video handlers.
func (b *Binding) avHandlers(hs *server.Handlers) error {
	h := b.newAV()
	if h == nil {
		return errors.New("rtcstream: the audio-video handler's constructor returned nil")
	}
	if g, ok := h.(AudioVideoGenerator); ok && b.spec.Mode == server.Receive {
		hs.Frames = func(ctx context.Context) (iter.Seq[image.Image], error) { return g.Frames(ctx), nil }
		hs.AudioFrames = func(ctx context.Context) (iter.Seq[media.AudioFrame], error) { return g.AudioFrames(ctx), nil }
		return nil
	}
	av, ok := h.(AudioVideo)
	if !ok {
		return errors.New("rtcstream: the audio-video handler's constructor returned nil")
	}
	hs.Video, hs.Audio = av.Video, av.Audio
	if b.spec.Mode == server.Send {
		hs.Video = func(ctx context.Context, frame *image.YCbCr, pts time.Duration) (image.Image, error) {
			_, err := av.Video(ctx, frame, pts)
			return nil, err // nothing goes back
		}
	}
	return nil
}
