package vad

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// scripted is a Detector for testing the state machine alone: a window's
// probability is its largest sample, so a test writes the probabilities
// into the audio itself, and gaps (zeros) score 0.
type scripted struct {
	calls, resets int
	fail          map[int]bool // calls that return an error
}

func (s *scripted) Prob(window []float32) (float32, error) {
	s.calls++
	if len(window) != WindowSize {
		return 0, fmt.Errorf("window of %d samples", len(window))
	}
	if s.fail[s.calls] {
		return 0, errors.New("scripted failure")
	}
	return slices.Max(window), nil
}

func (s *scripted) Reset() { s.resets++ }

// script makes audio with one window per character: '.' scores 0, '#'
// 0.9, '-' 0.4 (between the default Release and Threshold), '_' 0.3 (below
// Release).
func script(s string) []float32 {
	level := map[rune]float32{'.': 0, '#': 0.9, '-': 0.4, '_': 0.3}
	var pcm []float32
	for _, c := range s {
		v, ok := level[c]
		if !ok {
			panic("script: bad character " + string(c))
		}
		for range WindowSize {
			pcm = append(pcm, v)
		}
	}
	return pcm
}

// w returns the time of n windows.
func w(n int) time.Duration { return time.Duration(n) * Window }

func newPD(t *testing.T, opts Options) (*PauseDetector, *scripted) {
	t.Helper()
	det := &scripted{}
	p, err := NewPauseDetector(det, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p, det
}

// feed gives pcm to p in frames of frame samples from time at, with
// contiguous timestamps, and returns the events.
func feed(t *testing.T, p *PauseDetector, at time.Duration, pcm []float32, frame int) []Event {
	t.Helper()
	var events []Event
	for i := 0; i < len(pcm); i += frame {
		var err error
		events, err = p.Process(events, at+duration(int64(i)), pcm[i:min(i+frame, len(pcm))])
		if err != nil {
			t.Fatal(err)
		}
	}
	return events
}

// summary is an event without its audio, for comparing.
type summary struct {
	Type                       EventType
	At, Start, End, AudioStart time.Duration
	Reason                     EndReason
	AudioLen                   time.Duration
}

func summarize(events []Event) []summary {
	var s []summary
	for _, e := range events {
		s = append(s, summary{e.Type, e.At, e.Start, e.End, e.AudioStart, e.Reason, duration(int64(len(e.Audio)))})
	}
	return s
}

func started(at, start time.Duration) summary {
	return summary{Type: StartedTalking, At: at, Start: start}
}

func barge(at, start time.Duration) summary {
	return summary{Type: BargeIn, At: at, Start: start}
}

// paused describes a PauseDetected in a stream that starts at 0, so its
// audio starts at 0 at the earliest.
func paused(at, start, end time.Duration, why EndReason, audioStart, audioEnd time.Duration) summary {
	audioStart = max(audioStart, 0)
	return summary{PauseDetected, at, start, end, audioStart, why, audioEnd - audioStart}
}

func checkEvents(t *testing.T, got []Event, want ...summary) {
	t.Helper()
	g := summarize(got)
	if !slices.Equal(g, want) {
		var b strings.Builder
		for _, e := range g {
			fmt.Fprintf(&b, "\n\t%+v", e)
		}
		b.WriteString("\nwant:")
		for _, e := range want {
			fmt.Fprintf(&b, "\n\t%+v", e)
		}
		t.Errorf("events:%s", b.String())
	}
}

// checkAudio checks that each PauseDetected carries exactly the input
// between AudioStart and AudioStart+len(Audio), the input starting at t0.
func checkAudio(t *testing.T, events []Event, t0 time.Duration, pcm []float32) {
	t.Helper()
	for _, e := range events {
		if e.Type != PauseDetected {
			continue
		}
		from := samples(e.AudioStart - t0)
		if from < 0 || from+int64(len(e.Audio)) > int64(len(pcm)) || !slices.Equal(e.Audio, pcm[from:from+int64(len(e.Audio))]) {
			t.Errorf("%v: the audio is not the input from %v", e, e.AudioStart)
		}
	}
}

func TestTurn(t *testing.T) {
	p, _ := newPD(t, Options{})
	pcm := script(strings.Repeat(".", 10) + strings.Repeat("#", 20) + strings.Repeat(".", 20))
	events := feed(t, p, 0, pcm, 320)
	// StartedTalking after MinSpeech (8 windows); PauseDetected exactly
	// Pause (480 ms, 15 windows) after the last speech window; the audio
	// has 200 ms of padding on each side.
	checkEvents(t, events,
		started(w(18), w(10)),
		paused(w(30)+480*time.Millisecond, w(10), w(30), EndPause, w(10)-200*time.Millisecond, w(30)+200*time.Millisecond))
	checkAudio(t, events, 0, pcm)
	if d := events[1].Duration(); d != w(20) {
		t.Errorf("Duration %v, want %v", d, w(20))
	}
	if d := events[0].Duration(); d != 0 {
		t.Errorf("StartedTalking's Duration %v, want 0", d)
	}
}

func TestFrameSizesAndTimestamps(t *testing.T) {
	pcm := script("....####.#######................-#########-_....#####.......................")
	p, _ := newPD(t, Options{})
	want := summarize(feed(t, p, 0, pcm, len(pcm)))
	if len(want) != 4 {
		t.Fatalf("%d events: %+v", len(want), want)
	}
	for _, frame := range []int{1, 7, 160, 320, 480, 512, 960, 1000} {
		p, _ := newPD(t, Options{})
		if got := summarize(feed(t, p, 0, pcm, frame)); !slices.Equal(got, want) {
			t.Errorf("frames of %d samples: %+v, want %+v", frame, got, want)
		}
	}
	// The clock starts at the first timestamp.
	p, _ = newPD(t, Options{})
	at := 3*time.Hour + 5*time.Millisecond
	events := feed(t, p, at, pcm, 320)
	for i, e := range summarize(events) {
		e.At -= at
		e.Start -= at
		if e.Type == PauseDetected {
			e.End -= at
			e.AudioStart -= at
		}
		if e != want[i] {
			t.Errorf("from %v: event %d is %+v, want %+v", at, i, e, want[i])
		}
	}
	checkAudio(t, events, at, pcm)
	// Timestamps that run back are taken as contiguous.
	p, _ = newPD(t, Options{})
	var got []Event
	for i := 0; i < len(pcm); i += 320 {
		got, _ = p.Process(got, 0, pcm[i:min(i+320, len(pcm))])
	}
	if !slices.Equal(summarize(got), want) {
		t.Errorf("with timestamp 0 throughout: %+v, want %+v", summarize(got), want)
	}
}

func TestHesitation(t *testing.T) {
	// "um... I think": a silence shorter than Pause stays in the turn.
	p, _ := newPD(t, Options{})
	pcm := script("...##########" + strings.Repeat(".", 14) + "##########" + strings.Repeat(".", 20))
	checkEvents(t, feed(t, p, 0, pcm, 320),
		started(w(11), w(3)),
		paused(w(37)+w(15), w(3), w(37), EndPause, w(3)-200*time.Millisecond, w(37)+200*time.Millisecond))

	// A silence of exactly Pause ends it.
	p, _ = newPD(t, Options{})
	pcm = script("...##########" + strings.Repeat(".", 15) + "##########" + strings.Repeat(".", 20))
	checkEvents(t, feed(t, p, 0, pcm, 320),
		started(w(11), w(3)),
		paused(w(13)+w(15), w(3), w(13), EndPause, w(3)-200*time.Millisecond, w(13)+200*time.Millisecond),
		started(w(36), w(28)),
		paused(w(38)+w(15), w(28), w(38), EndPause, w(28)-200*time.Millisecond, w(38)+200*time.Millisecond))

	// A longer Pause keeps that one turn.
	p, _ = newPD(t, Options{Pause: 600 * time.Millisecond}) // 19 windows (608 ms)
	checkEvents(t, feed(t, p, 0, pcm, 320),
		started(w(11), w(3)),
		paused(w(38)+w(19), w(3), w(38), EndPause, w(3)-200*time.Millisecond, w(38)+200*time.Millisecond))
}

func TestMinSpeech(t *testing.T) {
	// 7 windows (224 ms) of speech is a click or a cough: no turn.
	p, det := newPD(t, Options{})
	if events := feed(t, p, 0, script("...#######"+strings.Repeat(".", 40)), 320); len(events) != 0 {
		t.Errorf("224 ms of speech made %v", summarize(events))
	}
	if det.calls != 50 {
		t.Errorf("%d windows scored, want 50", det.calls)
	}
	// It is reported as ignored, with why.
	if n, last := p.Ignored(); n != 1 || last.Start != w(3) || last.End != w(10) || last.Speech != w(7) || last.MinSpeech != w(8) {
		t.Errorf("Ignored: %d, %+v; want 1, windows 3 to 10, 7 of speech, 8 needed", n, last)
	}
	// 8 windows is a turn.
	p, _ = newPD(t, Options{})
	checkEvents(t, feed(t, p, 0, script("...########"+strings.Repeat(".", 40)), 320),
		started(w(11), w(3)),
		paused(w(26), w(3), w(11), EndPause, w(3)-200*time.Millisecond, w(11)+200*time.Millisecond))
	// Speech adds up across gaps shorter than Pause, and the turn starts
	// at the first burst.
	p, _ = newPD(t, Options{})
	checkEvents(t, feed(t, p, 0, script("...####.....####"+strings.Repeat(".", 40)), 320),
		started(w(16), w(3)),
		paused(w(31), w(3), w(16), EndPause, w(3)-200*time.Millisecond, w(16)+200*time.Millisecond))
	// A burst that a Pause of silence follows is forgotten.
	p, _ = newPD(t, Options{})
	checkEvents(t, feed(t, p, 0, script("...####"+strings.Repeat(".", 15)+"####"+strings.Repeat(".", 40)), 320))
	// MinSpeech is rounded up to whole windows; negative means one window.
	p, _ = newPD(t, Options{MinSpeech: 100 * time.Millisecond})
	checkEvents(t, feed(t, p, 0, script("...####"+strings.Repeat(".", 20)), 320),
		started(w(7), w(3)),
		paused(w(22), w(3), w(7), EndPause, w(3)-200*time.Millisecond, w(7)+200*time.Millisecond))
	p, _ = newPD(t, Options{MinSpeech: -1})
	checkEvents(t, feed(t, p, 0, script("...#"+strings.Repeat(".", 20)), 320),
		started(w(4), w(3)),
		paused(w(19), w(3), w(4), EndPause, w(3)-200*time.Millisecond, w(4)+200*time.Millisecond))
}

func TestHysteresis(t *testing.T) {
	// 0.4 continues speech (above Release 0.35) but does not start it.
	p, _ := newPD(t, Options{})
	checkEvents(t, feed(t, p, 0, script("..----------"+"########"+"----------"+strings.Repeat("_", 15)+"...."), 320),
		started(w(20), w(12)),
		paused(w(30)+w(15), w(12), w(30), EndPause, w(12)-200*time.Millisecond, w(30)+200*time.Millisecond))
	// With Release at Threshold there is no hysteresis.
	p, _ = newPD(t, Options{Release: 0.5})
	checkEvents(t, feed(t, p, 0, script("..########----------"+strings.Repeat(".", 15)), 320),
		started(w(10), w(2)),
		paused(w(25), w(2), w(10), EndPause, w(2)-200*time.Millisecond, w(10)+200*time.Millisecond))
	// A lower Threshold starts on 0.4.
	p, _ = newPD(t, Options{Threshold: 0.4, Release: 0.2})
	checkEvents(t, feed(t, p, 0, script("..--------"+strings.Repeat(".", 15)), 320),
		started(w(10), w(2)),
		paused(w(25), w(2), w(10), EndPause, w(2)-200*time.Millisecond, w(10)+200*time.Millisecond))
}

func TestMaxSpeech(t *testing.T) {
	p, _ := newPD(t, Options{MaxSpeech: w(32)})
	pcm := script(".........." + strings.Repeat("#", 80) + strings.Repeat(".", 20))
	events := feed(t, p, 0, pcm, 320)
	cut1, cut2 := w(10+32), w(10+64)
	checkEvents(t, events,
		started(w(18), w(10)),
		paused(cut1, w(10), cut1, EndMaxSpeech, w(10)-200*time.Millisecond, cut1),
		started(cut1, cut1),
		paused(cut2, cut1, cut2, EndMaxSpeech, cut1, cut2),
		started(cut2, cut2),
		paused(w(90)+w(15), cut2, w(90), EndPause, cut2, w(90)+200*time.Millisecond))
	checkAudio(t, events, 0, pcm)

	// A turn that reaches MaxSpeech during a pause ends there, with the
	// audio up to its last speech window and its padding.
	p, _ = newPD(t, Options{MaxSpeech: w(32)})
	checkEvents(t, feed(t, p, 0, script(strings.Repeat("#", 25)+strings.Repeat(".", 30)), 320),
		started(w(8), 0),
		paused(w(32), 0, w(25), EndMaxSpeech, 0, w(25)+200*time.Millisecond))

	// Negative: no limit.
	p, _ = newPD(t, Options{MaxSpeech: -1})
	if n := len(feed(t, p, 0, script(strings.Repeat("#", 2000)), 5120)); n != 1 {
		t.Errorf("64 s of speech with no MaxSpeech: %d events, want 1", n)
	}
}

func TestPadding(t *testing.T) {
	// At the start of the stream the padding is cut to what was heard.
	p, _ := newPD(t, Options{})
	pcm := script("..##########" + strings.Repeat(".", 20))
	events := feed(t, p, 0, pcm, 320)
	checkEvents(t, events,
		started(w(10), w(2)),
		paused(w(27), w(2), w(12), EndPause, 0, w(12)+200*time.Millisecond))
	checkAudio(t, events, 0, pcm)

	// None.
	p, _ = newPD(t, Options{Padding: -1})
	pcm = script(strings.Repeat(".", 20) + "##########" + strings.Repeat(".", 20))
	events = feed(t, p, 0, pcm, 320)
	checkEvents(t, events,
		started(w(28), w(20)),
		paused(w(45), w(20), w(30), EndPause, w(20), w(30)))
	checkAudio(t, events, 0, pcm)

	// Longer than Pause: the trailing padding stops at the decision.
	p, _ = newPD(t, Options{Padding: time.Second, Pause: w(10)})
	events = feed(t, p, 0, pcm, 320)
	checkEvents(t, events,
		started(w(28), w(20)),
		paused(w(40), w(20), w(30), EndPause, 0, w(40)))
	checkAudio(t, events, 0, pcm)

	// Not a whole number of windows.
	p, _ = newPD(t, Options{Padding: 10 * time.Millisecond})
	events = feed(t, p, 0, pcm, 333)
	checkEvents(t, events,
		started(w(28), w(20)),
		paused(w(45), w(20), w(30), EndPause, w(20)-10*time.Millisecond, w(30)+10*time.Millisecond))
	checkAudio(t, events, 0, pcm)
}

func TestBargeIn(t *testing.T) {
	// The reply plays; the speaker talks over it: BargeIn after 150 ms
	// (5 windows), before StartedTalking (8 windows).
	p, _ := newPD(t, Options{})
	p.ReplyStarted()
	checkEvents(t, feed(t, p, 0, script("....##########"+strings.Repeat(".", 15)), 320),
		barge(w(9), w(4)),
		started(w(12), w(4)),
		paused(w(29), w(4), w(14), EndPause, w(4)-200*time.Millisecond, w(14)+200*time.Millisecond))

	// BargeIn comes once per reply.
	p, _ = newPD(t, Options{})
	p.ReplyStarted()
	events := feed(t, p, 0, script("....##########"+strings.Repeat(".", 15)+"##########"+strings.Repeat(".", 15)), 320)
	if n := count(events, BargeIn); n != 1 {
		t.Errorf("%d BargeIn events for one reply, want 1", n)
	}

	// A cough (3 windows) over a reply does not interrupt it.
	p, _ = newPD(t, Options{})
	p.ReplyStarted()
	checkEvents(t, feed(t, p, 0, script("....###"+strings.Repeat(".", 20)), 320))

	// No reply playing, or ended, or barge-in off: no BargeIn.
	for name, setup := range map[string]func(*PauseDetector){
		"no reply":    func(*PauseDetector) {},
		"reply ended": func(p *PauseDetector) { p.ReplyStarted(); p.ReplyEnded(); p.ReplyEnded() },
	} {
		p, _ := newPD(t, Options{})
		setup(p)
		if n := count(feed(t, p, 0, script("....##########"+strings.Repeat(".", 15)), 320), BargeIn); n != 0 {
			t.Errorf("%s: %d BargeIn events", name, n)
		}
	}
	p, _ = newPD(t, Options{BargeIn: -1})
	p.ReplyStarted()
	if n := count(feed(t, p, 0, script("....##########"+strings.Repeat(".", 15)), 320), BargeIn); n != 0 {
		t.Errorf("BargeIn off: %d BargeIn events", n)
	}

	// Only speech after ReplyStarted counts: the speaker is mid-turn when
	// the reply starts (a reply to an earlier turn), and BargeIn comes 5
	// speech windows later.
	p, _ = newPD(t, Options{BargeIn: 100 * time.Millisecond}) // 4 windows
	events = feed(t, p, 0, script("..##########"), 320)
	p.ReplyStarted()
	events = append(events, feed(t, p, w(12), script("..######"), 320)...)
	checkEvents(t, events, started(w(10), w(2)), barge(w(18), w(2)))

	// Longer than MinSpeech: BargeIn after StartedTalking.
	p, _ = newPD(t, Options{BargeIn: 400 * time.Millisecond}) // 13 windows
	p.ReplyStarted()
	checkEvents(t, feed(t, p, 0, script("..##############"), 320), started(w(10), w(2)), barge(w(15), w(2)))
}

func count(events []Event, typ EventType) int {
	n := 0
	for _, e := range events {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func TestGaps(t *testing.T) {
	// A gap inside a turn counts as silence: shorter than Pause, the turn
	// goes on; the gap's audio is zeros, and whole windows of gap are not
	// scored.
	p, det := newPD(t, Options{})
	events := feed(t, p, 0, script("..##########"), 320)
	events = append(events, feed(t, p, w(12)+w(10), script("##########"+strings.Repeat(".", 20)), 320)...)
	checkEvents(t, events,
		started(w(10), w(2)),
		paused(w(32)+w(15), w(2), w(32), EndPause, 0, w(32)+200*time.Millisecond))
	if det.calls != 12+30 {
		t.Errorf("%d windows scored, want %d", det.calls, 12+30)
	}
	for i, v := range events[1].Audio[samples(w(12)):samples(w(22))] {
		if v != 0 {
			t.Fatalf("gap sample %d is %v, not silence", i, v)
		}
	}

	// A gap as long as Pause ends the turn at the same moment as silence.
	p, _ = newPD(t, Options{})
	events = feed(t, p, 0, script("..##########"), 320)
	events = append(events, feed(t, p, w(12)+time.Minute, script("....."), 320)...)
	checkEvents(t, events,
		started(w(10), w(2)),
		paused(w(27), w(2), w(12), EndPause, 0, w(12)+200*time.Millisecond))

	// An hour's gap while idle costs nothing, and the padding before the
	// next turn is the gap's silence.
	p, det = newPD(t, Options{})
	feed(t, p, 0, script("...."), 320)
	det.calls = 0
	resume := w(4) + time.Hour + 7*time.Millisecond
	pcm := script("##########" + strings.Repeat(".", 20))
	events = feed(t, p, resume, pcm, 320)
	if det.calls != 30 { // the first starts 7 ms into the gap
		t.Errorf("%d windows scored after the gap, want 30", det.calls)
	}
	if len(events) != 2 || events[1].AudioStart >= resume || events[1].Start > resume+Window {
		t.Errorf("after the gap: %+v", summarize(events))
	}
	for _, v := range events[1].Audio[:samples(resume-events[1].AudioStart)] {
		if v != 0 {
			t.Fatal("the padding from the gap is not silence")
		}
	}
}

func TestFlush(t *testing.T) {
	p, _ := newPD(t, Options{})
	events := feed(t, p, 0, script("..##########"), 300)
	events = p.Flush(events)
	checkEvents(t, events,
		started(w(10), w(2)),
		paused(w(12), w(2), w(12), EndFlush, 0, w(12)))
	// Nothing going on, or too little speech: nothing to flush.
	if events := p.Flush(nil); len(events) != 0 {
		t.Errorf("second Flush: %+v", summarize(events))
	}
	events = feed(t, p, w(12), script("..###"), 320)
	if events = p.Flush(events); len(events) != 0 {
		t.Errorf("Flush with 3 windows of speech: %+v", summarize(events))
	}
	// After a Flush a new turn needs Threshold again.
	events = feed(t, p, w(17), script("---##########"+strings.Repeat(".", 15)), 320)
	checkEvents(t, events,
		started(w(28), w(20)),
		paused(w(30)+w(15), w(20), w(30), EndPause, w(20)-200*time.Millisecond, w(30)+200*time.Millisecond))
}

func TestReset(t *testing.T) {
	pcm := script("..##########" + strings.Repeat(".", 20))
	p, det := newPD(t, Options{})
	p.ReplyStarted()
	want := summarize(feed(t, p, 0, pcm, 320))
	// Mid-turn, with a reply playing, then Reset: the turn is dropped,
	// the reply forgotten and the clock set again.
	p.ReplyStarted()
	if events := feed(t, p, time.Hour, script("..######"), 320); len(events) != 1 || events[0].Type != BargeIn {
		t.Fatalf("before Reset: %+v", summarize(events))
	}
	p.Reset()
	if det.resets != 1 {
		t.Errorf("Reset called the Detector's Reset %d times", det.resets)
	}
	if events := p.Flush(nil); len(events) != 0 {
		t.Errorf("Flush after Reset: %+v", summarize(events))
	}
	p.ReplyStarted()
	if got := summarize(feed(t, p, 0, pcm, 320)); !slices.Equal(got, want) {
		t.Errorf("after Reset: %+v, want %+v", got, want)
	}
}

func TestDetectorError(t *testing.T) {
	det := &scripted{fail: map[int]bool{5: true}}
	p, err := NewPauseDetector(det, Options{})
	if err != nil {
		t.Fatal(err)
	}
	events, err := p.Process(nil, 0, script("..##########"+strings.Repeat(".", 20)))
	if err == nil || !strings.Contains(err.Error(), "scripted failure") || !strings.Contains(err.Error(), w(4).String()) {
		t.Errorf("error %v, want the scripted failure at %v", err, w(4))
	}
	// The failed window counts as silence; the rest goes on.
	checkEvents(t, events,
		started(w(11), w(2)),
		paused(w(27), w(2), w(12), EndPause, 0, w(12)+200*time.Millisecond))
}

func TestOptions(t *testing.T) {
	if _, err := NewPauseDetector(nil, Options{}); err == nil {
		t.Error("nil Detector accepted")
	}
	for _, o := range []Options{
		{Threshold: -0.1}, {Threshold: 1.5}, {Release: 0.6}, {Threshold: 0.3, Release: 0.4},
		{Release: -1}, {Pause: -time.Second},
	} {
		if _, err := NewPauseDetector(&scripted{}, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	s, err := Options{}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	want := settings{threshold: 0.5, release: 0.35, minSpeech: 8, pause: 15 * WindowSize, maxSpeech: 938 * WindowSize, padding: 3200, bargeIn: 5}
	if s.threshold != want.threshold || s.release < 0.3499 || s.release > 0.3501 || s.minSpeech != want.minSpeech ||
		s.pause != want.pause || s.maxSpeech != want.maxSpeech || s.padding != want.padding || s.bargeIn != want.bargeIn {
		t.Errorf("defaults %+v, want %+v", s, want)
	}
	if Window != 32*time.Millisecond {
		t.Errorf("Window %v", Window)
	}
}

// TestPauseLatency measures the decision time: PauseDetected comes Pause
// after the end of the last speech window, rounded up to whole windows,
// so at most Pause + one window after the speech really ended (which may
// be anywhere inside that window).
func TestPauseLatency(t *testing.T) {
	for _, pause := range []time.Duration{200 * time.Millisecond, 300 * time.Millisecond, 480 * time.Millisecond, 500 * time.Millisecond, time.Second} {
		rounded := time.Duration(windows(pause)) * Window
		for _, endAt := range []int{0, 1, 100, 256, 511} { // where in its window the speech ends
			p, _ := newPD(t, Options{Pause: pause})
			pcm := script("...." + strings.Repeat("#", 12))
			pcm = append(pcm, make([]float32, WindowSize)...)
			for i := range endAt + 1 {
				pcm[16*WindowSize+i] = 0.9 // speech ends at sample endAt of window 16
			}
			pcm = append(pcm, make([]float32, 2*SampleRate)...)
			events := feed(t, p, 0, pcm, 320)
			if len(events) != 2 || events[1].Type != PauseDetected {
				t.Fatalf("pause %v: %+v", pause, summarize(events))
			}
			end := w(16) + duration(int64(endAt+1))
			latency := events[1].At - end
			if events[1].At-events[1].End != rounded || latency < rounded || latency > rounded+Window {
				t.Errorf("pause %v, speech ending at %v: PauseDetected at %v (%v after the last speech window, %v after the speech)",
					pause, end, events[1].At, events[1].At-events[1].End, latency)
			}
		}
	}
}

func TestEventStrings(t *testing.T) {
	for _, c := range []struct {
		s    fmt.Stringer
		want string
	}{
		{StartedTalking, "StartedTalking"}, {PauseDetected, "PauseDetected"}, {BargeIn, "BargeIn"}, {EventUnknown, "EventType(0)"},
		{EndPause, "pause"}, {EndMaxSpeech, "max speech"}, {EndFlush, "flush"}, {EndUnknown, "EndReason(0)"},
		{Event{Type: StartedTalking, At: time.Second, Start: 500 * time.Millisecond}, "StartedTalking at 1s: speech from 500ms"},
		{Event{Type: PauseDetected, At: 2 * time.Second, Start: time.Second, End: 1500 * time.Millisecond, Reason: EndPause, Audio: make([]float32, 10)},
			"PauseDetected at 2s: speech 1s-1.5s (500ms, pause), 10 samples of audio"},
	} {
		if got := c.s.String(); got != c.want {
			t.Errorf("%q, want %q", got, c.want)
		}
	}
}

// firstSample is a Detector that costs nothing: a window scores its first
// sample.
type firstSample struct{}

func (firstSample) Prob(window []float32) (float32, error) { return window[0], nil }
func (firstSample) Reset()                                 {}

func BenchmarkPauseDetector(b *testing.B) {
	// The state machine's own cost per window, with a detector that costs
	// nothing, in 20 ms frames, and a turn every 832 ms: mostly copying the
	// audio in and, once per turn, out.
	pcm := script(strings.Repeat("...........##########.....", 40))
	p, err := NewPauseDetector(firstSample{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	events := make([]Event, 0, 16)
	at := time.Duration(0)
	b.ReportAllocs()
	for b.Loop() {
		for i := 0; i < len(pcm); i += 320 {
			events, _ = p.Process(events[:0], at, pcm[i:i+320])
			at += 20 * time.Millisecond
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(pcm)/WindowSize), "ns/window")
}
