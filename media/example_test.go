package media_test

import (
	"fmt"
	"image"
	"image/color"
	"time"

	"github.com/rtcstream/rtcstream/media"
)

func ExampleRGBToYCbCr() {
	for _, c := range []color.RGBA{{0, 0, 0, 255}, {255, 255, 255, 255}, {255, 0, 0, 255}} {
		y, cb, cr := media.RGBToYCbCr(c.R, c.G, c.B)
		fmt.Println(c.R, c.G, c.B, "->", y, cb, cr)
	}
	// Output:
	// 0 0 0 -> 16 128 128
	// 255 255 255 -> 235 128 128
	// 255 0 0 -> 81 90 240
}

func ExampleToI420() {
	// An RGBA picture, say from a model's output or image/draw.
	rgba := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for i := 0; i < len(rgba.Pix); i += 4 {
		copy(rgba.Pix[i:], []byte{0, 0, 255, 255}) // blue
	}
	frame := media.ToI420(nil, rgba)
	fmt.Println(frame.Rect, frame.SubsampleRatio, frame.YCbCrAt(3, 1))

	// A frame that is already 4:2:0 costs nothing: it comes back as is.
	fmt.Println(media.ToI420(nil, frame) == frame)
	// Output:
	// (0,0)-(4,2) YCbCrSubsampleRatio420 {41 240 110}
	// true
}

func ExampleToI420_reuse() {
	// Keep one buffer across frames so that steady state allocates nothing.
	// ToI420 returns its input when that is already 4:2:0, so keep the result
	// as the buffer only when it is not the input.
	var buf *image.YCbCr
	for range 3 {
		var img image.Image = image.NewNRGBA(image.Rect(0, 0, 64, 48)) // say, a handler's output
		out := media.ToI420(buf, img)
		if out != img {
			buf = out
		}
		// ... encode or inspect out ...
	}
	fmt.Println(buf.Rect)
	// Output: (0,0)-(64,48)
}

func ExampleToRGBA() {
	frame := media.NewI420(2, 2) // black
	rgba := media.ToRGBA(nil, frame)
	fmt.Println(rgba.RGBAAt(0, 0))
	// Output: {0 0 0 255}
}

func ExampleCopyI420() {
	// A decoder's output buffer is also its reference frame: keep a copy,
	// never the buffer itself.
	decoded := media.NewI420(640, 480)
	f := media.VideoFrame{Image: media.CopyI420(nil, decoded), Timestamp: 40 * time.Millisecond}
	fmt.Println(f.Image != decoded, f.Image.Rect, f.Timestamp)
	// Output: true (0,0)-(640,480) 40ms
}

func ExampleDrawLabel() {
	// Annotate a detection on the frame itself, without an RGBA round trip.
	frame := media.NewI420(320, 240)
	box := image.Rect(100, 80, 220, 200)
	green := color.RGBA{0, 200, 0, 255}
	media.DrawRect(frame, box, 2, green)
	label := "person 0.93"
	at := box.Min.Sub(image.Pt(0, media.LabelSize(label).Y))
	media.DrawLabel(frame, at, label, color.Black, green)

	fmt.Println(media.LabelSize(label), frame.YCbCrAt(100, 150), frame.YCbCrAt(150, 150))
	// Output: (67,9) {117 70 54} {16 128 128}
}
