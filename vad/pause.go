package vad

import (
	"errors"
	"fmt"
	"time"
)

// PauseDetector finds turns in a stream of audio: it tells when the speaker
// starts talking, when a pause ends the turn (with the turn's audio, the
// moment to reply) and when the speaker talks over a reply (barge-in).
//
// It is a pure state machine driven by the audio's own clock: no
// goroutines, no timers, no wall clock. Feed it the stream's audio with
// Process, in order; it cuts the audio into windows of WindowSize samples,
// scores each with its Detector, and decides at the end of each window, so
// the same audio always gives the same events at the same stream times.
//
// Per window, speech starts when the probability reaches Threshold and goes
// on while it stays at or above Release. A turn begins at its first speech
// window, counts once it has MinSpeech of speech (StartedTalking), and ends
// when Pause has passed since its last speech window (PauseDetected, Reason
// EndPause) or when it reaches MaxSpeech (EndMaxSpeech). Silences shorter
// than Pause stay inside the turn.
//
// Barge-in: tell the detector when a reply starts and stops playing
// (ReplyStarted, ReplyEnded). While a reply plays, BargeIn is emitted once
// the speaker has talked for Options.BargeIn; the detector then considers
// the reply stopped. The reply's own sound must not reach the input: keep
// the browser's echo cancellation on (getUserMedia's echoCancellation, the
// default), or the reply barges in on itself.
//
// A PauseDetector is not safe for concurrent use; use one per stream. It
// does not keep the slices given to Process. The Audio of a PauseDetected
// event is a new slice that belongs to the caller.
type PauseDetector struct {
	det Detector
	set settings

	started bool  // whether the clock is set
	next    int64 // sample index of the next sample expected

	win      [WindowSize]float32 // the window being filled
	nwin     int                 // samples in win
	winGap   int                 // samples of win that are filled-in gaps
	winStart int64               // sample index of win[0]

	// buf holds the audio from bufStart up to next: the last Padding
	// before the next window when idle, the whole turn and its padding
	// otherwise.
	buf      []float32
	bufStart int64

	active     bool // speech is going on (hysteresis state)
	state      turnState
	onset      int64 // sample index where the turn's speech starts
	audioFrom  int64 // sample index where the turn's audio starts
	lastSpeech int64 // sample index of the end of the last speech window
	speech     int   // speech windows in the turn so far

	replying bool
	barge    int // speech windows heard over the reply so far

	ignored     int     // sounds dropped as too short for a turn
	lastIgnored Ignored // the last of them
}

// Ignored is a sound the PauseDetector dropped as no turn: it held less
// than MinSpeech of speech (a cough, a click, a short noise) before a
// Pause of silence.
type Ignored struct {
	Start, End time.Duration // the sound's first and last speech windows
	Speech     time.Duration // the speech it held (windows scored as speech)
	MinSpeech  time.Duration // what a turn needs
}

// Ignored reports how many sounds the detector has dropped as too short
// for a turn, and the last of them: why a sound got no reply.
func (p *PauseDetector) Ignored() (n int, last Ignored) { return p.ignored, p.lastIgnored }

type turnState int

const (
	idle      turnState = iota
	candidate           // speech heard, less than MinSpeech so far
	talking             // a turn: StartedTalking was emitted
)

// NewPauseDetector returns a PauseDetector that scores windows with det.
// It errors if det is nil or opts are out of range.
func NewPauseDetector(det Detector, opts Options) (*PauseDetector, error) {
	if det == nil {
		return nil, errors.New("vad: nil Detector")
	}
	set, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	return &PauseDetector{det: det, set: set}, nil
}

