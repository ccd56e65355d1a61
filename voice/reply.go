package voice

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/vad/silero"
)

// ReplyFunc is a voice agent's turn: given what the user said (mono,
// 16 kHz, with up to 200 ms of padding each side), it yields its reply as
// audio frames of any length and rate. ctx ends when the user talks over
// the reply (barge-in) or the session ends: stop yielding then; anything
// already queued is dropped.
type ReplyFunc func(ctx context.Context, utterance media.AudioFrame) iter.Seq[media.AudioFrame]

// ReplyOnPauseOptions configure ReplyOnPause. The zero value is ready.
type ReplyOnPauseOptions struct {
	// Turns configures turn-taking: speech thresholds, minimum speech, the
	// pause that ends a turn, maximum continuous speech, padding and
	// barge-in; vad.Options gives each default. Two are tuned most:
	//   - Turns.Pause (default 480 ms) is the silence that ends a turn;
	//     the reply starts about that long after the speech ends. Shorter
	//     answers sooner but ends hesitant speakers' turns early.
	//   - Turns.BargeIn is how much speech over a playing reply cancels
	//     it. ReplyOnPause's default is one 32 ms detector window, which
	//     stops the reply within 100 ms of the user's first sound (a cough
	//     can interrupt too); negative turns barge-in off.
	Turns vad.Options
	// Detector makes each session's voice activity detector. Default:
	// Silero VAD when ONNX Runtime and its model can be had, else the
	// pure-Go vad.EnergyDetector.
	Detector func() (vad.Detector, error)
}

// bargeInConfirm is ReplyOnPause's default barge-in confirmation: one
// detector window.
const bargeInConfirm = 32 * time.Millisecond

// The turn events sent to the page, as {"type": "vad", "event": name, ...}.
const (
	EventStartedTalking = "started_talking"
	EventPauseDetected  = "pause_detected"
	EventReplyStarted   = "reply_started"
	EventReplyEnded     = "reply_ended"
	EventBargeIn        = "barge_in"
)

// ReplyOnPause makes a send-receive audio handler that listens, decides
// with voice activity detection when the user has finished speaking, and
// plays the reply that reply yields, whole. Talking over a reply
// (barge-in) cancels its ctx and drops its queued audio at once. The page
// is told of each step as a "vad" message: started_talking,
// pause_detected, reply_started, reply_ended (once the reply's last sample
// has been sent) and barge_in; each carries "at", the stream time in
// seconds (to the millisecond). pause_detected also carries
// utterance_seconds (the utterance the reply gets: the speech and its
// padding), speech_seconds (the speech alone) and end_of_turn_seconds
// (from the end of the speech to the decision). The session's log names
// the detector when the handler starts ("voice: listening") and times
// each turn ("voice: turn": end of turn and first reply audio, from the
// end of the speech).
//
// Set Options.AudioInputRate to 16000 (the detector's rate) to skip a
// resampling step:
//
//	sayBack := func(ctx context.Context, u media.AudioFrame) iter.Seq[media.AudioFrame] {
//		return func(yield func(media.AudioFrame) bool) { yield(u) }
//	}
//	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive,
//		voice.ReplyOnPause(sayBack, nil), &rtcstream.Options{AudioInputRate: 16000})
//
// Outside a session (a test calling the handler directly) the reply's
// frames go to the handler's out channel and no events are sent.
func ReplyOnPause(reply ReplyFunc, opts *ReplyOnPauseOptions) rtcstream.AudioStreamFunc {
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
		t := &turnTaker{ctx: ctx, ss: rtcstream.SessionFrom(ctx), reply: reply, out: out, turns: turns, replies: make(chan bool, 4),
			detector: detectorName(det)}
		t.logger().Info("voice: listening", "detector", t.detector)
		defer t.wg.Wait()
		defer t.cancelReply()
		return t.run(in)
	}
}

