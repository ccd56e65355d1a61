package vad

import (
	"fmt"
	"math"
)

// EnergyDetector is a pure-Go Detector for when ONNX Runtime (and so Silero
// VAD) cannot be had. It needs no model and no cgo and costs about 40 µs a
// window. It is less accurate than Silero: it tells voiced sound from
// noise, not speech from singing or a TV, and it fails below about 10 dB
// SNR.
//
// Per 32 ms window it measures:
//
//   - the level above an adaptive noise floor, over 11 bands from 150 Hz to
//     7.5 kHz (FFT of the window). Each band's floor follows a low
//     percentile of its level: it rises slowly (about 5 dB/s) and falls
//     fast (about 45 dB/s), so that speech, which comes and goes syllable
//     by syllable, stays above it; after 256 ms of loud but unvoiced sound
//     (longer than any unvoiced stretch of speech) it rises fast, so noise
//     that starts abruptly is learnt within a second or two;
//   - voicing: the peak of the normalised autocorrelation of the last
//     64 ms at pitch lags (2.5 to 16 ms: 62-400 Hz), from its power
//     spectrum between 250 Hz and 4 kHz tilted up by 3 dB/octave, so that
//     the low-frequency slope of pink or brown noise makes no peak.
//     Voiced speech scores 0.5 to 0.95, white and pink noise under 0.35 at
//     any level;
//   - tonality: the share of the power in the strongest 160 Hz of the
//     spectrum. A lone tone (a beep, a whistle, a dial tone) is periodic
//     and would pass for voiced; its tonality is 0.99 or more, a vowel's
//     at most about 0.9.
//
// A window is voiced speech when it is loud enough above the floor (6 dB),
// voiced (0.45) and not a lone tone (0.95): the probability is the product
// of the three soft tests (each a logistic), 0.5 or more meaning speech.
// After voiced speech, a hangover of 192 ms scores 0.45 (below a
// PauseDetector's default Threshold, above its Release) while the sound
// stays above the floor, and for the first 64 ms whatever the sound, so
// unvoiced consonants (s, f, the burst of a final t after its silent
// closure) continue a turn but never start one. Windows quieter than
// -60 dBFS are silence.
//
// What it cannot do: music, singing, other people talking and any sound
// with harmonics (a siren, a hum with harmonics until the floor has learnt
// it) are voiced and count as speech. Whispering is not voiced and does
// not. The first windows of a stream teach the floor: a stream that starts
// in the middle of speech may lose its first syllables.
//
// An EnergyDetector is not safe for concurrent use; use one per stream.
type EnergyDetector struct {
	spec  *realFFT // WindowSize points, for the band levels
	pitch *realFFT // 4*WindowSize points, for the autocorrelation

	hann    []float64 // WindowSize points
	hann2   []float64 // 2*WindowSize points
	winNorm float64   // turns |X|² into mean square for a one-sided sum
	// winCorr[τ] is the Hann window's own normalised autocorrelation, which
	// divides the signal's (Boersma's correction).
	winCorr []float64

	prev      [WindowSize]float32 // the window before the current one
	x, re, im []float64           // FFT scratch: 4*WindowSize samples, 2*WindowSize+1 bins

	floor   [len(bandEdges) - 1]float64 // each band's floor, dB
	started bool
	steady  int // windows in a row loud but unvoiced
	hang    int // windows of hangover left
}

// bandEdges are the edges of the level bands, in Hz.
var bandEdges = [...]float64{150, 300, 500, 750, 1000, 1400, 1900, 2500, 3300, 4300, 5600, 7500}

