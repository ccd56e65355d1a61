package yolo

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"testing"

	"github.com/rtcstream/rtcstream/media"
)

// solid returns a w x h 4:2:0 frame of one colour.
func solid(w, h int, c color.RGBA) *image.YCbCr {
	img := media.NewI420(w, h)
	y, cb, cr := media.RGBToYCbCr(c.R, c.G, c.B)
	for i := range img.Y {
		img.Y[i] = y
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = cb, cr
	}
	return img
}

// smooth returns a w x h 4:2:0 frame of smooth colour gradients.
func smooth(w, h int) *image.YCbCr {
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			rgba.SetRGBA(x, y, color.RGBA{
				R: uint8(255 * x / w),
				G: uint8(255 * y / h),
				B: uint8(128 + 100*math.Sin(float64(x+y)/60)),
				A: 255,
			})
		}
	}
	return media.ToI420(nil, rgba)
}

// reference resizes img like OpenCV's bilinear resize (pixel centres
// aligned, edges repeated), in float64 on its RGB conversion, into NCHW.
func reference(img *image.YCbCr, w, h int) []float32 {
	rgba := media.ToRGBA(nil, img)
	b := rgba.Rect
	out := make([]float32, 3*w*h)
	at := func(x, y, c int) float64 {
		x = min(max(x, 0), b.Dx()-1)
		y = min(max(y, 0), b.Dy()-1)
		return float64(rgba.Pix[rgba.PixOffset(b.Min.X+x, b.Min.Y+y)+c])
	}
	for oy := range h {
		sy := max((float64(oy)+0.5)*float64(b.Dy())/float64(h)-0.5, 0)
		y0 := int(sy)
		fy := sy - float64(y0)
		for ox := range w {
			sx := max((float64(ox)+0.5)*float64(b.Dx())/float64(w)-0.5, 0)
			x0 := int(sx)
			fx := sx - float64(x0)
			for c := range 3 {
				v := (at(x0, y0, c)*(1-fx)+at(x0+1, y0, c)*fx)*(1-fy) + (at(x0, y0+1, c)*(1-fx)+at(x0+1, y0+1, c)*fx)*fy
				out[c*w*h+oy*w+ox] = float32(v / 255)
			}
		}
	}
	return out
}

// planeReference resizes img in float64 straight from its planes, with
// sampler.fill's sampling positions (OpenCV's for luma; chroma samples centred
// on their 2x2 blocks) and the BT.601 limited-range formulas.
func planeReference(img *image.YCbCr, w, h int) []float32 {
	r := img.Rect
	out := make([]float32, 3*w*h)
	// lerp2 samples a plane bilinearly at (x, y) in its own sample grid,
	// whose samples lo..hi are valid on each axis.
	lerp2 := func(x, y float64, loX, hiX, loY, hiY int, at func(x, y int) float64) float64 {
		x = min(max(x, float64(loX)), float64(hiX))
		y = min(max(y, float64(loY)), float64(hiY))
		x0, y0 := int(math.Floor(x)), int(math.Floor(y))
		x1, y1 := min(x0+1, hiX), min(y0+1, hiY)
		fx, fy := x-float64(x0), y-float64(y0)
		return (at(x0, y0)*(1-fx)+at(x1, y0)*fx)*(1-fy) + (at(x0, y1)*(1-fx)+at(x1, y1)*fx)*fy
	}
	luma := func(x, y int) float64 { return float64(img.Y[img.YOffset(x, y)]) }
	cb := func(x, y int) float64 { return float64(img.Cb[img.COffset(2*x, 2*y)]) }
	cr := func(x, y int) float64 { return float64(img.Cr[img.COffset(2*x, 2*y)]) }
	clamp := func(v float64) float32 { return float32(min(max(math.Round(v), 0), 255) / 255) }
	for oy := range h {
		py := (float64(oy)+0.5)*float64(r.Dy())/float64(h) - 0.5 + float64(r.Min.Y)
		for ox := range w {
			px := (float64(ox)+0.5)*float64(r.Dx())/float64(w) - 0.5 + float64(r.Min.X)
			yy := lerp2(px, py, r.Min.X, r.Max.X-1, r.Min.Y, r.Max.Y-1, luma)
			cx, cy := (px-0.5)/2, (py-0.5)/2
			u := lerp2(cx, cy, r.Min.X/2, (r.Max.X-1)/2, r.Min.Y/2, (r.Max.Y-1)/2, cb) - 128
			v := lerp2(cx, cy, r.Min.X/2, (r.Max.X-1)/2, r.Min.Y/2, (r.Max.Y-1)/2, cr) - 128
			l := 1.164384 * (yy - 16)
			i := oy*w + ox
			out[i] = clamp(l + 1.596027*v)
			out[w*h+i] = clamp(l - 0.391762*u - 0.812968*v)
			out[2*w*h+i] = clamp(l + 2.017232*u)
		}
	}
	return out
}

