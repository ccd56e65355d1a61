package vad

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/vad/internal/vadtest"
)

func TestFFT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{2, 8, 512, 2048} {
		f := newFFT(n)
		x := make([]complex128, n)
		re, im := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = complex(r.NormFloat64(), r.NormFloat64())
			re[i], im[i] = real(x[i]), imag(x[i])
		}
		f.transform(re, im, false)
		var worst float64
		for k := range n {
			var want complex128
			for j, v := range x {
				want += v * cmplx.Exp(complex(0, -2*math.Pi*float64(j*k%n)/float64(n)))
			}
			worst = max(worst, cmplx.Abs(complex(re[k], im[k])-want))
		}
		if worst > 1e-9*float64(n) {
			t.Errorf("n=%d: off by %g from the DFT", n, worst)
		}
		// The inverse, scaled by 1/n, gives x back.
		f.transform(re, im, true)
		for i, v := range x {
			if d := cmplx.Abs(complex(re[i], im[i])/complex(float64(n), 0) - v); d > 1e-9 {
				t.Fatalf("n=%d: inverse off by %g at %d", n, d, i)
			}
		}
	}
}

// featuresOf returns the features of pcm's last window, after the windows
// before it.
func featuresOf(d *EnergyDetector, pcm []float32) features {
	var f features
	for i := 0; i+WindowSize <= len(pcm); i += WindowSize {
		f = d.features(pcm[i : i+WindowSize])
		copy(d.prev[:], pcm[i:i+WindowSize])
	}
	return f
}

// buzz is a voiced sound: a 120 Hz pulse train's first 30 harmonics with
// falling amplitude, at db dBFS.
func buzz(d time.Duration, db float64) []float32 {
	pcm := make([]float32, vadtest.Samples(d))
	for i := range pcm {
		var v float64
		for h := 1; h <= 30; h++ {
			v += math.Sin(2*math.Pi*120*float64(h)*float64(i)/SampleRate) / float64(h)
		}
		pcm[i] = float32(v)
	}
	return vadtest.SetLevel(pcm, db)
}

func TestEnergyFeatures(t *testing.T) {
	// Level in dBFS (RMS) within the 150 Hz-7.5 kHz band.
	for _, db := range []float64{-50, -20, -6} {
		f := featuresOf(NewEnergyDetector(), vadtest.Tone(200*time.Millisecond, 1000, db))
		if math.Abs(f.level-db) > 0.5 {
			t.Errorf("1 kHz tone at %v dBFS: level %.2f", db, f.level)
		}
		if f.tonality < 0.99 || f.voicing < 0.9 {
			t.Errorf("1 kHz tone: tonality %.2f, voicing %.2f; want both near 1", f.tonality, f.voicing)
		}
	}
	if f := featuresOf(NewEnergyDetector(), buzz(200*time.Millisecond, -20)); f.voicing < 0.9 || f.tonality > 0.8 {
		t.Errorf("120 Hz buzz: voicing %.2f, tonality %.2f; want voiced and not tonal", f.voicing, f.tonality)
	}
	for _, n := range [][]float32{vadtest.White(time.Second, -20, 5), vadtest.Pink(time.Second, -20, 5)} {
		if f := featuresOf(NewEnergyDetector(), n); f.voicing > 0.4 || f.tonality > 0.5 {
			t.Errorf("noise: voicing %.2f, tonality %.2f", f.voicing, f.tonality)
		}
	}
	// The floor learns steady noise: after 2 s of it, its SNR is near 0.
	if f := featuresOf(NewEnergyDetector(), vadtest.Pink(2*time.Second, -20, 6)); math.Abs(f.snr) > 3 {
		t.Errorf("pink noise after 2 s: SNR %.1f dB, want about 0", f.snr)
	}
	// Noise that starts after silence is learnt fast too (it is unvoiced).
	tl := (&vadtest.Timeline{}).Pause(time.Second).Add(vadtest.White(2*time.Second, -20, 7))
	if f := featuresOf(NewEnergyDetector(), tl.PCM); math.Abs(f.snr) > 3 {
		t.Errorf("white noise 2 s after silence: SNR %.1f dB, want about 0", f.snr)
	}
}

func TestEnergyDetector(t *testing.T) {
	d := NewEnergyDetector()
	if _, err := d.Prob(make([]float32, 100)); err == nil {
		t.Error("a short window was accepted")
	}
	// Digital silence is not speech.
	if p, err := d.Prob(make([]float32, WindowSize)); err != nil || p != 0 {
		t.Errorf("silence: %v, %v", p, err)
	}
	// A voiced sound after silence is speech; Reset starts over exactly.
	tl := (&vadtest.Timeline{}).Pause(time.Second).Add(buzz(300*time.Millisecond, -25)).Pause(time.Second)
	score := func() []float32 {
		var ps []float32
		for i := 0; i+WindowSize <= len(tl.PCM); i += WindowSize {
			p, err := d.Prob(tl.PCM[i : i+WindowSize])
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		return ps
	}
	d.Reset()
	first := score()
	d.Reset()
	again := score()
	speech := 0
	for i := range first {
		if first[i] != again[i] {
			t.Fatalf("window %d scores %v after Reset, %v before", i, again[i], first[i])
		}
		if first[i] >= 0.5 {
			speech++
		}
	}
	if speech < 8 {
		t.Errorf("%d windows of a 300 ms buzz are speech: %v", speech, first)
	}
}

func BenchmarkEnergyDetector(b *testing.B) {
	pcm := vadtest.Clip(b, vadtest.Think)
	d := NewEnergyDetector()
	n := len(pcm) / WindowSize
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Prob(pcm[i*WindowSize : (i+1)*WindowSize]); err != nil {
			b.Fatal(err)
		}
		i = (i + 1) % n
	}
}

func TestRealFFT(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{8, 64, 2048} {
		x := make([]float64, n)
		re, im := make([]float64, n), make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64()
			re[i] = x[i]
		}
		newFFT(n).transform(re, im, false)
		f := newRealFFT(n)
		gr, gi := make([]float64, n/2+1), make([]float64, n/2+1)
		f.forward(x, gr, gi)
		for k := range gr {
			if math.Abs(gr[k]-re[k]) > 1e-9 || math.Abs(gi[k]-im[k]) > 1e-9 {
				t.Fatalf("n=%d: bin %d is %v%+vi, want %v%+vi", n, k, gr[k], gi[k], re[k], im[k])
			}
		}
		// The inverse of the (even) power spectrum is the circular
		// autocorrelation, times n.
		p := make([]float64, n/2+1)
		for k := range p {
			p[k] = gr[k]*gr[k] + gi[k]*gi[k]
		}
		ac := make([]float64, n)
		f.inverseEven(p, ac)
		for lag := range n {
			var want float64
			for i := range n {
				want += x[i] * x[(i+lag)%n]
			}
			if math.Abs(ac[lag]/float64(n)-want) > 1e-9*float64(n) {
				t.Fatalf("n=%d: autocorrelation at %d is %v, want %v", n, lag, ac[lag]/float64(n), want)
			}
		}
	}
}
