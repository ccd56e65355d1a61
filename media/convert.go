package media

import (
	"image"
)

// ToI420 returns img as a BT.601 limited-range 4:2:0 image.
//
// When img already satisfies [IsI420] it is returned itself, at no cost and
// sharing its memory: write to the result only if you may write to img, and
// use [CopyI420] when you need a copy. Otherwise img is converted into dst
// when dst is non-nil, 4:2:0 and of img's size (its Rect.Min may differ), or
// else into a new image from [NewI420], and that image is returned. To keep a
// buffer across frames, keep the result only when it is not img:
//
//	out := media.ToI420(buf, img)
//	if out != img {
//		buf = out
//	}
//
// Fast paths: *image.RGBA ([RGBAToI420]), *image.NRGBA ([NRGBAToI420]),
// *image.YCbCr of any subsample ratio (luma copied, chroma averaged over each
// 2x2 block; samples are taken as limited range, as video uses them, not as
// the full range that the standard library's colour model assumes) and
// *image.Gray. Any other image is read through At, composited over black,
// with color.YCbCr and color.NYCbCrA values taken as limited range: 4 to 6
// ms for 640x480, slower than the fast paths by ten times or more. Pixels
// are written from dst's Rect.Min. With dst supplied, the fast paths do not
// allocate, and the At path allocates only what img.At does.
func ToI420(dst *image.YCbCr, img image.Image) *image.YCbCr {
	if p, ok := IsI420(img); ok {
		return p
	}
	if dst != nil && image.Image(dst) == img {
		dst = nil // converting an image onto itself: use a new one
	}
	w, h := size(img.Bounds())
	dst = reuseI420(dst, w, h)
	switch src := img.(type) {
	case *image.RGBA:
		RGBAToI420(dst, src)
	case *image.NRGBA:
		NRGBAToI420(dst, src)
	case *image.YCbCr:
		ycbcrToYCbCr(dst, src)
	case *image.Gray:
		grayToYCbCr(dst, src)
	default:
		toI420At(dst, img)
	}
	return dst
}

// toI420At converts any image to the region of dst at its Rect.Min through
// img.At, one pixel at a time. It is the reference that the fast paths are
// tested against.
func toI420At(dst *image.YCbCr, img image.Image) {
	b := img.Bounds()
	w, h := common(dst.Rect, b)
	toYCbCrGeneric(dst, w, h, func(x, y int) (uint8, int32, int32) {
		return colorToYCbCrNum(img.At(b.Min.X+x, b.Min.Y+y))
	})
}

// ycbcrToYCbCr converts src, of any subsample ratio and position, to 4:2:0
// dst without going through RGB: luma is copied and each chroma sample is the
// rounded average of the source chroma of the pixels it covers.
func ycbcrToYCbCr(dst, src *image.YCbCr) {
	w, h := common(dst.Rect, src.Rect)
	if w == 0 || h == 0 || dst == src {
		return
	}
	sx0, sy0 := src.Rect.Min.X, src.Rect.Min.Y
	if !isI420(dst) || sx0 < 0 || sy0 < 0 {
		toYCbCrGeneric(dst, w, h, func(x, y int) (uint8, int32, int32) {
			ci := src.COffset(sx0+x, sy0+y)
			return src.Y[src.YOffset(sx0+x, sy0+y)], (int32(src.Cb[ci]) - 128) << 16, (int32(src.Cr[ci]) - 128) << 16
		})
		return
	}
	dy := dst.YOffset(dst.Rect.Min.X, dst.Rect.Min.Y)
	sy := src.YOffset(sx0, sy0)
	for y := range h {
		copy(dst.Y[dy+y*dst.YStride:][:w], src.Y[sy+y*src.YStride:][:w])
	}
	cw, ch := (w+1)/2, (h+1)/2
	dc := dst.COffset(dst.Rect.Min.X, dst.Rect.Min.Y)
	if isI420(src) {
		sc := src.COffset(sx0, sy0)
		for c := range ch {
			copy(dst.Cb[dc+c*dst.CStride:][:cw], src.Cb[sc+c*src.CStride:][:cw])
			copy(dst.Cr[dc+c*dst.CStride:][:cw], src.Cr[sc+c*src.CStride:][:cw])
		}
		return
	}
	// Chroma shifts of the source: a pixel at absolute (x, y) uses chroma
	// row y>>vs and column x>>hs, relative to those of Rect.Min.
	var hs, vs uint
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio440:
		vs = 1
	case image.YCbCrSubsampleRatio411:
		hs = 2
	case image.YCbCrSubsampleRatio410:
		hs, vs = 2, 1
	}
	col := func(x int) int { return (sx0+x)>>hs - sx0>>hs }
	row := func(y int) int { return ((sy0+y)>>vs - sy0>>vs) * src.CStride }
	for c := range ch {
		ra, rb := row(2*c), row(min(2*c+1, h-1))
		dcb := dst.Cb[dc+c*dst.CStride:][:cw]
		dcr := dst.Cr[dc+c*dst.CStride:][:cw]
		for i := range cw {
			ca, cb := col(2*i), col(min(2*i+1, w-1))
			sum := uint(src.Cb[ra+ca]) + uint(src.Cb[ra+cb]) + uint(src.Cb[rb+ca]) + uint(src.Cb[rb+cb])
			dcb[i] = uint8((sum + 2) >> 2)
			sum = uint(src.Cr[ra+ca]) + uint(src.Cr[ra+cb]) + uint(src.Cr[rb+ca]) + uint(src.Cr[rb+cb])
			dcr[i] = uint8((sum + 2) >> 2)
		}
	}
}

