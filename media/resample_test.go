package media

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sine returns n frames of a sine of freq Hz at rate Hz and peak amplitude
// amp (full scale 1), on every channel, interleaved.
func sine(rate, n, channels int, freq, amp float64) []float32 {
	s := make([]float32, n*channels)
	for i := range n {
		v := float32(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
		for c := range channels {
			s[i*channels+c] = v
		}
	}
	return s
}

// fitTone fits a·sin + b·cos of freq Hz at rate Hz to x by least squares
// and returns the tone's amplitude and the RMS of what is left.
func fitTone(x []float32, rate int, freq float64) (amp, residual float64) {
	var ss, sc, cc, xs, xc float64
	w := 2 * math.Pi * freq / float64(rate)
	for i, v := range x {
		s, c := math.Sincos(w * float64(i))
		ss += s * s
		sc += s * c
		cc += c * c
		xs += float64(v) * s
		xc += float64(v) * c
	}
	det := ss*cc - sc*sc
	a := (xs*cc - xc*sc) / det
	b := (xc*ss - xs*sc) / det
	var e float64
	for i, v := range x {
		s, c := math.Sincos(w * float64(i))
		d := float64(v) - a*s - b*c
		e += d * d
	}
	return math.Hypot(a, b), math.Sqrt(e / float64(len(x)))
}

func rmsF(x []float32) float64 {
	var e float64
	for _, v := range x {
		e += float64(v) * float64(v)
	}
	return math.Sqrt(e / float64(len(x)))
}

func db(x float64) float64 { return 20 * math.Log10(x) }

func newResampler(t testing.TB, from, to, ch int, q Quality) *Resampler {
	t.Helper()
	r, err := NewResampler(from, to, ch, q)
	if err != nil {
		t.Fatalf("NewResampler(%d, %d, %d, %v): %v", from, to, ch, q, err)
	}
	return r
}

// toneThrough resamples 300 ms of a tone of freq Hz (amplitude 0.5) and
// returns the output after the filter has settled: from 50 ms on, well past
// the filter's start, to 25 ms before the end.
func toneThrough(t testing.TB, r *Resampler, freq float64) []float32 {
	t.Helper()
	in := sine(r.FromRate(), r.FromRate()*3/10, 1, freq, 0.5)
	out := r.ProcessFloat32(nil, in)
	r.Reset()
	skip := r.ToRate() / 20
	return out[skip : len(out)-skip/2]
}

var downRates = [][2]int{{48000, 16000}, {48000, 8000}, {44100, 16000}, {48000, 44100}, {48000, 24000}, {48001, 16000}}

// TestResamplerAliasing downsamples tones above the output's Nyquist
// frequency, which must vanish, and tones below it, which must pass.
func TestResamplerAliasing(t *testing.T) {
	for _, rates := range downRates {
		from, to := rates[0], rates[1]
		r := newResampler(t, from, to, 1, QualityDefault)
		nyq := float64(to) / 2
		worst := math.Inf(-1)
		for _, f := range []float64{1.0 * nyq, 1.01 * nyq, 1.1 * nyq, 1.5 * nyq, 2 * nyq, 0.97 * float64(from) / 2} {
			if f >= float64(from)/2 {
				continue
			}
			level := db(rmsF(toneThrough(t, r, f)) / (0.5 / math.Sqrt2))
			worst = max(worst, level)
			if level > -60 {
				t.Errorf("%d->%d Hz: a %.0f Hz tone (above the new Nyquist %.0f Hz) comes out at %.1f dB, want <= -60 dB",
					from, to, f, nyq, level)
			}
		}
		passWorst, noiseWorst := 0.0, math.Inf(-1)
		for _, frac := range []float64{0.01, 0.1, 0.5, 0.8, 0.9} {
			f := frac * nyq
			amp, res := fitTone(toneThrough(t, r, f), to, f)
			gain := db(amp / 0.5)
			passWorst = max(passWorst, math.Abs(gain))
			noiseWorst = max(noiseWorst, db(res/(0.5/math.Sqrt2)))
			if math.Abs(gain) > 0.5 {
				t.Errorf("%d->%d Hz: a %.0f Hz tone passes at %+.3f dB, want within 0.5 dB", from, to, f, gain)
			}
			if db(res/(0.5/math.Sqrt2)) > -60 {
				t.Errorf("%d->%d Hz: a %.0f Hz tone comes out with noise and distortion at %.1f dB", from, to, f, db(res/(0.5/math.Sqrt2)))
			}
		}
		t.Logf("%d->%d Hz (%d taps, latency %v): tones above %.0f Hz at %.1f dB or less; passband within %.4f dB, residual <= %.1f dB",
			from, to, r.taps, r.Latency(), nyq, worst, passWorst, noiseWorst)
	}
}

var upRates = [][2]int{{16000, 48000}, {8000, 48000}, {24000, 48000}, {44100, 48000}, {12000, 48000}, {11025, 44100}, {22050, 48000}, {44100, 48001}}

// TestResamplerImaging upsamples tones: the output must be the tone alone,
// with no images of it above the input's Nyquist frequency.
func TestResamplerImaging(t *testing.T) {
	for _, rates := range upRates {
		from, to := rates[0], rates[1]
		r := newResampler(t, from, to, 1, QualityDefault)
		nyq := float64(from) / 2
		passWorst, noiseWorst := 0.0, math.Inf(-1)
		for _, frac := range []float64{0.01, 0.1, 0.5, 0.8, 0.9} {
			f := frac * nyq
			amp, res := fitTone(toneThrough(t, r, f), to, f)
			gain, noise := db(amp/0.5), db(res/(0.5/math.Sqrt2))
			passWorst = max(passWorst, math.Abs(gain))
			noiseWorst = max(noiseWorst, noise)
			if math.Abs(gain) > 0.5 || noise > -60 {
				t.Errorf("%d->%d Hz: a %.0f Hz tone passes at %+.3f dB with images, noise and distortion at %.1f dB; want within 0.5 dB and below -60 dB",
					from, to, f, gain, noise)
			}
		}
		// What lies in the stopband of the input (its top 3% below Nyquist,
		// which the filter cuts) comes out attenuated.
		t.Logf("%d->%d Hz (%d taps, latency %v): passband within %.4f dB, images and noise <= %.1f dB",
			from, to, r.taps, r.Latency(), passWorst, noiseWorst)
	}
}

// TestResamplerQualities measures each quality's passband flatness and
// stopband attenuation against its documented figures.
func TestResamplerQualities(t *testing.T) {
	for _, q := range []Quality{QualityLow, QualityMedium, QualityHigh} {
		spec := filterSpecs[q]
		for _, rates := range [][2]int{{48000, 16000}, {16000, 48000}, {48000, 44100}, {48001, 44100}} {
			from, to := rates[0], rates[1]
			r := newResampler(t, from, to, 1, q)
			low := float64(min(from, to)) / 2
			ripple := 0.0
			for i := 1; i <= 8; i++ {
				f := spec.pass * low * float64(i) / 8
				amp, _ := fitTone(toneThrough(t, r, f), to, f)
				ripple = max(ripple, math.Abs(db(amp/0.5)))
			}
			stop := math.Inf(-1)
			for _, k := range []float64{1.0, 1.02, 1.1, 1.3, 1.6, 1.9} {
				f := k * low
				var level float64
				if to > from {
					// Upsampling: a tone above the input's Nyquist frequency
					// cannot be fed; feed its mirror image below it and
					// measure what appears at f.
					g := float64(from) - f
					if g <= 0 || g >= float64(from)/2 || f >= float64(to)/2 {
						continue
					}
					imgAmp, _ := fitTone(toneThrough(t, r, g), to, f)
					level = db(imgAmp / 0.5)
				} else {
					if f >= float64(from)/2 {
						continue
					}
					level = db(rmsF(toneThrough(t, r, f)) / (0.5 / math.Sqrt2))
				}
				stop = max(stop, level)
			}
			t.Logf("%v %d->%d Hz: %d taps, latency %v; passband to %.0f Hz within %.4f dB; stopband from %.0f Hz at %.1f dB",
				q, from, to, r.taps, r.Latency(), spec.pass*low, ripple, low, stop)
			// Kaiser's design puts the same ripple δ = 10^(-atten/20) in
			// both bands; allow twice that.
			if limit := db(1 + 2*math.Pow(10, -spec.atten/20)); ripple > limit {
				t.Errorf("%v %d->%d: passband ripple %.5f dB, want <= %.5f dB", q, from, to, ripple, limit)
			}
			if stop > -spec.atten+1 {
				t.Errorf("%v %d->%d: stopband at %.1f dB, want <= %.0f dB", q, from, to, stop, -spec.atten)
			}
		}
	}
}

// TestResamplerStreaming feeds a signal in chunks of random sizes and
// checks that the output is exactly that of one call.
func TestResamplerStreaming(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pairs := append(append([][2]int{{48000, 48000}}, downRates...), upRates...)
	for _, rates := range pairs {
		for _, ch := range []int{1, 2, 3} {
			from, to := rates[0], rates[1]
			n := from/10 + 37 // a tenth of a second and a bit
			in := make([]int16, n*ch)
			for i := range in {
				in[i] = int16(rng.IntN(20000) - 10000)
			}
			whole := newResampler(t, from, to, ch, QualityDefault)
			want := whole.Flush(whole.Process(nil, in))

			r := newResampler(t, from, to, ch, QualityDefault)
			var got []int16
			for rest := in; len(rest) > 0; {
				k := min(len(rest)/ch, rng.IntN(3000)) * ch
				if rng.IntN(10) == 0 {
					k = 0 // empty chunks are fine too
				}
				got = r.Process(got, rest[:k])
				rest = rest[k:]
			}
			got = r.Flush(got)
			if !slices.Equal(got, want) {
				t.Errorf("%d->%d Hz, %d ch: output in chunks differs from one call (%d and %d samples)", from, to, ch, len(got), len(want))
			}

			// The float path too.
			f := Int16ToFloat32(nil, in)
			whole.Reset()
			wantF := whole.FlushFloat32(whole.ProcessFloat32(nil, f))
			var gotF []float32
			for rest := f; len(rest) > 0; {
				k := min(len(rest)/ch, 1+rng.IntN(1000)) * ch
				gotF = r.ProcessFloat32(gotF, rest[:k])
				rest = rest[k:]
			}
			gotF = r.FlushFloat32(gotF)
			if !slices.Equal(gotF, wantF) {
				t.Errorf("%d->%d Hz, %d ch: float output in chunks differs from one call", from, to, ch)
			}
			// And the two paths agree.
			if back := Float32ToInt16(nil, wantF); !slices.Equal(back, want) {
				t.Errorf("%d->%d Hz, %d ch: int16 and float32 paths differ", from, to, ch)
			}
		}
	}
}

// TestResamplerLength checks the output length after every call of a long
// run: it must be exactly ⌈input × to / from⌉, with no drift.
func TestResamplerLength(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pairs := append(append([][2]int{{44100, 48001}, {48001, 44100}}, downRates...), upRates...)
	for _, rates := range pairs {
		from, to := rates[0], rates[1]
		r := newResampler(t, from, to, 1, QualityLow)
		in := make([]int16, 2000)
		var out []int16
		var total, produced int64
		for range 150 {
			k := rng.IntN(len(in))
			if want := r.OutFrames(k); want < 0 {
				t.Fatalf("OutFrames(%d) = %d", k, want)
			}
			predicted := r.OutFrames(k)
			out = r.Process(out[:0], in[:k])
			if len(out) != predicted {
				t.Fatalf("%d->%d: Process of %d frames gave %d, OutFrames said %d", from, to, k, len(out), predicted)
			}
			total += int64(k)
			produced += int64(len(out))
			if want := (total*int64(to) + int64(from) - 1) / int64(from); produced != want {
				t.Fatalf("%d->%d Hz: after %d input frames, %d output frames, want %d", from, to, total, produced, want)
			}
		}
		// And the flush completes the delayed input.
		out = r.Flush(out[:0])
		d := int64(r.taps / 2)
		if want := ((total+d)*int64(to) + int64(from) - 1) / int64(from); produced+int64(len(out)) != want {
			t.Errorf("%d->%d Hz: %d frames after Flush, want %d", from, to, produced+int64(len(out)), want)
		}
	}
	// 20 ms frames at the usual rates come out as whole 20 ms frames.
	for _, rates := range [][2]int{{48000, 16000}, {16000, 48000}, {24000, 48000}, {8000, 48000}, {44100, 48000}, {48000, 44100}} {
		r := newResampler(t, rates[0], rates[1], 2, QualityDefault)
		in := make([]int16, rates[0]/50*2)
		for i := range 100 {
			if out := r.Process(nil, in); len(out) != rates[1]/50*2 {
				t.Fatalf("%d->%d Hz, stereo 20 ms frame %d: %d samples, want %d", rates[0], rates[1], i, len(out), rates[1]/50*2)
			}
		}
	}
}

// TestResamplerLatency finds where an impulse comes out: Latency later than
// it went in.
func TestResamplerLatency(t *testing.T) {
	for _, rates := range [][2]int{{48000, 16000}, {16000, 48000}, {44100, 48000}, {48000, 44100}, {8000, 48000}, {44100, 48001}} {
		for _, q := range []Quality{QualityLow, QualityMedium, QualityHigh} {
			from, to := rates[0], rates[1]
			r := newResampler(t, from, to, 1, q)
			const at = 1000
			in := make([]float32, 4000)
			in[at] = 1
			out := r.FlushFloat32(r.ProcessFloat32(nil, in))
			peak := 0
			for i, v := range out {
				if v > out[peak] {
					peak = i
				}
			}
			// Refine the peak between samples with a parabola.
			a, b, c := float64(out[peak-1]), float64(out[peak]), float64(out[peak+1])
			pos := float64(peak) + 0.5*(a-c)/(a-2*b+c)
			want := (float64(at) + r.Latency().Seconds()*float64(from)) * float64(to) / float64(from)
			t.Logf("%v %d->%d Hz: Latency %v; impulse at output %.2f, want %.2f", q, from, to, r.Latency(), pos, want)
			if math.Abs(pos-want) > 0.2 {
				t.Errorf("%v %d->%d Hz: impulse came out at %.2f, want %.2f (Latency %v)", q, from, to, pos, want, r.Latency())
			}
		}
	}
}

// TestResamplerChannels checks that channels stay apart: each channel of a
// multichannel stream comes out as it would alone.
func TestResamplerChannels(t *testing.T) {
	for _, ch := range []int{2, 3} {
		for _, rates := range [][2]int{{48000, 16000}, {16000, 48000}, {44100, 48001}} {
			from, to := rates[0], rates[1]
			mono := make([][]float32, ch)
			for c := range ch {
				mono[c] = sine(from, from/4, 1, float64(300*(c+1)), 0.3)
			}
			inter := make([]float32, len(mono[0])*ch)
			for i := range mono[0] {
				for c := range ch {
					inter[i*ch+c] = mono[c][i]
				}
			}
			out := newResampler(t, from, to, ch, QualityDefault).ProcessFloat32(nil, inter)
			for c := range ch {
				want := newResampler(t, from, to, 1, QualityDefault).ProcessFloat32(nil, mono[c])
				for i := range want {
					if d := math.Abs(float64(out[i*ch+c] - want[i])); d > 1e-6 {
						t.Fatalf("%d ch %d->%d, channel %d, frame %d: %v, alone %v", ch, from, to, c, i, out[i*ch+c], want[i])
					}
				}
			}
		}
	}
}

func TestResamplerClips(t *testing.T) {
	// A full-scale square wave overshoots when filtered (Gibbs): the int16
	// output must clip, never wrap around.
	in := make([]int16, 4800)
	for i := range in {
		in[i] = 32767
		if i/24%2 == 1 {
			in[i] = -32768
		}
	}
	r := newResampler(t, 48000, 16000, 1, QualityDefault)
	out := r.Process(nil, in)
	clipped := 0
	for i := 100; i < len(out)-100; i++ {
		if out[i] == 32767 || out[i] == -32768 {
			clipped++
		}
		// Within a half period of an edge the sign must follow the input.
		if v, src := out[i], in[(i*3)-r.taps/2]; (v > 0) != (src > 0) && math.Abs(float64(v)) > 30000 {
			t.Fatalf("frame %d: %d against input %d: wrapped around", i, v, src)
		}
	}
	if clipped == 0 {
		t.Errorf("no output sample clipped; the test needs overshoot")
	}
}

func TestResamplerPassthrough(t *testing.T) {
	r := newResampler(t, 16000, 16000, 2, QualityHigh)
	in := []int16{1, 2, 3, 4}
	if out := r.Process(nil, in); !slices.Equal(out, in) || r.Latency() != 0 || r.OutFrames(7) != 7 {
		t.Errorf("equal rates: %v, latency %v", out, r.Latency())
	}
	if out := r.Flush(nil); len(out) != 0 {
		t.Errorf("Flush at equal rates: %v", out)
	}
}

func TestResamplerInvalid(t *testing.T) {
	for _, c := range []struct {
		from, to, ch int
		q            Quality
	}{
		{0, 48000, 1, 0},
		{48000, -1, 1, 0},
		{48000, 16000, 0, 0},
		{48000, 100, 1, 0},
		{100, 48000, 1, 0},
		{48000, 16000, 1, 9},
	} {
		if _, err := NewResampler(c.from, c.to, c.ch, c.q); err == nil {
			t.Errorf("NewResampler(%d, %d, %d, %v): no error", c.from, c.to, c.ch, c.q)
		}
	}
	r := newResampler(t, 48000, 16000, 2, 0)
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Process of half a stereo frame did not panic")
			}
		}()
		r.Process(nil, []int16{1})
	}()
}

