package media

import (
	"fmt"
	"math"
	"time"
)

// Quality selects a Resampler's filter: how flat its passband, how steep
// its transition and how deep its stopband, against its cost and latency.
// The zero value, QualityDefault, means QualityMedium.
type Quality int

const (
	// QualityDefault is the zero value: it means QualityMedium.
	QualityDefault Quality = iota
	// QualityLow passes up to 80% of the lower rate's Nyquist frequency
	// (6.4 kHz at 16 kHz) flat within 0.02 dB and attenuates everything
	// above that Nyquist frequency by at least 60 dB: a 40-tap filter at the
	// lower rate, 1.25 ms of latency at 16 kHz.
	QualityLow
	// QualityMedium passes up to 90% of the lower rate's Nyquist frequency
	// (7.2 kHz at 16 kHz, 19.8 kHz at 44.1 kHz) flat within 0.002 dB and
	// attenuates everything above that Nyquist frequency by at least 80 dB:
	// a 104-tap filter at the lower rate, 3.2 ms of latency at 16 kHz and
	// 1.2 ms between 44.1 and 48 kHz. It suits speech and music alike.
	QualityMedium
	// QualityHigh passes up to 95% of the lower rate's Nyquist frequency
	// flat within 0.0002 dB and attenuates everything above that Nyquist
	// frequency by at least 100 dB: a 260-tap filter at the lower rate, 8.1
	// ms of latency at 16 kHz.
	QualityHigh
)

var qualityNames = [...]string{"default", "low", "medium", "high"}

// String returns "default", "low", "medium" or "high".
func (q Quality) String() string {
	if q >= 0 && int(q) < len(qualityNames) {
		return qualityNames[q]
	}
	return fmt.Sprintf("Quality(%d)", int(q))
}

// filterSpec is a quality's filter, relative to the Nyquist frequency of the
// lower of the two rates.
type filterSpec struct {
	pass  float64 // passband edge
	atten float64 // stopband attenuation in dB, from the Nyquist frequency up
}

var filterSpecs = map[Quality]filterSpec{
	QualityLow:    {pass: 0.80, atten: 60},
	QualityMedium: {pass: 0.90, atten: 80},
	QualityHigh:   {pass: 0.95, atten: 100},
}

const (
	// maxRatio bounds the ratio between the two rates, either way.
	maxRatio = 256
	// maxPhases and maxCoefs bound the table of an exact rational ratio:
	// one phase per output position between two input frames. Beyond
	// them, coefficients are interpolated linearly between phases spaced
	// 1/(interpPhases × the cutoff) apart, an error too small to measure
	// against QualityHigh's 100 dB.
	maxPhases    = 1024
	maxCoefs     = 1 << 17
	interpPhases = 512
	// block is the number of input frames buffered per channel at a time.
	block = 512
	// outBlock is the number of output frames computed at a time.
	outBlock = 256
)

// Resampler converts interleaved audio from one sample rate to another,
// streaming: it keeps the tail of its input between calls, so a stream cut
// into chunks of any lengths comes out exactly as it would in one piece.
//
// It is a polyphase windowed-sinc (Kaiser) filter evaluated at the exact
// rational ratio of the two rates, so it never drifts: after n input frames,
// it has produced exactly ⌈n × toRate / fromRate⌉ output frames, the same
// for every way of cutting the input; at 48000 to 16000 Hz, each 960-frame
// (20 ms) chunk yields 320 frames. The filter is low-pass at the lower
// rate's Nyquist frequency, so downsampling does not alias and upsampling
// leaves no images; see Quality for its response.
//
// The output is delayed by Latency, the filter's group delay (the same at
// all frequencies: the filter is linear-phase): output frame k holds the
// input at time k/toRate - Latency(). The first outputs are the filter
// ramping up from silence, and Flush pushes out the last Latency of input.
//
// A Resampler is not safe for concurrent use. Processing allocates nothing
// when dst has the capacity (see OutFrames). A Resampler holds a few
// thousand samples of state per channel and a table of coefficients: 66 KB
// between 44.1 and 48 kHz at QualityMedium, a few kilobytes between rates
// in integer ratios, at most about 600 KB for odd ratios at QualityHigh.
// NewResampler computes the table, which takes about a millisecond for
// 44.1 to 48 kHz.
type Resampler struct {
	from, to, channels int
	passthrough        bool // equal rates: copy

	l, m       int       // to/g and from/g: the output advances m/l input frames a frame
	step, frac int       // m / l and m % l
	taps       int       // filter length in input frames, a multiple of 4
	phases     int       // rows in coef: l (exact), or interp+1 (interpolated)
	interp     int       // phases per input frame when interpolating, else 0
	coef       []float32 // phases rows of taps coefficients, in input order

	planes [][]float32 // per channel: taps-1 frames of history, then new input
	have   int         // valid frames in each plane
	next   int         // plane index of the newest input frame of the next output
	phase  int         // the next output lies phase/l frames after planes[...][next]
	out    []float32   // outBlock frames of output, interleaved
}

