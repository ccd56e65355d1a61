package vad

import (
	"fmt"
	"time"
)

// Options configures a PauseDetector. The zero value means the defaults
// documented on each field. Durations are measured in whole windows of
// 32 ms (Window); a duration that is not a multiple of Window acts as the
// next multiple.
type Options struct {
	// Threshold is the speech probability at which a window starts speech
	// when none is going on. 0 means 0.5, Silero VAD's own default: its
	// probabilities cluster near 0 and 1, and 0.5 is where errors either
	// way are fewest on its authors' benchmarks.
	Threshold float32

	// Release is the probability below which going speech stops: windows
	// between Release and Threshold continue speech but do not start it
	// (hysteresis), so a word whose end scores 0.4 is not cut. 0 means
	// Threshold - 0.15 (0.35 by default), Silero's own offset, or
	// Threshold/2 if that is more. It must not exceed Threshold.
	Release float32

	// MinSpeech is how much speech a turn needs before it counts: a
	// StartedTalking and, later, a PauseDetected. Windows of speech add up
	// while the gaps between them stay shorter than Pause; a burst that
	// does not reach MinSpeech before a Pause of silence is dropped. 0 means
	// 250 ms (8 windows), Silero's min_speech_duration_ms: longer than a
	// cough, a click or a lip smack as the detectors score them, shorter
	// than a curt "no" (about 300 ms). Negative means one window.
	MinSpeech time.Duration

	// Pause is the silence that ends a turn: PauseDetected comes exactly
	// Pause after the end of the turn's last speech window, and a shorter
	// silence ("um... I think") leaves the turn open. 0 means 480 ms (15
	// windows, so the decision lands on a window boundary with no rounding):
	// pauses inside a turn (breaths, hesitations, between clauses) mostly
	// last 200-500 ms, while the gap between the turns of a conversation is
	// about 200 ms, so 480 ms keeps most hesitations in the turn and still
	// answers well inside a second. Raise it for slow or hesitant speakers;
	// every millisecond added is added to each reply's latency.
	Pause time.Duration

	// MaxSpeech is the longest a turn runs before it is ended (Reason
	// EndMaxSpeech) even though the speaker has not paused, so a monologue
	// or a stuck detector cannot grow a turn without end. 0 means 30 s,
	// about what speech recognisers take in one piece (Whisper's window).
	// Negative means no limit.
	MaxSpeech time.Duration

	// Padding is the audio kept before the first speech window and after
	// the last in a turn's audio, so that a soft first syllable (an "h", an
	// "s", a plosive's burst) that the detector scores low is not cut off,
	// nor a trailing consonant. 0 means 200 ms. Negative means none. The
	// padding after the turn is capped at Pause.
	Padding time.Duration

	// BargeIn is how long the speaker must talk over a reply (between
	// ReplyStarted and ReplyEnded) before BargeIn is emitted: long enough
	// that a click or a cough does not cancel the reply, short enough that
	// the reply stops while the speaker is on the first word. 0 means
	// 150 ms (5 windows, 160 ms). Negative turns barge-in off: speech over
	// a reply then only makes turns.
	BargeIn time.Duration
}

// Defaults of Options.
const (
	DefaultThreshold = 0.5
	DefaultMinSpeech = 250 * time.Millisecond
	DefaultPause     = 480 * time.Millisecond
	DefaultMaxSpeech = 30 * time.Second
	DefaultPadding   = 200 * time.Millisecond
	DefaultBargeIn   = 150 * time.Millisecond

	// defaultHysteresis is Release's default distance below Threshold.
	defaultHysteresis = 0.15
)

// settings are Options resolved: defaults applied, durations in windows or
// samples.
type settings struct {
	threshold, release float32
	minSpeech          int   // windows
	pause              int64 // samples, a whole number of windows
	maxSpeech          int64 // samples, a whole number of windows; 0: no limit
	padding            int64 // samples
	bargeIn            int   // windows; 0: off
}

// windows returns d in windows, rounded up.
func windows(d time.Duration) int {
	return int((d + Window - 1) / Window)
}

func (o Options) resolve() (settings, error) {
	var s settings
	s.threshold = o.Threshold
	if s.threshold == 0 {
		s.threshold = DefaultThreshold
	}
	if !(s.threshold > 0 && s.threshold <= 1) {
		return s, fmt.Errorf("vad: Threshold %v is not in (0, 1]", o.Threshold)
	}
	s.release = o.Release
	if s.release == 0 {
		s.release = max(s.threshold-defaultHysteresis, s.threshold/2)
	}
	if !(s.release > 0 && s.release <= s.threshold) {
		return s, fmt.Errorf("vad: Release %v is not in (0, Threshold %v]", o.Release, s.threshold)
	}

	switch {
	case o.MinSpeech == 0:
		s.minSpeech = windows(DefaultMinSpeech)
	case o.MinSpeech < 0:
		s.minSpeech = 1
	default:
		s.minSpeech = windows(o.MinSpeech)
	}

	pause := o.Pause
	if pause == 0 {
		pause = DefaultPause
	}
	if pause < 0 {
		return s, fmt.Errorf("vad: negative Pause %v", o.Pause)
	}
	s.pause = int64(windows(pause)) * WindowSize

	switch {
	case o.MaxSpeech == 0:
		s.maxSpeech = int64(windows(DefaultMaxSpeech)) * WindowSize
	case o.MaxSpeech > 0:
		s.maxSpeech = int64(windows(o.MaxSpeech)) * WindowSize
	}

	switch {
	case o.Padding == 0:
		s.padding = samples(DefaultPadding)
	case o.Padding > 0:
		s.padding = samples(o.Padding)
	}

	switch {
	case o.BargeIn == 0:
		s.bargeIn = windows(DefaultBargeIn)
	case o.BargeIn > 0:
		s.bargeIn = windows(o.BargeIn)
	}
	return s, nil
}

// nsPerSample is the length of one sample at SampleRate, exactly.
const nsPerSample = int64(time.Second) / SampleRate

// samples converts d to a number of samples at SampleRate, rounding to the
// nearest.
func samples(d time.Duration) int64 {
	if d < 0 {
		return -((-int64(d) + nsPerSample/2) / nsPerSample)
	}
	return (int64(d) + nsPerSample/2) / nsPerSample
}

// duration converts a sample count at SampleRate to a duration.
func duration(n int64) time.Duration {
	return time.Duration(n * nsPerSample)
}
