package yolo

import (
	"fmt"
	"image"
	"math"
	"slices"
)

// rowLen is the length of one row of a YOLOv10 output: x1, y1, x2, y2,
// score, class.
const rowLen = 6

// maxClass bounds the class numbers taken from a row; a larger value is
// treated as garbage.
const maxClass = 1 << 20

// decode appends to dst the detections in out, the rows of a YOLOv10
// end-to-end output ([1, N, 6]: x1, y1, x2, y2 in model-input pixels,
// score, class), whose score is above conf (compared in float32), best
// first. in is the model's
// input size; boxes are scaled from it to frame, the rectangle of the frame
// that was resized to the input (a plain resize, as the seed does), rounded
// to whole pixels and clipped to frame. Rows with a NaN or infinite value,
// a negative class or a box that is empty after clipping are dropped. A
// class with no label is labelled "class N".
func decode(dst []Detection, out []float32, in image.Point, frame image.Rectangle, conf float64, labels []string) []Detection {
	if in.X <= 0 || in.Y <= 0 || frame.Empty() {
		return dst
	}
	start := len(dst)
	sx := float64(frame.Dx()) / float64(in.X)
	sy := float64(frame.Dy()) / float64(in.Y)
	// toX and toY map model coordinates to frame pixels, clamped a pixel
	// beyond the frame so that huge values cannot overflow an int.
	toX := func(v float32) int {
		return int(math.Round(min(max(float64(v)*sx, -1), float64(frame.Dx()+1)))) + frame.Min.X
	}
	toY := func(v float32) int {
		return int(math.Round(min(max(float64(v)*sy, -1), float64(frame.Dy()+1)))) + frame.Min.Y
	}
	// Compare in the model's float32, as numpy does in the seed: a score
	// of float32(0.3) is not above a threshold of 0.3.
	threshold := float32(conf)
	for i := 0; i+rowLen <= len(out); i += rowLen {
		row := out[i : i+rowLen]
		if !(row[4] > threshold) || !finite(row[4]) { // also drops NaN
			continue
		}
		score := float64(row[4])
		if !finite(row[0]) || !finite(row[1]) || !finite(row[2]) || !finite(row[3]) || !finite(row[5]) {
			continue
		}
		c := math.Round(float64(row[5]))
		if c < 0 || c > maxClass {
			continue
		}
		class := int(c)
		box := image.Rect(toX(row[0]), toY(row[1]), toX(row[2]), toY(row[3])).Intersect(frame)
		if box.Empty() {
			continue
		}
		dst = append(dst, Detection{Box: box, Score: score, Class: class, Label: label(labels, class)})
	}
	slices.SortStableFunc(dst[start:], func(a, b Detection) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return dst
}

func finite(v float32) bool {
	f := float64(v)
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

// label returns class's name, or "class N" when labels has none for it.
func label(labels []string, class int) string {
	if class >= 0 && class < len(labels) {
		return labels[class]
	}
	return fmt.Sprintf("class %d", class)
}
