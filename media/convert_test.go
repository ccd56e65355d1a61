package media

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

var testSizes = []image.Point{{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 5}, {5, 3}, {4, 4}, {17, 9}, {64, 48}}

var testOffsets = []image.Point{{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 2}, {3, 4}}

// bigOdd is a frame size near VGA with both sides odd.
var bigOdd = image.Pt(641, 479)

func sizesForTest() []image.Point {
	if testing.Short() {
		return testSizes
	}
	return append(testSizes, bigOdd)
}

// offsetsFor returns the sub-image offsets to test at size sz: all of them
// for small sizes, where they are cheap, and an odd one for the big one.
func offsetsFor(sz image.Point) []image.Point {
	if sz == bigOdd {
		return []image.Point{{1, 1}}
	}
	return testOffsets
}

// TestToI420MatchesAt checks every fast path of ToI420 against the reference
// path that reads pixels through At.
func TestToI420MatchesAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range sizesForTest() {
		for _, off := range offsetsFor(sz) {
			for name, src := range sources(rng, off, sz.X, sz.Y) {
				t.Run(fmt.Sprintf("%s/%dx%d+%d+%d", name, sz.X, sz.Y, off.X, off.Y), func(t *testing.T) {
					want := NewI420(sz.X, sz.Y)
					toI420At(want, src)
					got := ToI420(nil, src)
					if err := diffYCbCr(got, want); err != nil {
						t.Fatal(err)
					}
					if sz == bigOdd {
						return // small sizes cover the rest
					}
					// Into a supplied buffer at an odd offset, which takes
					// the exact slow path for the destination.
					parent, sub := within(image.Pt(1, 1), sz.X, sz.Y)
					dst := image.NewYCbCr(parent, image.YCbCrSubsampleRatio420).SubImage(sub).(*image.YCbCr)
					wantOdd := image.NewYCbCr(parent, image.YCbCrSubsampleRatio420).SubImage(sub).(*image.YCbCr)
					toI420At(wantOdd, src)
					if got := ToI420(dst, src); got != dst && got != src {
						t.Fatalf("ToI420 did not reuse a dst of the right size")
					} else if got == dst {
						if err := diffYCbCr(dst, wantOdd); err != nil {
							t.Fatalf("odd dst: %v", err)
						}
					}
				})
			}
		}
	}
}

// TestToRGBAMatchesAt checks every fast path of ToRGBA against the reference
// path that reads pixels through At.
func TestToRGBAMatchesAt(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sz := range sizesForTest() {
		for _, off := range offsetsFor(sz) {
			for name, src := range sources(rng, off, sz.X, sz.Y) {
				t.Run(fmt.Sprintf("%s/%dx%d+%d+%d", name, sz.X, sz.Y, off.X, off.Y), func(t *testing.T) {
					want := image.NewRGBA(image.Rect(0, 0, sz.X, sz.Y))
					toRGBAAt(want, src)
					got := ToRGBA(nil, src)
					if err := diffRGBA(got, want); err != nil {
						t.Fatal(err)
					}
				})
			}
		}
	}
}

// TestRGBAToI420Reference checks luma against the BT.601 formulas per pixel
// and chroma against them applied to the average colour of each block.
func TestRGBAToI420Reference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, sz := range sizesForTest() {
		src := randRGBA(rng, image.Point{}, sz.X, sz.Y)
		dst := NewI420(sz.X, sz.Y)
		RGBAToI420(dst, src)
		for y := range sz.Y {
			for x := range sz.X {
				p := src.RGBAAt(x, y)
				fy, _, _ := refYCbCr(float64(p.R), float64(p.G), float64(p.B))
				if got := dst.Y[dst.YOffset(x, y)]; absDiff(int(got), round8(fy)) > 1 {
					t.Fatalf("%v: Y at (%d, %d) = %d, want %.3f", sz, x, y, got, fy)
				}
			}
		}
		for cy := range (sz.Y + 1) / 2 {
			for cx := range (sz.X + 1) / 2 {
				var r, g, b, n float64
				for y := 2 * cy; y < min(2*cy+2, sz.Y); y++ {
					for x := 2 * cx; x < min(2*cx+2, sz.X); x++ {
						p := src.RGBAAt(x, y)
						r, g, b, n = r+float64(p.R), g+float64(p.G), b+float64(p.B), n+1
					}
				}
				_, fcb, fcr := refYCbCr(r/n, g/n, b/n)
				i := cy*dst.CStride + cx
				if absDiff(int(dst.Cb[i]), round8(fcb)) > 1 || absDiff(int(dst.Cr[i]), round8(fcr)) > 1 {
					t.Fatalf("%v: chroma of block (%d, %d) = (%d, %d), want (%.3f, %.3f)", sz, cx, cy, dst.Cb[i], dst.Cr[i], fcb, fcr)
				}
			}
		}
	}
}

