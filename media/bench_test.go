package media

import (
	"image"
	"image/color"
	"image/color/palette"
	"testing"
)

// benchRGBA returns a w×h opaque image with smooth gradients and some noise.
func benchRGBA(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	s := uint32(1)
	for i := 0; i < len(img.Pix); i += 4 {
		s = s*1664525 + 1013904223
		x, y := (i/4)%w, (i/4)/w
		img.Pix[i] = uint8(x + int(s>>28))
		img.Pix[i+1] = uint8(y + int(s>>29))
		img.Pix[i+2] = uint8(x + y)
		img.Pix[i+3] = 0xff
	}
	return img
}

func BenchmarkRGBAToI420(b *testing.B) {
	src := benchRGBA(640, 480)
	dst := NewI420(640, 480)
	b.SetBytes(640 * 480 * 4)
	b.ReportAllocs()
	for b.Loop() {
		RGBAToI420(dst, src)
	}
}

func BenchmarkNRGBAToI420(b *testing.B) {
	rgba := benchRGBA(640, 480)
	src := &image.NRGBA{Pix: rgba.Pix, Stride: rgba.Stride, Rect: rgba.Rect}
	dst := NewI420(640, 480)
	b.SetBytes(640 * 480 * 4)
	b.ReportAllocs()
	for b.Loop() {
		NRGBAToI420(dst, src)
	}
}

func BenchmarkI420ToRGBA(b *testing.B) {
	src := ToI420(nil, benchRGBA(640, 480))
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	b.SetBytes(640 * 480 * 4)
	b.ReportAllocs()
	for b.Loop() {
		I420ToRGBA(dst, src)
	}
}

func BenchmarkToI420FromI420(b *testing.B) {
	src := ToI420(nil, benchRGBA(640, 480))
	dst := NewI420(640, 480)
	b.ReportAllocs()
	for b.Loop() {
		ToI420(dst, src)
	}
}

func BenchmarkCopyI420(b *testing.B) {
	src := ToI420(nil, benchRGBA(640, 480))
	dst := NewI420(640, 480)
	b.SetBytes(640 * 480 * 3 / 2)
	b.ReportAllocs()
	for b.Loop() {
		CopyI420(dst, src)
	}
}

func BenchmarkToI420From422(b *testing.B) {
	src := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio422)
	dst := NewI420(640, 480)
	b.ReportAllocs()
	for b.Loop() {
		ToI420(dst, src)
	}
}

func BenchmarkToRGBAFromI420(b *testing.B) {
	src := ToI420(nil, benchRGBA(640, 480))
	dst := image.NewRGBA(image.Rect(0, 0, 640, 480))
	b.ReportAllocs()
	for b.Loop() {
		ToRGBA(dst, src)
	}
}

func BenchmarkToI420FromPaletted(b *testing.B) {
	src := image.NewPaletted(image.Rect(0, 0, 640, 480), palette.Plan9)
	dst := NewI420(640, 480)
	b.ReportAllocs()
	for b.Loop() {
		ToI420(dst, src)
	}
}

// BenchmarkAnnotate draws what a detector typically adds to a frame: five
// boxes with labels.
func BenchmarkAnnotate(b *testing.B) {
	frame := NewI420(640, 480)
	var green, black color.Color = color.RGBA{0, 200, 0, 255}, color.Black
	b.ReportAllocs()
	for b.Loop() {
		for i := range 5 {
			r := image.Rect(40+100*i, 100, 120+100*i, 300)
			DrawRect(frame, r, 2, green)
			DrawLabel(frame, r.Min.Sub(image.Pt(0, 9)), "person 0.93", black, green)
		}
	}
}
