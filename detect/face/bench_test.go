package face

import (
	"image"
	"testing"
)

// BenchmarkDetect is one 640x480 frame with one face, at the default
// options: the default demo's per-frame cost.
func BenchmarkDetect(b *testing.B) {
	d := newDetector(b, Options{})
	frame := faceFrame(b, 640, 480, image.Pt(160, 40))
	b.ReportAllocs()
	for b.Loop() {
		if len(d.Detect(frame, 0.3)) != 1 {
			b.Fatal("no face")
		}
	}
}

// BenchmarkDetect720p is the same at 1280x720 (default MinSize 90).
func BenchmarkDetect720p(b *testing.B) {
	d := newDetector(b, Options{})
	frame := faceFrame(b, 1280, 720, image.Pt(400, 100))
	b.ReportAllocs()
	for b.Loop() {
		d.Detect(frame, 0.3)
	}
}

// BenchmarkDetectMinSize20 looks for faces down to 20 pixels at 640x480,
// as pigo's own tools do.
func BenchmarkDetectMinSize20(b *testing.B) {
	d := newDetector(b, Options{MinSize: 20})
	frame := faceFrame(b, 640, 480, image.Pt(160, 40))
	b.ReportAllocs()
	for b.Loop() {
		d.Detect(frame, 0.3)
	}
}

// BenchmarkDrawFaces is Detect plus drawing the box and label.
func BenchmarkDrawFaces(b *testing.B) {
	d := newDetector(b, Options{})
	frame := faceFrame(b, 640, 480, image.Pt(160, 40))
	b.ReportAllocs()
	for b.Loop() {
		d.DrawFaces(frame, 0.3)
	}
}
