package codectest

import (
	"bytes"
	_ "embed"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"sync"
)

// face.jpg is a 320x400 photograph (a face before a plain wall), the
// camera-like source's scene.
//
//go:embed testdata/face.jpg
var faceJPEG []byte

var (
	cameraOnce   sync.Once
	cameraFrames []*image.YCbCr
)

// CameraSource is BenchSource's length of camera-like video at
// BenchW x BenchH: a photograph scaled 2.4 times, a window on it drifting
// as a hand-held camera does (a few pixels a frame), and sensor noise
// (luma sigma 2) drawn afresh each frame, so a codec meets natural
// texture, motion and noise rather than flat synthetic shapes.
func CameraSource() []*image.YCbCr {
	cameraOnce.Do(func() {
		src, err := jpeg.Decode(bytes.NewReader(faceJPEG))
		if err != nil {
			panic("codectest: the embedded photograph: " + err.Error())
		}
		const scale = 2.4
		sb := src.Bounds()
		sw, sh := int(float64(sb.Dx())*scale), int(float64(sb.Dy())*scale)
		// The scene in luma and chroma, bilinearly scaled.
		lum, cb, cr := make([]float64, sw*sh), make([]float64, sw*sh), make([]float64, sw*sh)
		at := func(x, y int) (float64, float64, float64) {
			r, g, b, _ := src.At(sb.Min.X+min(x, sb.Dx()-1), sb.Min.Y+min(y, sb.Dy()-1)).RGBA()
			Y, U, V := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(b>>8))
			return float64(Y), float64(U), float64(V)
		}
		for y := range sh {
			fy := float64(y) / scale
			y0, wy := int(fy), fy-math.Floor(fy)
			for x := range sw {
				fx := float64(x) / scale
				x0, wx := int(fx), fx-math.Floor(fx)
				var s [3]float64
				for _, c := range [4]struct {
					dx, dy int
					w      float64
				}{{0, 0, (1 - wx) * (1 - wy)}, {1, 0, wx * (1 - wy)}, {0, 1, (1 - wx) * wy}, {1, 1, wx * wy}} {
					Y, U, V := at(x0+c.dx, y0+c.dy)
					s[0], s[1], s[2] = s[0]+c.w*Y, s[1]+c.w*U, s[2]+c.w*V
				}
				lum[y*sw+x], cb[y*sw+x], cr[y*sw+x] = s[0], s[1], s[2]
			}
		}
		rng := rand.New(rand.NewPCG(1, 2))
		clamp := func(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }
		cameraFrames = make([]*image.YCbCr, benchFrames)
		for i := range cameraFrames {
			t := 2 * math.Pi * float64(i) / benchFrames
			ox := (sw-BenchW)/2 + int(float64(sw-BenchW)/2*0.8*math.Sin(t))
			oy := (sh-BenchH)/2 + int(float64(sh-BenchH)/2*0.8*math.Sin(2*t+1))
			img := image.NewYCbCr(image.Rect(0, 0, BenchW, BenchH), image.YCbCrSubsampleRatio420)
			for y := range BenchH {
				for x := range BenchW {
					img.Y[y*img.YStride+x] = clamp(lum[(oy+y)*sw+ox+x] + 2*rng.NormFloat64())
				}
			}
			for y := range BenchH / 2 {
				for x := range BenchW / 2 {
					p := (oy+2*y)*sw + ox + 2*x
					img.Cb[y*img.CStride+x] = clamp(cb[p])
					img.Cr[y*img.CStride+x] = clamp(cr[p])
				}
			}
			cameraFrames[i] = img
		}
	})
	return cameraFrames
}
