package media

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// grey returns a 4:2:0 image of uniform mid grey.
func grey(w, h int) *image.YCbCr {
	img := NewI420(w, h)
	fill(img.Y, 126)
	return img
}

// painted reports, for every pixel of img, whether its luma differs from
// the grey background.
func lumaChanged(img *image.YCbCr, x, y int) bool {
	return img.Y[img.YOffset(x, y)] != 126
}

func TestFillRect(t *testing.T) {
	red := color.RGBA{255, 0, 0, 255}
	ry, rcb, rcr := RGBToYCbCr(255, 0, 0)
	img := grey(10, 8)
	r := image.Rect(3, 1, 7, 6)
	FillRect(img, r, red)
	for y := range 8 {
		for x := range 10 {
			in := image.Pt(x, y).In(r)
			if got := img.Y[img.YOffset(x, y)]; (got == ry) != in || (!in && got != 126) {
				t.Errorf("luma at (%d, %d) = %d; inside %v", x, y, got, in)
			}
			// Chroma: every sample whose 2x2 block touches r is red.
			block := image.Rect(x&^1, y&^1, x&^1+2, y&^1+2)
			c := img.YCbCrAt(x, y)
			if touched := block.Overlaps(r); touched != (c.Cb == rcb && c.Cr == rcr) {
				t.Errorf("chroma at (%d, %d) = (%d, %d); block touches the rectangle: %v", x, y, c.Cb, c.Cr, touched)
			}
		}
	}
}

func TestFillRectMatchesRGBA(t *testing.T) {
	// On block-aligned rectangles, filling the Y'CbCr frame and converting
	// gives the colour that filling an RGBA image would.
	c := color.RGBA{30, 140, 220, 255}
	img := grey(16, 16)
	FillRect(img, image.Rect(4, 6, 12, 10), c)
	rgba := ToRGBA(nil, img)
	for y := 6; y < 10; y++ {
		for x := 4; x < 12; x++ {
			got := rgba.RGBAAt(x, y)
			if absDiff(int(got.R), int(c.R)) > 2 || absDiff(int(got.G), int(c.G)) > 2 || absDiff(int(got.B), int(c.B)) > 2 {
				t.Fatalf("pixel (%d, %d) = %v, want %v", x, y, got, c)
			}
		}
	}
}

func TestDrawingClips(t *testing.T) {
	rects := []image.Rectangle{
		image.Rect(-5, -5, 3, 3),
		image.Rect(8, 6, 20, 20),
		image.Rect(-100, 2, 100, 4),
		image.Rect(20, 20, 30, 30),
		image.Rect(-30, -30, -20, -20),
		{Min: image.Pt(6, 6), Max: image.Pt(2, 2)}, // inverted
		image.Rect(3, 3, 3, 9),                     // empty
		image.Rect(math.MinInt/2, math.MinInt/2, math.MaxInt/2, math.MaxInt/2),
	}
	images := map[string]*image.YCbCr{
		"I420":     grey(10, 8),
		"odd sub":  grey(11, 9).SubImage(image.Rect(1, 1, 11, 9)).(*image.YCbCr),
		"negative": image.NewYCbCr(image.Rect(-3, -3, 7, 5), image.YCbCrSubsampleRatio420),
	}
	for _, r := range ratios {
		images[r.String()] = image.NewYCbCr(image.Rect(0, 0, 10, 8), r)
	}
	for name, img := range images {
		for _, r := range rects {
			for _, th := range []int{-1, 0, 1, 2, 5, math.MaxInt} {
				DrawRect(img, r, th, color.RGBA{0, 255, 0, 255})
				DrawRect(img, r, th, color.NRGBA{0, 0, 255, 90})
			}
			FillRect(img, r, color.NRGBA{255, 0, 0, 50})
			DrawLabel(img, r.Min, "clip me", color.White, color.Black)
			DrawLabel(img, r.Max, "é\n\x00", color.NRGBA{255, 0, 0, 128}, nil)
			// An opaque fill paints exactly the part of r inside the image.
			fill(img.Y, 126)
			FillRect(img, r, color.White)
			for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
				for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
					if got, want := img.Y[img.YOffset(x, y)] == 235, image.Pt(x, y).In(r); got != want {
						t.Fatalf("%s, %v: pixel (%d, %d) painted %v, want %v", name, r, x, y, got, want)
					}
				}
			}
		}
	}
}