// grayLuma maps an 8-bit grey level to limited-range luma, with the same
// arithmetic as rgbToY(g, g, g).
var grayLuma = func() (t [256]uint8) {
	for g := range t {
		t[g] = rgbToY(int32(g), int32(g), int32(g))
	}
	return t
}()

// grayToYCbCr converts a greyscale image to 4:2:0 dst.
func grayToYCbCr(dst *image.YCbCr, src *image.Gray) {
	w, h := common(dst.Rect, src.Rect)
	if w == 0 || h == 0 {
		return
	}
	if !isI420(dst) {
		toYCbCrGeneric(dst, w, h, func(x, y int) (uint8, int32, int32) {
			return grayLuma[src.Pix[src.PixOffset(src.Rect.Min.X+x, src.Rect.Min.Y+y)]], 0, 0
		})
		return
	}
	dy := dst.YOffset(dst.Rect.Min.X, dst.Rect.Min.Y)
	sp := src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y)
	for y := range h {
		d := dst.Y[dy+y*dst.YStride:][:w]
		s := src.Pix[sp+y*src.Stride:][:w]
		for x, g := range s {
			d[x] = grayLuma[g]
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	dc := dst.COffset(dst.Rect.Min.X, dst.Rect.Min.Y)
	for c := range ch {
		fill(dst.Cb[dc+c*dst.CStride:][:cw], 128)
		fill(dst.Cr[dc+c*dst.CStride:][:cw], 128)
	}
}

// ToRGBA returns img as an *image.RGBA (opaque for every source without
// alpha).
//
// An *image.RGBA is returned itself, at no cost and sharing its memory.
// Otherwise img is converted into dst when dst is non-nil and of img's size
// (its Rect.Min may differ), or else into a new image with Rect (0, 0, w, h),
// and that image is returned. Pixels are written from dst's Rect.Min. With
// dst supplied, the fast paths do not allocate, and the At path allocates only
// what img.At does.
//
// Fast paths: *image.YCbCr of any subsample ratio ([I420ToRGBA]; samples are
// taken as BT.601 limited range, as video uses them, unlike the standard
// library's colour model, which assumes full range), *image.NRGBA
// (premultiplied) and *image.Gray. Any other image is read through At, with
// color.YCbCr and color.NYCbCrA values taken as limited range.
func ToRGBA(dst *image.RGBA, img image.Image) *image.RGBA {
	if p, ok := img.(*image.RGBA); ok {
		return p
	}
	w, h := size(img.Bounds())
	dst = reuseRGBA(dst, w, h)
	switch src := img.(type) {
	case *image.YCbCr:
		I420ToRGBA(dst, src)
	case *image.NRGBA:
		nrgbaToRGBA(dst, src, w, h)
	case *image.Gray:
		grayToRGBA(dst, src, w, h)
	default:
		toRGBAAt(dst, img)
	}
	return dst
}

// toRGBAAt converts any image to the region of dst at its Rect.Min through
// img.At, one pixel at a time.
func toRGBAAt(dst *image.RGBA, img image.Image) {
	b := img.Bounds()
	w, h := common(dst.Rect, b)
	for y := range h {
		d := dst.Pix[dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y):][:4*w]
		for x := range w {
			p := d[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = colorToRGBA8(img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
}

func nrgbaToRGBA(dst *image.RGBA, src *image.NRGBA, w, h int) {
	for y := range h {
		d := dst.Pix[dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y):][:4*w]
		s := src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y):][:4*w]
		for x := range w {
			p := d[4*x : 4*x+4 : 4*x+4]
			q := s[4*x : 4*x+4 : 4*x+4]
			r, g, b := premul(q[0], q[1], q[2], q[3])
			p[0], p[1], p[2], p[3] = uint8(r), uint8(g), uint8(b), q[3]
		}
	}
}

func grayToRGBA(dst *image.RGBA, src *image.Gray, w, h int) {
	for y := range h {
		d := dst.Pix[dst.PixOffset(dst.Rect.Min.X, dst.Rect.Min.Y+y):][:4*w]
		s := src.Pix[src.PixOffset(src.Rect.Min.X, src.Rect.Min.Y+y):][:w]
		for x, g := range s {
			p := d[4*x : 4*x+4 : 4*x+4]
			p[0], p[1], p[2], p[3] = g, g, g, 0xff
		}
	}
}
