package yolo

import (
	"image"
	"image/color"
	"testing"

	"github.com/rtcstream/rtcstream/media"
)

func TestClassColors(t *testing.T) {
	seen := map[color.RGBA]int{}
	for class := range 80 {
		c := ClassColor(class)
		if prev, ok := seen[c]; ok {
			t.Errorf("classes %d and %d share colour %v", prev, class, c)
		}
		seen[c] = class
		if c.A != 255 {
			t.Errorf("class %d: colour %v is not opaque", class, c)
		}
		// Neighbouring classes must be told apart at a glance.
		n := ClassColor(class + 1)
		d := absDiff(c.R, n.R) + absDiff(c.G, n.G) + absDiff(c.B, n.B)
		if d < 100 {
			t.Errorf("classes %d and %d: colours %v and %v are too close", class, class+1, c, n)
		}
	}
	if ClassColor(-3) != ClassColor(-3) || ClassColor(1<<20).A != 255 {
		t.Error("odd class numbers")
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestTextColourContrasts(t *testing.T) {
	if textColor(color.RGBA{250, 250, 60, 255}) != color.Black {
		t.Error("yellow label: want black text")
	}
	if textColor(color.RGBA{40, 40, 200, 255}) != color.White {
		t.Error("blue label: want white text")
	}
}

func TestDrawClipsAndPlacesLabels(t *testing.T) {
	frame := solid(100, 80, color.RGBA{0, 0, 0, 255})
	// Boxes partly and wholly outside, and empty ones: no panic.
	Draw(frame, []Detection{
		{Box: image.Rect(-50, -50, 20, 20), Score: 0.5, Class: 1, Label: "bicycle"},
		{Box: image.Rect(90, 70, 300, 300), Score: 0.5, Class: 2, Label: "car"},
		{Box: image.Rect(200, 200, 300, 300), Score: 0.5, Class: 3, Label: "motorcycle"},
		{Box: image.Rectangle{}, Score: 0.5, Class: 4, Label: ""},
	})
	// A label that fits above its box goes there.
	frame = solid(200, 100, color.RGBA{0, 0, 0, 255})
	Draw(frame, []Detection{{Box: image.Rect(50, 40, 150, 90), Score: 0.87, Class: 0, Label: "person"}})
	size := media.LabelSize("person: 0.87")
	if got := frame.Y[frame.YOffset(50, 40-size.Y)]; got == 16 {
		t.Error("no label above the box")
	}
	if got := frame.Y[frame.YOffset(50+size.X, 40-size.Y)]; got != 16 {
		t.Error("the label is wider than LabelSize says")
	}
}
