package face

import (
	"image"
	_ "image/jpeg"
	"os"
	"sync"
	"testing"

	"github.com/rtcstream/rtcstream/media"
)

// The face in testdata/face.jpg: centre and side of the box that pigo
// finds, in the picture's own coordinates.
var (
	faceCentre = image.Pt(156, 203)
	faceSide   = 260
)

// loadFace returns testdata/face.jpg as a 4:2:0 frame.
func loadFace(t testing.TB) *image.YCbCr {
	t.Helper()
	f, err := os.Open("testdata/face.jpg")
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

// faceFrame returns a w x h mid-grey frame with the test face pasted at at.
func faceFrame(t testing.TB, w, h int, at image.Point) *image.YCbCr {
	t.Helper()
	frame := greyFrame(w, h, 128)
	src := loadFace(t)
	sub := frame.SubImage(image.Rectangle{Min: at, Max: at.Add(src.Rect.Size())}).(*image.YCbCr)
	media.CopyI420(sub, src)
	return frame
}

func greyFrame(w, h int, y uint8) *image.YCbCr {
	frame := media.NewI420(w, h)
	for i := range frame.Y {
		frame.Y[i] = y
	}
	return frame
}

func newDetector(t testing.TB, opts Options) *Detector {
	t.Helper()
	d, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkFace fails unless dets is one face at the test face's place, given
// that the picture's origin is at in frame coordinates.
func checkFace(t *testing.T, dets []Detection, at image.Point) {
	t.Helper()
	if len(dets) != 1 {
		t.Fatalf("found %d faces (%v), want 1", len(dets), dets)
	}
	d := dets[0]
	want := faceCentre.Add(at)
	c := d.Box.Min.Add(d.Box.Max).Div(2)
	if abs(c.X-want.X) > 15 || abs(c.Y-want.Y) > 15 {
		t.Errorf("face centred at %v, want %v (box %v)", c, want, d.Box)
	}
	if abs(d.Box.Dx()-faceSide) > 40 || d.Box.Dx() != d.Box.Dy() {
		t.Errorf("face box %v is %dx%d, want a square of about %d", d.Box, d.Box.Dx(), d.Box.Dy(), faceSide)
	}
	if d.Score < 0.9 || d.Score >= 1 {
		t.Errorf("score %.3f, want a clear face (0.9 <= score < 1)", d.Score)
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestDetectFindsTheFace(t *testing.T) {
	d := newDetector(t, Options{})
	at := image.Pt(160, 40)
	frame := faceFrame(t, 640, 480, at)
	checkFace(t, d.Detect(frame, 0.3), at)
}

func TestDetectInThePictureItself(t *testing.T) {
	d := newDetector(t, Options{})
	checkFace(t, d.Detect(loadFace(t), 0.3), image.Point{})
}

func TestDetectInASubImageUsesItsCoordinates(t *testing.T) {
	d := newDetector(t, Options{})
	at := image.Pt(301, 57) // odd offsets: the Y plane is read at its stride
	frame := faceFrame(t, 800, 520, at)
	sub := frame.SubImage(image.Rect(203, 31, 777, 505)).(*image.YCbCr)
	dets := d.Detect(sub, 0.3)
	checkFace(t, dets, at)
	if !dets[0].Box.In(sub.Rect) {
		t.Errorf("box %v is not within the sub-image %v", dets[0].Box, sub.Rect)
	}
}

func TestDetectFindsNothingOnBlankFrames(t *testing.T) {
	d := newDetector(t, Options{})
	for _, y := range []uint8{16, 128, 235} {
		if dets := d.Detect(greyFrame(640, 480, y), 0); len(dets) != 0 {
			t.Errorf("luma %d: found %v on a blank frame", y, dets)
		}
	}
	noise := greyFrame(640, 480, 0)
	for i := range noise.Y {
		noise.Y[i] = uint8(i * 7919 % 251)
	}
	if dets := d.Detect(noise, 0.3); len(dets) != 0 {
		t.Errorf("found %v on a noise frame", dets)
	}
}

func TestConfidenceThresholdFilters(t *testing.T) {
	d := newDetector(t, Options{})
	frame := faceFrame(t, 640, 480, image.Pt(160, 40))
	all := d.Detect(frame, 0)
	if len(all) == 0 {
		t.Fatal("no face at confidence 0")
	}
	s := all[0].Score
	if got := d.Detect(frame, s-0.001); len(got) != 1 || got[0] != all[0] {
		t.Errorf("at %.4f: %v, want %v", s-0.001, got, all[:1])
	}
	for _, conf := range []float64{s, 0.999, 1} {
		if got := d.Detect(frame, conf); len(got) != 0 {
			t.Errorf("at %.4f: %v, want none (scores must be above the threshold)", conf, got)
		}
	}
}

func TestScoreMapping(t *testing.T) {
	for _, c := range []struct{ q, want float64 }{
		{-1, 0}, {0, 0}, {5, 5.0 / 17}, {12, 0.5}, {400, 400.0 / 412},
	} {
		if got := score(c.q); got != c.want {
			t.Errorf("score(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	prev := 0.0
	for q := 0.5; q < 1e6; q *= 1.5 {
		s := score(q)
		if s <= prev || s >= 1 {
			t.Fatalf("score(%v) = %v: not increasing within (0, 1)", q, s)
		}
		prev = s
	}
}

func TestSizeLimits(t *testing.T) {
	at := image.Pt(160, 40)
	frame := faceFrame(t, 640, 480, at)
	if dets := newDetector(t, Options{MinSize: 20}).Detect(frame, 0.3); len(dets) != 1 {
		t.Errorf("MinSize 20: %v, want the face", dets)
	}
	if dets := newDetector(t, Options{MinSize: 400}).Detect(frame, 0.3); len(dets) != 0 {
		t.Errorf("MinSize 400: %v, want nothing (the face is about %d pixels)", dets, faceSide)
	}
	if dets := newDetector(t, Options{MaxSize: 150}).Detect(frame, 0.3); len(dets) != 0 {
		t.Errorf("MaxSize 150: %v, want nothing (the face is about %d pixels)", dets, faceSide)
	}
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Options{{MinSize: -1}, {MaxSize: -1}, {MinSize: 100, MaxSize: 50}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
	if _, err := unpack([]byte{1, 2, 3}); err == nil {
		t.Error("unpack of a short cascade succeeded")
	}
	if _, err := unpack(cascade[:100]); err == nil {
		t.Error("unpack of a truncated cascade succeeded")
	}
}

func TestTinyAndEmptyFrames(t *testing.T) {
	d := newDetector(t, Options{})
	for _, r := range []image.Rectangle{
		image.Rect(0, 0, 0, 0), image.Rect(0, 0, 1, 1), image.Rect(0, 0, 19, 40), image.Rect(0, 0, 64, 2),
	} {
		img := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
		if dets := d.Detect(img, 0); len(dets) != 0 {
			t.Errorf("%v: %v", r, dets)
		}
		d.DrawFaces(img, 0)
	}
}

func TestDrawFacesDrawsInPlace(t *testing.T) {
	d := newDetector(t, Options{})
	frame := faceFrame(t, 640, 480, image.Pt(160, 40))
	dets := d.Detect(frame, 0.3)
	before := media.CopyI420(nil, frame)
	if got := d.DrawFaces(frame, 0.3); got != frame {
		t.Fatal("DrawFaces did not return the image it was given")
	}
	box := dets[0].Box
	wantY, _, _ := media.RGBToYCbCr(boxColor.R, boxColor.G, boxColor.B)
	for _, p := range []image.Point{box.Min, {box.Max.X - 1, box.Min.Y + 50}, {box.Min.X + 1, box.Max.Y - 2}} {
		if got := frame.Y[frame.YOffset(p.X, p.Y)]; got != wantY {
			t.Errorf("outline pixel %v has luma %d, want %d", p, got, wantY)
		}
	}
	label := image.Rectangle{Min: box.Min.Sub(image.Pt(0, 9)), Max: box.Min.Add(image.Pt(60, 0))}
	changed := 0
	for y := label.Min.Y; y < label.Max.Y; y++ {
		for x := label.Min.X; x < label.Max.X; x++ {
			if frame.Y[frame.YOffset(x, y)] != before.Y[before.YOffset(x, y)] {
				changed++
			}
		}
	}
	if changed < 100 {
		t.Errorf("only %d pixels changed where the label goes", changed)
	}
	// Far from the face, nothing changes.
	for _, p := range []image.Point{{5, 5}, {630, 470}, {box.Min.X + 80, box.Min.Y + 80}} {
		if frame.Y[frame.YOffset(p.X, p.Y)] != before.Y[before.YOffset(p.X, p.Y)] {
			t.Errorf("pixel %v changed", p)
		}
	}
}

func TestLabelStaysInTheFrame(t *testing.T) {
	bounds := image.Rect(0, 0, 100, 100)
	if got := labelAt(bounds, image.Rect(10, 20, 50, 60), image.Pt(30, 9)); got != image.Pt(10, 11) {
		t.Errorf("label above: %v", got)
	}
	if got := labelAt(bounds, image.Rect(10, 5, 50, 60), image.Pt(30, 9)); got != image.Pt(10, 5) {
		t.Errorf("label inside: %v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	d := newDetector(t, Options{})
	frame := faceFrame(t, 640, 480, image.Pt(160, 40))
	want := d.Detect(frame, 0.3)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				got := d.Detect(frame, 0.3)
				if len(got) != len(want) || got[0] != want[0] {
					t.Errorf("concurrent Detect: %v, want %v", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}
