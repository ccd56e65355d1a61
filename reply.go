package rtcstream

import (
	"context"
	"iter"
	"log/slog"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/vad/silero"
)

// ReplyFunc is a voice agent's turn: given what the user said (mono, 16 kHz),
// it yields its reply as audio frames of any length and rate. ctx ends when
// the user talks over the reply (barge-in) or the session ends: stop
// yielding then; anything already queued is dropped.
type ReplyFunc func(ctx context.Context, utterance media.AudioFrame) iter.Seq[media.AudioFrame]

// ReplyOnPauseOptions configure ReplyOnPause. The zero value is ready.
type ReplyOnPauseOptions struct {
	// Turns configures turn-taking: speech thresholds, minimum speech, the
	// pause that ends a turn, maximum continuous speech, padding and
	// barge-in (a negative Turns.BargeIn turns it off). See vad.Options
	// for each default and why. Two trade-offs users tune most:
	//   - Turns.Pause (default 480 ms) is the silence that ends a turn,
	//     so the reply starts about that long after the speech ends;
	//     250 ms answers within 300 ms but ends the turns of hesitant
	//     speakers early.
	//   - Turns.BargeIn is how long the user must talk over a reply to
	//     cancel it. ReplyOnPause's default is one 32 ms window, which
	//     stops the reply and drops its queued audio within 100 ms of the
	//     user's first sound (measured: 80-100 ms); a cough can interrupt
	//     too. vad's own default, 150 ms, takes about 220 ms.
	//     Negative turns barge-in off.
	Turns vad.Options
	// Detector makes each session's voice activity detector. Default:
	// Silero VAD when ONNX Runtime and its model can be had
	// (scripts/fetch-models.sh), else the pure-Go vad.EnergyDetector.
	Detector func() (vad.Detector, error)
}

// bargeInConfirm is ReplyOnPause's default barge-in confirmation: one
// detector window, so an interrupted reply stops within 100 ms.
const bargeInConfirm = 32 * time.Millisecond

// Turn events sent to the page, as {"type": "vad", "event": ...}.
const (
	eventStartedTalking = "started_talking"
	eventPauseDetected  = "pause_detected"
	eventReplyStarted   = "reply_started"
	eventReplyEnded     = "reply_ended"
	eventBargeIn        = "barge_in"
)

// ReplyOnPause makes an audio handler that listens, decides with voice
// activity detection when the user has finished speaking, and streams the
// reply reply yields. Talking over a reply (barge-in) cancels its ctx and
// drops the queued audio at once. The page is told of each step
// (started_talking, pause_detected, reply_started, reply_ended, barge_in).
//
// Use it as a send-receive audio handler, with Options.AudioInputRate set to
// 16000 (the detector's rate) to skip a resampling step:
//
//	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive,
//		rtcstream.ReplyOnPause(echo, nil), &rtcstream.Options{AudioInputRate: 16000})
func ReplyOnPause(reply ReplyFunc, opts *ReplyOnPauseOptions) AudioStreamFunc {
	var o ReplyOnPauseOptions
	if opts != nil {
		o = *opts
	}
	if o.Detector == nil {
		o.Detector = defaultDetector
	}
	if o.Turns.BargeIn == 0 {
		o.Turns.BargeIn = bargeInConfirm
	}
	return func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
		det, err := o.Detector()
		if err != nil {
			return err
		}
		if c, ok := det.(interface{ Close() error }); ok {
			defer c.Close()
		}
		turns, err := vad.NewPauseDetector(det, o.Turns)
		if err != nil {
			return err
		}
		t := &turnTaker{ctx: ctx, ss: sessionFrom(ctx), reply: reply, out: out, turns: turns, replies: make(chan bool, 4)}
		defer t.wg.Wait()
		defer t.cancelReply()
		return t.run(in)
	}
}

// turnTaker is one session's ReplyOnPause.
type turnTaker struct {
	ctx     context.Context
	ss      *session
	reply   ReplyFunc
	out     chan<- media.AudioFrame
	turns   *vad.PauseDetector
	replies chan bool // true: a reply started playing; false: it ended

	rs     *media.Resampler
	rsRate int
	mono   []int16
	pcm16  []int16
	pcmF   []float32
	events []vad.Event

	cancel context.CancelFunc
	done   chan struct{}
	wg     sync.WaitGroup
}

func (t *turnTaker) run(in <-chan media.AudioFrame) error {
	for {
		select {
		case f, ok := <-in:
			if !ok {
				return nil
			}
			if err := t.listen(f); err != nil {
				return err
			}
		case playing := <-t.replies:
			if playing {
				t.turns.ReplyStarted()
			} else {
				t.turns.ReplyEnded()
			}
		}
	}
}

