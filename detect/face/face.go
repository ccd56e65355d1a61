package face

import (
	_ "embed"
	"errors"
	"fmt"
	"image"
	"image/color"
	"slices"

	pigo "github.com/esimov/pigo/core"

	"github.com/rtcstream/rtcstream/media"
)

// cascade is pigo's facefinder cascade (MIT, see LICENSE.facefinder).
//
//go:embed facefinder
var cascade []byte

// Scan settings. The score mapping is calibrated for them: Q is a sum over
// the windows that hit a face, so a denser scan gives larger Q.
const (
	shiftFactor  = 0.1 // window step, as a fraction of the window's side
	scaleFactor  = 1.1 // ratio between successive window sizes
	clusterIoU   = 0.2 // pigo's grouping of overlapping windows
	overlapIoU   = 0.3 // boxes overlapping a better one more than this are dropped
	scoreHalfQ   = 12  // the Q at which Score is 0.5
	minMinSize   = 20  // smallest default window, in pixels
	minSizeRatio = 8   // default MinSize is the frame's smaller side over this
)

// Options configures a Detector. The zero value means the defaults below.
type Options struct {
	// MinSize is the side, in pixels, of the smallest face looked for.
	// Smaller values find smaller (more distant) faces and cost time: the
	// work grows with the frame's area over MinSize squared. 0 means an
	// eighth of the frame's smaller side, at least 20 pixels (60 at
	// 640x480).
	MinSize int

	// MaxSize is the side, in pixels, of the largest face looked for. 0
	// means the frame's smaller side.
	MaxSize int
}

// Detection is a face found in a frame.
type Detection struct {
	// Box is the face's square, in the coordinates of the image given to
	// Detect (it lies within the image's bounds).
	Box image.Rectangle
	// Score is pigo's Q mapped into 0..1 (see the package documentation).
	Score float64
}

// Detector finds faces. It is safe for concurrent use.
type Detector struct {
	classifier *pigo.Pigo
	opts       Options
}

// New returns a Detector with pigo's facefinder cascade. It fails only on
// invalid options.
func New(opts Options) (*Detector, error) {
	if opts.MinSize < 0 || opts.MaxSize < 0 {
		return nil, fmt.Errorf("face: negative MinSize (%d) or MaxSize (%d)", opts.MinSize, opts.MaxSize)
	}
	if opts.MinSize > 0 && opts.MaxSize > 0 && opts.MinSize > opts.MaxSize {
		return nil, fmt.Errorf("face: MinSize %d is larger than MaxSize %d", opts.MinSize, opts.MaxSize)
	}
	c, err := unpack(cascade)
	if err != nil {
		return nil, err
	}
	return &Detector{classifier: c, opts: opts}, nil
}

// unpack parses a cascade, turning pigo's panics on a short file into an
// error.
func unpack(b []byte) (c *pigo.Pigo, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, fmt.Errorf("face: bad cascade: %v", r)
		}
	}()
	if len(b) < 16 {
		return nil, errors.New("face: bad cascade: too short")
	}
	return pigo.NewPigo().Unpack(b)
}

// score maps pigo's Q into 0..1 (see the package documentation).
func score(q float64) float64 {
	if q <= 0 {
		return 0
	}
	return q / (q + scoreHalfQ)
}

// Detect returns the faces in img whose Score is above minConfidence, best
// first. It reads only the luma plane, so any subsample ratio works, and it
// keeps no reference to img.
func (d *Detector) Detect(img *image.YCbCr, minConfidence float64) []Detection {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	side := min(w, h)
	minSize := d.opts.MinSize
	if minSize == 0 {
		minSize = max(side/minSizeRatio, minMinSize)
	}
	maxSize := d.opts.MaxSize
	if maxSize == 0 {
		maxSize = side
	}
	if w <= 0 || h <= 0 || minSize > min(maxSize, side) {
		return nil
	}
	params := pigo.CascadeParams{
		MinSize:     minSize,
		MaxSize:     min(maxSize, side),
		ShiftFactor: shiftFactor,
		ScaleFactor: scaleFactor,
		ImageParams: pigo.ImageParams{
			Pixels: img.Y[img.YOffset(img.Rect.Min.X, img.Rect.Min.Y):],
			Rows:   h,
			Cols:   w,
			Dim:    img.YStride,
		},
	}
	clusters := d.classifier.ClusterDetections(d.classifier.RunCascade(params, 0), clusterIoU)

	var out []Detection
	for _, c := range clusters {
		s := score(float64(c.Q))
		if !(s > minConfidence) {
			continue
		}
		half := c.Scale / 2
		box := image.Rect(c.Col-half, c.Row-half, c.Col-half+c.Scale, c.Row-half+c.Scale).
			Add(img.Rect.Min).Intersect(img.Rect)
		if !box.Empty() {
			out = append(out, Detection{Box: box, Score: s})
		}
	}
	slices.SortStableFunc(out, func(a, b Detection) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	// pigo's grouping can leave two boxes on one face; keep the better.
	kept := out[:0]
	for _, det := range out {
		if !slices.ContainsFunc(kept, func(k Detection) bool { return iou(k.Box, det.Box) > overlapIoU }) {
			kept = append(kept, det)
		}
	}
	return kept
}

// iou returns the intersection over union of two rectangles.
func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	if in.Empty() {
		return 0
	}
	area := func(r image.Rectangle) float64 { return float64(r.Dx()) * float64(r.Dy()) }
	return area(in) / (area(a) + area(b) - area(in))
}

// Drawing colours: a green box, black text on green.
var (
	boxColor  = color.RGBA{0, 220, 80, 255}
	textColor = color.RGBA{0, 0, 0, 255}
)

// DrawFaces detects the faces in img whose Score is above conf and draws
// each as a box labelled "face: 0.97" into img itself, then returns img. It
// is the face counterpart of the seed demo's detect_objects, for a handler
// that returns the frame it was given.
func (d *Detector) DrawFaces(img *image.YCbCr, conf float64) *image.YCbCr {
	Draw(img, d.Detect(img, conf))
	return img
}

// Draw draws dets into img: each box with a 2-pixel outline and a label
// with its score above it (inside the box when there is no room above).
func Draw(img *image.YCbCr, dets []Detection) {
	for _, det := range dets {
		media.DrawRect(img, det.Box, 2, boxColor)
		label := fmt.Sprintf("face: %.2f", det.Score)
		media.DrawLabel(img, labelAt(img.Rect, det.Box, media.LabelSize(label)), label, textColor, boxColor)
	}
}

// labelAt places a label of size sz on box's top edge: above it if there
// is room in bounds, else just inside.
func labelAt(bounds, box image.Rectangle, sz image.Point) image.Point {
	if box.Min.Y-sz.Y >= bounds.Min.Y {
		return image.Pt(box.Min.X, box.Min.Y-sz.Y)
	}
	return box.Min
}