// Process feeds pcm, audio at SampleRate whose first sample is at stream
// time at, and appends the events it causes to dst, in order, returning
// the extended slice (as append does). Events come only at the ends of
// windows, so audio that does not fill a window waits for the next call.
//
// The first call sets the clock. Later, a timestamp past the end of the
// audio received so far means a gap (lost packets, a muted track): the gap
// counts as silence, and its whole windows are not given to the Detector.
// A timestamp before it is taken to follow on without a gap (the clock
// never goes back), so a caller with no timestamps may pass 0 every time.
//
// A Detector error does not stop Process: the window counts as silence,
// the rest of pcm is processed, and the first error is returned with the
// events.
func (p *PauseDetector) Process(dst []Event, at time.Duration, pcm []float32) ([]Event, error) {
	s := samples(at)
	if !p.started {
		p.started = true
		p.next, p.winStart, p.bufStart = s, s, s
	} else if s > p.next {
		dst = p.gap(dst, s-p.next)
	}
	var first error
	for len(pcm) > 0 {
		n := min(len(pcm), WindowSize-p.nwin)
		copy(p.win[p.nwin:], pcm[:n])
		p.buf = append(p.buf, pcm[:n]...)
		p.nwin += n
		p.next += int64(n)
		pcm = pcm[n:]
		if p.nwin == WindowSize {
			var err error
			if dst, err = p.score(dst); err != nil && first == nil {
				first = err
			}
		}
	}
	return dst, first
}

// gap feeds n samples of silence.
func (p *PauseDetector) gap(dst []Event, n int64) []Event {
	for n > 0 {
		if p.state == idle && p.nwin == 0 && n >= WindowSize {
			// Nothing is going on: skip whole windows at once, keeping only
			// the padding's worth of silence before the next window.
			k := n / WindowSize * WindowSize
			p.active = false
			p.winStart += k
			p.next += k
			n -= k
			if keep := min(k, p.set.padding); keep == k {
				p.buf = append(p.buf, make([]float32, keep)...)
			} else {
				p.buf = append(p.buf[:0], make([]float32, keep)...)
				p.bufStart = p.next - keep
			}
			p.trim()
			continue
		}
		m := min(n, int64(WindowSize-p.nwin))
		clear(p.win[p.nwin : p.nwin+int(m)])
		p.buf = append(p.buf, make([]float32, m)...)
		p.nwin += int(m)
		p.winGap += int(m)
		p.next += m
		n -= m
		if p.nwin == WindowSize {
			dst, _ = p.score(dst) // a window of gap alone is not scored
		}
	}
	return dst
}

// score scores the full window and decides on it.
func (p *PauseDetector) score(dst []Event) ([]Event, error) {
	var prob float32
	var err error
	if p.winGap < WindowSize {
		if prob, err = p.det.Prob(p.win[:]); err != nil {
			prob = 0
			err = fmt.Errorf("vad: window at %v: %w", duration(p.winStart), err)
		}
	}
	dst = p.step(dst, prob)
	p.nwin, p.winGap = 0, 0
	p.winStart += WindowSize
	if p.state == idle {
		p.trim()
	}
	return dst, err
}

// step decides on the window [winStart, winStart+WindowSize) that scored
// prob.
func (p *PauseDetector) step(dst []Event, prob float32) []Event {
	t0, t1 := p.winStart, p.winStart+WindowSize
	if p.active {
		p.active = prob >= p.set.release
	} else {
		p.active = prob >= p.set.threshold
	}
	switch {
	case p.state == idle && p.active:
		p.state = candidate
		p.onset = t0
		p.audioFrom = max(t0-p.set.padding, p.bufStart)
		p.speech, p.barge = 0, 0
		fallthrough
	case p.state != idle && p.active:
		p.speech++
		p.lastSpeech = t1
		if p.replying {
			p.barge++
			if p.set.bargeIn > 0 && p.barge >= p.set.bargeIn {
				p.replying = false
				dst = append(dst, Event{Type: BargeIn, At: duration(t1), Start: duration(p.onset)})
			}
		}
		if p.state == candidate && p.speech >= p.set.minSpeech {
			p.state = talking
			dst = append(dst, Event{Type: StartedTalking, At: duration(t1), Start: duration(p.onset)})
		}
	case p.state != idle && t1-p.lastSpeech >= p.set.pause:
		if p.state == talking {
			return p.end(dst, t1, EndPause)
		}
		p.state = idle // too little speech: a cough, a click
		p.ignored++
		p.lastIgnored = Ignored{Start: duration(p.onset), End: duration(p.lastSpeech),
			Speech: duration(int64(p.speech) * WindowSize), MinSpeech: duration(int64(p.set.minSpeech) * WindowSize)}
	}
	if p.state == talking && p.set.maxSpeech > 0 && t1-p.onset >= p.set.maxSpeech {
		if !p.active {
			return p.end(dst, t1, EndMaxSpeech)
		}
		// Cut at t1 and carry on with a new turn from there.
		dst = append(dst, p.event(t1, p.onset, t1, p.audioFrom, t1, EndMaxSpeech))
		p.onset, p.audioFrom, p.speech = t1, t1, 0
		dst = append(dst, Event{Type: StartedTalking, At: duration(t1), Start: duration(t1)})
	}
	return dst
}