func TestFillRectAnyRatio(t *testing.T) {
	c := color.RGBA{200, 30, 60, 255}
	want := color.YCbCr{}
	want.Y, want.Cb, want.Cr = RGBToYCbCr(c.R, c.G, c.B)
	for _, ratio := range ratios {
		img := image.NewYCbCr(image.Rect(-3, -2, 9, 10), ratio)
		r := image.Rect(-1, 1, 5, 7)
		FillRect(img, r, c)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if got := img.YCbCrAt(x, y); got != want {
					t.Fatalf("%v: pixel (%d, %d) = %v, want %v", ratio, x, y, got, want)
				}
			}
		}
		if got := img.YCbCrAt(-3, -2); got.Y != 0 {
			t.Errorf("%v: pixel outside painted: %v", ratio, got)
		}
	}
}

func TestDrawRect(t *testing.T) {
	img := grey(20, 16)
	r := image.Rect(2, 3, 15, 13)
	DrawRect(img, r, 2, color.White)
	inner := image.Rect(4, 5, 13, 11)
	for y := range 16 {
		for x := range 20 {
			p := image.Pt(x, y)
			want := p.In(r) && !p.In(inner)
			if got := lumaChanged(img, x, y); got != want {
				t.Errorf("(%d, %d): painted %v, want %v", x, y, got, want)
			}
		}
	}
	// A thickness of half the side or more fills; below 1 means 1.
	img = grey(8, 8)
	DrawRect(img, image.Rect(1, 1, 7, 7), 3, color.White)
	for y := 1; y < 7; y++ {
		for x := 1; x < 7; x++ {
			if !lumaChanged(img, x, y) {
				t.Fatalf("thick outline left (%d, %d) unpainted", x, y)
			}
		}
	}
	img = grey(8, 8)
	DrawRect(img, image.Rect(1, 1, 7, 7), 0, color.White)
	if !lumaChanged(img, 1, 3) || lumaChanged(img, 2, 3) {
		t.Errorf("thickness 0 should draw a 1 pixel outline")
	}
}

func TestDrawRectTranslucentIsEven(t *testing.T) {
	// Each sample is blended once, so a translucent outline is uniform,
	// corners included, in luma and chroma.
	img := grey(20, 20)
	DrawRect(img, image.Rect(3, 3, 17, 16), 3, color.NRGBA{255, 0, 0, 128})
	want := img.YCbCrAt(3, 3)
	for _, p := range []image.Point{{16, 15}, {3, 15}, {16, 3}, {10, 4}, {4, 10}, {15, 10}, {10, 14}} {
		if got := img.YCbCrAt(p.X, p.Y); got != want {
			t.Errorf("outline at %v = %v, corner = %v", p, got, want)
		}
	}
	if want.Y == 126 || want.Cr <= 128 {
		t.Errorf("translucent red did not tint: %v", want)
	}
	y, _, _ := RGBToYCbCr(255, 0, 0)
	if mid := (126 + int(y) + 1) / 2; absDiff(int(want.Y), mid) > 1 {
		t.Errorf("50%% blend luma = %d, want about %d", want.Y, mid)
	}
}

func TestDrawNothing(t *testing.T) {
	img := grey(8, 8)
	FillRect(img, img.Rect, nil)
	FillRect(img, img.Rect, color.Transparent)
	DrawRect(img, img.Rect, 2, color.NRGBA{255, 0, 0, 0})
	DrawLabel(img, image.Pt(0, 0), "", color.White, color.Black)
	DrawLabel(img, image.Pt(0, 0), "hi", nil, nil)
	if diffYCbCr(img, grey(8, 8)) != nil {
		t.Errorf("nil, transparent and empty drawing changed the image")
	}
}

