package yolo

import (
	"image"
	_ "image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/rtcstream/rtcstream/media"
)

// realModel returns yolov10n.onnx at DefaultModelPath, or skips t: the
// weights are on a model hub, not on npm, so scripts/fetch-models.sh cannot
// fetch them and RTCSTREAM_REQUIRE_MODELS does not cover them.
func realModel(t testing.TB) string {
	t.Helper()
	p := DefaultModelPath()
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipping: no yolov10n.onnx at %q (%v); download it as the package documentation says to run this test", p, err)
	}
	return p
}

// loadFace returns the face test picture (a head and shoulders) as a
// 4:2:0 frame.
func loadFace(t testing.TB) *image.YCbCr {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "face", "testdata", "face.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return media.ToI420(nil, img)
}

func TestYOLOv10nFindsAPerson(t *testing.T) {
	d := newDetector(t, realModel(t), Options{})
	frame := loadFace(t)
	dets, err := d.Detect(frame, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	if len(dets) == 0 || dets[0].Label != "person" || dets[0].Score < 0.5 {
		t.Fatalf("detections %v, want a person first with a score of at least 0.5", dets)
	}
	if face := image.Pt(156, 203); !face.In(dets[0].Box) {
		t.Errorf("the person's box %v does not cover the face at %v", dets[0].Box, face)
	}
	blank := solid(640, 480, colorGrey)
	if dets, err := d.Detect(blank, 0.3); err != nil || len(dets) != 0 {
		t.Errorf("blank frame: %v, %v", dets, err)
	}
}

// BenchmarkDetectYOLOv10n is the seed demo's per-frame work: a 640x480
// frame resized to 640x640, yolov10n, decoding and drawing.
func BenchmarkDetectYOLOv10n(b *testing.B) {
	d := newDetector(b, realModel(b), Options{})
	frame := media.NewI420(640, 480)
	media.ToI420(frame, loadFace(b)) // the face in the top left corner
	work := media.NewI420(640, 480)
	b.ReportAllocs()
	for b.Loop() {
		media.CopyI420(work, frame)
		if _, err := d.DetectObjects(work, 0.3); err != nil {
			b.Fatal(err)
		}
	}
}
