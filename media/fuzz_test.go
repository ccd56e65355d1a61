package media

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

// FuzzConversions converts images of every kind, of any size and at any
// position (negative ones included), into destinations at other positions,
// and checks that nothing panics and that the fast paths agree with the
// reference path through At.
func FuzzConversions(f *testing.F) {
	f.Add(uint8(1), uint8(1), int8(0), int8(0), int8(0), int8(0), uint64(1))
	f.Add(uint8(3), uint8(5), int8(1), int8(-1), int8(2), int8(3), uint64(2))
	f.Add(uint8(17), uint8(2), int8(-3), int8(-3), int8(-1), int8(-2), uint64(3))
	f.Add(uint8(0), uint8(4), int8(5), int8(0), int8(0), int8(1), uint64(4))
	f.Fuzz(func(t *testing.T, w, h uint8, sx, sy, dx, dy int8, seed uint64) {
		W, H := int(w%40), int(h%40)
		rng := rand.New(rand.NewPCG(seed, seed>>7))
		at := func(x, y int8) image.Rectangle { return image.Rect(0, 0, W, H).Add(image.Pt(int(x), int(y))) }
		srcs := sources(rng, image.Point{}, W, H)
		for name, src := range srcs {
			src = moveTo(src, at(sx, sy))
			if y, ok := src.(*image.YCbCr); ok && !planesCover(y) {
				continue
			}
			for _, ratio := range ratios {
				dst := image.NewYCbCr(at(dx, dy), ratio)
				if !planesCover(dst) {
					continue
				}
				want := image.NewYCbCr(at(dx, dy), ratio)
				toI420At(want, src)
				sameSize := src.Bounds().Size() == dst.Rect.Size()
				if got := ToI420(dst, src); ratio == image.YCbCrSubsampleRatio420 && sameSize && got != dst && got != src {
					t.Fatalf("%s: 4:2:0 dst of the right size not reused", name)
				}
				// dst of another ratio is not reused by ToI420; the
				// explicit converters write into any ratio.
				switch s := src.(type) {
				case *image.RGBA:
					RGBAToI420(dst, s)
				case *image.NRGBA:
					NRGBAToI420(dst, s)
				case *image.YCbCr:
					CopyI420(dst, s)
					ycbcrToYCbCr(dst, s)
				default:
					continue
				}
				if ratio == image.YCbCrSubsampleRatio420 || name == "RGBA" || name == "NRGBA" {
					if err := diffYCbCr(dst, want); err != nil {
						t.Fatalf("%s into %v at %v: %v", name, ratio, dst.Rect, err)
					}
				}
			}
			rgba := image.NewRGBA(at(dx, dy))
			got := ToRGBA(rgba, src)
			want := image.NewRGBA(got.Rect)
			toRGBAAt(want, src)
			if err := diffRGBA(got, want); err != nil {
				t.Fatalf("%s to RGBA at %v: %v", name, rgba.Rect, err)
			}
			if y, ok := src.(*image.YCbCr); ok {
				want := image.NewRGBA(rgba.Rect)
				toRGBAAt(want, y)
				I420ToRGBA(rgba, y)
				if err := diffRGBA(rgba, want); err != nil {
					t.Fatalf("I420ToRGBA from %v at %v: %v", y.SubsampleRatio, y.Rect, err)
				}
				FillRect(y, at(dx, dy), color.NRGBA{1, 2, 3, 200})
				DrawRect(y, at(dx, dy), int(w%5), color.White)
				DrawLabel(y, image.Pt(int(dx), int(dy)), "fuzz", color.White, color.Black)
			}
		}
	})
}

// planesCover reports whether img's planes hold every sample its Rect maps
// to. image.NewYCbCr makes images that fail this for some rectangles with
// negative coordinates; the standard library's own At panics on them too.
func planesCover(img *image.YCbCr) bool {
	r := img.Rect
	if r.Empty() {
		return true
	}
	last := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			last = max(last, img.COffset(x, y))
			if img.COffset(x, y) < 0 {
				return false
			}
		}
	}
	return last < len(img.Cb) && last < len(img.Cr)
}

// moveTo returns a copy of img with its pixels at r, which has img's size.
func moveTo(img image.Image, r image.Rectangle) image.Image {
	switch s := img.(type) {
	case *image.RGBA:
		d := image.NewRGBA(r)
		for y := range r.Dy() {
			copy(d.Pix[y*d.Stride:][:4*r.Dx()], s.Pix[s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y+y):])
		}
		return d
	case *image.NRGBA:
		d := image.NewNRGBA(r)
		for y := range r.Dy() {
			copy(d.Pix[y*d.Stride:][:4*r.Dx()], s.Pix[s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y+y):])
		}
		return d
	case *image.YCbCr:
		d := image.NewYCbCr(r, s.SubsampleRatio)
		if !planesCover(d) {
			return s
		}
		for y := range r.Dy() {
			for x := range r.Dx() {
				c := s.YCbCrAt(s.Rect.Min.X+x, s.Rect.Min.Y+y)
				d.Y[d.YOffset(r.Min.X+x, r.Min.Y+y)] = c.Y
				ci := d.COffset(r.Min.X+x, r.Min.Y+y)
				d.Cb[ci], d.Cr[ci] = c.Cb, c.Cr
			}
		}
		return d
	}
	return img // others are read through At only, at their own position
}