// smooth returns an opaque image of slow gradients, the kind of content on
// which 4:2:0 loses little, and the largest difference between neighbouring
// pixels in any channel.
func smooth(w, h int) (*image.RGBA, int) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			img.SetRGBA(x, y, color.RGBA{
				uint8(40 + 180*fx),
				uint8(40 + 180*fy),
				uint8(127.5 + 100*math.Sin(math.Pi*fx)*math.Cos(math.Pi*fy)),
				255,
			})
		}
	}
	grad := 0
	for y := range h {
		for x := range w {
			p := img.RGBAAt(x, y)
			for _, q := range []color.RGBA{img.RGBAAt(x+1, y), img.RGBAAt(x, y+1)} {
				if q.A == 0 { // outside
					continue
				}
				grad = max(grad, absDiff(int(p.R), int(q.R)), absDiff(int(p.G), int(q.G)), absDiff(int(p.B), int(q.B)))
			}
		}
	}
	return img, grad
}

func TestRoundTripSmooth(t *testing.T) {
	for _, sz := range sizesForTest() {
		src, grad := smooth(sz.X, sz.Y)
		back := ToRGBA(nil, ToI420(nil, src))
		var worst, sum, n int
		for i := 0; i < len(src.Pix); i += 4 {
			for c := range 3 {
				d := absDiff(int(src.Pix[i+c]), int(back.Pix[i+c]))
				worst, sum, n = max(worst, d), sum+d, n+1
			}
			if back.Pix[i+3] != 0xff {
				t.Fatalf("%v: alpha %d, want 255", sz, back.Pix[i+3])
			}
		}
		// Chroma is shared by 2x2 pixels, so a pixel's colour can move by
		// up to about the change between neighbours; rounding adds a few
		// levels.
		mean := float64(sum) / float64(n)
		t.Logf("%v: neighbour gradient %d, worst error %d, mean %.2f", sz, grad, worst, mean)
		if limit := 3 + grad; worst > limit {
			t.Errorf("%v: worst channel error %d, want at most %d", sz, worst, limit)
		}
		if limit := 1 + float64(grad)/2; mean > limit {
			t.Errorf("%v: mean channel error %.2f, want at most %.2f", sz, mean, limit)
		}
	}
}

func TestRoundTripFlat(t *testing.T) {
	// A flat colour survives RGBA -> I420 -> RGBA within rounding.
	for _, c := range []color.RGBA{{0, 0, 0, 255}, {255, 255, 255, 255}, {255, 0, 0, 255}, {12, 200, 99, 255}} {
		src := image.NewRGBA(image.Rect(0, 0, 5, 3))
		for i := 0; i < len(src.Pix); i += 4 {
			src.Pix[i], src.Pix[i+1], src.Pix[i+2], src.Pix[i+3] = c.R, c.G, c.B, c.A
		}
		back := ToRGBA(nil, ToI420(nil, src))
		for i := 0; i < len(src.Pix); i += 4 {
			for k := range 4 {
				if absDiff(int(src.Pix[i+k]), int(back.Pix[i+k])) > 2 {
					t.Fatalf("%v came back as %v", c, back.Pix[i:i+4])
				}
			}
		}
	}
}

