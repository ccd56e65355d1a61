package rtcstream

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/opus"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/media"
)

// AudioStreamFunc is the general audio handler, the Go form of fastrtc's
// StreamHandler: it runs once per session, for as long as the session
// lasts, reading the browser's audio from in (mono, at
// Options.AudioInputRate) and writing audio to out (any rate, mono or
// stereo, any length per frame), which is paced to the browser in real
// time. in closes when the session ends; ctx ends with it. Code before its
// loop is the start-up, code after it the shutdown; its locals are the
// per-connection state fastrtc's copy() provides. Writing to out blocks
// while a second of audio is already queued.
//
// In send-receive mode, out is live audio, made from the input as it
// arrives: its delay is bounded. When audio has waited in the output
// queue for a whole second beyond a frame or so (the handler or the
// network stalled, then caught up), the excess is dropped at a quiet
// moment, so the delay does not grow. Audio produced ahead of real time,
// such as a spoken reply, is played whole by ReplyOnPause.
//
// A frame received from in belongs to the handler.
type AudioStreamFunc func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error

// inputQueue is how many input frames (20 ms each) wait for a busy audio
// handler before new ones are dropped.
const inputQueue = 50

// audioBinding is an audio handler in the one form sessions run.
type audioBinding struct {
	stream AudioStreamFunc                                               // send-receive and send
	gen    func(ctx context.Context) (iter.Seq[media.AudioFrame], error) // receive
}

// bindAudio adapts an audio handler. The forms are listed at NewStream.
func bindAudio(mode Mode, fn any) (*audioBinding, error) {
	bad := func(want string) error {
		return fmt.Errorf("%w: a %v audio handler is %s; got %T", ErrBadHandler, mode, want, fn)
	}
	switch mode {
	case SendReceive:
		switch f := fn.(type) {
		case AudioStreamFunc:
			return &audioBinding{stream: f}, nil
		case func(context.Context, <-chan media.AudioFrame, chan<- media.AudioFrame) error:
			return &audioBinding{stream: f}, nil
		case func(media.AudioFrame) media.AudioFrame:
			return &audioBinding{stream: mapAudio(func(f0 media.AudioFrame) (media.AudioFrame, error) { return f(f0), nil })}, nil
		case func(media.AudioFrame) (media.AudioFrame, error):
			return &audioBinding{stream: mapAudio(f)}, nil
		}
		return nil, bad("an AudioStreamFunc, func(media.AudioFrame) media.AudioFrame or func(media.AudioFrame) (media.AudioFrame, error)")
	case Send:
		switch f := fn.(type) {
		case AudioStreamFunc:
			return &audioBinding{stream: f}, nil
		case func(context.Context, <-chan media.AudioFrame, chan<- media.AudioFrame) error:
			return &audioBinding{stream: f}, nil
		case func(media.AudioFrame) error:
			return &audioBinding{stream: consumeAudio(f)}, nil
		case func(media.AudioFrame):
			return &audioBinding{stream: consumeAudio(func(f0 media.AudioFrame) error { f(f0); return nil })}, nil
		}
		return nil, bad("an AudioStreamFunc, func(media.AudioFrame) or func(media.AudioFrame) error")
	case Receive:
		switch f := fn.(type) {
		case func(context.Context) iter.Seq[media.AudioFrame]:
			return &audioBinding{gen: func(ctx context.Context) (iter.Seq[media.AudioFrame], error) { return f(ctx), nil }}, nil
		case func() iter.Seq[media.AudioFrame]:
			return &audioBinding{gen: func(context.Context) (iter.Seq[media.AudioFrame], error) { return f(), nil }}, nil
		case func(context.Context) (iter.Seq[media.AudioFrame], error):
			return &audioBinding{gen: f}, nil
		}
		return nil, bad("a generator: func(context.Context) iter.Seq[media.AudioFrame] or func() iter.Seq[media.AudioFrame]")
	}
	return nil, fmt.Errorf("%w: audio in mode %v", ErrUnsupported, mode)
}

