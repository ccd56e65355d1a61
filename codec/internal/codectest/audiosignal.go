package codectest

import "math"

// AudioFrameDuration is the duration of the frames the audio suite encodes,
// WebRTC's packet duration, in milliseconds.
const AudioFrameDuration = 20

// FrameSamples returns the number of samples per channel in one frame of
// AudioFrameDuration at rate Hz.
func FrameSamples(rate int) int { return rate * AudioFrameDuration / 1000 }

// Sine returns n samples of a sine wave of freq Hz at rate Hz, with peak
// amplitude amp (in 16-bit sample units) and starting phase 0.
func Sine(rate, n int, freq, amp float64) []float64 {
	s := make([]float64, n)
	w := 2 * math.Pi * freq / float64(rate)
	for i := range s {
		s[i] = amp * math.Sin(w*float64(i))
	}
	return s
}

// Chirp returns n samples of a sine sweep at rate Hz whose frequency rises
// (or falls) exponentially from f0 to f1 Hz over the n samples, with peak
// amplitude amp. Unlike a steady tone it correlates with itself at one lag
// only, so it pins down a codec's delay, and a codec cannot predict its next
// frame from the last, so it shows what concealment and FEC recover.
func Chirp(rate, n int, f0, f1, amp float64) []float64 {
	s := make([]float64, n)
	T := float64(n) / float64(rate)
	k := math.Log(f1 / f0)
	for i := range s {
		t := float64(i) / float64(rate)
		// Phase of an exponential sweep: 2π f0 T/k (e^{kt/T} - 1).
		ph := 2 * math.Pi * f0 * T / k * (math.Exp(k*t/T) - 1)
		s[i] = amp * math.Sin(ph)
	}
	return s
}

// Vowel returns n samples of a voice-like signal at rate Hz: a 150 Hz
// fundamental with harmonics that fall off at 6 dB per octave, up to 3 kHz
// or the Nyquist frequency, normalised to peak amplitude amp.
func Vowel(rate, n int, amp float64) []float64 {
	s := make([]float64, n)
	const f0 = 150
	for h := 1; float64(h*f0) < min(3000, 0.45*float64(rate)); h++ {
		w := 2 * math.Pi * float64(h*f0) / float64(rate)
		for i := range s {
			s[i] += math.Sin(w*float64(i)+float64(h*h)) / float64(h)
		}
	}
	peak := 0.0
	for _, v := range s {
		peak = max(peak, math.Abs(v))
	}
	for i := range s {
		s[i] *= amp / peak
	}
	return s
}

// Interleave rounds the channels, which must have the same length, to 16-bit
// samples and interleaves them.
func Interleave(chans ...[]float64) []int16 {
	n := len(chans[0])
	out := make([]int16, n*len(chans))
	for c, ch := range chans {
		for i, v := range ch {
			out[i*len(chans)+c] = int16(max(-32768, min(32767, math.Round(v))))
		}
	}
	return out
}

// Channel returns channel c of the interleaved pcm with the given number of
// channels, as float64.
func Channel(pcm []int16, c, channels int) []float64 {
	out := make([]float64, len(pcm)/channels)
	for i := range out {
		out[i] = float64(pcm[i*channels+c])
	}
	return out
}
