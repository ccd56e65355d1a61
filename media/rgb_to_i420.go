package media

import (
	"encoding/binary"
	"image"
)

// RGBAToI420 converts src to BT.601 limited-range Y'CbCr in dst, which should
// be 4:2:0. Each chroma sample is computed from the average colour of the 2x2
// block of pixels it covers (of the 2x1, 1x2 or single pixel that remains at
// the right and bottom edges of an odd-sized image), without intermediate
// rounding; luma and chroma are rounded to nearest.
//
// The pixel at src.Rect.Min lands at dst.Rect.Min, and the region converted
// has the smaller of the two widths and of the two heights; the rest of dst
// is left as it was.
// *image.RGBA holds alpha-premultiplied colour, so its colour channels are
// used as they are: that is the image composited over black, and alpha is
// otherwise ignored. When dst is not 4:2:0 (it may be of any subsample ratio)
// or its Rect.Min is odd or negative, a slower exact path is taken; a chroma
// sample shared with pixels outside the converted region is computed from the
// pixels inside it alone. RGBAToI420 does not allocate.
func RGBAToI420(dst *image.YCbCr, src *image.RGBA) {
	w, h := common(dst.Rect, src.Rect)
	if w == 0 || h == 0 {
		return
	}
	if !isI420(dst) {
		sp := src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y):]
		stride := src.Stride
		toYCbCrGeneric(dst, w, h, func(x, y int) (uint8, int32, int32) {
			p := sp[y*stride+4*x:][:4]
			r, g, b := int32(p[0]), int32(p[1]), int32(p[2])
			cb, cr := chromaNum(r, g, b)
			return rgbToY(r, g, b), cb, cr
		})
		return
	}
	job := rgbJob{dst: dst, pix: src.Pix, off: src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y), stride: src.Stride, w: w, h: h}
	job.rows(0, (h+1)/2)
}

// NRGBAToI420 is like [RGBAToI420] for non-premultiplied colour: each pixel is
// composited over black (its colour multiplied by its alpha, rounded) before
// conversion, so a fully opaque image converts exactly as the same
// *image.RGBA would, and a transparent pixel becomes black.
func NRGBAToI420(dst *image.YCbCr, src *image.NRGBA) {
	w, h := common(dst.Rect, src.Rect)
	if w == 0 || h == 0 {
		return
	}
	if !isI420(dst) {
		sp := src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y):]
		stride := src.Stride
		toYCbCrGeneric(dst, w, h, func(x, y int) (uint8, int32, int32) {
			p := sp[y*stride+4*x:][:4]
			r, g, b := premul(p[0], p[1], p[2], p[3])
			cb, cr := chromaNum(r, g, b)
			return rgbToY(r, g, b), cb, cr
		})
		return
	}
	job := rgbJob{dst: dst, pix: src.Pix, off: src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y), stride: src.Stride, w: w, h: h, nrgba: true}
	job.rows(0, (h+1)/2)
}

// premul composites a non-premultiplied 8-bit colour over black, rounding
// to nearest.
func premul(r, g, b, a uint8) (int32, int32, int32) {
	if a == 0xff {
		return int32(r), int32(g), int32(b)
	}
	ai := uint32(a)
	return int32(div255(uint32(r) * ai)), int32(div255(uint32(g) * ai)), int32(div255(uint32(b) * ai))
}

// div255 returns x/255 rounded to nearest, for x in 0..255*255.
func div255(x uint32) uint32 {
	x += 128
	return (x + x>>8) >> 8
}

// rgbJob converts 8-bit RGBA or NRGBA pixels (4 bytes each, starting at
// pix[off], rows stride bytes apart) to the top-left w×h of dst, which
// satisfies isI420.
type rgbJob struct {
	dst         *image.YCbCr
	pix         []byte
	off, stride int
	w, h        int
	nrgba       bool
}

// rows converts chroma rows [c0, c1), that is luma rows [2*c0, 2*c1).
func (j *rgbJob) rows(c0, c1 int) {
	d := j.dst
	w, h := j.w, j.h
	cw := (w + 1) / 2
	yOff := d.YOffset(d.Rect.Min.X, d.Rect.Min.Y)
	cOff := d.COffset(d.Rect.Min.X, d.Rect.Min.Y)
	for c := c0; c < c1; c++ {
		y0 := 2 * c
		y1 := y0 + 1
		if y1 == h {
			y1 = y0 // odd height: the last block has one row, counted twice
		}
		s0 := j.pix[j.off+y0*j.stride:][:4*w]
		s1 := j.pix[j.off+y1*j.stride:][:4*w]
		d0 := d.Y[yOff+y0*d.YStride:][:w]
		d1 := d.Y[yOff+y1*d.YStride:][:w]
		cb := d.Cb[cOff+c*d.CStride:][:cw]
		cr := d.Cr[cOff+c*d.CStride:][:cw]
		if j.nrgba {
			nrgbaPair(d0, d1, cb, cr, s0, s1)
		} else {
			rgbaPair(d0, d1, cb, cr, s0, s1)
		}
	}
}

// Two pixels in a uint64, as loaded from RGBA memory, hold each channel in
// the low byte of a 32-bit lane: lane8 selects the red channels, and shifting
// by 8 or 16 first selects green or blue. Luma numerators are below 2^24, so
// one 64-bit multiply computes the products for both pixels without carries
// between lanes.
const (
	lane8     = 0x000000ff_000000ff
	yBias2    = yBias * (1 | 1<<32)
	alphaMask = 0xff000000_ff000000
)