func TestYCbCrColourWrittenAsIs(t *testing.T) {
	img := grey(4, 4)
	c := color.YCbCr{Y: 50, Cb: 60, Cr: 70}
	FillRect(img, img.Rect, c)
	if got := img.YCbCrAt(1, 1); got != c {
		t.Errorf("color.YCbCr painted as %v, want the samples as they are", got)
	}
}

func TestDrawLabel(t *testing.T) {
	text := "Hi! 0.93"
	size := LabelSize(text)
	if want := image.Pt(len(text)*6+1, 9); size != want {
		t.Fatalf("LabelSize = %v, want %v", size, want)
	}
	if LabelSize("") != (image.Point{}) || LabelSize("é").X != 7 {
		t.Errorf("LabelSize counts runes, and is zero for empty text")
	}
	img := grey(60, 20)
	at := image.Pt(3, 4)
	DrawLabel(img, at, text, color.White, color.Black)
	box := image.Rectangle{at, at.Add(size)}
	white, _, _ := RGBToYCbCr(255, 255, 255)
	black, _, _ := RGBToYCbCr(0, 0, 0)
	var ink int
	for y := range 20 {
		for x := range 60 {
			l := img.Y[img.YOffset(x, y)]
			switch {
			case !image.Pt(x, y).In(box):
				if l != 126 {
					t.Fatalf("(%d, %d) outside the box changed", x, y)
				}
			case l == white:
				ink++
			case l != black:
				t.Fatalf("(%d, %d) in the box is %d, neither ink nor background", x, y, l)
			}
		}
	}
	// 'H' alone has 17 pixels of ink; the whole text has dozens.
	if ink < 60 {
		t.Errorf("only %d pixels of ink", ink)
	}
	// The padding column and row are background.
	for y := box.Min.Y; y < box.Max.Y; y++ {
		if img.Y[img.YOffset(box.Min.X, y)] != black {
			t.Errorf("left padding at row %d is not background", y)
		}
	}
	// 'H': the left stroke is inked down the whole glyph height.
	for row := range 7 {
		if img.Y[img.YOffset(at.X+1, at.Y+1+row)] != white {
			t.Errorf("'H' left stroke missing at row %d", row)
		}
	}
}

func TestDrawLabelChromaFollowsCoverage(t *testing.T) {
	// Red text on a blue box: chroma samples under strokes move towards red
	// in proportion to ink, and samples without ink stay blue.
	img := grey(40, 12)
	DrawLabel(img, image.Pt(0, 0), "|.", color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 255})
	_, bcb, bcr := RGBToYCbCr(0, 0, 255)
	_, rcb, rcr := RGBToYCbCr(255, 0, 0)
	var mixed, blue int
	for cy := range 5 {
		for cx := range 7 {
			i := cy*img.CStride + cx
			cb, cr := img.Cb[i], img.Cr[i]
			switch {
			case cb == bcb && cr == bcr:
				blue++
			case cb < bcb && cr > bcr && cb >= rcb && cr <= rcr:
				mixed++
			default:
				t.Errorf("chroma sample (%d, %d) = (%d, %d), neither blue (%d, %d) nor between blue and red", cx, cy, cb, cr, bcb, bcr)
			}
		}
	}
	if mixed == 0 || blue == 0 {
		t.Errorf("mixed %d, blue %d chroma samples; want some of each", mixed, blue)
	}
}

func TestFontGlyphsDistinct(t *testing.T) {
	seen := map[[glyphW]byte]rune{}
	for r := rune(' '); r <= '~'; r++ {
		g := *glyph(r)
		if r != ' ' && g == ([glyphW]byte{}) {
			t.Errorf("glyph %q is empty", r)
		}
		for _, col := range g {
			if col>>glyphH != 0 {
				t.Errorf("glyph %q uses a row below %d", r, glyphH)
			}
		}
		if prev, ok := seen[g]; ok {
			t.Errorf("glyphs %q and %q are the same", prev, r)
		}
		seen[g] = r
	}
	if *glyph('\n') != *glyph('?') || *glyph('é') != *glyph('?') {
		t.Errorf("unprintable runes should draw as '?'")
	}
}