// NewResampler returns a Resampler from fromRate to toRate Hz for
// interleaved audio with the given number of channels, with the filter that
// quality selects. The rates must be positive and within a factor of 256 of
// each other. Equal rates make a Resampler that copies.
func NewResampler(fromRate, toRate, channels int, quality Quality) (*Resampler, error) {
	if fromRate <= 0 || toRate <= 0 {
		return nil, fmt.Errorf("media: NewResampler: rates must be positive, got %d and %d Hz", fromRate, toRate)
	}
	if fromRate > maxRatio*toRate || toRate > maxRatio*fromRate {
		return nil, fmt.Errorf("media: NewResampler: %d to %d Hz is a ratio beyond %d", fromRate, toRate, maxRatio)
	}
	if channels <= 0 {
		return nil, fmt.Errorf("media: NewResampler: %d channels", channels)
	}
	if quality == QualityDefault {
		quality = QualityMedium
	}
	spec, ok := filterSpecs[quality]
	if !ok {
		return nil, fmt.Errorf("media: NewResampler: unknown %v", quality)
	}
	r := &Resampler{from: fromRate, to: toRate, channels: channels}
	if fromRate == toRate {
		r.passthrough = true
		return r, nil
	}
	g := gcd(fromRate, toRate)
	r.l, r.m = toRate/g, fromRate/g
	r.step, r.frac = r.m/r.l, r.m%r.l
	r.design(spec)
	r.planes = make([][]float32, channels)
	for c := range r.planes {
		r.planes[c] = make([]float32, r.taps-1+block)
	}
	r.out = make([]float32, outBlock*channels)
	r.Reset()
	return r, nil
}

