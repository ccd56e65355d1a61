package browsertest

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// noise returns n samples of reproducible white noise.
func noise(n int, seed uint64) []float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	x := make([]float64, n)
	for i := range x {
		x[i] = r.Float64()*2 - 1
	}
	return x
}

func TestLagFindsADelayedCopy(t *testing.T) {
	ref := noise(8000, 1)
	for _, delay := range []int{0, 1, 977, 3999} {
		// got: other noise, then ref at half gain with a little noise on top.
		got := noise(delay+len(ref)+500, 2)
		for i := range got {
			got[i] *= 0.05
		}
		for i, v := range ref {
			got[delay+i] += 0.5 * v
		}
		lag, corr := Lag(ref, got, 4000)
		if lag != delay || corr < 0.99 || corr > 1.0000001 {
			t.Errorf("delay %d: Lag = %d, %.4f; want %d, about 0.995", delay, lag, corr, delay)
		}
	}
	// Unrelated signals correlate little; a lag beyond maxLag is not found.
	if _, corr := Lag(noise(4000, 3), noise(8000, 4), 4000); corr > 0.1 {
		t.Errorf("unrelated noise correlates at %.3f", corr)
	}
	got := append(make([]float64, 3000), noise(4000, 5)...)
	if lag, _ := Lag(noise(4000, 5), got, 1000); lag > 1000 {
		t.Errorf("lag %d beyond maxLag 1000", lag)
	}
	if lag, corr := Lag(make([]float64, 100), got, 100); lag != -1 || corr != 0 {
		t.Errorf("silent ref: %d, %v; want -1, 0", lag, corr)
	}
	if lag, _ := Lag(noise(100, 6), noise(50, 7), 100); lag != -1 {
		t.Errorf("ref longer than got: lag %d, want -1", lag)
	}
}

func TestLagTrackFollowsADrift(t *testing.T) {
	// got is ref delayed by 100 samples for its first half and 130 for the
	// second.
	ref := noise(8000, 9)
	got := make([]float64, len(ref)+400)
	for i, v := range ref {
		d := 100
		if i >= 4000 {
			d = 130
		}
		got[i+d] = v
	}
	clear(ref[2000:4000]) // a quiet chunk, left out
	for i := range 2000 {
		got[2000+100+i] = 0
	}
	lags, corrs := LagTrack(ref, got, 2000, 2000, 400, 0.01)
	if !slices.Equal(lags, []int{100, 130, 130}) || slices.Min(corrs) < 0.99 {
		t.Errorf("LagTrack = %v, %v; want 100, 130, 130 at about 1 (the second chunk quiet)", lags, corrs)
	}
}

func TestTonesTellsTheNotesApart(t *testing.T) {
	const rate, win = 8000, 80 // 10 ms windows
	freqs := []float64{400, 600, 800}
	var x []float64
	for _, k := range []int{0, 2, 1} { // 100 ms of each, then 50 ms of silence
		for i := range 800 {
			x = append(x, 0.3*math.Sin(2*math.Pi*freqs[k]*float64(i)/rate))
		}
	}
	x = append(x, make([]float64, 400)...)
	got := Tones(x, rate, freqs, win, win, 0.01)
	want := []int{0, 2, 1, -1}
	if len(got) != 35 {
		t.Fatalf("%d windows, want 35", len(got))
	}
	for i, k := range got {
		if w := want[min(i/10, 3)]; k != w {
			t.Errorf("window %d: tone %d, want %d (all: %v)", i, k, w, got)
			break
		}
	}
	// Sliding windows: the second note starts at sample 800, found
	// within a hop.
	slid := Tones(x, rate, freqs, win, 20, 0.01)
	first := slices.Index(slid, 2)
	if start := first*20 + win/2; start < 800-20 || start > 800+20 {
		t.Errorf("the second note starts at window %d (centre %d), want its centre within 20 of 800", first, start)
	}
	// Noise is loud but no tone.
	for i, k := range Tones(noise(800, 8), rate, freqs, win, win, 0.01) {
		if k != -1 {
			t.Errorf("noise window %d read as tone %d", i, k)
		}
	}
}

func TestLevelsAndDeinterleave(t *testing.T) {
	b := make([]byte, 0, 16)
	for _, v := range []int16{16384, -32768, -16384, 0, 16384, 32767, -16384, 1} {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	a, c := deinterleave(b)
	if len(a) != 4 || a[0] != 0.5 || c[0] != -1 || a[1] != -0.5 || c[2] > 1 || c[2] < 0.9999 {
		t.Errorf("deinterleave: %v %v", a, c)
	}
	if l := Levels(a, 2); len(l) != 2 || l[0] != 0.5 || l[1] != 0.5 {
		t.Errorf("Levels = %v, want [0.5 0.5]", l)
	}
	if Samples(Seconds(RecordRate)) != RecordRate || Seconds(4000).Seconds() != 0.5 {
		t.Error("Samples and Seconds do not invert each other")
	}
	r := Recording{Offset: 2}
	if got := r.SampleAt(2500); got != RecordRate/2 {
		t.Errorf("SampleAt(2500 ms) with offset 2 s = %d, want %d", got, RecordRate/2)
	}
}

func TestJitterBufferSince(t *testing.T) {
	before := AudioStats{JitterBufferDelay: 10, JitterBufferEmitted: 100000}
	now := AudioStats{JitterBufferDelay: 10 + 0.08*48000, JitterBufferEmitted: 100000 + 48000}
	if got := now.JitterBuffer(before); got != 80*time.Millisecond {
		t.Errorf("JitterBuffer = %v, want 80ms", got)
	}
	if got := before.JitterBuffer(before); got != 0 {
		t.Errorf("JitterBuffer with nothing played = %v, want 0", got)
	}
}
