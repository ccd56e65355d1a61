// Package scenario is the conformance suite that every vad.Detector passes:
// scoring and turn-taking on real speech (the espeak-ng clips in
// vad/testdata) with silence, background noise, hesitations and barge-in,
// and no speech found in noise or tones alone.
package scenario

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/vad/internal/vadtest"
)

// Config describes the detector under test.
type Config struct {
	// New returns a fresh detector for one stream.
	New func(t testing.TB) vad.Detector

	// SpeechWindows is the share of the windows wholly inside speech that
	// must score Threshold or more. Windows of unvoiced sound (the "th" of
	// "there") score low with some detectors.
	SpeechWindows float64

	// Tolerance is how far a turn's Start, End and Duration may be from
	// the spoken part's, in silence; twice as far in noise.
	Tolerance time.Duration
}

// frame is the size of the frames fed to the PauseDetector: 20 ms, as
// WebRTC audio arrives.
const frame = 320

// Run feeds pcm through a PauseDetector on det in 20 ms frames with
// timestamps from 0 and returns the events. before, if not nil, is called
// with the detector before the audio.
func Run(t testing.TB, det vad.Detector, opts vad.Options, pcm []float32, before func(*vad.PauseDetector)) []vad.Event {
	t.Helper()
	p, err := vad.NewPauseDetector(det, opts)
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(p)
	}
	var events []vad.Event
	for i := 0; i < len(pcm); i += frame {
		if events, err = p.Process(events, vadtest.Duration(i), pcm[i:min(i+frame, len(pcm))]); err != nil {
			t.Fatal(err)
		}
	}
	return events
}

// Turn is an expected turn: the speech spans it is made of.
type Turn []vadtest.Span

// CheckTurns checks that events are StartedTalking and PauseDetected
// pairs, one pair per expected turn, each PauseDetected's speech (its
// Start, End and Duration) within tol of the turn's spoken part. It
// returns, for each turn, the time from the end of the speech to the
// PauseDetected.
func CheckTurns(t testing.TB, events []vad.Event, tol time.Duration, want ...Turn) []time.Duration {
	t.Helper()
	var ends []vad.Event
	for i, e := range events {
		switch {
		case e.Type == vad.StartedTalking && i%2 == 0, e.Type == vad.PauseDetected && i%2 == 1:
		default:
			t.Errorf("event %d: %v out of order", i, e)
		}
		if e.Type == vad.PauseDetected {
			ends = append(ends, e)
		}
	}
	if len(ends) != len(want) {
		t.Errorf("%d turns, want %d: %v", len(ends), len(want), events)
		return nil
	}
	var latencies []time.Duration
	for i, e := range ends {
		start, end := want[i][0].StartTime(), want[i][len(want[i])-1].EndTime()
		if d := e.Start - start; d < -tol || d > tol {
			t.Errorf("turn %d starts at %v, want %v±%v", i, e.Start, start, tol)
		}
		if d := e.End - end; d < -tol || d > tol {
			t.Errorf("turn %d ends at %v, want %v±%v", i, e.End, end, tol)
		}
		if d := e.Duration() - (end - start); d < -tol || d > tol {
			t.Errorf("turn %d lasts %v, the speech %v", i, e.Duration(), end-start)
		}
		if e.Reason != vad.EndPause {
			t.Errorf("turn %d ended by %v", i, e.Reason)
		}
		if e.AudioStart > start || e.AudioStart+vadtest.Duration(len(e.Audio)) < end {
			t.Errorf("turn %d: audio %v+%v does not hold the speech %v-%v",
				i, e.AudioStart, vadtest.Duration(len(e.Audio)), start, end)
		}
		latencies = append(latencies, e.At-end)
	}
	return latencies
}