func TestResamplerZeroAllocs(t *testing.T) {
	for _, rates := range [][2]int{{48000, 16000}, {16000, 48000}, {44100, 48001}} {
		r := newResampler(t, rates[0], rates[1], 2, QualityDefault)
		in := make([]int16, rates[0]/50*2)
		inF := make([]float32, len(in))
		out := make([]int16, 0, 8192)
		outF := make([]float32, 0, 8192)
		if n := testing.AllocsPerRun(20, func() {
			out = r.Process(out[:0], in)
			outF = r.ProcessFloat32(outF[:0], inF)
		}); n != 0 {
			t.Errorf("%d->%d Hz: %v allocations per 20 ms frame", rates[0], rates[1], n)
		}
		if n := testing.AllocsPerRun(5, func() { out = r.Flush(out[:0]) }); n != 0 {
			t.Errorf("%d->%d Hz: Flush: %v allocations", rates[0], rates[1], n)
		}
	}
}

func TestQualityString(t *testing.T) {
	for q, want := range map[Quality]string{QualityDefault: "default", QualityLow: "low", QualityMedium: "medium", QualityHigh: "high", 7: "Quality(7)"} {
		if got := q.String(); got != want {
			t.Errorf("%d: %q, want %q", int(q), got, want)
		}
	}
	_ = fmt.Sprint(QualityHigh)
}

