package codectest

import (
	"image"
	"math"
	"sync"
)

// The background repeats every periodX x periodY pixels, so each frame is a
// window into one precomputed canvas per frame size.
const (
	periodX = 512
	periodY = 256
)

// Frame returns frame n of a deterministic synthetic video of w x h pixels
// (4:2:0, limited range). See Draw.
func Frame(w, h, n int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	Draw(img, n)
	return img
}

// Draw paints frame n of the synthetic video into img, which must be 4:2:0.
// The picture is meant to cost a video encoder about what a webcam does: a
// textured background that pans (a camera moving) with smooth gradients,
// hard edges and fine detail, and over it a bright disc and a striped box
// moving on their own paths. Neither flat nor noise. The same size and n
// always give the same picture.
func Draw(img *image.YCbCr, n int) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	bg := canvasFor(w, h)

	// Background: a window into the canvas, panning 2 px right and 1 px
	// down per frame.
	px, py := (2*n)%periodX, n%periodY
	for y := range h {
		copy(img.Y[y*img.YStride:y*img.YStride+w], bg.y[(y+py)*bg.yStride+px:])
	}
	cpx, cpy := px/2, py/2
	for y := range ch {
		copy(img.Cb[y*img.CStride:y*img.CStride+cw], bg.cb[(y+cpy)*bg.cStride+cpx:])
		copy(img.Cr[y*img.CStride:y*img.CStride+cw], bg.cr[(y+cpy)*bg.cStride+cpx:])
	}

	// A disc with a soft rim on a Lissajous path.
	t := float64(n)
	r := max(1, h/8)
	dx := w/2 + int(float64(w)/3*math.Sin(t*0.05))
	dy := h/2 + int(float64(h)/3*math.Cos(t*0.07))
	for y := max(0, dy-r); y < min(h, dy+r); y++ {
		for x := max(0, dx-r); x < min(w, dx+r); x++ {
			if d := (x-dx)*(x-dx) + (y-dy)*(y-dy); d < r*r {
				img.Y[y*img.YStride+x] = uint8(220 - 60*d/(r*r))
				if x%2 == 0 && y%2 == 0 {
					i := y/2*img.CStride + x/2
					img.Cb[i], img.Cr[i] = 90, 190 // orange
				}
			}
		}
	}

	// A dark box with vertical stripes sliding left to right.
	bw, bh := max(1, w/5), max(1, h/6)
	bx := (3*n)%(w+bw) - bw
	by := h/2 + h/5
	for y := max(0, by); y < min(h, by+bh); y++ {
		for x := max(0, bx); x < min(w, bx+bw); x++ {
			v := uint8(40)
			if ((x-bx)/4)%2 == 1 {
				v = 90
			}
			img.Y[y*img.YStride+x] = v
			if x%2 == 0 && y%2 == 0 {
				i := y/2*img.CStride + x/2
				img.Cb[i], img.Cr[i] = 170, 100 // blue-green
			}
		}
	}
}

// canvas is the background for frames of one size, a period larger than
// the frame each way.
type canvas struct {
	y, cb, cr        []byte
	yStride, cStride int
}

var canvases sync.Map // image.Point -> *canvas

func canvasFor(w, h int) *canvas {
	if c, ok := canvases.Load(image.Pt(w, h)); ok {
		return c.(*canvas)
	}
	cw, ch := w+periodX, h+periodY
	c := &canvas{
		y:       make([]byte, cw*ch),
		yStride: cw,
		cStride: (cw + 1) / 2,
	}
	for v := range ch {
		for u := range cw {
			c.y[v*cw+u] = backgroundLuma(u, v)
		}
	}
	c.cb = make([]byte, c.cStride*((ch+1)/2))
	c.cr = make([]byte, len(c.cb))
	for v := range (ch + 1) / 2 {
		for u := range c.cStride {
			i := v*c.cStride + u
			c.cb[i] = uint8(128 + 40*triangle(2*u, periodX)/255 - 20)
			c.cr[i] = uint8(128 + 40*triangle(4*v, periodY)/255 - 20)
		}
	}
	actual, _ := canvases.LoadOrStore(image.Pt(w, h), c)
	return actual.(*canvas)
}

// backgroundLuma is the background at canvas position (u, v), periodic in
// periodX and periodY: a diagonal gradient, a checker of 8-pixel cells and
// fine pseudo-random detail from a 64 x 64 tile.
func backgroundLuma(u, v int) uint8 {
	g := triangle(3*u+2*v, periodX) // 0..255
	val := 48 + g/2
	if (u/8+v/8)%2 == 0 {
		val += 14
	}
	val += int(detail(u%64, v%64))
	return uint8(min(235, max(16, val)))
}

// triangle maps x onto a triangle wave of the given period, 0..255.
func triangle(x, period int) int {
	x %= period
	if x >= period/2 {
		x = period - 1 - x
	}
	return x * 255 / (period/2 - 1)
}

// detail is a fixed pseudo-random value in 0..7 for each tile position.
func detail(u, v int) uint8 {
	x := uint32(u*73856093) ^ uint32(v*19349663)
	x ^= x >> 13
	x *= 0x5bd1e995
	x ^= x >> 15
	return uint8(x & 7)
}