// luma2 returns the limited-range luma of the two RGBA pixels in v, packed as
// the low and high byte of a uint16.
func luma2(v uint64) uint16 {
	y := yR*(v&lane8) + yG*(v>>8&lane8) + yB*(v>>16&lane8) + yBias2
	return uint16(y>>16&0xff | y>>40&0xff00)
}

// rgbaPair converts two rows of premultiplied RGBA pixels, s0 and s1 (which
// may be the same row), to luma rows d0 and d1 and one row of chroma. len(d0)
// is the width; s0 and s1 hold 4*len(d0) bytes, cb and cr (len(d0)+1)/2.
func rgbaPair(d0, d1, cb, cr, s0, s1 []byte) {
	w := len(d0)
	n := w / 2
	s0, s1 = s0[:4*w], s1[:4*w]
	d0, d1 = d0[:w], d1[:w]
	cb, cr = cb[:(w+1)/2], cr[:(w+1)/2]
	for i := range n {
		va := binary.LittleEndian.Uint64(s0[8*i:])
		vb := binary.LittleEndian.Uint64(s1[8*i:])
		binary.LittleEndian.PutUint16(d0[2*i:], luma2(va))
		binary.LittleEndian.PutUint16(d1[2*i:], luma2(vb))
		// Add the four pixels channel by channel: first lane-wise, then
		// the two lanes.
		rs, gs, bs := va&lane8+vb&lane8, va>>8&lane8+vb>>8&lane8, va>>16&lane8+vb>>16&lane8
		r, g, b := int32(rs+rs>>32), int32(gs+gs>>32), int32(bs+bs>>32)
		cb[i] = uint8((cbB*b - cbR*r - cbG*g + cBias4) >> 18)
		cr[i] = uint8((crR*r - crG*g - crB*b + cBias4) >> 18)
	}
	if w&1 != 0 {
		// Odd width: the last block is one column wide, counted twice.
		x := w - 1
		p, q := s0[4*x:4*x+4:4*x+4], s1[4*x:4*x+4:4*x+4]
		blockTail(d0, d1, cb, cr, x,
			int32(p[0]), int32(p[1]), int32(p[2]), int32(q[0]), int32(q[1]), int32(q[2]))
	}
}

// blockTail converts the last, one pixel wide column x of a row pair: the
// pixel (r0, g0, b0) in row 0 and (r1, g1, b1) in row 1.
func blockTail(d0, d1, cb, cr []byte, x int, r0, g0, b0, r1, g1, b1 int32) {
	d0[x] = rgbToY(r0, g0, b0)
	d1[x] = rgbToY(r1, g1, b1)
	r, g, b := 2*(r0+r1), 2*(g0+g1), 2*(b0+b1)
	cb[x/2] = uint8((cbB*b - cbR*r - cbG*g + cBias4) >> 18)
	cr[x/2] = uint8((crR*r - crG*g - crB*b + cBias4) >> 18)
}

// nrgbaPair is rgbaPair for non-premultiplied pixels. Blocks of four opaque
// pixels take rgbaPair's path; others are premultiplied pixel by pixel.
func nrgbaPair(d0, d1, cb, cr, s0, s1 []byte) {
	w := len(d0)
	n := w / 2
	s0, s1 = s0[:4*w], s1[:4*w]
	d0, d1 = d0[:w], d1[:w]
	cb, cr = cb[:(w+1)/2], cr[:(w+1)/2]
	for i := range n {
		va := binary.LittleEndian.Uint64(s0[8*i:])
		vb := binary.LittleEndian.Uint64(s1[8*i:])
		if va&vb&alphaMask != alphaMask {
			va, vb = premul2(va), premul2(vb)
		}
		binary.LittleEndian.PutUint16(d0[2*i:], luma2(va))
		binary.LittleEndian.PutUint16(d1[2*i:], luma2(vb))
		rs, gs, bs := va&lane8+vb&lane8, va>>8&lane8+vb>>8&lane8, va>>16&lane8+vb>>16&lane8
		r, g, b := int32(rs+rs>>32), int32(gs+gs>>32), int32(bs+bs>>32)
		cb[i] = uint8((cbB*b - cbR*r - cbG*g + cBias4) >> 18)
		cr[i] = uint8((crR*r - crG*g - crB*b + cBias4) >> 18)
	}
	if w&1 != 0 {
		x := w - 1
		p, q := s0[4*x:4*x+4:4*x+4], s1[4*x:4*x+4:4*x+4]
		r0, g0, b0 := premul(p[0], p[1], p[2], p[3])
		r1, g1, b1 := premul(q[0], q[1], q[2], q[3])
		blockTail(d0, d1, cb, cr, x, r0, g0, b0, r1, g1, b1)
	}
}

// premul2 premultiplies the two NRGBA pixels in v by their alpha (see
// premul); the alpha bytes of the result are not used.
func premul2(v uint64) uint64 {
	var out uint64
	for k := 0; k < 64; k += 32 {
		p := uint32(v >> k)
		r, g, b := premul(uint8(p), uint8(p>>8), uint8(p>>16), uint8(p>>24))
		out |= uint64(uint32(r)|uint32(g)<<8|uint32(b)<<16) << k
	}
	return out
}
