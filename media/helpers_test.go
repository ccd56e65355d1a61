package media

import (
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
)

var ratios = []image.YCbCrSubsampleRatio{
	image.YCbCrSubsampleRatio444,
	image.YCbCrSubsampleRatio422,
	image.YCbCrSubsampleRatio420,
	image.YCbCrSubsampleRatio440,
	image.YCbCrSubsampleRatio411,
	image.YCbCrSubsampleRatio410,
}

// within returns the sub-rectangle of size w×h at off inside a parent image
// with a margin, so that sub-images at odd and non-zero offsets get tested.
func within(off image.Point, w, h int) (parent, sub image.Rectangle) {
	sub = image.Rect(0, 0, w, h).Add(off)
	return image.Rect(0, 0, off.X+w+3, off.Y+h+2), sub
}

func randRGBA(rng *rand.Rand, off image.Point, w, h int) *image.RGBA {
	parent, sub := within(off, w, h)
	img := image.NewRGBA(parent)
	for i := 0; i < len(img.Pix); i += 4 {
		a := uint8(rng.IntN(256))
		if rng.IntN(2) == 0 {
			a = 0xff
		}
		// Premultiplied: colour channels never exceed alpha.
		img.Pix[i] = uint8(rng.IntN(int(a) + 1))
		img.Pix[i+1] = uint8(rng.IntN(int(a) + 1))
		img.Pix[i+2] = uint8(rng.IntN(int(a) + 1))
		img.Pix[i+3] = a
	}
	return img.SubImage(sub).(*image.RGBA)
}

func randNRGBA(rng *rand.Rand, off image.Point, w, h int) *image.NRGBA {
	parent, sub := within(off, w, h)
	img := image.NewNRGBA(parent)
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 && rng.IntN(2) == 0 {
			img.Pix[i] = 0xff
		}
	}
	return img.SubImage(sub).(*image.NRGBA)
}

func randYCbCr(rng *rand.Rand, off image.Point, w, h int, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	parent, sub := within(off, w, h)
	img := image.NewYCbCr(parent, ratio)
	for _, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		for i := range p {
			p[i] = uint8(rng.IntN(256))
		}
	}
	return img.SubImage(sub).(*image.YCbCr)
}

func randGray(rng *rand.Rand, off image.Point, w, h int) *image.Gray {
	parent, sub := within(off, w, h)
	img := image.NewGray(parent)
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(256))
	}
	return img.SubImage(sub).(*image.Gray)
}

func randPaletted(rng *rand.Rand, off image.Point, w, h int) *image.Paletted {
	parent, sub := within(off, w, h)
	pal := color.Palette{color.Black, color.White, color.RGBA{200, 10, 30, 255}, color.NRGBA{10, 200, 30, 128}, color.YCbCr{120, 60, 200}}
	img := image.NewPaletted(parent, pal)
	for i := range img.Pix {
		img.Pix[i] = uint8(rng.IntN(len(pal)))
	}
	return img.SubImage(sub).(*image.Paletted)
}

// sources returns one image of every kind ToI420 and ToRGBA handle, w×h at
// off, keyed by a description.
func sources(rng *rand.Rand, off image.Point, w, h int) map[string]image.Image {
	m := map[string]image.Image{
		"RGBA":     randRGBA(rng, off, w, h),
		"NRGBA":    randNRGBA(rng, off, w, h),
		"Gray":     randGray(rng, off, w, h),
		"Paletted": randPaletted(rng, off, w, h),
	}
	for _, r := range ratios {
		m["YCbCr"+r.String()] = randYCbCr(rng, off, w, h, r)
	}
	return m
}

// samePixels reports the first difference between the visible pixels of two
// Y'CbCr images of the same size, comparing each pixel's luma and the chroma
// it maps to.
func diffYCbCr(a, b *image.YCbCr) error {
	if a.Rect.Size() != b.Rect.Size() {
		return fmt.Errorf("sizes %v and %v differ", a.Rect.Size(), b.Rect.Size())
	}
	for y := range a.Rect.Dy() {
		for x := range a.Rect.Dx() {
			ax, ay := a.Rect.Min.X+x, a.Rect.Min.Y+y
			bx, by := b.Rect.Min.X+x, b.Rect.Min.Y+y
			ca, cb := a.YCbCrAt(ax, ay), b.YCbCrAt(bx, by)
			if ca != cb {
				return fmt.Errorf("pixel (%d, %d): %v vs %v", x, y, ca, cb)
			}
		}
	}
	return nil
}

func diffRGBA(a, b *image.RGBA) error {
	if a.Rect.Size() != b.Rect.Size() {
		return fmt.Errorf("sizes %v and %v differ", a.Rect.Size(), b.Rect.Size())
	}
	for y := range a.Rect.Dy() {
		for x := range a.Rect.Dx() {
			ca := a.RGBAAt(a.Rect.Min.X+x, a.Rect.Min.Y+y)
			cb := b.RGBAAt(b.Rect.Min.X+x, b.Rect.Min.Y+y)
			if ca != cb {
				return fmt.Errorf("pixel (%d, %d): %v vs %v", x, y, ca, cb)
			}
		}
	}
	return nil
}