// benchResample resamples 20 ms frames from one rate to another; ns/op is
// the cost of one frame.
func benchResample(b *testing.B, from, to, ch int, q Quality) {
	r := newResampler(b, from, to, ch, q)
	in := make([]int16, from/50*ch)
	for i := range in {
		in[i] = int16(8000 * math.Sin(float64(i)*0.05))
	}
	out := make([]int16, 0, (to/50+1)*ch)
	b.ReportAllocs()
	for b.Loop() {
		out = r.Process(out[:0], in)
	}
}

func BenchmarkResample48kTo16kMono(b *testing.B)   { benchResample(b, 48000, 16000, 1, QualityDefault) }
func BenchmarkResample16kTo48kMono(b *testing.B)   { benchResample(b, 16000, 48000, 1, QualityDefault) }
func BenchmarkResample24kTo48kMono(b *testing.B)   { benchResample(b, 24000, 48000, 1, QualityDefault) }
func BenchmarkResample8kTo48kMono(b *testing.B)    { benchResample(b, 8000, 48000, 1, QualityDefault) }
func BenchmarkResample48kTo16kStereo(b *testing.B) { benchResample(b, 48000, 16000, 2, QualityDefault) }
func BenchmarkResample44kTo48kStereo(b *testing.B) { benchResample(b, 44100, 48000, 2, QualityDefault) }
func BenchmarkResample48kTo16kMonoLow(b *testing.B) {
	benchResample(b, 48000, 16000, 1, QualityLow)
}
func BenchmarkResample48kTo16kMonoHigh(b *testing.B) {
	benchResample(b, 48000, 16000, 1, QualityHigh)
}

func BenchmarkResampleFloat32_48kTo16kMono(b *testing.B) {
	r := newResampler(b, 48000, 16000, 1, QualityDefault)
	in := make([]float32, 960)
	out := make([]float32, 0, 320)
	b.ReportAllocs()
	for b.Loop() {
		out = r.ProcessFloat32(out[:0], in)
	}
}

func BenchmarkNewResampler44kTo48k(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		newResampler(b, 44100, 48000, 2, QualityDefault)
	}
}
