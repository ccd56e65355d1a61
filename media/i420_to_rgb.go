package media

import (
	"image"
)

// I420ToRGBA converts src, whose samples are BT.601 limited range, to opaque
// RGBA in dst, rounding to nearest and clamping. Each chroma sample applies to
// all the pixels it covers (no chroma interpolation), which makes
// RGBA -> I420 -> RGBA reproduce flat areas exactly, up to rounding.
//
// The pixel at src.Rect.Min lands at dst.Rect.Min, and the region converted
// has the smaller of the two widths and of the two heights; the rest of dst
// is left as it was. src
// may be of any subsample ratio and at any position; 4:2:0 with an even,
// non-negative Rect.Min (see [IsI420]) takes the fast path. I420ToRGBA does
// not allocate.
func I420ToRGBA(dst *image.RGBA, src *image.YCbCr) {
	w, h := common(dst.Rect, src.Rect)
	if w == 0 || h == 0 {
		return
	}
	if !isI420(src) {
		ycbcrToRGBAGeneric(dst, src, w, h)
		return
	}
	job := yuvJob{src: src, dst: dst, w: w, h: h}
	job.rows(0, (h+1)/2)
}

// ycbcrToRGBAGeneric converts src of any subsample ratio and position pixel
// by pixel.
func ycbcrToRGBAGeneric(dst *image.RGBA, src *image.YCbCr, w, h int) {
	sx, sy := src.Rect.Min.X, src.Rect.Min.Y
	for y := range h {
		d := dst.Pix[dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y):][:4*w]
		for x := range w {
			yi := src.YOffset(sx+x, sy+y)
			ci := src.COffset(sx+x, sy+y)
			r, g, b := YCbCrToRGB(src.Y[yi], src.Cb[ci], src.Cr[ci])
			p := d[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = r, g, b, 0xff
		}
	}
}

// yuvJob converts the top-left w×h of src, which satisfies isI420, to dst.
type yuvJob struct {
	src  *image.YCbCr
	dst  *image.RGBA
	w, h int
}

// rows converts chroma rows [c0, c1), that is luma rows [2*c0, 2*c1).
func (j *yuvJob) rows(c0, c1 int) {
	s, d := j.src, j.dst
	w, h := j.w, j.h
	cw := (w + 1) / 2
	yOff := s.YOffset(s.Rect.Min.X, s.Rect.Min.Y)
	cOff := s.COffset(s.Rect.Min.X, s.Rect.Min.Y)
	dOff := d.PixOffset(d.Rect.Min.X, d.Rect.Min.Y)
	for c := c0; c < c1; c++ {
		y0 := 2 * c
		y1 := y0 + 1
		if y1 == h {
			y1 = y0 // odd height: the last row is converted twice
		}
		cb := s.Cb[cOff+c*s.CStride:][:cw]
		cr := s.Cr[cOff+c*s.CStride:][:cw]
		yuvPair(d.Pix[dOff+y0*d.Stride:][:4*w], d.Pix[dOff+y1*d.Stride:][:4*w],
			s.Y[yOff+y0*s.YStride:][:w], s.Y[yOff+y1*s.YStride:][:w], cb, cr)
	}
}

// yuvPair converts luma rows y0 and y1 (which may be the same row) sharing
// the chroma rows cb and cr to RGBA rows d0 and d1. len(y0) is the width; d0
// and d1 hold 4*len(y0) bytes, cb and cr (len(y0)+1)/2.
func yuvPair(d0, d1, y0, y1, cb, cr []byte) {
	w := len(y0)
	y1 = y1[:w]
	d0 = d0[:4*w]
	d1 = d1[:4*w]
	cb = cb[:(w+1)/2]
	cr = cr[:len(cb)]
	for i := range w / 2 {
		u, v := int32(cb[i])-128, int32(cr[i])-128
		rv, guv, bu := kRCr*v, kGCb*u+kGCr*v, kBCb*u
		a := y0[2*i : 2*i+2 : 2*i+2]
		b := y1[2*i : 2*i+2 : 2*i+2]
		p := d0[8*i : 8*i+8 : 8*i+8]
		q := d1[8*i : 8*i+8 : 8*i+8]
		l := kY*(int32(a[0])-16) + 1<<15
		p[0], p[1], p[2], p[3] = clamp8((l+rv)>>16), clamp8((l-guv)>>16), clamp8((l+bu)>>16), 0xff
		l = kY*(int32(a[1])-16) + 1<<15
		p[4], p[5], p[6], p[7] = clamp8((l+rv)>>16), clamp8((l-guv)>>16), clamp8((l+bu)>>16), 0xff
		l = kY*(int32(b[0])-16) + 1<<15
		q[0], q[1], q[2], q[3] = clamp8((l+rv)>>16), clamp8((l-guv)>>16), clamp8((l+bu)>>16), 0xff
		l = kY*(int32(b[1])-16) + 1<<15
		q[4], q[5], q[6], q[7] = clamp8((l+rv)>>16), clamp8((l-guv)>>16), clamp8((l+bu)>>16), 0xff
	}
	if w&1 != 0 {
		i := w - 1
		u, v := int32(cb[i/2])-128, int32(cr[i/2])-128
		rv, guv, bu := kRCr*v, kGCb*u+kGCr*v, kBCb*u
		p := d0[4*i : 4*i+4 : 4*i+4]
		q := d1[4*i : 4*i+4 : 4*i+4]
		l := kY*(int32(y0[i])-16) + 1<<15
		p[0], p[1], p[2], p[3] = clamp8((l+rv)>>16), clamp8((l-guv)>>16), clamp8((l+bu)>>16), 0xff
		l = kY*(int32(y1[i])-16) + 1<<15
		q[0], q[1], q[2], q[3] = clamp8((l+rv)>>16), clamp8((l-guv)>>16), clamp8((l+bu)>>16), 0xff
	}
}