// design computes the filter for spec: a Kaiser-windowed sinc whose cutoff
// lies midway between the passband edge and the lower Nyquist frequency, so
// that the whole stopband starts at or below that frequency.
func (r *Resampler) design(spec filterSpec) {
	// scale is the lower rate over the input rate: the filter's cutoff in
	// units of the input's Nyquist frequency.
	scale := min(1, float64(r.l)/float64(r.m))
	width := math.Pi * (1 - spec.pass) // transition, radians per lower-rate sample
	beta := 0.1102 * (spec.atten - 8.7)
	if spec.atten <= 50 {
		beta = 0.5842*math.Pow(spec.atten-21, 0.4) + 0.07886*(spec.atten-21)
	}
	n := (spec.atten - 7.95) / (2.285 * width) // Kaiser's length estimate, lower-rate samples
	taps := int(math.Ceil(n/scale)) + 1
	r.taps = (taps + 3) &^ 3
	cutoff := scale * (1 + spec.pass) / 2 // × the input's Nyquist frequency

	if r.l <= maxPhases && r.l*r.taps <= maxCoefs {
		r.phases = r.l
	} else {
		r.interp = max(64, int(math.Ceil(interpPhases*scale)))
		r.phases = r.interp + 1
	}
	r.coef = make([]float32, r.phases*r.taps)
	half := float64(r.taps) / 2
	i0beta := bessel0(beta)
	row := make([]float64, r.taps)
	for p := range r.phases {
		var frac float64
		if r.interp > 0 {
			frac = float64(p) / float64(r.interp)
		} else {
			frac = float64(p) / float64(r.l)
		}
		// row[k] weighs input frame next-(taps-1)+k for an output frac
		// frames after frame next, delayed by half the filter: the tap's
		// distance from the output time is (taps-1-k) + frac - half.
		var sum float64
		for k := range row {
			t := float64(r.taps-1-k) + frac - half
			x := t / half
			if x < -1 || x > 1 {
				row[k] = 0
				continue
			}
			w := bessel0(beta*math.Sqrt(1-x*x)) / i0beta
			row[k] = cutoff * sinc(cutoff*t) * w
			sum += row[k]
		}
		// Unity gain at DC in every phase, or the phases would modulate a
		// constant signal.
		c := r.coef[p*r.taps : (p+1)*r.taps]
		for k, v := range row {
			c[k] = float32(v / sum)
		}
	}
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// bessel0 is the modified Bessel function of the first kind, order 0.
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 500; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Reset discards the stream's state, as if the Resampler were new.
func (r *Resampler) Reset() {
	if r.passthrough {
		return
	}
	for _, p := range r.planes {
		clear(p[:r.taps-1])
	}
	r.have = r.taps - 1
	r.next = r.taps - 1
	r.phase = 0
}

// FromRate returns the input sample rate in Hz.
func (r *Resampler) FromRate() int { return r.from }

// ToRate returns the output sample rate in Hz.
func (r *Resampler) ToRate() int { return r.to }

// Channels returns the number of interleaved channels.
func (r *Resampler) Channels() int { return r.channels }

// Latency returns the filter's group delay: how late the output is against
// the input. It is half the filter's length: at QualityMedium 52 samples
// of the lower rate (3.2 ms at 16 kHz, 1.2 ms between 44.1 and 48 kHz), and
// zero for equal rates.
func (r *Resampler) Latency() time.Duration {
	if r.passthrough {
		return 0
	}
	return time.Duration(r.taps/2) * time.Second / time.Duration(r.from)
}

// OutFrames returns the number of output frames that a Process of inFrames
// more input frames would produce now (for a buffer of the right
// capacity); over any run of calls the total is ⌈total input × toRate /
// fromRate⌉ frames.
func (r *Resampler) OutFrames(inFrames int) int {
	if r.passthrough {
		return inFrames
	}
	// Outputs are due while the newest frame they need has arrived:
	// position next + phase/l, advancing m/l per output, up to frame
	// have-1+inFrames.
	l, m := int64(r.l), int64(r.m)
	room := (int64(r.have)+int64(inFrames))*l - (int64(r.next)*l + int64(r.phase))
	if room <= 0 {
		return 0
	}
	return int((room + m - 1) / m)
}

// Process appends to dst the output that the input frames in src produce and
// returns the extended slice. src holds interleaved 16-bit samples, a whole
// number of frames (Process panics otherwise); it may have any length,
// including zero. dst grows only if its capacity is short of OutFrames of
// the input, so with a reused buffer (pass dst[:0]) Process allocates
// nothing. Output samples are rounded and clamped to 16 bits.
func (r *Resampler) Process(dst, src []int16) []int16 {
	if len(src)%r.channels != 0 {
		panic("media: Resampler.Process: len(src) is not a multiple of the channel count")
	}
	if r.passthrough {
		return append(dst, src...)
	}
	frames := len(src) / r.channels
	dst = reserve(dst, r.OutFrames(frames)*r.channels)
	for len(src) > 0 {
		k := min(len(src)/r.channels, len(r.planes[0])-r.have)
		r.loadInt16(src[:k*r.channels])
		src = src[k*r.channels:]
		dst = r.drainInt16(dst)
	}
	return dst
}

// ProcessFloat32 is Process for float32 samples; see Int16ToFloat32 for
// the scale. The output is not clamped. A NaN or infinity in the input
// spoils the output for as long as it stays in the filter.
func (r *Resampler) ProcessFloat32(dst, src []float32) []float32 {
	if len(src)%r.channels != 0 {
		panic("media: Resampler.ProcessFloat32: len(src) is not a multiple of the channel count")
	}
	if r.passthrough {
		return append(dst, src...)
	}
	frames := len(src) / r.channels
	dst = reserve(dst, r.OutFrames(frames)*r.channels)
	for len(src) > 0 {
		k := min(len(src)/r.channels, len(r.planes[0])-r.have)
		r.loadFloat32(src[:k*r.channels])
		src = src[k*r.channels:]
		dst = r.drainFloat32(dst)
	}
	return dst
}

// Flush appends the output still held back, the last Latency of the input
// (which Flush completes with silence), to dst, returns the extended slice
// and resets the Resampler for a new stream. After Flush, the total output
// is ⌈(input + Latency × fromRate) × toRate / fromRate⌉ frames: all of the
// input, delayed by Latency.
func (r *Resampler) Flush(dst []int16) []int16 {
	if r.passthrough {
		return dst
	}
	for pad := r.taps / 2; pad > 0; {
		k := min(pad, len(r.planes[0])-r.have)
		r.loadZeros(k)
		pad -= k
		dst = r.drainInt16(dst)
	}
	r.Reset()
	return dst
}

// FlushFloat32 is Flush for float32 samples.
func (r *Resampler) FlushFloat32(dst []float32) []float32 {
	if r.passthrough {
		return dst
	}
	for pad := r.taps / 2; pad > 0; {
		k := min(pad, len(r.planes[0])-r.have)
		r.loadZeros(k)
		pad -= k
		dst = r.drainFloat32(dst)
	}
	r.Reset()
	return dst
}

// loadInt16 de-interleaves src into the planes, scaled to [-1, 1).
func (r *Resampler) loadInt16(src []int16) {
	ch := r.channels
	n := len(src) / ch
	if ch == 1 {
		p := r.planes[0][r.have : r.have+n]
		for i, v := range src[:n] {
			p[i] = float32(v) * (1.0 / 32768)
		}
	} else {
		for c, plane := range r.planes {
			p := plane[r.have : r.have+n]
			for i := range p {
				p[i] = float32(src[i*ch+c]) * (1.0 / 32768)
			}
		}
	}
	r.have += n
}

func (r *Resampler) loadFloat32(src []float32) {
	ch := r.channels
	n := len(src) / ch
	for c, plane := range r.planes {
		p := plane[r.have : r.have+n]
		for i := range p {
			p[i] = src[i*ch+c]
		}
	}
	r.have += n
}

func (r *Resampler) loadZeros(n int) {
	for _, plane := range r.planes {
		clear(plane[r.have : r.have+n])
	}
	r.have += n
}

func (r *Resampler) drainInt16(dst []int16) []int16 {
	for {
		n := r.run()
		if n == 0 {
			break
		}
		k := len(dst)
		dst = reserve(dst, n*r.channels)
		out := dst[k : k+n*r.channels]
		for i, v := range r.out[:len(out)] {
			out[i] = floatToInt16(v * 32768)
		}
		dst = dst[:k+len(out)]
	}
	r.compact()
	return dst
}

func (r *Resampler) drainFloat32(dst []float32) []float32 {
	for {
		n := r.run()
		if n == 0 {
			break
		}
		dst = append(dst, r.out[:n*r.channels]...)
	}
	r.compact()
	return dst
}

// run computes up to outBlock output frames that the buffered input allows
// into r.out and returns how many.
func (r *Resampler) run() int {
	taps, ch := r.taps, r.channels
	n := 0
	for n < outBlock && r.next < r.have {
		start := r.next - (taps - 1)
		var h0, h1 []float32
		var f float32
		if r.interp > 0 {
			// Blend the two table phases around phase/l.
			x := int64(r.phase) * int64(r.interp)
			q := int(x / int64(r.l))
			f = float32(x%int64(r.l)) / float32(r.l)
			h0 = r.coef[q*taps : (q+1)*taps]
			h1 = r.coef[(q+1)*taps : (q+2)*taps]
		} else {
			h0 = r.coef[r.phase*taps : (r.phase+1)*taps]
		}
		o := r.out[n*ch : (n+1)*ch]
		switch {
		case ch == 1 && h1 == nil:
			o[0] = dot(r.planes[0][start:start+taps], h0)
		case ch == 2 && h1 == nil:
			o[0], o[1] = dot2(r.planes[0][start:start+taps], r.planes[1][start:start+taps], h0)
		default:
			for c, plane := range r.planes {
				x := plane[start : start+taps]
				v := dot(x, h0)
				if h1 != nil {
					v += f * (dot(x, h1) - v)
				}
				o[c] = v
			}
		}
		n++
		r.next += r.step
		r.phase += r.frac
		if r.phase >= r.l {
			r.phase -= r.l
			r.next++
		}
	}
	return n
}

// compact drops the input frames that no future output needs, keeping
// taps-1 frames of history before the next output's newest frame.
func (r *Resampler) compact() {
	if r.next < r.have {
		return // output pending: run stopped at outBlock
	}
	start := min(r.next-(r.taps-1), r.have)
	if start <= 0 {
		return
	}
	for _, p := range r.planes {
		copy(p, p[start:r.have])
	}
	r.have -= start
	r.next -= start
}

// dot returns Σ x[i] h[i]; len(h) is a multiple of 4 and len(x) >= len(h).
func dot(x, h []float32) float32 {
	var s0, s1, s2, s3 float32
	x = x[:len(h)]
	for i := 0; i+4 <= len(h); i += 4 {
		xx, hh := x[i:i+4:i+4], h[i:i+4:i+4]
		s0 += xx[0] * hh[0]
		s1 += xx[1] * hh[1]
		s2 += xx[2] * hh[2]
		s3 += xx[3] * hh[3]
	}
	return (s0 + s1) + (s2 + s3)
}

// dot2 is dot for two channels that share the coefficients.
func dot2(x, y, h []float32) (float32, float32) {
	var a0, a1, b0, b1 float32
	x, y = x[:len(h)], y[:len(h)]
	for i := 0; i+4 <= len(h); i += 4 {
		xx, yy, hh := x[i:i+4:i+4], y[i:i+4:i+4], h[i:i+4:i+4]
		a0 += xx[0]*hh[0] + xx[2]*hh[2]
		a1 += xx[1]*hh[1] + xx[3]*hh[3]
		b0 += yy[0]*hh[0] + yy[2]*hh[2]
		b1 += yy[1]*hh[1] + yy[3]*hh[3]
	}
	return a0 + a1, b0 + b1
}

// reserve returns s with room for n more elements, reallocating only if its
// capacity is short; its length is unchanged.
func reserve[T any](s []T, n int) []T {
	if n <= cap(s)-len(s) {
		return s
	}
	ns := make([]T, len(s), max(2*cap(s), len(s)+n))
	copy(ns, s)
	return ns
}
