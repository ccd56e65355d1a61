package browsertest

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"os"
)

// Y4MColorSpace is the C tag of the files WriteY4M writes. Chromium's fake
// capture device (--use-file-for-fake-video-capture) accepts 4:2:0 tagged
// C420jpeg, C420mpeg2, C420paldv or C420; see TestY4MHeadersChromiumAccepts.
const Y4MColorSpace = "420jpeg"

// WriteY4M writes n frames of w x h video at fps frames a second to path as a
// YUV4MPEG2 (Y4M) file for Chromium's fake camera. frame(i) returns frame i,
// a 4:2:0 *image.YCbCr whose rectangle is w x h; WriteY4M copies its planes
// row by row (strides and offsets are honored) and does not keep it. The
// chroma planes are (w+1)/2 x (h+1)/2. Chromium plays the frames in a loop.
func WriteY4M(path string, w, h, fps, n int, frame func(i int) *image.YCbCr) (err error) {
	return writeY4M(path, Y4MColorSpace, w, h, fps, n, frame)
}

func writeY4M(path, colorSpace string, w, h, fps, n int, frame func(i int) *image.YCbCr) (err error) {
	if w <= 0 || h <= 0 || fps <= 0 || n <= 0 {
		return fmt.Errorf("browsertest: WriteY4M: size %dx%d, %d fps, %d frames: all must be positive", w, h, fps, n)
	}
	if frame == nil {
		return errors.New("browsertest: WriteY4M: nil frame func")
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("browsertest: WriteY4M: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("browsertest: WriteY4M: %w", cerr)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C%s\n", w, h, fps, colorSpace); err != nil {
		return fmt.Errorf("browsertest: WriteY4M: %w", err)
	}
	cw, ch := (w+1)/2, (h+1)/2
	for i := range n {
		img := frame(i)
		if img == nil {
			return fmt.Errorf("browsertest: WriteY4M: frame %d is nil", i)
		}
		if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			return fmt.Errorf("browsertest: WriteY4M: frame %d is %v, want 4:2:0", i, img.SubsampleRatio)
		}
		r := img.Rect
		if r.Dx() != w || r.Dy() != h {
			return fmt.Errorf("browsertest: WriteY4M: frame %d is %dx%d, want %dx%d", i, r.Dx(), r.Dy(), w, h)
		}
		bw.WriteString("FRAME\n")
		for y := r.Min.Y; y < r.Max.Y; y++ {
			off := img.YOffset(r.Min.X, y)
			bw.Write(img.Y[off : off+w])
		}
		for _, plane := range [][]byte{img.Cb, img.Cr} {
			for y := r.Min.Y; y < r.Min.Y+ch*2; y += 2 {
				off := img.COffset(r.Min.X, y)
				bw.Write(plane[off : off+cw])
			}
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("browsertest: WriteY4M: %w", err)
	}
	return nil
}