// turnTaker is one session's ReplyOnPause.
type turnTaker struct {
	ctx     context.Context
	ss      *rtcstream.Session // nil outside a session
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
	wg     sync.WaitGroup

	detector string // its name, for the log
	ignored  int    // sounds the detector dropped, logged so far
}

// detectorName names a detector for the log: "silero", "energy", or its
// type.
func detectorName(d vad.Detector) string {
	switch d.(type) {
	case *silero.Detector:
		return "silero"
	case *vad.EnergyDetector:
		return "energy"
	}
	return fmt.Sprintf("%T", d)
}

// seconds is d in seconds, to the millisecond: 1.664, not
// 1.6640000000000001.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }

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
	if err != nil {
		t.logger().Warn("voice activity detection failed", "err", err)
	}
	if n, last := t.turns.Ignored(); n > t.ignored {
		t.ignored = n
		t.logger().Info("voice: a sound too short for a turn: no reply", "detector", t.detector,
			"at", last.Start.Round(time.Millisecond), "speech", last.Speech, "min_speech", last.MinSpeech)
	}
	for _, ev := range t.events {
		switch ev.Type {
		case vad.StartedTalking:
			t.event(EventStartedTalking, ev.At, nil)
		case vad.PauseDetected:
			// The utterance is what the reply gets: the speech and its
			// padding.
			utterance := time.Duration(len(ev.Audio)) * time.Second / vad.SampleRate
			t.event(EventPauseDetected, ev.At, map[string]any{"utterance_seconds": seconds(utterance),
				"speech_seconds": seconds(ev.Duration()), "end_of_turn_seconds": seconds(ev.At - ev.End)})
			t.startReply(ev)
		case vad.BargeIn:
			t.cancelReply()
			if t.ss != nil {
				t.ss.FlushAudio()
			}
			t.event(EventBargeIn, ev.At, nil)
		}
	}
	return nil
}

func (t *turnTaker) logger() *slog.Logger {
	if t.ss == nil {
		return slog.Default()
	}
	return t.ss.Logger()
}

// event tells the page about a turn; at < 0 leaves "at" out.
func (t *turnTaker) event(name string, at time.Duration, extra map[string]any) {
	if t.ss == nil {
		return
	}
	msg := map[string]any{"type": "vad", "event": name}
	if at >= 0 {
		msg["at"] = seconds(at)
	}
	for k, v := range extra {
		msg[k] = v
	}
	if err := t.ss.Send(msg); err != nil {
		t.logger().Warn("sending a turn event failed", "event", name, "err", err)
	}
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
	detected := time.Now()
	endOfTurn := ev.At - ev.End // end of speech to the pause detected
	t.wg.Go(func() {
		defer cancel()
		started := false
		for f := range t.reply(ctx, utterance) {
			if !started {
				started = true
				t.notify(true)
				t.event(EventReplyStarted, -1, nil)
				turn := rtcstream.Turn{Detector: t.detector, Utterance: utterance.Duration(), EndOfTurn: endOfTurn,
					FirstReply: endOfTurn + time.Since(detected)}
				t.logger().Info("voice: turn", "detector", t.detector, "utterance", turn.Utterance.Round(time.Millisecond),
					"end_of_turn", turn.EndOfTurn.Round(time.Millisecond), "first_reply_audio", turn.FirstReply.Round(time.Millisecond))
				if t.ss != nil {
					t.ss.ReportTurn(turn)
				}
			}
			if t.play(ctx, f) != nil {
				return
			}
		}
		if !started {
			return
		}
		if t.ss != nil && t.ss.WaitPlayed(ctx) != nil {
			return
		}
		if ctx.Err() != nil {
			return // cut off: barge-in has already reset the turn state
		}
		t.notify(false)
		t.event(EventReplyEnded, -1, nil)
	})
}

// play queues a reply's frame to be played whole: on the session, or
// outside one on the handler's out.
func (t *turnTaker) play(ctx context.Context, f media.AudioFrame) error {
	if t.ss != nil {
		return t.ss.Play(ctx, f)
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
