package yolo

import (
	"image"
	"math"
	"slices"
	"testing"
)

var in640 = image.Pt(640, 640)

func TestDecodeScalesBoxesToTheFrame(t *testing.T) {
	out := yoloRows(300,
		[6]float32{100, 200, 300, 400, 0.9, 0},     // person
		[6]float32{0, 0, 640, 640, 0.8, 16},        // dog, the whole input
		[6]float32{320.4, 320.6, 321, 322, 0.7, 2}, // a tiny car
	)
	got := decode(nil, out, in640, image.Rect(0, 0, 640, 480), 0.5, cocoLabels[:])
	want := []Detection{
		{Box: image.Rect(100, 150, 300, 300), Score: 0.9, Class: 0, Label: "person"},
		{Box: image.Rect(0, 0, 640, 480), Score: 0.8, Class: 16, Label: "dog"},
		{Box: image.Rect(320, 240, 321, 242), Score: 0.7, Class: 2, Label: "car"},
	}
	checkDetections(t, got, want)

	// A frame at an offset (a sub-image), and a different input size.
	got = decode(nil, yoloRows(1, [6]float32{32, 64, 96, 128, 0.6, 1}), image.Pt(320, 256), image.Rect(100, 50, 740, 562), 0.5, cocoLabels[:])
	checkDetections(t, got, []Detection{{Box: image.Rect(164, 178, 292, 306), Score: 0.6, Class: 1, Label: "bicycle"}})
}

func TestDecodeThreshold(t *testing.T) {
	out := yoloRows(300,
		[6]float32{10, 10, 20, 20, 0.3, 0},
		[6]float32{10, 10, 20, 20, 0.31, 1},
		[6]float32{10, 10, 20, 20, float32(math.NaN()), 2},
		[6]float32{10, 10, 20, 20, float32(math.Inf(1)), 3},
		[6]float32{10, 10, 20, 20, 1, 4},
	)
	got := decode(nil, out, in640, image.Rect(0, 0, 640, 640), 0.3, cocoLabels[:])
	if classes := classesOf(got); !slices.Equal(classes, []int{4, 1}) {
		t.Errorf("classes above 0.3: %v, want [4 1] (scores must be above the threshold, best first; NaN and Inf dropped)", classes)
	}
	// Threshold 0 keeps everything with a positive score, not the 296 empty rows.
	if got := decode(nil, out, in640, image.Rect(0, 0, 640, 640), 0, cocoLabels[:]); len(got) != 3 {
		t.Errorf("threshold 0: %d detections, want 3", len(got))
	}
	if got := decode(nil, out, in640, image.Rect(0, 0, 640, 640), 1, cocoLabels[:]); len(got) != 0 {
		t.Errorf("threshold 1: %v, want none", got)
	}
}

func TestDecodeClasses(t *testing.T) {
	out := yoloRows(300,
		[6]float32{10, 10, 20, 20, 0.9, 79},
		[6]float32{10, 10, 20, 20, 0.8, 80},
		[6]float32{10, 10, 20, 20, 0.7, 2.0001},
		[6]float32{10, 10, 20, 20, 0.6, -1},
		[6]float32{10, 10, 20, 20, 0.5, float32(math.NaN())},
		[6]float32{10, 10, 20, 20, 0.4, 1e30},
		[6]float32{10, 10, 20, 20, 0.35, 1000},
	)
	got := decode(nil, out, in640, image.Rect(0, 0, 640, 640), 0.3, cocoLabels[:])
	var labels []string
	for _, d := range got {
		labels = append(labels, d.Label)
	}
	want := []string{"toothbrush", "class 80", "car", "class 1000"}
	if !slices.Equal(labels, want) {
		t.Errorf("labels %q, want %q", labels, want)
	}
	if got[1].Class != 80 {
		t.Errorf("out-of-range class number %d, want 80", got[1].Class)
	}
	// Custom labels, and none at all.
	got = decode(nil, yoloRows(2, [6]float32{1, 1, 5, 5, 0.9, 0}, [6]float32{1, 1, 5, 5, 0.8, 1}), in640, image.Rect(0, 0, 640, 640), 0.3, []string{"cat"})
	if got[0].Label != "cat" || got[1].Label != "class 1" {
		t.Errorf("custom labels: %v", got)
	}
	got = decode(nil, yoloRows(1, [6]float32{1, 1, 5, 5, 0.9, 0}), in640, image.Rect(0, 0, 640, 640), 0.3, nil)
	if got[0].Label != "class 0" {
		t.Errorf("no labels: %v", got)
	}
}

