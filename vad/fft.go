package vad

import (
	"math"
	"math/bits"
)

// fft is an in-place radix-2 complex FFT of one power-of-two size, with
// its twiddle factors and bit-reversal table computed once.
type fft struct {
	n        int
	cos, sin []float64 // e^(-2πik/n) for k < n/2
	rev      []int32
}

func newFFT(n int) *fft {
	if n < 2 || n&(n-1) != 0 {
		panic("vad: FFT size is not a power of two")
	}
	f := &fft{n: n, cos: make([]float64, n/2), sin: make([]float64, n/2), rev: make([]int32, n)}
	for k := range n / 2 {
		a := -2 * math.Pi * float64(k) / float64(n)
		f.cos[k], f.sin[k] = math.Cos(a), math.Sin(a)
	}
	shift := 64 - bits.TrailingZeros(uint(n))
	for i := range n {
		f.rev[i] = int32(bits.Reverse64(uint64(i)) >> shift)
	}
	return f
}

// transform replaces (re, im) by its discrete Fourier transform,
// X[k] = Σ x[j] e^(-2πijk/n), or by the unscaled inverse if inverse is set.
func (f *fft) transform(re, im []float64, inverse bool) {
	n := f.n
	re, im = re[:n], im[:n]
	for i, j := range f.rev {
		if int(j) > i {
			re[i], re[j] = re[j], re[i]
			im[i], im[j] = im[j], im[i]
		}
	}
	sign := 1.0
	if inverse {
		sign = -1
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for k := range half {
			wr, wi := f.cos[k*step], sign*f.sin[k*step]
			for a := k; a+half < n; a += size {
				b := a + half
				tr := wr*re[b] - wi*im[b]
				ti := wr*im[b] + wi*re[b]
				re[b], im[b] = re[a]-tr, im[a]-ti
				re[a] += tr
				im[a] += ti
			}
		}
	}
}

// realFFT transforms n real samples with one complex FFT of n/2 points.
type realFFT struct {
	n        int
	half     *fft
	cos, sin []float64 // e^(-2πik/n) for k <= n/2
	zr, zi   []float64 // scratch, n/2
}

func newRealFFT(n int) *realFFT {
	f := &realFFT{n: n, half: newFFT(n / 2), cos: make([]float64, n/2+1), sin: make([]float64, n/2+1),
		zr: make([]float64, n/2), zi: make([]float64, n/2)}
	for k := range f.cos {
		a := -2 * math.Pi * float64(k) / float64(n)
		f.cos[k], f.sin[k] = math.Cos(a), math.Sin(a)
	}
	return f
}

// forward sets re[k], im[k] for k = 0..n/2 to the DFT of the n real
// samples x; the other half of the spectrum is their mirror. re and im
// need n/2+1 elements.
func (f *realFFT) forward(x, re, im []float64) {
	m := f.n / 2
	zr, zi := f.zr, f.zi
	for j := range m {
		zr[j], zi[j] = x[2*j], x[2*j+1]
	}
	f.half.transform(zr, zi, false)
	// Bins 0 and m (where Z[m] is Z[0]) are real.
	re[0], im[0] = zr[0]+zi[0], 0
	re[m], im[m] = zr[0]-zi[0], 0
	for k := 1; k < m; k++ {
		ar, ai := zr[k], zi[k]
		br, bi := zr[m-k], -zi[m-k]     // conj(Z[m-k])
		er, ei := (ar+br)/2, (ai+bi)/2  // even samples' DFT
		or, oi := (ai-bi)/2, -(ar-br)/2 // odd samples': (a-b)/2i
		wr, wi := f.cos[k], f.sin[k]
		re[k] = er + wr*or - wi*oi
		im[k] = ei + wr*oi + wi*or
	}
}

// inverseEven sets x to the unscaled inverse DFT (n times the true
// inverse) of the real, even spectrum p[k], k = 0..n/2, whose other half is
// its mirror: x is real and even too.
func (f *realFFT) inverseEven(p, x []float64) {
	m := f.n / 2
	zr, zi := f.zr, f.zi
	for k := range m {
		a, b := p[k], p[m-k]
		// E = (X[k] + X[k+m])/2 and O = (X[k] - X[k+m]) e^(2πik/n) / 2,
		// where X[k+m] = X[m-k] for an even spectrum; Z = E + iO.
		e := (a + b) / 2
		or, oi := (a-b)/2*f.cos[k], -(a-b)/2*f.sin[k]
		zr[k], zi[k] = e-oi, or
	}
	f.half.transform(zr, zi, true)
	for j := range m {
		x[2*j], x[2*j+1] = 2*zr[j], 2*zi[j]
	}
}