func TestAlphaCompositesOverBlack(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	for i := 0; i < len(src.Pix); i += 4 {
		src.Pix[i], src.Pix[i+1], src.Pix[i+2], src.Pix[i+3] = 255, 255, 255, 0
	}
	got := ToI420(nil, src)
	if c := got.YCbCrAt(0, 0); c != (color.YCbCr{16, 128, 128}) {
		t.Errorf("transparent white = %v, want black (16, 128, 128)", c)
	}
	for i := 0; i < len(src.Pix); i += 4 {
		src.Pix[i+3] = 128
	}
	got = ToI420(nil, src)
	wy, _, _ := RGBToYCbCr(128, 128, 128)
	if c := got.YCbCrAt(1, 1); c != (color.YCbCr{wy, 128, 128}) {
		t.Errorf("half-transparent white = %v, want grey (%d, 128, 128)", c, wy)
	}
	// The same colours premultiplied in an *image.RGBA convert the same.
	rgba := ToRGBA(nil, src)
	if got2 := ToI420(nil, rgba); diffYCbCr(got, got2) != nil {
		t.Errorf("NRGBA and its premultiplied RGBA convert differently: %v", diffYCbCr(got, got2))
	}
}

func TestToI420ReturnsI420Itself(t *testing.T) {
	img := NewI420(6, 4)
	if got := ToI420(NewI420(6, 4), img); got != img {
		t.Errorf("ToI420 of a 4:2:0 image did not return it")
	}
	sub := img.SubImage(image.Rect(2, 2, 6, 4))
	if got := ToI420(nil, sub); got != sub {
		t.Errorf("ToI420 of a 4:2:0 sub-image at an even offset did not return it")
	}
	odd := img.SubImage(image.Rect(1, 0, 6, 4))
	if got := ToI420(nil, odd); got == odd {
		t.Errorf("ToI420 of a 4:2:0 sub-image at an odd offset returned it")
	} else if got.Rect != image.Rect(0, 0, 5, 4) {
		t.Errorf("ToI420 allocated %v, want a 5x4 image at the origin", got.Rect)
	}
}

func TestToI420Reuse(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 8, 6))
	dst := NewI420(8, 6)
	if got := ToI420(dst, src); got != dst {
		t.Errorf("dst of the right size was not reused")
	}
	if got := ToI420(NewI420(8, 5), src); got.Rect != image.Rect(0, 0, 8, 6) {
		t.Errorf("dst of the wrong size: got %v", got.Rect)
	}
	wrong := image.NewYCbCr(image.Rect(0, 0, 8, 6), image.YCbCrSubsampleRatio444)
	if got := ToI420(wrong, src); got == wrong || got.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		t.Errorf("a 4:4:4 dst was used for 4:2:0 output")
	}
	// A dst elsewhere on the plane is reused and written from its Min.
	moved := image.NewYCbCr(image.Rect(10, 20, 18, 26), image.YCbCrSubsampleRatio420)
	if got := ToI420(moved, src); got != moved {
		t.Errorf("dst at another position was not reused")
	}
	if c := moved.YCbCrAt(10, 20); c != (color.YCbCr{16, 128, 128}) {
		t.Errorf("moved dst at its Min = %v, want black", c)
	}
}

func TestToRGBAReuse(t *testing.T) {
	src := NewI420(8, 6)
	dst := image.NewRGBA(image.Rect(0, 0, 8, 6))
	if got := ToRGBA(dst, src); got != dst {
		t.Errorf("dst of the right size was not reused")
	}
	if got := ToRGBA(image.NewRGBA(image.Rect(0, 0, 7, 6)), src); got.Rect != image.Rect(0, 0, 8, 6) {
		t.Errorf("dst of the wrong size: got %v", got.Rect)
	}
	if got := ToRGBA(dst, dst); got != dst {
		t.Errorf("ToRGBA of an *image.RGBA did not return it")
	}
	if c := dst.RGBAAt(3, 3); c != (color.RGBA{0, 0, 0, 255}) {
		t.Errorf("black I420 converted to %v", c)
	}
}

