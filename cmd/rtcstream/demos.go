package main

import (
	"image"
)

// A demo is a handler with a name and a line about it.
type demoInfo struct {
	name, title, about string
	handler            any
}

var demos = []demoInfo{
	{"edges", "Edge detection", "Sobel edges of your camera, computed in Go on every frame", edges},
	{"invert", "Invert", "Your camera with its brightness inverted", invert},
}

func findDemo(name string) (demoInfo, bool) {
	for _, d := range demos {
		if d.name == name {
			return d, true
		}
	}
	return demoInfo{}, false
}

// invert inverts the luma plane in place: no copy, no colour conversion.
func invert(img *image.YCbCr) *image.YCbCr {
	for y := range img.Rect.Dy() {
		row := img.Y[y*img.YStride : y*img.YStride+img.Rect.Dx()]
		for i, v := range row {
			row[i] = 255 - v
		}
	}
	return img
}

// edges draws the Sobel gradient magnitude of the luma, keeping a little
// of the original colour.
func edges(img *image.YCbCr) *image.YCbCr {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	src := img.Y
	st := img.YStride
	// Each output row is written back one row late, once no later row
	// needs its original pixels.
	prev := make([]byte, w)
	cur := make([]byte, w)
	for y := 1; y < h-1; y++ {
		up, mid, down := src[(y-1)*st:], src[y*st:], src[(y+1)*st:]
		for x := 1; x < w-1; x++ {
			gx := -int(up[x-1]) + int(up[x+1]) - 2*int(mid[x-1]) + 2*int(mid[x+1]) - int(down[x-1]) + int(down[x+1])
			gy := -int(up[x-1]) - 2*int(up[x]) - int(up[x+1]) + int(down[x-1]) + 2*int(down[x]) + int(down[x+1])
			m := abs(gx) + abs(gy)
			if m > 219 {
				m = 219
			}
			cur[x] = byte(16 + m)
		}
		if y > 1 {
			copy(src[(y-1)*st+1:(y-1)*st+w-1], prev[1:w-1])
		}
		prev, cur = cur, prev
	}
	copy(src[(h-2)*st+1:(h-2)*st+w-1], prev[1:w-1])
	for i := range img.Cb {
		img.Cb[i] = byte(128 + (int(img.Cb[i])-128)/3)
		img.Cr[i] = byte(128 + (int(img.Cr[i])-128)/3)
	}
	return img
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
