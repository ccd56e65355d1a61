package browsertest

import (
	"bytes"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"
)

func TestWriteY4MLayout(t *testing.T) {
	defer goleak.VerifyNone(t)
	const w, h, n = 6, 4, 3
	path := filepath.Join(t.TempDir(), "x.y4m")
	err := WriteY4M(path, w, h, 30, n, func(i int) *image.YCbCr {
		// A frame inside a larger image: strides and offsets must be honoured.
		big := image.NewYCbCr(image.Rect(0, 0, w+4, h+4), image.YCbCrSubsampleRatio420)
		for j := range big.Y {
			big.Y[j] = 99
		}
		sub := big.SubImage(image.Rect(2, 2, 2+w, 2+h)).(*image.YCbCr)
		for y := 2; y < 2+h; y++ {
			for x := 2; x < 2+w; x++ {
				sub.Y[sub.YOffset(x, y)] = byte(10*i + (y-2)*w + (x - 2))
				c := sub.COffset(x, y)
				sub.Cb[c], sub.Cr[c] = byte(100+i), byte(200+i)
			}
		}
		return sub
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	fmt.Fprintf(&want, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C%s\n", w, h, Y4MColorSpace)
	for i := range n {
		want.WriteString("FRAME\n")
		for j := range w * h {
			want.WriteByte(byte(10*i + j))
		}
		want.Write(bytes.Repeat([]byte{byte(100 + i)}, (w/2)*(h/2)))
		want.Write(bytes.Repeat([]byte{byte(200 + i)}, (w/2)*(h/2)))
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("file =\n%q\nwant\n%q", got, want.Bytes())
	}
}

func TestWriteY4MOddSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "odd.y4m")
	err := WriteY4M(path, 5, 3, 30, 1, func(int) *image.YCbCr {
		return image.NewYCbCr(image.Rect(0, 0, 5, 3), image.YCbCrSubsampleRatio420)
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	header := len(fmt.Sprintf("YUV4MPEG2 W5 H3 F30:1 Ip A1:1 C%s\n", Y4MColorSpace))
	if want := header + len("FRAME\n") + 5*3 + 2*(3*2); fi.Size() != int64(want) {
		t.Fatalf("size %d, want %d", fi.Size(), want)
	}
}

func TestWriteY4MRejects(t *testing.T) {
	dir := t.TempDir()
	ok := func(int) *image.YCbCr { return image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio420) }
	tests := []struct {
		name      string
		w, h, fps int
		n         int
		frame     func(int) *image.YCbCr
	}{
		{"zero width", 0, 4, 30, 1, ok},
		{"zero fps", 4, 4, 0, 1, ok},
		{"no frames", 4, 4, 30, 0, ok},
		{"nil func", 4, 4, 30, 1, nil},
		{"nil frame", 4, 4, 30, 1, func(int) *image.YCbCr { return nil }},
		{"wrong size", 8, 4, 30, 1, ok},
		{"4:4:4", 4, 4, 30, 1, func(int) *image.YCbCr {
			return image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio444)
		}},
	}
	for _, tt := range tests {
		if err := WriteY4M(filepath.Join(dir, "bad.y4m"), tt.w, tt.h, tt.fps, tt.n, tt.frame); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if err := WriteY4M(filepath.Join(dir, "missing", "x.y4m"), 4, 4, 30, 1, ok); err == nil {
		t.Error("no error for a file in a missing directory")
	}
}