func TestMismatchedSizesConvertCommonRegion(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 4, 4))
	for i := range src.Pix {
		src.Pix[i] = 255
	}
	dst := NewI420(6, 2)
	RGBAToI420(dst, src)
	for x := range 6 {
		want := uint8(235)
		if x >= 4 {
			want = 16 // untouched
		}
		if got := dst.Y[x]; got != want {
			t.Errorf("Y[%d] = %d, want %d", x, got, want)
		}
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 1, 5))
	I420ToRGBA(rgba, dst)
	if c := rgba.RGBAAt(0, 1); c != (color.RGBA{255, 255, 255, 255}) {
		t.Errorf("I420ToRGBA common region: %v", c)
	}
	if c := rgba.RGBAAt(0, 2); c != (color.RGBA{}) {
		t.Errorf("I420ToRGBA wrote outside the common region: %v", c)
	}
}

func TestEmptyImages(t *testing.T) {
	empty := image.NewRGBA(image.Rectangle{})
	if got := ToI420(nil, empty); got.Rect.Dx() != 0 || got.Rect.Dy() != 0 {
		t.Errorf("ToI420 of an empty image = %v", got.Rect)
	}
	inverted := &image.RGBA{Rect: image.Rectangle{Min: image.Pt(5, 5)}}
	if got := ToI420(nil, inverted); !got.Rect.Empty() {
		t.Errorf("ToI420 of an inverted rectangle = %v", got.Rect)
	}
	if got := ToRGBA(nil, NewI420(0, 7)); !got.Rect.Empty() {
		t.Errorf("ToRGBA of an empty image = %v", got.Rect)
	}
	RGBAToI420(NewI420(0, 0), empty)
	I420ToRGBA(empty, NewI420(3, 3))
}

func TestNoAllocations(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation may allocate")
	}
	const w, h = 65, 33
	i420 := NewI420(w, h)
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	var fg, bg color.Color = color.White, color.Black // converted once, outside the runs
	odd := image.NewYCbCr(image.Rect(0, 0, w+1, h+1), image.YCbCrSubsampleRatio420).SubImage(image.Rect(1, 1, w+1, h+1)).(*image.YCbCr)
	for name, f := range map[string]func(){
		"RGBAToI420":         func() { RGBAToI420(i420, randRGBASrc) },
		"RGBAToI420/odd dst": func() { RGBAToI420(odd, randRGBASrc) },
		"NRGBAToI420":        func() { NRGBAToI420(i420, randNRGBASrc) },
		"I420ToRGBA":         func() { I420ToRGBA(rgba, i420) },
		"I420ToRGBA/odd src": func() { I420ToRGBA(rgba, odd) },
		"ToI420/I420":        func() { ToI420(i420, i420) },
		"ToI420/422":         func() { ToI420(i420, rand422Src) },
		"ToI420/Gray":        func() { ToI420(i420, randGraySrc) },
		"ToRGBA/I420":        func() { ToRGBA(rgba, i420) },
		"ToRGBA/NRGBA":       func() { ToRGBA(rgba, randNRGBASrc) },
		"CopyI420":           func() { CopyI420(i420, odd) },
		"FillRect":           func() { FillRect(i420, image.Rect(-3, 5, 30, 99), color.RGBA{255, 0, 0, 255}) },
		"DrawRect":           func() { DrawRect(i420, image.Rect(3, 5, 30, 20), 2, color.NRGBA{0, 255, 0, 100}) },
		"DrawLabel":          func() { DrawLabel(i420, image.Pt(2, 3), "person 0.93", fg, bg) },
	} {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, n)
		}
	}
}

var (
	randRGBASrc  = randRGBA(rand.New(rand.NewPCG(9, 9)), image.Point{}, 65, 33)
	randNRGBASrc = randNRGBA(rand.New(rand.NewPCG(9, 9)), image.Point{}, 65, 33)
	randGraySrc  = randGray(rand.New(rand.NewPCG(9, 9)), image.Point{}, 65, 33)
	rand422Src   = randYCbCr(rand.New(rand.NewPCG(9, 9)), image.Point{}, 65, 33, image.YCbCrSubsampleRatio422)
)
