package yolo

import (
	"errors"
	"image"
	"image/color"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rtcstream/rtcstream/internal/modeltest"
	"github.com/rtcstream/rtcstream/media"
)

// The detections the fake model gives for a black frame, in 640x640 input
// pixels.
var fakeRows = [][6]float32{
	{100, 200, 300, 400, 0.9, 0}, // person
	{320, 0, 640, 320, 0.6, 16},  // dog
	{10, 10, 50, 50, 0.2, 2},     // car, below the usual threshold
	{0, 600, 100, 640, 0.5, 95},  // a class with no COCO name
}

func fakeYOLO(inputDims ...any) fakeModel {
	if inputDims == nil {
		inputDims = []any{int64(1), int64(3), int64(640), int64(640)}
	}
	return fakeModel{inputDims: inputDims, outputDims: []int64{1, 300, 6}, rows: yoloRows(300, fakeRows...)}
}

// newDetector opens model with opts, skipping (or failing, see modeltest)
// when the runtime is missing.
func newDetector(t testing.TB, model string, opts Options) *Detector {
	t.Helper()
	d, err := New(model, opts)
	if errors.Is(err, ErrNoRuntime) {
		modeltest.Missing(t, "cannot load ONNX Runtime", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDetectThroughTheRuntime(t *testing.T) {
	d := newDetector(t, fakeYOLO().write(t), Options{})
	if got := d.InputSize(); got != image.Pt(640, 640) {
		t.Errorf("input size %v, want the model's 640x640", got)
	}
	black := solid(640, 480, color.RGBA{0, 0, 0, 255})
	dets, err := d.Detect(black, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	checkDetections(t, dets, []Detection{
		{Box: image.Rect(100, 150, 300, 300), Score: 0.9, Class: 0, Label: "person"},
		{Box: image.Rect(320, 0, 640, 240), Score: 0.6, Class: 16, Label: "dog"},
		{Box: image.Rect(0, 450, 100, 480), Score: 0.5, Class: 95, Label: "class 95"},
	})

	// A white frame is all ones in the input, so the fake model adds 1 to
	// every value: boxes move by an input pixel, scores go up by 1 and
	// classes move on by one.
	white := solid(640, 480, color.RGBA{255, 255, 255, 255})
	dets, err = d.Detect(white, 1.55)
	if err != nil {
		t.Fatal(err)
	}
	checkDetections(t, dets, []Detection{
		{Box: image.Rect(101, 151, 301, 301), Score: float64(float32(1.9)), Class: 1, Label: "bicycle"},
		{Box: image.Rect(321, 1, 640, 241), Score: float64(float32(1.6)), Class: 17, Label: "horse"},
	})

	// Any image type works; non-4:2:0 ones are converted first.
	rgba := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := 3; i < len(rgba.Pix); i += 4 {
		rgba.Pix[i] = 255
	}
	dets, err = d.Detect(rgba, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if len(dets) != 3 || dets[0].Box != image.Rect(50, 75, 150, 150) {
		t.Errorf("RGBA frame: %v", dets)
	}
	if dets, err := d.Detect(media.NewI420(0, 0), 0.3); err != nil || len(dets) != 0 {
		t.Errorf("empty frame: %v, %v", dets, err)
	}
}

func TestDetectObjectsDrawsInPlace(t *testing.T) {
	d := newDetector(t, fakeYOLO().write(t), Options{})
	frame := solid(640, 480, color.RGBA{0, 0, 0, 255})
	out, err := d.DetectObjects(frame, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if out != image.Image(frame) {
		t.Fatal("DetectObjects did not return the 4:2:0 frame it was given")
	}
	// The person's box, (100,150)-(300,300), is outlined in class 0's colour.
	c := ClassColor(0)
	wantY, _, _ := media.RGBToYCbCr(c.R, c.G, c.B)
	for _, p := range []image.Point{{100, 200}, {101, 200}, {299, 250}, {200, 299}} {
		if got := frame.Y[frame.YOffset(p.X, p.Y)]; got != wantY {
			t.Errorf("outline pixel %v: luma %d, want %d", p, got, wantY)
		}
	}
	if got := frame.Y[frame.YOffset(200, 220)]; got != 16 {
		t.Errorf("inside the box: luma %d, want black's 16", got)
	}
	// Its label sits above the box.
	if got := frame.Y[frame.YOffset(100, 145)]; got == 16 {
		t.Error("no label above the box")
	}
	// The dog's box touches the top, so its label goes inside.
	if got := frame.Y[frame.YOffset(330, 5)]; got == 16 {
		t.Error("no label inside the dog's box")
	}

	// Other images are not written to: a new frame comes back.
	rgba := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := 3; i < len(rgba.Pix); i += 4 {
		rgba.Pix[i] = 255
	}
	out, err = d.DetectObjects(rgba, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.(*image.YCbCr); !ok || out.Bounds() != rgba.Rect {
		t.Errorf("RGBA input gave a %T of %v", out, out.Bounds())
	}
	for _, v := range rgba.Pix {
		if v != 0 && v != 255 {
			t.Fatal("DetectObjects wrote to an RGBA input")
		}
	}
}

func TestInputSizes(t *testing.T) {
	dynamic := fakeYOLO(int64(1), int64(3), "height", "width").write(t)
	if got := newDetector(t, dynamic, Options{}).InputSize(); got != image.Pt(640, 640) {
		t.Errorf("dynamic model: input %v, want the default 640x640", got)
	}
	d := newDetector(t, dynamic, Options{InputWidth: 320, InputHeight: 256})
	if got := d.InputSize(); got != image.Pt(320, 256) {
		t.Errorf("dynamic model with 320x256: input %v", got)
	}
	// The boxes come back scaled from 320x256 (the fake rows are the
	// same numbers, now read as 320x256 pixels).
	dets, err := d.Detect(solid(640, 512, color.RGBA{0, 0, 0, 255}), 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if len(dets) == 0 || dets[0].Box != image.Rect(200, 400, 600, 512) {
		t.Errorf("320x256 input: %v", dets)
	}

	fixed := fakeYOLO().write(t)
	if got := newDetector(t, fixed, Options{InputWidth: 640, InputHeight: 640}).InputSize(); got != image.Pt(640, 640) {
		t.Errorf("fixed model with its own size: %v", got)
	}
	if _, err := New(fixed, Options{InputWidth: 320, InputHeight: 320}); err == nil || !strings.Contains(err.Error(), "fixed") {
		t.Errorf("a size against the model's fixed one: %v", err)
	}
	if _, err := New(fixed, Options{InputWidth: -1}); err == nil {
		t.Error("a negative size was accepted")
	}
}

func TestNewRejectsOtherModels(t *testing.T) {
	modeltest.Library(t)
	// YOLOv8's raw output needs NMS.
	v8 := fakeModel{
		inputDims:  []any{int64(1), int64(3), int64(64), int64(64)},
		outputDims: []int64{1, 84, 10},
		rows:       make([]float32, 840),
	}
	_, err := New(v8.write(t), Options{})
	if modeltest.Skippable(err) {
		modeltest.Missing(t, "cannot load ONNX Runtime", err)
	}
	if err == nil || !strings.Contains(err.Error(), "[1,N,6]") {
		t.Errorf("a YOLOv8-style model: %v", err)
	}
	// An NHWC input.
	nhwc := fakeModel{
		inputDims:  []any{int64(1), int64(64), int64(64), int64(3)},
		outputDims: []int64{1, 300, 6},
		rows:       make([]float32, 1800),
	}
	if _, err := New(nhwc.write(t), Options{}); err == nil || !strings.Contains(err.Error(), "[1,3,height,width]") {
		t.Errorf("an NHWC model: %v", err)
	}
	// BlazeFace, a real model of another kind.
	if _, err := New(modeltest.Model(t, modeltest.BlazeFace), Options{}); err == nil {
		t.Error("BlazeFace was taken for YOLOv10")
	}
}

func TestNewMissingFiles(t *testing.T) {
	_, err := New(filepath.Join(t.TempDir(), "yolov10n.onnx"), Options{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "download") {
		t.Errorf("missing model: %v", err)
	}
}

func TestCloseAndConcurrentUse(t *testing.T) {
	d := newDetector(t, fakeYOLO().write(t), Options{Concurrency: 2, Threads: 1})
	frame := solid(640, 480, color.RGBA{0, 0, 0, 255})
	want, err := d.Detect(frame, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				got, err := d.Detect(frame, 0.3)
				if err != nil {
					t.Error(err)
					return
				}
				checkDetections(t, got, want)
			}
		})
	}
	wg.Wait()
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := d.Detect(frame, 0.3); !errors.Is(err, ErrClosed) {
		t.Errorf("Detect after Close: %v", err)
	}
	if out, err := d.DetectObjects(frame, 0.3); !errors.Is(err, ErrClosed) || out != nil {
		t.Errorf("DetectObjects after Close: %v, %v", out, err)
	}
}

func TestDefaultModelPath(t *testing.T) {
	t.Setenv("RTCSTREAM_CACHE", "/cache")
	if got := DefaultModelPath(); got != "/cache/models/yolov10n.onnx" {
		t.Errorf("DefaultModelPath() = %q", got)
	}
}

func TestCOCOLabels(t *testing.T) {
	l := COCOLabels()
	if len(l) != 80 || l[0] != "person" || l[79] != "toothbrush" {
		t.Errorf("COCOLabels: %d names, %q ... %q", len(l), l[0], l[len(l)-1])
	}
	l[0] = "changed"
	if COCOLabels()[0] != "person" {
		t.Error("COCOLabels shares its slice")
	}
}
