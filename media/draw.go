package media

import (
	"image"
	"image/color"
	"unicode/utf8"
)

// FillRect paints the pixels of r that lie inside img.Rect with c. The package
// documentation (Drawing) says how colour, alpha and shared chroma are handled.
func FillRect(img *image.YCbCr, r image.Rectangle, c color.Color) {
	if p, ok := toPaint(c); ok {
		paintFrame(img, r, image.Rectangle{}, p)
	}
}

// DrawRect paints the outline of r with c: a border thickness pixels wide
// (at least 1) running along the inside of r, so that r's bounds are also
// the outline's. A thickness of half r's smaller side or more fills r. Parts
// outside img.Rect are clipped; each pixel is painted once, so a translucent
// outline has even corners.
func DrawRect(img *image.YCbCr, r image.Rectangle, thickness int, c color.Color) {
	p, ok := toPaint(c)
	if !ok || r.Empty() {
		return
	}
	t := max(thickness, 1)
	var hole image.Rectangle
	if t <= (r.Dx()-1)/2 && t <= (r.Dy()-1)/2 { // 2t < Dx and 2t < Dy, without overflow
		hole = image.Rect(r.Min.X+t, r.Min.Y+t, r.Max.X-t, r.Max.Y-t)
	}
	paintFrame(img, r, hole, p)
}

// Label geometry: text in the built-in 5x7 font, 6 pixels per rune, on a box
// with one pixel of padding around the glyphs.
const (
	labelPad    = 1
	labelHeight = labelPad + glyphH + labelPad
)

// LabelSize returns the size of the box that [DrawLabel] paints for text:
// 6 pixels per rune plus 1, by 9 pixels. It is (0, 0) for empty text.
func LabelSize(text string) image.Point {
	n := utf8.RuneCountInString(text)
	if n == 0 {
		return image.Point{}
	}
	return image.Pt(n*cellW+labelPad, labelHeight)
}

// DrawLabel draws text in a built-in 5x7 pixel font, one line, with the top
// left corner of its box at at. The box, of size [LabelSize](text), is first
// filled with bg unless bg is nil or transparent; then the glyphs are drawn
// with fg. Runes outside printable ASCII (32..126), newlines included, are
// drawn as '?'. Glyph strokes are one pixel wide, so chroma under them is
// mixed: each chroma sample moves towards fg's chroma in proportion to the
// share of its block that the glyphs cover, which keeps coloured text on a
// coloured box legible without bleeding. To place a label above a detection
// box r, use at = r.Min.Sub(image.Pt(0, LabelSize(text).Y)).
func DrawLabel(img *image.YCbCr, at image.Point, text string, fg, bg color.Color) {
	size := LabelSize(text)
	if size == (image.Point{}) {
		return
	}
	box := image.Rectangle{Min: at, Max: at.Add(size)}
	if p, ok := toPaint(bg); ok {
		paintFrame(img, box, image.Rectangle{}, p)
	}
	p, ok := toPaint(fg)
	clip := box.Intersect(img.Rect)
	if !ok || clip.Empty() {
		return
	}
	var runes []rune // only for text that is not all ASCII
	for i := range len(text) {
		if text[i] >= utf8.RuneSelf {
			runes = []rune(text)
			break
		}
	}
	origin := at.Add(image.Pt(labelPad, labelPad))
	inked := func(x, y int) bool {
		col, row := x-origin.X, y-origin.Y
		if col < 0 || row < 0 || row >= glyphH {
			return false
		}
		cell := col / cellW
		col %= cellW
		if col >= glyphW {
			return false
		}
		var r rune
		if runes != nil {
			r = runes[cell]
		} else {
			r = rune(text[cell])
		}
		return glyph(r)[col]>>row&1 != 0
	}
	for y := clip.Min.Y; y < clip.Max.Y; y++ {
		row := img.Y[img.YOffset(clip.Min.X, y):][:clip.Dx()]
		for i := range row {
			if inked(clip.Min.X+i, y) {
				row[i] = mix(row[i], p.y, p.a)
			}
		}
	}
	// Chroma: group pixels by the sample they share and mix in proportion
	// to the share of inked pixels.
	for y := clip.Min.Y; y < clip.Max.Y; {
		ey := nextChromaRow(img, clip, y)
		for x := clip.Min.X; x < clip.Max.X; {
			ex := x + 1
			for ex < clip.Max.X && img.COffset(ex, y) == img.COffset(x, y) {
				ex++
			}
			var k uint32
			for yy := y; yy < ey; yy++ {
				for xx := x; xx < ex; xx++ {
					if inked(xx, yy) {
						k++
					}
				}
			}
			if k > 0 {
				a := p.a * k / uint32((ey-y)*(ex-x))
				ci := img.COffset(x, y)
				img.Cb[ci] = mix(img.Cb[ci], p.cb, a)
				img.Cr[ci] = mix(img.Cr[ci], p.cr, a)
			}
			x = ex
		}
		y = ey
	}
}

