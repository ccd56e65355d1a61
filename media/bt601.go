package media

// BT.601 limited-range ("studio swing") conversion in 16-bit fixed point.
//
// With R, G, B in 0..255 (ITU-R BT.601, Kr = 0.299, Kb = 0.114):
//
//	Y  =  16 + ( 65.481 R + 128.553 G +  24.966 B) / 255
//	Cb = 128 + (-37.797 R -  74.203 G + 112.000 B) / 255
//	Cr = 128 + (112.000 R -  93.786 G -  18.214 B) / 255
//
// Each coefficient below is the factor above times 65536/255, rounded; the
// chroma coefficients are nudged so that each row sums to exactly zero, which
// makes every grey (R = G = B) map to Cb = Cr = 128 exactly.
const (
	yR = 16829 // 0.256788 << 16
	yG = 33039 // 0.504129 << 16
	yB = 6416  // 0.097906 << 16

	cbR = 9714  // -0.148223 << 16 (subtracted)
	cbG = 19070 // -0.290993 << 16 (subtracted)
	cbB = 28784 // +0.439216 << 16

	crR = 28784 // +0.439216 << 16
	crG = 24103 // -0.367788 << 16 (subtracted)
	crB = 4681  // -0.071427 << 16 (subtracted)

	// yBias adds the offset 16 and one half for rounding.
	yBias = 16<<16 + 1<<15
	// cBias1 adds the offset 128 and one half for rounding when one pixel's
	// chroma numerator is shifted by 16; cBias4 does the same for the sum of
	// four pixels, shifted by 18.
	cBias1 = 128<<16 + 1<<15
	cBias4 = 128<<18 + 1<<17
)

// Inverse transform, 16-bit fixed point:
//
//	R = 1.164384 (Y - 16)                      + 1.596027 (Cr - 128)
//	G = 1.164384 (Y - 16) - 0.391762 (Cb - 128) - 0.812968 (Cr - 128)
//	B = 1.164384 (Y - 16) + 2.017232 (Cb - 128)
const (
	kY   = 76309  // 255/219
	kRCr = 104597 // 255/224 * 1.402
	kGCb = 25675  // 255/224 * 1.772 * 0.114/0.587
	kGCr = 53279  // 255/224 * 1.402 * 0.299/0.587
	kBCb = 132201 // 255/224 * 1.772
)

// RGBToYCbCr converts an opaque sRGB colour to BT.601 limited-range
// ("studio swing") Y'CbCr, as used by video: Y in 16..235, Cb and Cr in
// 16..240. Results are rounded to nearest. Unlike [image/color.RGBToYCbCr], which
// implements the full-range JPEG (JFIF) variant, this is what a video encoder
// expects.
func RGBToYCbCr(r, g, b uint8) (y, cb, cr uint8) {
	ri, gi, bi := int32(r), int32(g), int32(b)
	y = uint8((yR*ri + yG*gi + yB*bi + yBias) >> 16)
	cb = uint8((cbB*bi - cbR*ri - cbG*gi + cBias1) >> 16)
	cr = uint8((crR*ri - crG*gi - crB*bi + cBias1) >> 16)
	return y, cb, cr
}

// YCbCrToRGB converts a BT.601 limited-range Y'CbCr sample to sRGB, rounding
// to nearest and clamping to 0..255 (samples outside the nominal 16..235 and
// 16..240 ranges are accepted). It is the inverse of [RGBToYCbCr] up to
// rounding; unlike [image/color.YCbCrToRGB] it treats the sample as video
// (limited range), not JPEG (full range).
func YCbCrToRGB(y, cb, cr uint8) (r, g, b uint8) {
	yy := kY*(int32(y)-16) + 1<<15
	u, v := int32(cb)-128, int32(cr)-128
	return clamp8((yy + kRCr*v) >> 16), clamp8((yy - kGCb*u - kGCr*v) >> 16), clamp8((yy + kBCb*u) >> 16)
}

// clamp8 saturates v to 0..255.
func clamp8(v int32) uint8 {
	if uint32(v) > 255 {
		// Negative values have the sign bit set: ^v>>31 is 0 for them and
		// -1 (all ones) for values above 255.
		return uint8(^v >> 31)
	}
	return uint8(v)
}

// rgbToY returns the limited-range luma of an opaque 8-bit colour.
func rgbToY(r, g, b int32) uint8 {
	return uint8((yR*r + yG*g + yB*b + yBias) >> 16)
}

// chromaNum returns the chroma numerators of an 8-bit colour, in units of
// 1/65536, without the 128 offset: Cb = 128 + cb/65536, Cr = 128 + cr/65536.
// Numerators of several pixels add up to the numerator of their sum, which is
// how blocks are averaged without intermediate rounding.
func chromaNum(r, g, b int32) (cb, cr int32) {
	return cbB*b - cbR*r - cbG*g, crR*r - crG*g - crB*b
}