// end ends the turn at time at, its speech having ended at p.lastSpeech.
func (p *PauseDetector) end(dst []Event, at int64, why EndReason) []Event {
	bufEnd := p.bufStart + int64(len(p.buf))
	audioEnd := min(p.lastSpeech+min(p.set.padding, p.set.pause), bufEnd)
	dst = append(dst, p.event(at, p.onset, p.lastSpeech, p.audioFrom, audioEnd, why))
	p.state = idle
	p.speech, p.barge = 0, 0
	return dst
}

// event makes a PauseDetected with a copy of the audio from..to.
func (p *PauseDetector) event(at, start, end, from, to int64, why EndReason) Event {
	audio := make([]float32, to-from)
	copy(audio, p.buf[from-p.bufStart:to-p.bufStart])
	return Event{
		Type:       PauseDetected,
		At:         duration(at),
		Start:      duration(start),
		End:        duration(end),
		Reason:     why,
		Audio:      audio,
		AudioStart: duration(from),
	}
}

// trim drops the audio that an idle detector no longer needs: all but the
// padding before the next window. It moves the audio down only once enough
// is dropped, so that the cost per sample stays constant.
func (p *PauseDetector) trim() {
	drop := p.winStart - p.set.padding - p.bufStart
	if drop <= 0 || drop < int64(len(p.buf))/2 {
		return
	}
	n := copy(p.buf, p.buf[drop:])
	p.buf = p.buf[:n]
	p.bufStart += drop
}

// Flush ends the turn now, as if the pause had passed: if a turn has
// started (StartedTalking was emitted), it appends a PauseDetected with
// Reason EndFlush, At the end of the audio received so far. Speech that has
// not reached MinSpeech is dropped. Use it when the caller knows the turn
// is over (a push-to-talk button released, the stream ending). Audio that
// does not fill a window stays for the next window.
func (p *PauseDetector) Flush(dst []Event) []Event {
	if p.state == talking {
		dst = p.end(dst, p.next, EndFlush)
	}
	p.state = idle
	p.active = false
	p.speech, p.barge = 0, 0
	return dst
}

// ReplyStarted tells the detector that a reply started to play: from now
// until ReplyEnded or a BargeIn, speech for Options.BargeIn emits BargeIn.
// Only speech heard after the call counts. Calling it while a reply plays
// restarts the count.
func (p *PauseDetector) ReplyStarted() {
	p.replying = true
	p.barge = 0
}

// ReplyEnded tells the detector that the reply finished playing or was
// cancelled. It is safe to call more than once.
func (p *PauseDetector) ReplyEnded() {
	p.replying = false
	p.barge = 0
}

// Reset returns the detector to its state before the first Process, for a
// new stream: it drops the turn in progress without an event, forgets the
// clock and the reply, and resets the Detector.
func (p *PauseDetector) Reset() {
	p.det.Reset()
	buf := p.buf[:0]
	*p = PauseDetector{det: p.det, set: p.set, buf: buf}
}
