package yolo

import (
	"image"
	"image/color"
	"testing"
)

var colorGrey = color.RGBA{128, 128, 128, 255}

// BenchmarkPreprocess resizes and converts a 640x480 frame into the
// 640x640 NCHW input.
func BenchmarkPreprocess(b *testing.B) {
	frame := smooth(640, 480)
	dst := make([]float32, 3*640*640)
	var s sampler
	b.ReportAllocs()
	for b.Loop() {
		s.fill(dst, frame, 640, 640)
	}
}

// BenchmarkPreprocess720p does the same from a 1280x720 frame.
func BenchmarkPreprocess720p(b *testing.B) {
	frame := smooth(1280, 720)
	dst := make([]float32, 3*640*640)
	var s sampler
	b.ReportAllocs()
	for b.Loop() {
		s.fill(dst, frame, 640, 640)
	}
}

// BenchmarkDecode decodes a [1,300,6] output with five rows above the
// threshold.
func BenchmarkDecode(b *testing.B) {
	rows := make([][6]float32, 300)
	for i := range rows {
		rows[i] = [6]float32{float32(i), float32(i), float32(i + 50), float32(i + 80), 0.9 - float32(i)*0.1, float32(i)}
	}
	out := yoloRows(300, rows...)
	dst := make([]Detection, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		dst = decode(dst[:0], out, in640, image.Rect(0, 0, 640, 480), 0.3, cocoLabels[:])
	}
}

// BenchmarkDraw draws five labelled boxes on a 640x480 frame.
func BenchmarkDraw(b *testing.B) {
	frame := solid(640, 480, colorGrey)
	dets := decode(nil, yoloRows(300, fakeRows...), in640, frame.Rect, 0, cocoLabels[:])
	dets = append(dets, dets[0])
	b.ReportAllocs()
	for b.Loop() {
		Draw(frame, dets)
	}
}

// BenchmarkDetectGlue runs Detect on a 640x480 frame through ONNX Runtime
// with the fake model (a mean and an add), which leaves the cost of
// everything around a real model's inference.
func BenchmarkDetectGlue(b *testing.B) {
	d := newDetector(b, fakeYOLO().write(b), Options{})
	frame := solid(640, 480, colorGrey)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Detect(frame, 0.3); err != nil {
			b.Fatal(err)
		}
	}
}