func TestDecodeClipsBoxes(t *testing.T) {
	frame := image.Rect(0, 0, 640, 480)
	nan := float32(math.NaN())
	out := yoloRows(300,
		[6]float32{-50, -20, 100, 100, 0.95, 0},      // off the top left: clipped
		[6]float32{600, 400, 1000, 9000, 0.9, 1},     // off the bottom right: clipped
		[6]float32{300, 300, 200, 200, 0.85, 2},      // inverted: made canonical
		[6]float32{-1e30, -1e30, 1e30, 1e30, 0.8, 3}, // huge: the whole frame
		[6]float32{700, 100, 800, 200, 0.75, 4},      // wholly outside: dropped
		[6]float32{100, 100, 100, 200, 0.7, 5},       // no width: dropped
		[6]float32{nan, 100, 200, 200, 0.65, 6},      // NaN coordinate: dropped
		[6]float32{0, 0, float32(math.Inf(1)), 10, 0.6, 7},
	)
	got := decode(nil, out, in640, frame, 0.3, cocoLabels[:])
	want := []Detection{
		{Box: image.Rect(0, 0, 100, 75), Score: 0.95, Class: 0, Label: "person"},
		{Box: image.Rect(600, 300, 640, 480), Score: 0.9, Class: 1, Label: "bicycle"},
		{Box: image.Rect(200, 150, 300, 225), Score: 0.85, Class: 2, Label: "car"},
		{Box: frame, Score: 0.8, Class: 3, Label: "motorcycle"},
	}
	checkDetections(t, got, want)
	for _, d := range got {
		if !d.Box.In(frame) {
			t.Errorf("%v is not within the frame", d.Box)
		}
	}
}

func TestDecodeEdgeCases(t *testing.T) {
	if got := decode(nil, nil, in640, image.Rect(0, 0, 640, 480), 0, nil); len(got) != 0 {
		t.Errorf("no rows: %v", got)
	}
	// A trailing partial row is ignored.
	out := append(yoloRows(1, [6]float32{1, 1, 50, 50, 0.9, 0}), 1, 1, 50, 50, 0.9)
	if got := decode(nil, out, in640, image.Rect(0, 0, 640, 480), 0, nil); len(got) != 1 {
		t.Errorf("partial row: %v", got)
	}
	if got := decode(nil, out, image.Point{}, image.Rect(0, 0, 640, 480), 0, nil); len(got) != 0 {
		t.Errorf("zero input size: %v", got)
	}
	if got := decode(nil, out, in640, image.Rectangle{}, 0, nil); len(got) != 0 {
		t.Errorf("empty frame: %v", got)
	}
	// Appends to dst and sorts only what it added.
	dst := []Detection{{Score: 0.1}}
	got := decode(dst, yoloRows(2, [6]float32{1, 1, 5, 5, 0.5, 0}, [6]float32{1, 1, 5, 5, 0.7, 0}), in640, image.Rect(0, 0, 640, 640), 0, nil)
	if len(got) != 3 || got[0].Score != 0.1 || got[1].Score != float64(float32(0.7)) {
		t.Errorf("append: %v", got)
	}
}

func classesOf(dets []Detection) []int {
	var c []int
	for _, d := range dets {
		c = append(c, d.Class)
	}
	return c
}

func checkDetections(t *testing.T, got, want []Detection) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d detections %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Box != w.Box || g.Class != w.Class || g.Label != w.Label || math.Abs(g.Score-w.Score) > 1e-6 {
			t.Errorf("detection %d: %+v, want %+v", i, g, w)
		}
	}
}
