package codectest

import (
	"image"
	"math"
)

// PSNR returns the peak signal-to-noise ratio of b against a over the luma
// plane, in dB, or +Inf if the planes are equal. a and b must have the same
// size.
func PSNR(a, b *image.YCbCr) float64 {
	w, h := a.Rect.Dx(), a.Rect.Dy()
	return planePSNR(a.Y, a.YStride, b.Y, b.YStride, w, h)
}

// chromaPSNR is PSNR for the Cb and Cr planes of 4:2:0 images.
func chromaPSNR(a, b *image.YCbCr) (cb, cr float64) {
	w, h := (a.Rect.Dx()+1)/2, (a.Rect.Dy()+1)/2
	return planePSNR(a.Cb, a.CStride, b.Cb, b.CStride, w, h),
		planePSNR(a.Cr, a.CStride, b.Cr, b.CStride, w, h)
}

func planePSNR(a []byte, aStride int, b []byte, bStride int, w, h int) float64 {
	var sum uint64
	for y := range h {
		ra := a[y*aStride : y*aStride+w]
		rb := b[y*bStride : y*bStride+w]
		for x := range ra {
			d := int(ra[x]) - int(rb[x])
			sum += uint64(d * d)
		}
	}
	if sum == 0 {
		return math.Inf(1)
	}
	mse := float64(sum) / float64(w*h)
	return 10 * math.Log10(255*255/mse)
}
