package yolo

import (
	"image"
)

// The seed's preprocessing (inference.py prepare_input): resize the frame to
// the model's input size with OpenCV's default bilinear filter, no
// letterbox, convert to RGB, scale to 0..1 and lay the planes out as NCHW.
// sampler.fill does the same straight from a 4:2:0 frame: it samples luma
// and chroma bilinearly at each input pixel's centre, converts with BT.601
// limited range and writes the three planes, with no intermediate image.

// fracBits is the precision of the interpolation weights.
const (
	fracBits = 8
	fracOne  = 1 << fracBits
)

// taps says, for each output position along one axis, which two source
// samples to blend (offsets from the plane's first sample on that axis)
// and the weight of the second, in 0..fracOne.
type taps struct {
	i0, i1 []int32
	w      []int32
}

// makeTaps fills t for n output positions along one axis of a frame that
// spans luma coordinates lumaMin..lumaMax-1, for a plane sub-sampled by sub
// (1 for luma, 2 for 4:2:0 chroma). Output position i has its centre at
// luma coordinate (i+0.5)*scale + lumaMin - 0.5, as OpenCV's resize puts
// it; plane sample k (absolute) covers luma sub*k..sub*k+sub-1 and has its
// centre in the middle. Offsets are relative to the sample that
// image.YCbCr's YOffset or COffset gives for lumaMin, and clamped to the
// plane's samples, which repeats the edge.
func makeTaps(t *taps, n, lumaMin, lumaMax, sub int) {
	t.i0 = t.i0[:0]
	t.i1 = t.i1[:0]
	t.w = t.w[:0]
	scale := float64(lumaMax-lumaMin) / float64(n)
	first := lumaMin / sub
	count := (lumaMax+sub-1)/sub - first
	for i := range n {
		pos := (float64(i)+0.5)*scale + float64(lumaMin) - 0.5 // luma coordinate
		k := (pos - float64(sub-1)/2) / float64(sub)           // plane coordinate
		k -= float64(first)
		k0 := int(k)
		if k < 0 {
			k0 = 0
			k = 0
		}
		frac := int32((k-float64(k0))*fracOne + 0.5)
		if frac >= fracOne {
			k0++
			frac = 0
		}
		k0 = min(k0, count-1)
		k1 := min(k0+1, count-1)
		t.i0 = append(t.i0, int32(k0))
		t.i1 = append(t.i1, int32(k1))
		t.w = append(t.w, frac)
	}
}

// sampler holds the tap tables of one frame size, reused across frames.
type sampler struct {
	src          image.Rectangle
	w, h         int
	lx, ly       taps     // luma
	cx, cy       taps     // chroma
	vy, vcb, vcr []uint32 // one output row blended vertically
	toFloat      [256]float32
	toFloatReady bool
}

func (s *sampler) prepare(src image.Rectangle, w, h int) {
	if !s.toFloatReady {
		for i := range s.toFloat {
			s.toFloat[i] = float32(i) / 255
		}
		s.toFloatReady = true
	}
	if s.src == src && s.w == w && s.h == h {
		return
	}
	s.src, s.w, s.h = src, w, h
	makeTaps(&s.lx, w, src.Min.X, src.Max.X, 1)
	makeTaps(&s.ly, h, src.Min.Y, src.Max.Y, 1)
	makeTaps(&s.cx, w, src.Min.X, src.Max.X, 2)
	makeTaps(&s.cy, h, src.Min.Y, src.Max.Y, 2)
}

// BT.601 limited-range to RGB, the coefficients of media.YCbCrToRGB in
// units of 1/65536, applied here to samples that carry 16 more fractional
// bits from the interpolation, so the only rounding is the final one.
const (
	kY   = 76309  // 255/219
	kRCr = 104597 // 255/224 * 1.402
	kGCb = 25675  // 255/224 * 1.772 * 0.114/0.587
	kGCr = 53279  // 255/224 * 1.402 * 0.299/0.587
	kBCb = 132201 // 255/224 * 1.772
)

// vlerp blends rows a and b into dst with weight w (0..fracOne) on b:
// values scaled by fracOne.
func vlerp(dst []uint32, a, b []uint8, w uint32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = uint32(a[i])*(fracOne-w) + uint32(b[i])*w
	}
}

// to8 rounds v, in units of 2^-32, to 0..255.
func to8(v int64) uint8 {
	v = (v + 1<<31) >> 32
	if uint64(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// fill writes frame, a 4:2:0 image with a non-empty Rect, resized to w x h,
// into dst as three planes R, G, B of w*h float32 values in 0..1. Each
// output row is first blended vertically from its two source rows, then
// each pixel horizontally.
func (s *sampler) fill(dst []float32, frame *image.YCbCr, w, h int) {
	s.prepare(frame.Rect, w, h)
	plane := w * h
	rp, gp, bp := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	y0 := frame.YOffset(frame.Rect.Min.X, frame.Rect.Min.Y)
	c0 := frame.COffset(frame.Rect.Min.X, frame.Rect.Min.Y)
	lw := frame.Rect.Dx()
	cw := (frame.Rect.Max.X+1)/2 - frame.Rect.Min.X/2
	s.vy = grow(s.vy, lw)
	s.vcb = grow(s.vcb, cw)
	s.vcr = grow(s.vcr, cw)
	vy, vcb, vcr := s.vy, s.vcb, s.vcr
	lx0, lx1, lxw := s.lx.i0[:w], s.lx.i1[:w], s.lx.w[:w]
	cx0, cx1, cxw := s.cx.i0[:w], s.cx.i1[:w], s.cx.w[:w]
	for oy := range h {
		ya := y0 + int(s.ly.i0[oy])*frame.YStride
		yb := y0 + int(s.ly.i1[oy])*frame.YStride
		vlerp(vy, frame.Y[ya:], frame.Y[yb:], uint32(s.ly.w[oy]))
		ca := c0 + int(s.cy.i0[oy])*frame.CStride
		cb := c0 + int(s.cy.i1[oy])*frame.CStride
		vlerp(vcb, frame.Cb[ca:], frame.Cb[cb:], uint32(s.cy.w[oy]))
		vlerp(vcr, frame.Cr[ca:], frame.Cr[cb:], uint32(s.cy.w[oy]))
		r, g, b := rp[oy*w:][:w], gp[oy*w:][:w], bp[oy*w:][:w]
		for ox := range r {
			wx := uint32(lxw[ox])
			yy := int64(vy[lx0[ox]]*(fracOne-wx)+vy[lx1[ox]]*wx) - 16<<(2*fracBits)
			wc := uint32(cxw[ox])
			u := int64(vcb[cx0[ox]]*(fracOne-wc)+vcb[cx1[ox]]*wc) - 128<<(2*fracBits)
			v := int64(vcr[cx0[ox]]*(fracOne-wc)+vcr[cx1[ox]]*wc) - 128<<(2*fracBits)
			l := kY * yy
			r[ox] = s.toFloat[to8(l+kRCr*v)]
			g[ox] = s.toFloat[to8(l-kGCb*u-kGCr*v)]
			b[ox] = s.toFloat[to8(l+kBCb*u)]
		}
	}
}

// grow returns b resized to n, reallocating only to grow.
func grow(b []uint32, n int) []uint32 {
	if cap(b) < n {
		return make([]uint32, n)
	}
	return b[:n]
}