// Suite runs the conformance tests on the detector that cfg describes.
func Suite(t *testing.T, cfg Config) {
	clip := func(name string) []float32 { return vadtest.Clip(t, name) }
	var latencies []time.Duration

	t.Run("Probabilities", func(t *testing.T) {
		tl := (&vadtest.Timeline{}).Pause(time.Second).Say(clip(vadtest.Hello)).Pause(time.Second).
			Say(clip(vadtest.HowAreYou)).Pause(time.Second).Say(clip(vadtest.Think)).Pause(time.Second)
		det := cfg.New(t)
		var inSpeech, speech, outside int
		for i := 0; i+vad.WindowSize <= len(tl.PCM); i += vad.WindowSize {
			p, err := det.Prob(tl.PCM[i : i+vad.WindowSize])
			if err != nil {
				t.Fatal(err)
			}
			where := classify(tl.Speech, i, i+vad.WindowSize)
			switch {
			case where == inside:
				inSpeech++
				if p >= vad.DefaultThreshold {
					speech++
				}
			case where == away && p >= vad.DefaultThreshold:
				t.Errorf("window at %v, in silence, scores %.2f", vadtest.Duration(i), p)
			case where == away:
				outside++
			}
		}
		share := float64(speech) / float64(inSpeech)
		if share < cfg.SpeechWindows {
			t.Errorf("%d of %d windows inside speech (%.0f%%) score %v or more, want %.0f%%",
				speech, inSpeech, 100*share, vad.DefaultThreshold, 100*cfg.SpeechWindows)
		}
		t.Logf("%.0f%% of %d windows inside speech are speech; all %d windows in silence are not", 100*share, inSpeech, outside)
	})

	t.Run("TwoSentences", func(t *testing.T) {
		// "Hello there." 1 s "How are you today?": two turns.
		tl := (&vadtest.Timeline{}).Pause(time.Second).Say(clip(vadtest.Hello)).Pause(time.Second).
			Say(clip(vadtest.HowAreYou)).Pause(time.Second)
		events := Run(t, cfg.New(t), vad.Options{}, tl.PCM, nil)
		latencies = append(latencies, CheckTurns(t, events, cfg.Tolerance, Turn{tl.Speech[0]}, Turn{tl.Speech[1]})...)
		logTurns(t, events, tl)
	})

	t.Run("Hesitation", func(t *testing.T) {
		// "Um." 300 ms "I think we should leave now.": one turn.
		tl := (&vadtest.Timeline{}).Pause(time.Second).Say(clip(vadtest.Um)).Pause(300 * time.Millisecond).
			Say(clip(vadtest.Think)).Pause(time.Second)
		events := Run(t, cfg.New(t), vad.Options{}, tl.PCM, nil)
		latencies = append(latencies, CheckTurns(t, events, cfg.Tolerance, Turn(tl.Speech))...)
		logTurns(t, events, tl)
	})

	t.Run("ShortAnswer", func(t *testing.T) {
		// "No." (310 ms) is more than MinSpeech.
		tl := (&vadtest.Timeline{}).Pause(time.Second).Say(clip(vadtest.No)).Pause(time.Second)
		events := Run(t, cfg.New(t), vad.Options{}, tl.PCM, nil)
		latencies = append(latencies, CheckTurns(t, events, cfg.Tolerance, Turn{tl.Speech[0]})...)
		logTurns(t, events, tl)
	})

	t.Run("InNoise", func(t *testing.T) {
		// The same two sentences over noise from the start: pink at -45 and
		// -35 dBFS, white at -35 dBFS (the speech is at about -21 dBFS, so
		// 24 and 14 dB above the noise). Noise blurs the ends of words:
		// the times may be off by twice the tolerance.
		for _, n := range []struct {
			name string
			pcm  []float32
		}{
			{"pink -45 dBFS", vadtest.Pink(5*time.Second, -45, 11)},
			{"pink -35 dBFS", vadtest.Pink(5*time.Second, -35, 12)},
			{"white -35 dBFS", vadtest.White(5*time.Second, -35, 13)},
		} {
			tl := (&vadtest.Timeline{}).Pause(time.Second).Say(clip(vadtest.Hello)).Pause(time.Second).
				Say(clip(vadtest.HowAreYou)).Pause(time.Second)
			tl.Mix(n.pcm)
			events := Run(t, cfg.New(t), vad.Options{}, tl.PCM, nil)
			t.Logf("%s:", n.name)
			CheckTurns(t, events, 2*cfg.Tolerance, Turn{tl.Speech[0]}, Turn{tl.Speech[1]})
			logTurns(t, events, tl)
		}
	})

	t.Run("NoiseAlone", func(t *testing.T) {
		// Noise and tones at several levels, starting abruptly after
		// silence, are not speech.
		for _, db := range []float64{-50, -35, -20, -10} {
			for _, n := range []struct {
				name string
				pcm  []float32
			}{
				{"white", vadtest.White(5*time.Second, db, uint64(-db))},
				{"pink", vadtest.Pink(5*time.Second, db, uint64(-db))},
				{"tone 440 Hz", vadtest.Tone(5*time.Second, 440, db)},
				{"tone 1 kHz", vadtest.Tone(5*time.Second, 1000, db)},
			} {
				tl := (&vadtest.Timeline{}).Pause(time.Second).Add(n.pcm).Pause(time.Second)
				if events := Run(t, cfg.New(t), vad.Options{}, tl.PCM, nil); len(events) != 0 {
					t.Errorf("%s at %v dBFS: %v", n.name, db, events)
				}
			}
		}
	})

	t.Run("BargeIn", func(t *testing.T) {
		// A reply plays; "How are you today?" interrupts it.
		tl := (&vadtest.Timeline{}).Pause(time.Second).Say(clip(vadtest.HowAreYou)).Pause(time.Second)
		events := Run(t, cfg.New(t), vad.Options{}, tl.PCM, (*vad.PauseDetector).ReplyStarted)
		if len(events) == 0 || events[0].Type != vad.BargeIn {
			t.Fatalf("events %v, want a BargeIn first", events)
		}
		onset := tl.Speech[0].StartTime()
		// BargeIn comes 5 speech windows (160 ms) after the first, which
		// lies within tolerance of the speech's onset.
		if d := events[0].At - onset; d < 160*time.Millisecond-cfg.Tolerance || d > 160*time.Millisecond+cfg.Tolerance {
			t.Errorf("BargeIn %v after the speech started, want 160 ms±%v", d, cfg.Tolerance)
		}
		t.Logf("BargeIn %v after the speech started", events[0].At-onset)
		CheckTurns(t, events[1:], cfg.Tolerance, Turn{tl.Speech[0]})
	})

	t.Run("Espeak", func(t *testing.T) {
		// Speech made now by espeak-ng, padded and joined by sox as a user
		// would: 1 s, a sentence, 1 s, another, 1 s.
		dir := t.TempDir()
		var files []string
		var lens []int
		for i, text := range []string{"Good morning, everyone.", "Could you book a table for two tonight?"} {
			pcm, err := vadtest.Speak(dir, text)
			vadtest.NeedTools(t, err)
			if err != nil {
				t.Fatal(err)
			}
			f := filepath.Join(dir, fmt.Sprintf("%d.wav", i))
			if err := vadtest.WriteWAV(f, pcm); err != nil {
				t.Fatal(err)
			}
			files, lens = append(files, f), append(lens, len(pcm))
		}
		padded, out := filepath.Join(dir, "padded.wav"), filepath.Join(dir, "out.wav")
		if _, err := vadtest.Sox(padded, files[0], padded, "pad", "1", "1"); err != nil {
			t.Fatal(err)
		}
		pcm, err := vadtest.Sox(out, padded, files[1], out, "pad", "0", "1")
		if err != nil {
			t.Fatal(err)
		}
		second := vadtest.Samples(2*time.Second) + lens[0]
		if len(pcm) != second+lens[1]+vadtest.Samples(time.Second) {
			t.Fatalf("sox made %d samples, want %d", len(pcm), second+lens[1]+vadtest.Samples(time.Second))
		}
		spans := []vadtest.Span{{Start: vadtest.Samples(time.Second), End: vadtest.Samples(time.Second) + lens[0]}, {Start: second, End: second + lens[1]}}
		events := Run(t, cfg.New(t), vad.Options{}, pcm, nil)
		latencies = append(latencies, CheckTurns(t, events, cfg.Tolerance, Turn{spans[0]}, Turn{spans[1]})...)
		logTurns(t, events, &vadtest.Timeline{PCM: pcm, Speech: spans})
	})

	if len(latencies) > 0 {
		lo, hi := latencies[0], latencies[0]
		for _, l := range latencies {
			lo, hi = min(lo, l), max(hi, l)
		}
		t.Logf("end of speech to PauseDetected: %v to %v over %d turns (Pause %v)", lo, hi, len(latencies), vad.DefaultPause)
	}
}

type place int

const (
	inside place = iota // wholly inside a speech span
	near                // overlapping a span, or within 100 ms of one
	away                // 100 ms or more from any span
)

func classify(spans []vadtest.Span, from, to int) place {
	margin := vadtest.Samples(100 * time.Millisecond)
	p := away
	for _, s := range spans {
		if from >= s.Start && to <= s.End {
			return inside
		}
		if to > s.Start-margin && from < s.End+margin {
			p = near
		}
	}
	return p
}

func logTurns(t testing.TB, events []vad.Event, tl *vadtest.Timeline) {
	t.Helper()
	var s string
	for _, e := range events {
		s += "\n\t" + e.String()
	}
	for _, sp := range tl.Speech {
		s += fmt.Sprintf("\n\tspoken %v-%v (%v)", sp.StartTime(), sp.EndTime(), sp.Len())
	}
	t.Log(s)
}
