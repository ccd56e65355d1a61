package media

import (
	"image"
	"time"
)

// VideoFrame is one picture of a video stream: a 4:2:0 image and the time at
// which it is to be presented.
//
// A VideoFrame is a small value that refers to pixel memory; copying the
// struct does not copy the pixels, so every copy shares Image. The frame
// itself owns nothing: whoever hands a frame over states whether the receiver
// may keep it or write to it. Unless that API says otherwise, a receiver may
// read Image until it returns and must neither keep nor modify it; use
// [CopyI420] to keep a private copy. Because 4:2:0 shares one chroma sample
// between each 2x2 block of pixels, writing to a sub-image can change the
// colour of pixels just outside it.
type VideoFrame struct {
	// Image holds the pixels, with SubsampleRatio
	// image.YCbCrSubsampleRatio420 and samples in BT.601 limited range
	// (Y 16..235, Cb and Cr 16..240), as video codecs use them. Note that
	// the standard library's colour conversions for image.YCbCr (its At
	// method's RGBA) assume full range (JPEG); use this package's
	// conversions instead.
	Image *image.YCbCr

	// Timestamp is the presentation time of the frame, relative to the
	// start of its stream. A frame derived from another (a handler's output
	// from its input) carries the input's Timestamp.
	Timestamp time.Duration
}

// NewI420 returns a black w×h 4:2:0 image with Rect (0, 0, w, h) and tight
// strides (YStride w, CStride (w+1)/2). Its three planes are consecutive
// parts of one allocation: Y, then Cb, then Cr, as in the I420 layout. The
// image is black in BT.601 limited range (Y 16, Cb and Cr 128), not zeroed.
// NewI420 panics if w or h is negative.
func NewI420(w, h int) *image.YCbCr {
	if w < 0 || h < 0 {
		panic("media: NewI420 with negative size")
	}
	cw, ch := (w+1)/2, (h+1)/2
	ySize, cSize := w*h, cw*ch
	buf := make([]byte, ySize+2*cSize)
	y := buf[:ySize:ySize]
	c := buf[ySize:]
	fill(y, 16)
	fill(c, 128)
	return &image.YCbCr{
		Y:              y,
		Cb:             c[:cSize:cSize],
		Cr:             c[cSize : 2*cSize : 2*cSize],
		YStride:        w,
		CStride:        cw,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, w, h),
	}
}

// fill sets every byte of b to v.
func fill(b []byte, v byte) {
	if len(b) == 0 {
		return
	}
	b[0] = v
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}

// IsI420 reports whether img can be handed to a 4:2:0 video encoder as it is,
// and returns it as an *image.YCbCr if so. That holds for an *image.YCbCr with
// SubsampleRatio image.YCbCrSubsampleRatio420 whose Rect.Min has even,
// non-negative coordinates: the visible picture then starts at
// Y[img.YOffset(r.Min.X, r.Min.Y)] and at Cb, Cr[img.COffset(r.Min.X,
// r.Min.Y)], rows are YStride and CStride apart, and each chroma sample
// belongs to exactly one 2x2 block of visible pixels. A sub-image at an odd
// offset fails the test because its chroma samples straddle its edge; so does
// an image with negative coordinates, whose chroma the standard library maps
// irregularly.
func IsI420(img image.Image) (*image.YCbCr, bool) {
	p, ok := img.(*image.YCbCr)
	if !ok || !isI420(p) {
		return nil, false
	}
	return p, true
}

func isI420(p *image.YCbCr) bool {
	m := p.Rect.Min
	return p.SubsampleRatio == image.YCbCrSubsampleRatio420 && m.X >= 0 && m.Y >= 0 && m.X&1 == 0 && m.Y&1 == 0
}

// CopyI420 copies src into a 4:2:0 image and returns it. It writes into dst
// when dst is non-nil, 4:2:0 and of src's size (dst.Rect.Min may differ from
// src's), and otherwise allocates an image with [NewI420]. Unless dst is src
// (then CopyI420 returns it untouched), the result shares no memory with src,
// so CopyI420 is the way to keep a frame, or to get a writable one from a
// buffer that must not be written, such as a decoder's reference frame. src
// may be of any subsample ratio; chroma is resampled to 4:2:0 by averaging.
// dst and src must not be distinct views of overlapping memory. With dst
// supplied, CopyI420 does not allocate.
func CopyI420(dst, src *image.YCbCr) *image.YCbCr {
	w, h := size(src.Rect)
	dst = reuseI420(dst, w, h)
	if dst == src {
		return dst
	}
	ycbcrToYCbCr(dst, src)
	return dst
}

// reuseI420 returns dst if it is a 4:2:0 image of size w×h, and a new one
// otherwise.
func reuseI420(dst *image.YCbCr, w, h int) *image.YCbCr {
	if dst != nil && dst.SubsampleRatio == image.YCbCrSubsampleRatio420 && dst.Rect.Dx() == w && dst.Rect.Dy() == h {
		return dst
	}
	return NewI420(w, h)
}

// reuseRGBA returns dst if it is of size w×h, and a new image otherwise.
func reuseRGBA(dst *image.RGBA, w, h int) *image.RGBA {
	if dst != nil && dst.Rect.Dx() == w && dst.Rect.Dy() == h {
		return dst
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}

// size returns the width and height of r, each 0 when negative (r is not
// canonical).
func size(r image.Rectangle) (w, h int) {
	return max(r.Dx(), 0), max(r.Dy(), 0)
}

// common returns the size of the region converted between images with
// rectangles a and b: both anchored at their Min, the smaller of each
// dimension.
func common(a, b image.Rectangle) (w, h int) {
	aw, ah := size(a)
	bw, bh := size(b)
	return min(aw, bw), min(ah, bh)
}
