package media

import "image"

// Resize scales src to w x h with bilinear filtering, into dst when dst is
// a 4:2:0 image of that size at the origin, else into a new one, which it
// returns. src may be any 4:2:0 *image.YCbCr (a sub-image too); it is only
// read. Like cv2.resize in the Python demos, it does not keep the aspect
// ratio. It panics if w or h is not positive.
func Resize(dst, src *image.YCbCr, w, h int) *image.YCbCr {
	if w <= 0 || h <= 0 {
		panic("media: Resize to a non-positive size")
	}
	if dst == nil || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 || dst.Rect != image.Rect(0, 0, w, h) {
		dst = NewI420(w, h)
	}
	b := src.Rect
	sw, sh := b.Dx(), b.Dy()
	if sw <= 0 || sh <= 0 {
		return dst
	}
	y0 := src.YOffset(b.Min.X, b.Min.Y)
	c0 := src.COffset(b.Min.X, b.Min.Y)
	cw, ch := (w+1)/2, (h+1)/2
	scw, sch := (sw+1)/2, (sh+1)/2
	resizePlane(dst.Y, dst.YStride, w, h, src.Y[y0:], src.YStride, sw, sh)
	resizePlane(dst.Cb, dst.CStride, cw, ch, src.Cb[c0:], src.CStride, scw, sch)
	resizePlane(dst.Cr, dst.CStride, cw, ch, src.Cr[c0:], src.CStride, scw, sch)
	return dst
}

// resizePlane scales one plane with bilinear filtering in 16.16 fixed
// point, sampling at pixel centres.
func resizePlane(dst []byte, dstStride, w, h int, src []byte, srcStride, sw, sh int) {
	xStep := (sw << 16) / w
	yStep := (sh << 16) / h
	for y := range h {
		sy := (y*yStep + yStep/2) - 1<<15
		sy = max(sy, 0)
		y1 := sy >> 16
		fy := sy & 0xffff
		y2 := min(y1+1, sh-1)
		if y1 >= sh {
			y1, y2 = sh-1, sh-1
		}
		r1 := src[y1*srcStride : y1*srcStride+sw]
		r2 := src[y2*srcStride : y2*srcStride+sw]
		out := dst[y*dstStride : y*dstStride+w]
		for x := range out {
			sx := (x*xStep + xStep/2) - 1<<15
			sx = max(sx, 0)
			x1 := sx >> 16
			fx := sx & 0xffff
			x2 := min(x1+1, sw-1)
			if x1 >= sw {
				x1, x2 = sw-1, sw-1
			}
			top := int(r1[x1])*(0x10000-fx) + int(r1[x2])*fx
			bot := int(r2[x1])*(0x10000-fx) + int(r2[x2])*fx
			v := (top>>8)*(0x10000-fy)>>8 + (bot>>8)*fy>>8
			out[x] = uint8((v + 1<<15) >> 16)
		}
	}
}
