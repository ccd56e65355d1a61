package media

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
)

func TestNewI420(t *testing.T) {
	for _, sz := range []image.Point{{0, 0}, {1, 1}, {3, 5}, {640, 480}, {641, 479}} {
		img := NewI420(sz.X, sz.Y)
		cw, ch := (sz.X+1)/2, (sz.Y+1)/2
		if img.Rect != image.Rect(0, 0, sz.X, sz.Y) || img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Fatalf("%v: Rect %v, ratio %v", sz, img.Rect, img.SubsampleRatio)
		}
		if img.YStride != sz.X || img.CStride != cw || len(img.Y) != sz.X*sz.Y || len(img.Cb) != cw*ch || len(img.Cr) != cw*ch {
			t.Fatalf("%v: strides %d, %d; lengths %d, %d, %d", sz, img.YStride, img.CStride, len(img.Y), len(img.Cb), len(img.Cr))
		}
		if cap(img.Y) != len(img.Y) || cap(img.Cb) != len(img.Cb) || cap(img.Cr) != len(img.Cr) {
			t.Errorf("%v: planes are not capped, so appending to one would overwrite the next", sz)
		}
		for _, p := range img.Y {
			if p != 16 {
				t.Fatalf("%v: luma %d, want 16 (black)", sz, p)
			}
		}
		for i := range img.Cb {
			if img.Cb[i] != 128 || img.Cr[i] != 128 {
				t.Fatalf("%v: chroma (%d, %d), want 128", sz, img.Cb[i], img.Cr[i])
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("NewI420(-1, 1) did not panic")
		}
	}()
	NewI420(-1, 1)
}

func TestNewI420OneAllocation(t *testing.T) {
	if n := testing.AllocsPerRun(10, func() { NewI420(64, 48) }); n != 2 { // the planes and the header
		t.Errorf("NewI420: %v allocations, want 2 (one for all planes, one for the struct)", n)
	}
}

func TestIsI420(t *testing.T) {
	i420 := NewI420(8, 6)
	tests := []struct {
		name string
		img  image.Image
		want bool
	}{
		{"I420", i420, true},
		{"even sub-image", i420.SubImage(image.Rect(2, 2, 8, 6)), true},
		{"odd x sub-image", i420.SubImage(image.Rect(1, 2, 8, 6)), false},
		{"odd y sub-image", i420.SubImage(image.Rect(2, 1, 8, 6)), false},
		{"odd size", i420.SubImage(image.Rect(0, 0, 7, 5)), true},
		{"negative origin", image.NewYCbCr(image.Rect(-2, -2, 4, 4), image.YCbCrSubsampleRatio420), false},
		{"4:2:2", image.NewYCbCr(image.Rect(0, 0, 8, 6), image.YCbCrSubsampleRatio422), false},
		{"4:4:4", image.NewYCbCr(image.Rect(0, 0, 8, 6), image.YCbCrSubsampleRatio444), false},
		{"NYCbCrA", image.NewNYCbCrA(image.Rect(0, 0, 8, 6), image.YCbCrSubsampleRatio420), false},
		{"RGBA", image.NewRGBA(image.Rect(0, 0, 8, 6)), false},
	}
	for _, tt := range tests {
		p, ok := IsI420(tt.img)
		if ok != tt.want || (ok && p != tt.img) || (!ok && p != nil) {
			t.Errorf("%s: IsI420 = %p, %v; want %v", tt.name, p, ok, tt.want)
		}
	}
}

func TestCopyI420(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	src := randYCbCr(rng, image.Pt(2, 2), 9, 7, image.YCbCrSubsampleRatio420)
	cp := CopyI420(nil, src)
	if cp == src || &cp.Y[0] == &src.Y[0] {
		t.Fatal("CopyI420 shares memory with its source")
	}
	if err := diffYCbCr(cp, src); err != nil {
		t.Fatal(err)
	}
	// Writing the copy leaves the source alone.
	FillRect(cp, cp.Rect, color.White)
	if diffYCbCr(cp, src) == nil {
		t.Fatal("writing the copy changed the source")
	}
	dst := NewI420(9, 7)
	if got := CopyI420(dst, src); got != dst {
		t.Errorf("CopyI420 did not reuse dst")
	}
	if got := CopyI420(src, src); got != src {
		t.Errorf("CopyI420(src, src) = %p, want src", got)
	}
	// Other ratios are resampled like ToI420 does.
	for _, r := range ratios {
		src := randYCbCr(rng, image.Pt(1, 0), 9, 7, r)
		want := NewI420(9, 7)
		toI420At(want, src)
		if err := diffYCbCr(CopyI420(nil, src), want); err != nil {
			t.Errorf("%v: %v", r, err)
		}
	}
}
