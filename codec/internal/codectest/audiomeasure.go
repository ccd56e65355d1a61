package codectest

import (
	"math"
	"math/cmplx"
)

// Correlation returns the normalised correlation of a and b, which must
// have the same length: Σab / √(Σa² Σb²), 1 for signals of the same shape
// whatever their levels, 0 for unrelated ones. It is 0 if either is
// silent.
func Correlation(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

// LevelDB returns the level of got relative to ref, in dB: 10 log10(Σgot² /
// Σref²).
func LevelDB(ref, got []float64) float64 {
	return 10 * math.Log10(energy(got)/energy(ref))
}

// SNR returns the signal-to-noise ratio of got against ref, in dB: 10
// log10(Σref² / Σ(ref-got)²), +Inf if they are equal.
func SNR(ref, got []float64) float64 {
	var noise float64
	for i := range ref {
		d := ref[i] - got[i]
		noise += d * d
	}
	return 10 * math.Log10(energy(ref)/noise)
}

// RMS returns the root mean square of s.
func RMS(s []float64) float64 {
	if len(s) == 0 {
		return 0
	}
	return math.Sqrt(energy(s) / float64(len(s)))
}

func energy(s []float64) float64 {
	var e float64
	for _, v := range s {
		e += v * v
	}
	return e
}

// Delay finds by how many samples got lags ref: the lag l in [minLag,
// maxLag] that maximises the normalised correlation of ref with got shifted
// back by l, over the samples where they overlap. It returns the lag and
// that correlation. Use a signal that is not periodic, such as a Chirp,
// or the answer is ambiguous; a tone pins the delay down only within one
// period, so search around a lag the chirp found.
func Delay(ref, got []float64, minLag, maxLag int) (lag int, corr float64) {
	n := min(len(ref), len(got))
	ref, got = ref[:n], got[:n]
	minLag, maxLag = max(0, minLag), min(n-1, maxLag)
	var xc []float64 // xc[l-minLag] = Σ ref[i] got[i+l]
	if (maxLag-minLag+1)*n <= 1<<23 {
		xc = make([]float64, maxLag-minLag+1)
		for l := minLag; l <= maxLag; l++ {
			var s float64
			for i, r := range ref[:n-l] {
				s += r * got[i+l]
			}
			xc[l-minLag] = s
		}
	} else {
		xc = crossCorrelate(ref, got)[minLag : maxLag+1]
	}
	// Energies of the overlapping parts, from running sums.
	refE := make([]float64, n+1) // refE[k] = Σ ref[:k]²
	gotE := make([]float64, n+1) // gotE[k] = Σ got[:k]²
	for i := range n {
		refE[i+1] = refE[i] + ref[i]*ref[i]
		gotE[i+1] = gotE[i] + got[i]*got[i]
	}
	corr = math.Inf(-1)
	for l := minLag; l <= maxLag; l++ {
		e := refE[n-l] * (gotE[n] - gotE[l])
		if e <= 0 {
			continue
		}
		if c := xc[l-minLag] / math.Sqrt(e); c > corr {
			lag, corr = l, c
		}
	}
	return lag, corr
}

// crossCorrelate returns xc with xc[l] = Σ_i a[i] b[i+l] for l in [0,
// len(b)), by FFT.
func crossCorrelate(a, b []float64) []float64 {
	size := 1
	for size < len(a)+len(b) {
		size *= 2
	}
	fa := make([]complex128, size)
	fb := make([]complex128, size)
	for i, v := range a {
		fa[i] = complex(v, 0)
	}
	for i, v := range b {
		fb[i] = complex(v, 0)
	}
	fft(fa, false)
	fft(fb, false)
	for i := range fa {
		fa[i] = complex(real(fa[i]), -imag(fa[i])) * fb[i]
	}
	fft(fa, true)
	xc := make([]float64, len(b))
	for l := range xc {
		xc[l] = real(fa[l]) / float64(size)
	}
	return xc
}

// fft transforms x in place (its length a power of two); inverse runs the
// inverse transform without the 1/n scaling.
func fft(x []complex128, inverse bool) {
	n := len(x)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j |= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size *= 2 {
		w := cmplx.Rect(1, sign*2*math.Pi/float64(size))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := range size / 2 {
				u, v := x[start+k], x[start+k+size/2]*wk
				x[start+k], x[start+k+size/2] = u+v, u-v
				wk *= w
			}
		}
	}
}

// MaxStep returns the largest absolute difference between neighbouring
// samples of s: a click shows up as a step far larger than the signal's
// own.
func MaxStep(s []float64) float64 {
	m := 0.0
	for i := 1; i < len(s); i++ {
		m = max(m, math.Abs(s[i]-s[i-1]))
	}
	return m
}
