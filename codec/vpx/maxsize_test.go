//go:build cgo

package vpx

import (
	"encoding/binary"
	"errors"
	"image"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec/internal/codectest"
)

// resize rewrites the size a keyframe declares (RFC 6386, section 9.1),
// as a forger would: the header says w x h, the data stays what it was.
func resize(key []byte, w, h int) []byte {
	f := append([]byte(nil), key...)
	binary.LittleEndian.PutUint16(f[6:], uint16(w))
	binary.LittleEndian.PutUint16(f[8:], uint16(h))
	return f
}

func TestDecoderMaxFrameSize(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	var frames [][]byte
	for n := range 3 {
		f, _, err := e.Encode(nil, codectest.Frame(64, 48, n), time.Duration(n)*time.Second/30)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
	key, inter := frames[0], frames[1]
	d := newDecoder(t)
	d.SetMaxFrameSize(image.Pt(1920, 1080))

	for _, tc := range []struct {
		name string
		w, h int
		ok   bool
	}{
		{"landscape bound", 1920, 1080, true},
		{"portrait bound", 1080, 1920, true},
		{"more pixels", 1920, 1088, false},
		{"longer side", 2048, 16, false},
		{"16383 square", 16383, 16383, false},
	} {
		_, err := d.Decode(nil, resize(key, tc.w, tc.h))
		if refused := errors.Is(err, ErrFrameTooLarge); refused == tc.ok {
			t.Errorf("%s (%dx%d): err = %v", tc.name, tc.w, tc.h, err)
		}
		if !tc.ok {
			// The inter frames after a refused keyframe are refused too.
			if _, err := d.Decode(nil, inter); !errors.Is(err, ErrFrameTooLarge) {
				t.Errorf("%s: inter frame after it: err = %v, want ErrFrameTooLarge", tc.name, err)
			}
		}
	}
	// A keyframe within the bound decodes, and so do the frames after it.
	for i, f := range frames {
		img, err := d.Decode(nil, f)
		if err != nil || img == nil || img.Rect.Dx() != 64 {
			t.Fatalf("frame %d after the refusals: %v", i, err)
		}
	}
}

func TestDecoderWithoutBoundTakesAnySize(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	key, _, err := e.Encode(nil, codectest.Frame(64, 48, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	d := newDecoder(t)
	// 2000x16: libvpx decodes the (damaged) frame or fails, but never
	// with the size error.
	if _, err := d.Decode(nil, resize(key, 2000, 16)); errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("refused without a bound: %v", err)
	}
}
