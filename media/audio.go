package media

import "time"

// AudioFrame is a stretch of PCM audio: 16-bit samples, interleaved by
// channel, at a sample rate, and the time at which its first sample is to be
// played.
//
// Like VideoFrame, an AudioFrame is a small value that refers to sample
// memory; copying the struct does not copy the samples. Unless the API that
// hands a frame over says otherwise, a receiver may read Samples until it
// returns and must neither keep nor modify them; copy them (slices.Clone) to
// keep them.
type AudioFrame struct {
	// Samples holds the audio, interleaved: for stereo, left, right, left,
	// right, and so on. Its length is a multiple of Channels. Full scale is
	// [-32768, 32767]; see Int16ToFloat32 for the float convention.
	Samples []int16

	// SampleRate is the number of samples per second per channel, in Hz,
	// for example 48000 (WebRTC's Opus) or 16000 (speech models).
	SampleRate int

	// Channels is the number of interleaved channels, 1 (mono) or 2
	// (stereo) in WebRTC.
	Channels int

	// Timestamp is the presentation time of the first sample, relative to
	// the start of its stream. A frame derived from another (a handler's
	// output from its input) carries the input's Timestamp.
	Timestamp time.Duration
}

// Frames returns the number of sample frames in f (a sample frame is one
// sample of each channel): len(Samples) / Channels, or 0 if Channels is not
// positive.
func (f AudioFrame) Frames() int {
	if f.Channels <= 0 {
		return 0
	}
	return len(f.Samples) / f.Channels
}

// Duration returns how long f plays: Frames() / SampleRate, rounded down to
// the nanosecond, or 0 if SampleRate is not positive.
func (f AudioFrame) Duration() time.Duration {
	if f.SampleRate <= 0 {
		return 0
	}
	n, rate := int64(f.Frames()), int64(f.SampleRate)
	// Whole seconds first, so that long frames do not overflow.
	return time.Duration(n/rate)*time.Second + time.Duration(n%rate)*time.Second/time.Duration(rate)
}

// Int16ToFloat32 appends src, 16-bit samples, to dst as float32 samples in
// [-1, 1) and returns the extended slice: each sample is divided by 32768,
// the convention of the Web Audio API and most audio libraries, so the
// conversion is exact and Float32ToInt16 undoes it.
func Int16ToFloat32(dst []float32, src []int16) []float32 {
	n := len(dst)
	dst = grow(dst, len(src))
	out := dst[n:]
	for i, v := range src {
		out[i] = float32(v) * (1.0 / 32768)
	}
	return dst
}

// Float32ToInt16 appends src, float32 samples with full scale [-1, 1], to dst
// as 16-bit samples and returns the extended slice. Each sample is
// multiplied by 32768, rounded to the nearest integer (halves away from
// zero) and clamped to [-32768, 32767], so that 1.0 becomes 32767 and
// anything louder clips rather than wraps. NaN becomes 0.
func Float32ToInt16(dst []int16, src []float32) []int16 {
	n := len(dst)
	dst = grow(dst, len(src))
	out := dst[n:]
	for i, v := range src {
		out[i] = floatToInt16(v * 32768)
	}
	return dst
}

// floatToInt16 rounds v to the nearest integer, halves away from zero, and
// clamps it to the int16 range; NaN gives 0.
func floatToInt16(v float32) int16 {
	switch {
	case v >= 32767:
		return 32767
	case v <= -32768:
		return -32768
	case v >= 0:
		// In float64, v+0.5 is exact: in float32 it would round up
		// 0.49999997 to 1.
		return int16(float64(v) + 0.5)
	case v < 0:
		return int16(float64(v) - 0.5)
	}
	return 0 // NaN
}

// Remix appends src, interleaved audio with fromCh channels, to dst with its
// channels remixed to toCh, and returns the extended slice. Channel c of the
// output is:
//   - when toCh < fromCh, the mean of the input channels i with i mod toCh
//     == c: stereo to mono averages left and right (which keeps a sound
//     present in both at its level and cannot clip), and 4.0 to stereo
//     folds the rear channels into the front ones;
//   - when toCh >= fromCh, input channel c mod fromCh: mono to stereo plays
//     the sound on both channels.
//
// Means are rounded to the nearest integer, halves up. When fromCh equals
// toCh, Remix copies. Remix panics if a channel count is not positive or
// len(src) is not a multiple of fromCh. dst and src must not overlap unless
// they are the same slice and toCh <= fromCh, which remixes in place (pass
// src[:0] as dst).
func Remix(dst, src []int16, fromCh, toCh int) []int16 {
	if fromCh <= 0 || toCh <= 0 {
		panic("media: Remix with a channel count that is not positive")
	}
	if len(src)%fromCh != 0 {
		panic("media: Remix: len(src) is not a multiple of the channel count")
	}
	frames := len(src) / fromCh
	n := len(dst)
	dst = grow(dst, frames*toCh)
	out := dst[n:]
	switch {
	case fromCh == toCh:
		copy(out, src)
	case fromCh == 2 && toCh == 1:
		for i := range frames {
			out[i] = int16((int(src[2*i]) + int(src[2*i+1]) + 1) >> 1)
		}
	case fromCh == 1 && toCh == 2:
		// Backwards, so that nothing is overwritten before it is read.
		for i := frames - 1; i >= 0; i-- {
			v := src[i]
			out[2*i], out[2*i+1] = v, v
		}
	case toCh < fromCh:
		for f := range frames {
			in := src[f*fromCh : (f+1)*fromCh]
			for c := range toCh {
				sum, k := 0, 0
				for i := c; i < fromCh; i += toCh {
					sum += int(in[i])
					k++
				}
				out[f*toCh+c] = int16(roundDiv(sum, k))
			}
		}
	default:
		for f := frames - 1; f >= 0; f-- {
			in := src[f*fromCh : (f+1)*fromCh]
			o := out[f*toCh : (f+1)*toCh]
			for c := toCh - 1; c >= 0; c-- {
				o[c] = in[c%fromCh]
			}
		}
	}
	return dst
}

// roundDiv returns sum/k rounded to the nearest integer, halves up, for
// k > 0 and sums of int16 values.
func roundDiv(sum, k int) int {
	const bias = 1 << 16 // makes the dividend positive, so / rounds down
	return (2*(sum+bias*k)+k)/(2*k) - bias
}

// ToMono appends src, interleaved audio with the given number of channels,
// to dst as mono, the mean of the channels, and returns the extended slice.
// It is Remix(dst, src, channels, 1).
func ToMono(dst, src []int16, channels int) []int16 {
	return Remix(dst, src, channels, 1)
}

// ToStereo appends src, interleaved audio with the given number of
// channels, to dst as stereo, and returns the extended slice: mono is
// copied to both channels, and more than two channels are folded as Remix
// describes. It is Remix(dst, src, channels, 2).
func ToStereo(dst, src []int16, channels int) []int16 {
	return Remix(dst, src, channels, 2)
}

// grow returns s extended by n elements, reallocating only if its capacity
// is short. The new elements are not cleared.
func grow[T any](s []T, n int) []T {
	if n <= cap(s)-len(s) {
		return s[:len(s)+n]
	}
	ns := make([]T, len(s)+n, max(2*cap(s), len(s)+n))
	copy(ns, s)
	return ns
}
