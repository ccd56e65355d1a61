package media

import (
	"math"
	"testing"
)

// Reference BT.601 limited-range transforms in floating point, straight from
// the standard's formulas.

func refYCbCr(r, g, b float64) (y, cb, cr float64) {
	y = 16 + (65.481*r+128.553*g+24.966*b)/255
	cb = 128 + (-37.797*r-74.203*g+112.0*b)/255
	cr = 128 + (112.0*r-93.786*g-18.214*b)/255
	return y, cb, cr
}

func refRGB(y, cb, cr float64) (r, g, b float64) {
	yy := (y - 16) * 255 / 219
	u, v := (cb-128)*255/224, (cr-128)*255/224
	r = yy + 1.402*v
	g = yy - 0.344136*u - 0.714136*v
	b = yy + 1.772*u
	return r, g, b
}

func round8(v float64) int {
	return int(math.Max(0, math.Min(255, math.Floor(v+0.5))))
}

func absDiff(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

func TestRGBToYCbCrKnownValues(t *testing.T) {
	tests := []struct {
		name      string
		r, g, b   uint8
		y, cb, cr uint8
	}{
		{"black", 0, 0, 0, 16, 128, 128},
		{"white", 255, 255, 255, 235, 128, 128},
		{"red", 255, 0, 0, 81, 90, 240},
		{"green", 0, 255, 0, 145, 54, 34},
		{"blue", 0, 0, 255, 41, 240, 110},
		{"yellow", 255, 255, 0, 210, 16, 146},
		{"cyan", 0, 255, 255, 170, 166, 16},
		{"magenta", 255, 0, 255, 106, 202, 222},
		{"mid grey", 128, 128, 128, 126, 128, 128},
		{"grey 127", 127, 127, 127, 125, 128, 128},
	}
	for _, tt := range tests {
		y, cb, cr := RGBToYCbCr(tt.r, tt.g, tt.b)
		if y != tt.y || cb != tt.cb || cr != tt.cr {
			t.Errorf("%s: RGBToYCbCr(%d, %d, %d) = (%d, %d, %d), want (%d, %d, %d)",
				tt.name, tt.r, tt.g, tt.b, y, cb, cr, tt.y, tt.cb, tt.cr)
		}
		// The table itself must agree with the formulas.
		fy, fcb, fcr := refYCbCr(float64(tt.r), float64(tt.g), float64(tt.b))
		if round8(fy) != int(tt.y) || round8(fcb) != int(tt.cb) || round8(fcr) != int(tt.cr) {
			t.Errorf("%s: table (%d, %d, %d) disagrees with formulas (%.3f, %.3f, %.3f)", tt.name, tt.y, tt.cb, tt.cr, fy, fcb, fcr)
		}
	}
}

func TestRGBToYCbCrMatchesFormulas(t *testing.T) {
	step := 1
	if testing.Short() {
		step = 5
	}
	var n, exact int
	for r := 0; r < 256; r += step {
		for g := 0; g < 256; g += step {
			for b := 0; b < 256; b += step {
				y, cb, cr := RGBToYCbCr(uint8(r), uint8(g), uint8(b))
				fy, fcb, fcr := refYCbCr(float64(r), float64(g), float64(b))
				if absDiff(int(y), round8(fy)) > 1 || absDiff(int(cb), round8(fcb)) > 1 || absDiff(int(cr), round8(fcr)) > 1 {
					t.Fatalf("RGBToYCbCr(%d, %d, %d) = (%d, %d, %d), want about (%.3f, %.3f, %.3f)", r, g, b, y, cb, cr, fy, fcb, fcr)
				}
				if y < 16 || y > 235 || cb < 16 || cb > 240 || cr < 16 || cr > 240 {
					t.Fatalf("RGBToYCbCr(%d, %d, %d) = (%d, %d, %d), outside the limited range", r, g, b, y, cb, cr)
				}
				n += 3
				if int(y) == round8(fy) {
					exact++
				}
				if int(cb) == round8(fcb) {
					exact++
				}
				if int(cr) == round8(fcr) {
					exact++
				}
			}
		}
	}
	// Fixed point errs by less than 0.01, so only values within a hair of
	// .5 may round the other way.
	if float64(exact) < 0.995*float64(n) {
		t.Errorf("only %d of %d samples rounded exactly like the float reference", exact, n)
	}
}

func TestYCbCrToRGBMatchesFormulas(t *testing.T) {
	step := 1
	if testing.Short() {
		step = 5
	}
	for y := 0; y < 256; y += step {
		for cb := 0; cb < 256; cb += step {
			for cr := 0; cr < 256; cr += step {
				r, g, b := YCbCrToRGB(uint8(y), uint8(cb), uint8(cr))
				fr, fg, fb := refRGB(float64(y), float64(cb), float64(cr))
				if absDiff(int(r), round8(fr)) > 1 || absDiff(int(g), round8(fg)) > 1 || absDiff(int(b), round8(fb)) > 1 {
					t.Fatalf("YCbCrToRGB(%d, %d, %d) = (%d, %d, %d), want about (%.3f, %.3f, %.3f)", y, cb, cr, r, g, b, fr, fg, fb)
				}
			}
		}
	}
	for _, tt := range []struct{ y, cb, cr, r, g, b uint8 }{
		{16, 128, 128, 0, 0, 0},
		{235, 128, 128, 255, 255, 255},
		{0, 128, 128, 0, 0, 0},         // below black clamps
		{255, 128, 128, 255, 255, 255}, // above white clamps
		{81, 90, 240, 255, 0, 0},
		{145, 54, 34, 0, 255, 0},
		{41, 240, 110, 0, 0, 255},
	} {
		r, g, b := YCbCrToRGB(tt.y, tt.cb, tt.cr)
		if absDiff(int(r), int(tt.r)) > 1 || absDiff(int(g), int(tt.g)) > 1 || absDiff(int(b), int(tt.b)) > 1 {
			t.Errorf("YCbCrToRGB(%d, %d, %d) = (%d, %d, %d), want (%d, %d, %d) ±1", tt.y, tt.cb, tt.cr, r, g, b, tt.r, tt.g, tt.b)
		}
	}
}

func TestRoundTripColour(t *testing.T) {
	// RGB -> Y'CbCr -> RGB loses precision (220 luma levels for 256), but
	// never by more than a couple of levels.
	worst := 0
	for r := 0; r < 256; r += 3 {
		for g := 0; g < 256; g += 3 {
			for b := 0; b < 256; b += 3 {
				y, cb, cr := RGBToYCbCr(uint8(r), uint8(g), uint8(b))
				r2, g2, b2 := YCbCrToRGB(y, cb, cr)
				worst = max(worst, absDiff(r, int(r2)), absDiff(g, int(g2)), absDiff(b, int(b2)))
			}
		}
	}
	if worst > 3 {
		t.Errorf("round trip error up to %d levels, want at most 3", worst)
	}
}

func TestClamp8(t *testing.T) {
	for _, tt := range []struct {
		in   int32
		want uint8
	}{{-1 << 30, 0}, {-1, 0}, {0, 0}, {1, 1}, {254, 254}, {255, 255}, {256, 255}, {1 << 30, 255}} {
		if got := clamp8(tt.in); got != tt.want {
			t.Errorf("clamp8(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestDiv255(t *testing.T) {
	for x := uint32(0); x <= 255*255; x++ {
		if got, want := div255(x), uint32(math.Floor(float64(x)/255+0.5)); got != want {
			t.Fatalf("div255(%d) = %d, want %d", x, got, want)
		}
	}
}
