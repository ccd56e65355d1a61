package media

import (
	"image"
	"testing"
)

func TestResizeKeepsFlatColourAndGradients(t *testing.T) {
	src := NewI420(640, 480)
	for y := range 480 {
		for x := range 640 {
			src.Y[y*src.YStride+x] = uint8(16 + x*200/639)
		}
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = 90, 200
	}
	for _, size := range []image.Point{{500, 500}, {320, 240}, {1280, 720}, {1, 1}, {3, 5}} {
		dst := Resize(nil, src, size.X, size.Y)
		if dst.Rect != image.Rect(0, 0, size.X, size.Y) {
			t.Fatalf("%v: rect %v", size, dst.Rect)
		}
		for _, c := range [][2]byte{{dst.Cb[0], 90}, {dst.Cr[len(dst.Cr)-1], 200}} {
			if c[0] != c[1] {
				t.Fatalf("%v: flat chroma %d became %d", size, c[1], c[0])
			}
		}
		// The gradient stays monotonic and spans about the same range.
		row := dst.Y[(size.Y/2)*dst.YStride : (size.Y/2)*dst.YStride+size.X]
		for i := 1; i < len(row); i++ {
			if row[i] < row[i-1] {
				t.Fatalf("%v: gradient not monotonic at %d", size, i)
			}
		}
		if size.X > 100 && (row[0] > 20 || row[len(row)-1] < 212) {
			t.Fatalf("%v: gradient ends %d..%d", size, row[0], row[len(row)-1])
		}
	}
}

func TestResizeReusesDst(t *testing.T) {
	src := NewI420(64, 48)
	dst := NewI420(32, 24)
	if got := Resize(dst, src, 32, 24); got != dst {
		t.Fatal("a fitting dst was not reused")
	}
	if got := Resize(dst, src, 33, 24); got == dst {
		t.Fatal("a dst of another size was reused")
	}
	if n := testing.AllocsPerRun(10, func() { Resize(dst, src, 32, 24) }); n != 0 {
		t.Fatalf("%v allocs with a fitting dst", n)
	}
}

func BenchmarkResize640x480To500x500(b *testing.B) {
	src := NewI420(640, 480)
	dst := NewI420(500, 500)
	b.ReportAllocs()
	for b.Loop() {
		Resize(dst, src, 500, 500)
	}
}