func fill(img *image.YCbCr, w, h int) []float32 {
	dst := make([]float32, 3*w*h)
	var s sampler
	s.fill(dst, img, w, h)
	return dst
}

func TestFillSolidColoursInRGBOrder(t *testing.T) {
	for _, c := range []color.RGBA{
		{255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {0, 0, 0, 255}, {255, 255, 255, 255}, {200, 100, 50, 255},
	} {
		got := fill(solid(64, 48, c), 32, 32)
		for p, want := range []uint8{c.R, c.G, c.B} {
			for i, v := range got[p*32*32 : (p+1)*32*32] {
				if math.Abs(float64(v)-float64(want)/255) > 1.5/255 {
					t.Fatalf("colour %v: plane %d pixel %d is %.4f, want %.4f", c, p, i, v, float64(want)/255)
				}
			}
		}
	}
	// Black and white are exact: 0 and 1.
	if got := fill(solid(8, 8, color.RGBA{0, 0, 0, 255}), 4, 4); got[0] != 0 || got[len(got)-1] != 0 {
		t.Errorf("black: %v", got[:4])
	}
	if got := fill(solid(8, 8, color.RGBA{255, 255, 255, 255}), 4, 4); got[0] != 1 || got[len(got)-1] != 1 {
		t.Errorf("white: %v", got[:4])
	}
}

func TestFillMatchesBilinearResize(t *testing.T) {
	for _, c := range []struct {
		name       string
		img        *image.YCbCr
		outW, outH int
	}{
		{"640x480 to 640x640", smooth(640, 480), 640, 640},
		{"same size", smooth(320, 320), 320, 320},
		{"1280x720 down", smooth(1280, 720), 320, 320},
		{"upscale", smooth(160, 120), 320, 256},
		{"odd sizes", smooth(641, 479), 333, 257},
		{"sub-image at an odd offset", smooth(700, 500).SubImage(image.Rect(3, 5, 643, 485)).(*image.YCbCr), 320, 320},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := fill(c.img, c.outW, c.outH)
			check := func(name string, want []float32, levels float64) {
				worst, at := 0.0, 0
				for i := range got {
					if d := math.Abs(float64(got[i] - want[i])); d > worst {
						worst, at = d, i
					}
				}
				if worst > levels/255 {
					plane := c.outW * c.outH
					t.Errorf("%s: worst difference %.1f levels at plane %d (%d, %d)", name, worst*255, at/plane, at%plane%c.outW, at%plane/c.outW)
				}
			}
			// The same sampling in float64: only the 8-bit weights and the
			// final rounding differ, by one level at most.
			check("plane reference", planeReference(c.img, c.outW, c.outH), 1.01)
			// RGB first, then resize: chroma is upsampled another way, which
			// on these smooth pictures moves blue by a few levels.
			check("RGB reference", reference(c.img, c.outW, c.outH), 5)
		})
	}
}

func TestMakeTapsStayInThePlane(t *testing.T) {
	for _, c := range []struct{ n, lo, hi, sub int }{
		{640, 0, 640, 1}, {640, 0, 640, 2}, {7, 3, 10, 2}, {100, 1, 2, 1}, {100, 1, 2, 2}, {1, 0, 1000, 2}, {640, 5, 6, 2},
	} {
		var tp taps
		makeTaps(&tp, c.n, c.lo, c.hi, c.sub)
		count := int32((c.hi+c.sub-1)/c.sub - c.lo/c.sub)
		for i := range c.n {
			if tp.i0[i] < 0 || tp.i1[i] >= count || tp.i0[i] > tp.i1[i] || tp.w[i] < 0 || tp.w[i] >= fracOne {
				t.Fatalf("%+v: tap %d = (%d, %d, %d) for %d samples", c, i, tp.i0[i], tp.i1[i], tp.w[i], count)
			}
		}
	}
}

func TestSamplerReusesTables(t *testing.T) {
	var s sampler
	a, b := smooth(64, 48), smooth(32, 32)
	dst := make([]float32, 3*16*16)
	for i, img := range []*image.YCbCr{a, b, a} {
		s.fill(dst, img, 16, 16)
		if want := fmt.Sprint(fill(img, 16, 16)); fmt.Sprint(dst) != want {
			t.Errorf("fill %d differs from a fresh sampler's", i)
		}
	}
}
