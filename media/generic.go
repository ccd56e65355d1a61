package media

import (
	"image"
	"image/color"
)

// toYCbCrGeneric writes the w×h region at dst.Rect.Min of dst, which may be of
// any subsample ratio and at any position, pixel by pixel. px returns, for the
// pixel at (x, y) relative to the region, its luma and its chroma numerators
// (see chromaNum). Pixels are grouped by the chroma sample dst.COffset maps
// them to, and each sample gets the rounded average of its group, so the
// result is exact for any layout the standard library can describe. It is the
// slow path: one call per pixel.
func toYCbCrGeneric(dst *image.YCbCr, w, h int, px func(x, y int) (uint8, int32, int32)) {
	x0, y0 := dst.Rect.Min.X, dst.Rect.Min.Y
	for gy := 0; gy < h; {
		// Rows gy..ey-1 share chroma rows.
		ey := gy + 1
		for ey < h && dst.COffset(x0, y0+ey) == dst.COffset(x0, y0+gy) {
			ey++
		}
		for gx := 0; gx < w; {
			ex := gx + 1
			for ex < w && dst.COffset(x0+ex, y0+gy) == dst.COffset(x0+gx, y0+gy) {
				ex++
			}
			var sb, sr int64
			for y := gy; y < ey; y++ {
				for x := gx; x < ex; x++ {
					l, cb, cr := px(x, y)
					dst.Y[dst.YOffset(x0+x, y0+y)] = l
					sb += int64(cb)
					sr += int64(cr)
				}
			}
			n := int64((ey - gy) * (ex - gx))
			ci := dst.COffset(x0+gx, y0+gy)
			dst.Cb[ci] = avgChroma(sb, n)
			dst.Cr[ci] = avgChroma(sr, n)
			gx = ex
		}
		gy = ey
	}
}

// avgChroma returns the chroma sample for the sum of n chroma numerators,
// rounded to nearest and clamped. For n of 1, 2 and 4 it agrees exactly with
// the fast paths, which shift by 16 or 18.
func avgChroma(sum, n int64) uint8 {
	v := (sum + n*(128<<16) + n*(1<<15)) / (n << 16)
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// colorToYCbCrNum returns the luma and chroma numerators of c composited over
// black. Samples of color.YCbCr and color.NYCbCrA are taken as BT.601 limited
// range, like every *image.YCbCr in this package.
func colorToYCbCrNum(c color.Color) (uint8, int32, int32) {
	switch c := c.(type) {
	case color.YCbCr:
		return c.Y, (int32(c.Cb) - 128) << 16, (int32(c.Cr) - 128) << 16
	case color.NYCbCrA:
		if c.A == 0xff {
			return c.Y, (int32(c.Cb) - 128) << 16, (int32(c.Cr) - 128) << 16
		}
		r, g, b := YCbCrToRGB(c.Y, c.Cb, c.Cr)
		ri, gi, bi := premul(r, g, b, c.A)
		cb, cr := chromaNum(ri, gi, bi)
		return rgbToY(ri, gi, bi), cb, cr
	}
	r, g, b, _ := colorToRGBA8(c)
	ri, gi, bi := int32(r), int32(g), int32(b)
	cb, cr := chromaNum(ri, gi, bi)
	return rgbToY(ri, gi, bi), cb, cr
}

// colorToRGBA8 returns c as 8-bit alpha-premultiplied RGBA, that is
// composited over black, rounded to nearest. Samples of color.YCbCr and
// color.NYCbCrA are taken as BT.601 limited range.
func colorToRGBA8(c color.Color) (r, g, b, a uint8) {
	switch c := c.(type) {
	case color.RGBA:
		return c.R, c.G, c.B, c.A
	case color.NRGBA:
		ri, gi, bi := premul(c.R, c.G, c.B, c.A)
		return uint8(ri), uint8(gi), uint8(bi), c.A
	case color.Gray:
		return c.Y, c.Y, c.Y, 0xff
	case color.YCbCr:
		r, g, b := YCbCrToRGB(c.Y, c.Cb, c.Cr)
		return r, g, b, 0xff
	case color.NYCbCrA:
		r, g, b := YCbCrToRGB(c.Y, c.Cb, c.Cr)
		ri, gi, bi := premul(r, g, b, c.A)
		return uint8(ri), uint8(gi), uint8(bi), c.A
	}
	r16, g16, b16, a16 := c.RGBA()
	return to8(r16), to8(g16), to8(b16), to8(a16)
}

// to8 scales a 16-bit colour channel to 8 bits, rounding to nearest; it is
// exact for 16-bit values that came from 8-bit ones (v*0x101).
func to8(v uint32) uint8 {
	return uint8((v*255 + 32767) / 65535)
}
