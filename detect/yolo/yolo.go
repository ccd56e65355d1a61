package yolo

import (
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"

	"github.com/rtcstream/rtcstream/internal/ort"
	"github.com/rtcstream/rtcstream/media"
)

// ErrNoRuntime is wrapped by New's error when the ONNX Runtime library
// cannot be had: not found (the message says how to get it), not loadable,
// or a build without cgo.
var ErrNoRuntime = ort.ErrNoRuntime

// ErrClosed is returned by a closed Detector.
var ErrClosed = ort.ErrClosed

// The input size for models that do not fix theirs.
const (
	defaultInputWidth  = 640
	defaultInputHeight = 640
)

// Options configures New. The zero value means the defaults given for each
// field.
type Options struct {
	// RuntimeLibrary is the path of the ONNX Runtime shared library
	// (libonnxruntime.so). Empty means $ONNXRUNTIME_LIB, else the copy that
	// scripts/fetch-models.sh keeps in the cache
	// ($RTCSTREAM_CACHE/onnxruntime/libonnxruntime.so, the cache being
	// ~/.cache/rtcstream by default). A process loads one library, the
	// first one asked for; later Detectors share it.
	RuntimeLibrary string

	// InputWidth and InputHeight are the size frames are resized to before
	// inference. 0 means the model's own size when the model fixes it (as
	// yolov10n.onnx does: 640x640), else 640x640. A size that contradicts
	// the model's fixed one is an error.
	InputWidth, InputHeight int

	// Labels names the model's classes by number. nil means the 80 COCO
	// classes (see COCOLabels). A class with no name is labelled "class N".
	Labels []string

	// Threads is the number of threads one inference may use. 0 means ONNX
	// Runtime's default: one per physical core.
	Threads int

	// Concurrency is the number of inferences run at once, each with its own
	// buffers (about 5 MB at 640x640); further calls wait. 0 means 1, which
	// suits a CPU where one inference already uses every core.
	Concurrency int
}

// Detection is an object found in a frame.
type Detection struct {
	// Box is the object's bounding box in the coordinates of the image given
	// to Detect, clipped to its bounds.
	Box image.Rectangle
	// Score is the model's confidence, in 0..1.
	Score float64
	// Class is the model's class number; Label is its name.
	Class int
	Label string
}

// Detector runs a YOLOv10 ONNX model. It is safe for concurrent use.
type Detector struct {
	sess   *ort.Session
	in     image.Point // input width and height
	labels []string
}