// Tuning of the EnergyDetector. Levels are in dB.
const (
	floorRise       = 0.15 // per window, while the level is above the floor
	floorRiseSteady = 1.5  // per window, after steadyWindows of loud unvoiced sound
	steadyWindows   = 8    // 256 ms: longer than unvoiced stretches of speech
	floorFall       = 1.5  // per window at most, while below
	minFloor        = -100 // dB, so that the floor after digital silence stays finite
	floorBias       = 2.5  // the floor sits this far below noise's mean level
	minLevel        = -60  // dBFS; quieter windows are silence
	snrMid          = 6    // SNR (dB) that scores 0.5
	snrSlope        = 1.5  // dB per unit of logistic
	voicingMid      = 0.45 // voicing that scores 0.5
	voicingSlope    = 0.04
	tonalMid        = 0.95 // tonality that scores 0.5 (higher is a tone)
	tonalSlope      = 0.01
	hangover        = 6    // windows (192 ms)
	hangoverProb    = 0.45 // what a hangover window above the floor scores
	bridge          = 2    // windows of hangover (64 ms) that need no sound

	voicingLow, voicingHigh = 250.0, 4000.0 // Hz, the voicing band
	minLag, maxLag          = 40, 256       // samples: 400 Hz down to 62.5 Hz

	peakHalf = 2 // bins of the WindowSize FFT (±62 Hz) in the tonality peak
)

// NewEnergyDetector returns an EnergyDetector.
func NewEnergyDetector() *EnergyDetector {
	d := &EnergyDetector{
		spec:    newRealFFT(WindowSize),
		pitch:   newRealFFT(4 * WindowSize),
		hann:    hann(WindowSize),
		hann2:   hann(2 * WindowSize),
		x:       make([]float64, 4*WindowSize),
		re:      make([]float64, 2*WindowSize+1),
		im:      make([]float64, 2*WindowSize+1),
		winCorr: make([]float64, maxLag+1),
	}
	var sum2 float64
	for _, w := range d.hann {
		sum2 += w * w
	}
	d.winNorm = 2 / (WindowSize * sum2)
	for lag := range d.winCorr {
		var s float64
		for i := lag; i < len(d.hann2); i++ {
			s += d.hann2[i] * d.hann2[i-lag]
		}
		d.winCorr[lag] = s
	}
	for lag := len(d.winCorr) - 1; lag >= 0; lag-- {
		d.winCorr[lag] /= d.winCorr[0]
	}
	return d
}

func hann(n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(n))
	}
	return w
}

// Prob implements Detector.
func (d *EnergyDetector) Prob(window []float32) (float32, error) {
	if len(window) != WindowSize {
		return 0, fmt.Errorf("vad: window of %d samples, want %d", len(window), WindowSize)
	}
	f := d.features(window)
	copy(d.prev[:], window)
	return d.decide(f), nil
}

// features are what a window is judged on.
type features struct {
	level    float64 // dBFS, 150 Hz to 7.5 kHz
	snr      float64 // dB above the floor
	voicing  float64 // 0..1
	tonality float64 // 0..1
}

func (d *EnergyDetector) features(window []float32) features {
	var f features
	var bands [len(bandEdges) - 1]float64
	var total float64
	f.tonality, total = d.levels(window, &bands)
	f.level = 10 * math.Log10(total+1e-20)
	if f.level >= minLevel {
		f.voicing = d.voicing(window)
	}

	// The SNR against the floors so far, then the floors learn this window.
	if !d.started {
		d.started = true
		for b, e := range bands {
			d.floor[b] = max(10*math.Log10(e+1e-20), minFloor)
		}
	}
	var floors float64
	for b := range bands {
		floors += math.Pow(10, (d.floor[b]+floorBias)/10)
	}
	f.snr = 10 * math.Log10((total+1e-20)/floors)
	if f.snr > snrMid && f.voicing < voicingMid {
		d.steady++
	} else {
		d.steady = 0
	}
	rise := floorRise
	if d.steady >= steadyWindows {
		rise = floorRiseSteady
	}
	for b, e := range bands {
		db := 10 * math.Log10(e+1e-20)
		if db > d.floor[b] {
			d.floor[b] = min(d.floor[b]+rise, db)
		} else {
			d.floor[b] = max(d.floor[b]-floorFall, db, minFloor)
		}
	}
	return f
}

