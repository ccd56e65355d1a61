package yolo

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/rtcstream/rtcstream/media"
)

// boxThickness is the outline width, as the seed's draw_box.
const boxThickness = 2

// Draw draws dets into img the way the seed's draw_detections does: each
// box outlined in its class's colour, with a label "name: 0.87" on a box
// of the same colour along its top edge (above the box, or inside it when
// there is no room above). Parts outside img are clipped.
func Draw(img *image.YCbCr, dets []Detection) {
	for _, d := range dets {
		c := ClassColor(d.Class)
		media.DrawRect(img, d.Box, boxThickness, c)
		text := fmt.Sprintf("%s: %.2f", d.Label, d.Score)
		size := media.LabelSize(text)
		at := image.Pt(d.Box.Min.X, d.Box.Min.Y-size.Y)
		if at.Y < img.Rect.Min.Y {
			at.Y = d.Box.Min.Y
		}
		media.DrawLabel(img, at, text, textColor(c), c)
	}
}

// ClassColor returns the colour Draw uses for class: bright, saturated
// colours, each class's fixed, with neighbouring classes far apart in hue.
// (The seed draws random colours from a seeded generator; these play the
// same part.)
func ClassColor(class int) color.RGBA {
	// Golden-angle steps around the hue circle keep any run of classes
	// apart; the value alternates a little so neighbours differ in
	// brightness too.
	h := math.Mod(float64(class)*137.50776405, 360)
	if h < 0 {
		h += 360
	}
	v := 0.95
	if class%2 != 0 {
		v = 0.8
	}
	return hsv(h, 0.75, v)
}

// hsv converts a colour in HSV (h in degrees, s and v in 0..1) to RGB.
func hsv(h, s, v float64) color.RGBA {
	c := v * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := v - c
	var r, g, b float64
	switch {
	case h < 60:
		r, g, b = c, x, 0
	case h < 120:
		r, g, b = x, c, 0
	case h < 180:
		r, g, b = 0, c, x
	case h < 240:
		r, g, b = 0, x, c
	case h < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	to8 := func(f float64) uint8 { return uint8(math.Round((f + m) * 255)) }
	return color.RGBA{to8(r), to8(g), to8(b), 255}
}

// textColor returns white on dark colours and black on light ones.
func textColor(bg color.RGBA) color.Color {
	if 299*int(bg.R)+587*int(bg.G)+114*int(bg.B) > 150*1000 {
		return color.Black
	}
	return color.White
}
