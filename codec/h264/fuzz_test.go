package h264

import (
	"image"
	"testing"

	"github.com/rtcstream/rtcstream/codec/internal/codectest"
)

// FuzzDecode feeds the decoder a stranger's access unit after a valid
// keyframe and an inter frame: a truncated NAL unit, a parameter set of
// another size mid-stream, garbage. Decode may fail, never crash, and a
// valid keyframe after it decodes again at its own size.
func FuzzDecode(f *testing.F) {
	e, err := NewEncoder(EncoderConfig{Width: 160, Height: 120})
	if err != nil {
		f.Skipf("no H.264 in this build: %v", err)
	}
	defer e.Close()
	var frames [][]byte
	for i := range 3 {
		if i == 2 {
			e.RequestKeyFrame()
		}
		au, _, err := e.Encode(nil, codectest.Frame(160, 120, i), 0)
		if err != nil {
			f.Fatal(err)
		}
		frames = append(frames, au)
	}
	other, err := NewEncoder(EncoderConfig{Width: 320, Height: 240})
	if err != nil {
		f.Fatal(err)
	}
	defer other.Close()
	bigger, _, err := other.Encode(nil, codectest.Frame(320, 240, 0), 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(frames[1])
	f.Add(frames[1][:len(frames[1])/2]) // truncated
	f.Add(bigger)                       // new parameter sets mid-stream
	f.Add(bigger[:len(bigger)*2/3])
	f.Add([]byte{0, 0, 0, 1, 0x67, 0xff, 0xff, 0xff, 0xff, 0, 0, 1, 0x68, 0xff, 0, 0, 1, 0x65, 0x88, 0x84})
	f.Fuzz(func(t *testing.T, au []byte) {
		d, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		d.SetMaxFrameSize(image.Pt(1920, 1080))
		if _, err := d.Decode(nil, frames[0]); err != nil {
			t.Fatal(err)
		}
		_, _ = d.Decode(nil, au)
		img, err := d.Decode(nil, frames[2]) // a keyframe of its own size
		if err != nil || img.Rect.Dx() != 160 || img.Rect.Dy() != 120 {
			t.Fatalf("the keyframe after the fuzzed access unit: %v, %v", img, err)
		}
	})
}