// levels fills bands with the mean-square level of window in each band,
// and returns the window's tonality and its total level.
func (d *EnergyDetector) levels(window []float32, bands *[len(bandEdges) - 1]float64) (tonality, total float64) {
	x, re, im := d.x[:WindowSize], d.re, d.im
	for i, v := range window {
		x[i] = float64(v) * d.hann[i]
	}
	d.spec.forward(x, re, im)
	const binHz = float64(SampleRate) / WindowSize
	lo, hi := int(math.Ceil(bandEdges[0]/binHz)), int(bandEdges[len(bandEdges)-1]/binHz)
	for k := lo; k < hi; k++ {
		re[k] = (re[k]*re[k] + im[k]*im[k]) * d.winNorm // power, reusing re
	}
	for b := range bands {
		for k := max(int(math.Ceil(bandEdges[b]/binHz)), lo); k < min(int(math.Ceil(bandEdges[b+1]/binHz)), hi); k++ {
			bands[b] += re[k]
		}
		total += bands[b]
	}
	var cluster, peak float64
	for k := lo; k < hi; k++ {
		cluster += re[k]
		if k-lo >= 2*peakHalf+1 {
			cluster -= re[k-2*peakHalf-1]
		}
		peak = max(peak, cluster)
	}
	return peak / (total + 1e-20), total
}

// voicing returns the peak of the normalised autocorrelation of the last
// 64 ms (the previous window and this one) at pitch lags.
func (d *EnergyDetector) voicing(window []float32) float64 {
	n := 4 * WindowSize
	x, re, im := d.x, d.re, d.im
	for i := range WindowSize {
		x[i] = float64(d.prev[i]) * d.hann2[i]
		x[WindowSize+i] = float64(window[i]) * d.hann2[WindowSize+i]
	}
	clear(x[2*WindowSize:]) // zero padding: the autocorrelation is linear
	d.pitch.forward(x, re, im)
	binHz := float64(SampleRate) / float64(n)
	lo, hi := int(math.Ceil(voicingLow/binHz)), int(voicingHigh/binHz)
	// The power spectrum in the band, tilted up by +3 dB/octave (each bin
	// weighted by its frequency) so that noise with a low-frequency slope
	// (pink, brown) does not look periodic; zero elsewhere. Its inverse
	// transform is the autocorrelation (Wiener-Khinchin).
	for k := range re {
		p := 0.0
		if k >= lo && k < hi {
			p = (re[k]*re[k] + im[k]*im[k]) * float64(k)
		}
		re[k] = p
	}
	d.pitch.inverseEven(re, x)
	re = x
	if re[0] <= 0 {
		return 0
	}
	var v float64
	for lag := minLag; lag <= maxLag; lag++ {
		v = max(v, re[lag]/re[0]/d.winCorr[lag])
	}
	return min(v, 1)
}

func (d *EnergyDetector) decide(f features) float32 {
	var loud, p float64
	if f.level >= minLevel {
		loud = logistic((f.snr - snrMid) / snrSlope)
		p = loud * logistic((f.voicing-voicingMid)/voicingSlope) * (1 - logistic((f.tonality-tonalMid)/tonalSlope))
	}
	if p >= 0.5 {
		d.hang = hangover
		return float32(p)
	}
	if d.hang > 0 {
		// The first windows after voiced speech bridge a stop's closure
		// (the silence before the burst of a final "t") whatever their
		// level; the rest only while there is sound above the floor.
		if d.hang > hangover-bridge {
			loud = 1
		}
		d.hang--
		p = max(p, hangoverProb*loud)
	}
	return float32(p)
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// Reset implements Detector: it forgets the noise floor, the hangover and
// the previous window.
func (d *EnergyDetector) Reset() {
	d.prev = [WindowSize]float32{}
	d.started = false
	d.steady, d.hang = 0, 0
}