// paint is a colour ready to be drawn on Y'CbCr samples.
type paint struct {
	y, cb, cr uint8
	a         uint32 // alpha, 1..0xffff
}

// toPaint converts c for drawing. It reports false for a nil or fully
// transparent colour, which draws nothing.
func toPaint(c color.Color) (paint, bool) {
	switch c := c.(type) {
	case nil:
		return paint{}, false
	case color.YCbCr:
		return paint{c.Y, c.Cb, c.Cr, 0xffff}, true
	case color.NYCbCrA:
		return paint{c.Y, c.Cb, c.Cr, uint32(c.A) * 0x101}, c.A != 0
	}
	r, g, b, a := c.RGBA()
	if a == 0 {
		return paint{}, false
	}
	// Undo the premultiplication to get the colour itself.
	straight := func(v uint32) uint8 { return to8(min(v*0xffff/a, 0xffff)) }
	y, cb, cr := RGBToYCbCr(straight(r), straight(g), straight(b))
	return paint{y, cb, cr, a}, true
}

// mix blends s over d with alpha a in 0..0xffff, rounding to nearest.
func mix(d, s uint8, a uint32) uint8 {
	if a >= 0xffff {
		return s
	}
	return uint8((uint32(s)*a + uint32(d)*(0xffff-a) + 0x7fff) / 0xffff)
}

// mixSpan blends s over every byte of b with alpha a.
func mixSpan(b []byte, s uint8, a uint32) {
	if a >= 0xffff {
		fill(b, s)
		return
	}
	for i := range b {
		b[i] = mix(b[i], s, a)
	}
}

// nextChromaRow returns the end of the run of rows from y that share their
// chroma row with y within clip.
func nextChromaRow(img *image.YCbCr, clip image.Rectangle, y int) int {
	ey := y + 1
	for ey < clip.Max.Y && img.COffset(clip.Min.X, ey) == img.COffset(clip.Min.X, y) {
		ey++
	}
	return ey
}

// paintFrame paints the pixels of r, except those of hole (which lies inside
// r, or is empty), that lie inside img.Rect. Each luma and chroma sample is
// painted at most once.
func paintFrame(img *image.YCbCr, r, hole image.Rectangle, p paint) {
	clip := r.Intersect(img.Rect)
	if clip.Empty() {
		return
	}
	if hole.Empty() {
		hole = image.Rectangle{}
	}
	inHole := func(y int) bool { return y >= hole.Min.Y && y < hole.Max.Y }
	// Pixel spans of a row that cuts through the hole: left and right of it.
	left := [2]int{clip.Min.X, min(hole.Min.X, clip.Max.X)}
	right := [2]int{max(hole.Max.X, clip.Min.X), clip.Max.X}
	for y := clip.Min.Y; y < clip.Max.Y; y++ {
		off := img.YOffset(clip.Min.X, y) - clip.Min.X // index of x is off+x
		if !inHole(y) {
			mixSpan(img.Y[off+clip.Min.X:off+clip.Max.X], p.y, p.a)
			continue
		}
		if left[0] < left[1] {
			mixSpan(img.Y[off+left[0]:off+left[1]], p.y, p.a)
		}
		if right[0] < right[1] {
			mixSpan(img.Y[off+right[0]:off+right[1]], p.y, p.a)
		}
	}
	for y := clip.Min.Y; y < clip.Max.Y; {
		ey := nextChromaRow(img, clip, y)
		full := false
		for yy := y; yy < ey && !full; yy++ {
			full = !inHole(yy)
		}
		// Chroma index spans, inclusive.
		span := func(x0, x1 int) [2]int { return [2]int{img.COffset(x0, y), img.COffset(x1-1, y)} }
		if full {
			s := span(clip.Min.X, clip.Max.X)
			mixChroma(img, s[0], s[1], p)
		} else {
			var sl, sr [2]int
			hasL, hasR := left[0] < left[1], right[0] < right[1]
			if hasL {
				sl = span(left[0], left[1])
			}
			if hasR {
				sr = span(right[0], right[1])
			}
			switch {
			case hasL && hasR && sl[1] >= sr[0]:
				mixChroma(img, sl[0], sr[1], p)
			default:
				if hasL {
					mixChroma(img, sl[0], sl[1], p)
				}
				if hasR {
					mixChroma(img, sr[0], sr[1], p)
				}
			}
		}
		y = ey
	}
}

// mixChroma paints chroma samples i0..i1 (inclusive) of img with p.
func mixChroma(img *image.YCbCr, i0, i1 int, p paint) {
	mixSpan(img.Cb[i0:i1+1], p.cb, p.a)
	mixSpan(img.Cr[i0:i1+1], p.cr, p.a)
}
