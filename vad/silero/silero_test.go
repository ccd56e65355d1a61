package silero_test

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/internal/modeltest"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/vad/internal/scenario"
	"github.com/rtcstream/rtcstream/vad/internal/vadtest"
	"github.com/rtcstream/rtcstream/vad/silero"
)

// open opens the cached model, or skips t (fails it when
// RTCSTREAM_REQUIRE_MODELS=1) if the model or the runtime is missing.
func open(t testing.TB) *silero.Model {
	t.Helper()
	modeltest.Model(t, silero.ModelFile)
	m, err := silero.Open(silero.Options{})
	if modeltest.Skippable(err) {
		modeltest.Missing(t, "cannot open "+silero.ModelFile, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newDetector(t testing.TB, m *silero.Model) *silero.Detector {
	t.Helper()
	d, err := m.NewDetector()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestConformance(t *testing.T) {
	m := open(t)
	scenario.Suite(t, scenario.Config{
		New:           func(t testing.TB) vad.Detector { return newDetector(t, m) },
		SpeechWindows: 0.9,
		Tolerance:     100 * time.Millisecond,
	})
}

// probs scores pcm window by window.
func probs(t testing.TB, d vad.Detector, pcm []float32) []float32 {
	t.Helper()
	var ps []float32
	for i := 0; i+vad.WindowSize <= len(pcm); i += vad.WindowSize {
		p, err := d.Prob(pcm[i : i+vad.WindowSize])
		if err != nil {
			t.Fatal(err)
		}
		if p < 0 || p > 1 || math.IsNaN(float64(p)) {
			t.Fatalf("window %d: probability %v", i/vad.WindowSize, p)
		}
		ps = append(ps, p)
	}
	return ps
}

func TestStateAndReset(t *testing.T) {
	m := open(t)
	d := newDetector(t, m)
	pcm := (&vadtest.Timeline{}).Pause(500 * time.Millisecond).Say(vadtest.Clip(t, vadtest.Hello)).Pause(500 * time.Millisecond).PCM
	first := probs(t, d, pcm)
	// The state carries over: the same audio scores differently after it.
	again := probs(t, d, pcm)
	differ := false
	for i := range first {
		differ = differ || first[i] != again[i]
	}
	if !differ {
		t.Error("scores do not depend on the windows before: is the state fed back?")
	}
	// Reset starts over exactly.
	d.Reset()
	if after := probs(t, d, pcm); fmt.Sprint(after) != fmt.Sprint(first) {
		t.Errorf("after Reset:\n%v\nwant\n%v", after, first)
	}
}

func TestConcurrentDetectors(t *testing.T) {
	// One model, one detector per stream, streams on their own goroutines:
	// each gets what it would get alone.
	m := open(t)
	clips := []string{vadtest.Hello, vadtest.HowAreYou, vadtest.Think, vadtest.No}
	want := make([]string, len(clips))
	for i, c := range clips {
		want[i] = fmt.Sprint(probs(t, newDetector(t, m), vadtest.Clip(t, c)))
	}
	var wg sync.WaitGroup
	for i, c := range clips {
		d := newDetector(t, m)
		pcm := vadtest.Clip(t, c)
		wg.Go(func() {
			for range 3 {
				d.Reset()
				if got := fmt.Sprint(probs(t, d, pcm)); got != want[i] {
					t.Errorf("%s concurrently: %s, want %s", c, got, want[i])
				}
			}
		})
	}
	wg.Wait()
}

func TestErrorsAndClose(t *testing.T) {
	m := open(t)
	d := newDetector(t, m)
	if _, err := d.Prob(make([]float32, 100)); err == nil {
		t.Error("a short window was accepted")
	}
	// A model that is not Silero VAD v5 is refused with a reason.
	if path := modeltest.Model(t, modeltest.BlazeFace); path != "" {
		if _, err := silero.Open(silero.Options{ModelPath: path}); err == nil {
			t.Error("BlazeFace opened as Silero VAD")
		} else {
			t.Logf("BlazeFace: %v", err)
		}
	}
	if _, err := silero.Open(silero.Options{ModelPath: filepath.Join(t.TempDir(), "none.onnx")}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing model: %v, want fs.ErrNotExist", err)
	}

	// Closing the detector, then the model, is idempotent; a closed
	// detector, or one of a closed model, says ErrClosed.
	window := make([]float32, vad.WindowSize)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	d.Reset() // no effect, no crash
	if _, err := d.Prob(window); !errors.Is(err, silero.ErrClosed) {
		t.Errorf("Prob after Close: %v", err)
	}
	d2 := newDetector(t, m)
	if _, err := d2.Prob(window); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := d2.Prob(window); !errors.Is(err, silero.ErrClosed) {
		t.Errorf("Prob after the model's Close: %v", err)
	}
}

func BenchmarkDetector(b *testing.B) {
	m := open(b)
	d := newDetector(b, m)
	pcm := vadtest.Clip(b, vadtest.Think)
	n := len(pcm) / vad.WindowSize
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Prob(pcm[i*vad.WindowSize : (i+1)*vad.WindowSize]); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) % n
	}
}