// New loads the YOLOv10 model at modelPath (an ONNX file such as
// yolov10n.onnx; see the package documentation for where to get it). The
// model must take one float32 input [1, 3, height, width] and give, as its
// first output, float32 [1, N, 6] rows of x1, y1, x2, y2, score, class: the
// end-to-end YOLOv10 export, which needs no NMS. A missing model file gives
// an error wrapping fs.ErrNotExist; a missing runtime, one wrapping
// ErrNoRuntime.
func New(modelPath string, opts Options) (*Detector, error) {
	if opts.InputWidth < 0 || opts.InputHeight < 0 {
		return nil, fmt.Errorf("yolo: negative input size %dx%d", opts.InputWidth, opts.InputHeight)
	}
	if _, err := os.Stat(modelPath); err != nil {
		return nil, fmt.Errorf("yolo: model: %w (see the documentation of package yolo for where to download yolov10n.onnx)", err)
	}
	labels := opts.Labels
	if labels == nil {
		labels = cocoLabels[:]
	}
	sess, err := ort.Open(modelPath, ort.Options{
		RuntimeLibrary: opts.RuntimeLibrary,
		Threads:        opts.Threads,
		Concurrency:    opts.Concurrency,
		InputShape: func(m ort.TensorInfo) ([]int64, error) {
			return inputShape(m, opts.InputWidth, opts.InputHeight)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("yolo: %w", err)
	}
	if out := sess.Outputs()[0]; !isYOLOv10Output(out.Shape) {
		sess.Close()
		return nil, fmt.Errorf("yolo: %s: output %s is not YOLOv10's [1,N,6] (x1, y1, x2, y2, score, class); "+
			"exports that need NMS, such as YOLOv8's [1,84,8400], are not supported", filepath.Base(modelPath), out)
	}
	shape := sess.InputShape()
	return &Detector{
		sess:   sess,
		in:     image.Pt(int(shape[3]), int(shape[2])),
		labels: append([]string(nil), labels...),
	}, nil
}

// inputShape checks the model's input for the NCHW RGB layout and picks
// the size to feed it.
func inputShape(m ort.TensorInfo, w, h int) ([]int64, error) {
	s := m.Shape
	if len(s) != 4 || s[0] > 1 || (s[1] > 0 && s[1] != 3) {
		return nil, fmt.Errorf("yolo: the model's input %s is not an image batch [1,3,height,width]", m)
	}
	pick := func(model int64, want, def int, what string) (int64, error) {
		switch {
		case want == 0 && model > 0:
			return model, nil
		case want == 0:
			return int64(def), nil
		case model > 0 && model != int64(want):
			return 0, fmt.Errorf("yolo: the model's input %s has a fixed %s of %d, not %d", m, what, model, want)
		}
		return int64(want), nil
	}
	hh, err := pick(s[2], h, defaultInputHeight, "height")
	if err != nil {
		return nil, err
	}
	ww, err := pick(s[3], w, defaultInputWidth, "width")
	if err != nil {
		return nil, err
	}
	return []int64{1, 3, hh, ww}, nil
}

func isYOLOv10Output(s []int64) bool {
	return len(s) == 3 && s[0] <= 1 && (s[2] == rowLen || s[2] < 0)
}

// InputSize returns the size frames are resized to for the model.
func (d *Detector) InputSize() image.Point { return d.in }

// samplers holds the resize tables of recent frame sizes, one per
// inference running at once.
var samplers = sync.Pool{New: func() any { return new(sampler) }}

// Detect runs the model on img and returns the objects whose score is
// above conf, best first, with boxes in img's coordinates. img is resized to
// the model's input size without letterboxing, as the seed demo does, and
// only read. A 4:2:0 *image.YCbCr (any frame an rtcstream handler gets) is
// read as it is; other images are first converted to one. Detect waits for
// a free inference slot (see Options.Concurrency).
func (d *Detector) Detect(img image.Image, conf float64) ([]Detection, error) {
	frame, _ := frameOf(img)
	return d.detect(frame, conf)
}

func (d *Detector) detect(frame *image.YCbCr, conf float64) ([]Detection, error) {
	if frame.Rect.Empty() {
		return nil, nil
	}
	var dets []Detection
	err := d.sess.Run(func(in []float32) error {
		s := samplers.Get().(*sampler)
		s.fill(in, frame, d.in.X, d.in.Y)
		samplers.Put(s)
		return nil
	}, func(out []ort.Tensor) error {
		o := out[0]
		if len(o.Shape) != 3 || o.Shape[2] != rowLen {
			return fmt.Errorf("yolo: the model gave an output of shape %v, not [1,N,6]", o.Shape)
		}
		dets = decode(nil, o.Data, d.in, frame.Rect, conf, d.labels)
		return nil
	})
	if err != nil {
		if errors.Is(err, ort.ErrClosed) {
			return nil, err
		}
		return nil, fmt.Errorf("yolo: %w", err)
	}
	return dets, nil
}

// DetectObjects is the seed demo's detect_objects: it detects the objects in
// img whose score is above conf and returns the image with each one drawn
// as a box in its class's colour, labelled "name: 0.87" (see Draw).
//
// A 4:2:0 *image.YCbCr with non-negative coordinates, such as the frame an
// rtcstream handler gets, is drawn on in place and returned: the caller must
// own it. Any other image is left alone: it is converted to a new 4:2:0
// image, which is drawn on and returned. On error the result is nil.
func (d *Detector) DetectObjects(img image.Image, conf float64) (image.Image, error) {
	frame, _ := frameOf(img)
	dets, err := d.detect(frame, conf)
	if err != nil {
		return nil, err
	}
	Draw(frame, dets)
	return frame, nil
}

// frameOf returns img as a 4:2:0 *image.YCbCr that the preprocessing can
// read: img itself when it is one (it reports true), else a conversion.
func frameOf(img image.Image) (*image.YCbCr, bool) {
	if p, ok := img.(*image.YCbCr); ok && p.SubsampleRatio == image.YCbCrSubsampleRatio420 &&
		p.Rect.Min.X >= 0 && p.Rect.Min.Y >= 0 {
		return p, true
	}
	return media.ToI420(nil, img), false
}

// Close waits for the inferences in flight and frees the model's native
// memory; later calls return ErrClosed. The runtime library stays loaded.
// Close is idempotent.
func (d *Detector) Close() error {
	return d.sess.Close()
}

// DefaultModelPath returns where the package documentation puts
// yolov10n.onnx: models/yolov10n.onnx in the cache directory
// ($RTCSTREAM_CACHE, else ~/.cache/rtcstream). The file may not exist; New
// then returns an error wrapping fs.ErrNotExist. It returns "" when neither
// $RTCSTREAM_CACHE nor a home directory is known.
func DefaultModelPath() string {
	p, err := ort.CachedModel("yolov10n.onnx")
	if err != nil {
		return ""
	}
	return p
}