// mapAudio makes a stream handler of a plain per-frame function: a
// continuous effect. A failing or panicking call is reported to the page;
// under ContinueOnError the input frame goes out in its place, so the audio
// never stops (as the function left it: one that changed the samples in
// place before failing sends them half-processed, as video does).
func mapAudio(fn func(media.AudioFrame) (media.AudioFrame, error)) AudioStreamFunc {
	call := func(f media.AudioFrame) (o media.AudioFrame, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = panicError(r)
			}
		}()
		return fn(f)
	}
	return func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
		for f := range in {
			o, err := call(f)
			if err != nil {
				ss := sessionFrom(ctx)
				if ss == nil || ss.handlerError(asHandlerError(err)) {
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
func consumeAudio(fn func(media.AudioFrame) error) AudioStreamFunc {
	return func(ctx context.Context, in <-chan media.AudioFrame, _ chan<- media.AudioFrame) error {
		for f := range in {
			if err := fn(f); err != nil {
				return err
			}
		}
		return nil
	}
}

// audioPath is one session's audio: decoder and input queue, the handler's
// goroutines, and the paced output.
type audioPath struct {
	in      *pipeline.AudioIn
	queue   chan media.AudioFrame
	out     *pipeline.AudioOut
	dec     codec.AudioDecoder
	enc     codec.AudioEncoder
	dropped atomic.Uint64

	inMu     sync.Mutex // orders deliver against closing the queue
	inClosed bool
}

func newAudioPath(ss *session) (*audioPath, error) {
	a := &audioPath{queue: make(chan media.AudioFrame, inputQueue)}
	s := ss.s
	if s.mode != Receive {
		dec, err := opus.NewDecoder(opus.DecoderConfig{SampleRate: pipeline.OpusRate, Channels: 1})
		if err != nil {
			return nil, err
		}
		a.dec = dec
		if a.in, err = pipeline.NewAudioIn(dec, s.opts.AudioInputRate, a.deliver); err != nil {
			dec.Close()
			return nil, err
		}
	}
	if s.mode != Send {
		enc, err := opus.NewEncoder(opus.EncoderConfig{SampleRate: pipeline.OpusRate, Channels: 1})
		if err != nil {
			a.close()
			return nil, err
		}
		a.enc = enc
		a.out = pipeline.NewAudioOut(enc, ss.writeAudio, 0, ss.s.audioObserver())
	}
	return a, nil
}

// deliver hands a decoded frame to the handler, dropping it when the
// handler is a second behind.
func (a *audioPath) deliver(f media.AudioFrame) {
	a.inMu.Lock()
	defer a.inMu.Unlock()
	if a.inClosed {
		return // the session is ending; pion's reader may still run
	}
	select {
	case a.queue <- f:
	default:
		a.dropped.Add(1)
	}
}

// closeInput ends the handler's input; later frames are dropped.
func (a *audioPath) closeInput() {
	a.inMu.Lock()
	defer a.inMu.Unlock()
	if !a.inClosed {
		a.inClosed = true
		close(a.queue)
	}
}

func (a *audioPath) close() {
	if a.dec != nil {
		a.dec.Close()
	}
	if a.enc != nil {
		a.enc.Close()
	}
}

// writeAudio sends one Opus packet on the session's audio track.
func (ss *session) writeAudio(packet []byte, d time.Duration) error {
	c := ss.conn.Load()
	if c == nil || c.Audio() == nil {
		return nil
	}
	return c.Audio().WriteSample(pionmedia.Sample{Data: packet, Duration: d})
}

// runAudio runs the handler and the output pacer until ctx ends or the
// handler returns.
func (ss *session) runAudio(ctx context.Context) error {
	a := ss.audio
	b := ss.audioBind
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outErr := make(chan error, 1)
	if a.out != nil {
		wg.Go(func() { outErr <- a.out.Run(ctx) })
	}
	if b.gen != nil {
		return ss.generateAudio(ctx)
	}
	frames := make(chan media.AudioFrame)
	wg.Go(func() {
		for f := range frames {
			if a.out == nil || a.out.QueueLive(ctx, f) != nil {
				continue // send mode, or ending: drain
			}
		}
	})
	// Close the handler's input when the session ends.
	wg.Go(func() {
		<-ctx.Done()
		a.closeInput()
	})
	err := ss.callAudio(ctx, func(ctx context.Context) error { return b.stream(ctx, a.queue, frames) })
	close(frames)
	return err
}

// generateAudio runs a receive-mode generator, queueing its chunks; the
// output pacer sends them in real time.
func (ss *session) generateAudio(ctx context.Context) error {
	return ss.callAudio(ctx, func(ctx context.Context) error {
		seq, err := ss.audioBind.gen(ctx)
		if err != nil {
			return err
		}
		out := ss.audio.out
		for f := range seq {
			if err := out.Queue(ctx, f); err != nil {
				return nil
			}
		}
		// Let the tail play before the session ends: the queue, then what
		// is on its way to the browser and in its jitter buffer.
		if out.WaitPlayed(ctx, out.End()) != nil {
			return nil
		}
		t := time.NewTimer(ss.playoutDelay())
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		return nil
	})
}

// browserBuffer is what a browser's jitter buffer may hold (30-60 ms on a
// steady link, a few hundred under load); playoutDelay adds it to the way
// there. Ending a finished stream that much later costs nothing; ending it
// early cuts its last sound.
const browserBuffer = 300 * time.Millisecond

// playoutDelay estimates how long after its last packet is sent the
// browser has played a stream out: the packet's own audio, half the
// round trip, and the jitter buffer.
func (ss *session) playoutDelay() time.Duration {
	d := pipeline.AudioFrame + browserBuffer
	if c := ss.conn.Load(); c != nil {
		if rtt, ok := c.RTT(); ok {
			d += rtt / 2
		}
	}
	return d
}

// callAudio runs an audio handler, turning a panic or an error into a
// *pipeline.HandlerError reported to the page.
func (ss *session) callAudio(ctx context.Context, run func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
		switch {
		case ctx.Err() != nil:
			err = nil // the session is ending anyway
		case err != nil:
			err = asHandlerError(err)
			ss.handlerError(err)
		}
	}()
	return run(ctx)
}

func sessionFrom(ctx context.Context) *session {
	ss, _ := ctx.Value(sessionKey{}).(*session)
	return ss
}

// panicError turns a recovered panic into a handler error with its stack.
func panicError(r any) *pipeline.HandlerError {
	perr, ok := r.(error)
	if !ok {
		perr = fmt.Errorf("%v", r)
	}
	return &pipeline.HandlerError{Err: perr, Panic: true, Stack: debug.Stack()}
}

func asHandlerError(err error) error {
	var herr *pipeline.HandlerError
	if errors.As(err, &herr) {
		return err
	}
	return &pipeline.HandlerError{Err: err}
}