// listen feeds one input frame to the detector and acts on its events.
func (t *turnTaker) listen(f media.AudioFrame) error {
	if t.rs == nil || t.rsRate != f.SampleRate {
		rs, err := media.NewResampler(f.SampleRate, vad.SampleRate, 1, media.QualityMedium)
		if err != nil {
			return err
		}
		t.rs, t.rsRate = rs, f.SampleRate
	}
	t.mono = media.ToMono(t.mono[:0], f.Samples, f.Channels)
	t.pcm16 = t.rs.Process(t.pcm16[:0], t.mono)
	t.pcmF = media.Int16ToFloat32(t.pcmF[:0], t.pcm16)
	var err error
	t.events, err = t.turns.Process(t.events[:0], f.Timestamp, t.pcmF)
	if err != nil && t.ss != nil {
		t.ss.log.Warn("voice activity detection failed", "err", err)
	}
	for _, ev := range t.events {
		switch ev.Type {
		case vad.StartedTalking:
			t.event(eventStartedTalking, ev, nil)
		case vad.PauseDetected:
			t.event(eventPauseDetected, ev, map[string]any{"utterance_seconds": ev.Duration().Seconds()})
			t.startReply(ev)
		case vad.BargeIn:
			t.cancelReply()
			if o := t.output(); o != nil {
				o.Flush()
			}
			t.event(eventBargeIn, ev, nil)
		}
	}
	return nil
}

// event tells the page about a turn.
func (t *turnTaker) event(name string, ev vad.Event, extra map[string]any) {
	if t.ss == nil {
		return
	}
	msg := map[string]any{"type": "vad", "event": name, "at": ev.At.Seconds()}
	for k, v := range extra {
		msg[k] = v
	}
	t.ss.send(msg)
}

// startReply runs the reply to a turn in its own goroutine, replacing any
// reply still playing. The reply is playing from its first frame until its
// last sample has been sent to the browser.
func (t *turnTaker) startReply(ev vad.Event) {
	t.cancelReply()
	ctx, cancel := context.WithCancel(t.ctx)
	t.cancel = cancel
	utterance := media.AudioFrame{
		Samples:    media.Float32ToInt16(nil, ev.Audio),
		SampleRate: vad.SampleRate,
		Channels:   1,
		Timestamp:  ev.AudioStart,
	}
	t.wg.Go(func() {
		defer cancel()
		started := false
		for f := range t.reply(ctx, utterance) {
			if !started {
				started = true
				t.notify(true)
				t.send(eventReplyStarted)
			}
			if t.play(ctx, f) != nil {
				return
			}
		}
		if !started {
			return
		}
		if o := t.output(); o != nil && o.WaitPlayed(ctx, o.End()) != nil {
			return
		}
		if ctx.Err() != nil {
			return // cut off: barge-in has already reset the turn state
		}
		t.notify(false)
		t.send(eventReplyEnded)
	})
}

// output is the session's audio output, or nil outside a session.
func (t *turnTaker) output() *pipeline.AudioOut {
	if t.ss == nil || t.ss.audio == nil {
		return nil
	}
	return t.ss.audio.out
}

// play queues a reply's frame to be played in full: on the session's
// output, or outside a session on the handler's out.
func (t *turnTaker) play(ctx context.Context, f media.AudioFrame) error {
	if o := t.output(); o != nil {
		return o.Queue(ctx, f)
	}
	select {
	case t.out <- f:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *turnTaker) notify(playing bool) {
	select {
	case t.replies <- playing:
	default:
	}
}

// cancelReply stops the reply in progress, if any. It does not wait: a
// reply that is slow to notice stops at its next frame, which is dropped.
func (t *turnTaker) cancelReply() {
	if t.cancel != nil {
		t.cancel()
		t.cancel = nil
	}
}

func (t *turnTaker) send(event string) {
	if t.ss != nil {
		t.ss.send(map[string]any{"type": "vad", "event": event})
	}
}

// The Silero model is loaded once per process and shared by sessions.
var (
	sileroOnce  sync.Once
	sileroModel *silero.Model
	sileroErr   error
)

// defaultDetector is Silero VAD when it can be had, else the energy
// detector.
func defaultDetector() (vad.Detector, error) {
	sileroOnce.Do(func() {
		sileroModel, sileroErr = silero.Open(silero.Options{})
		if sileroErr != nil {
			slog.Info("Silero VAD unavailable; ReplyOnPause uses the pure-Go energy detector", "reason", sileroErr)
		}
	})
	if sileroErr == nil {
		return sileroModel.NewDetector()
	}
	return vad.NewEnergyDetector(), nil
}
