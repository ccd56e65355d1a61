package h264

import (
	"bytes"
	"image"
	"testing"

	"github.com/rtcstream/rtcstream/codec/internal/codectest"
)

// keyFrame encodes a keyframe of w x h.
func keyFrame(t testing.TB, w, h int) []byte {
	t.Helper()
	e, err := NewEncoder(EncoderConfig{Width: w, Height: h})
	if err != nil {
		t.Skipf("no H.264 encoder in this build: %v", err)
	}
	defer e.Close()
	au, key, err := e.Encode(nil, codectest.Frame(w, h, 0), 0)
	if err != nil || !key {
		t.Fatalf("encoding a %dx%d keyframe: key %v, %v", w, h, key, err)
	}
	return au
}

func TestSPSSize(t *testing.T) {
	// 1920x1080 is coded as 1088 lines and cropped: the SPS's cropping is
	// read.
	for _, size := range []image.Point{{640, 480}, {1280, 720}, {1920, 1080}, {176, 144}, {320, 240}} {
		au := keyFrame(t, size.X, size.Y)
		if got, err := SPSSize(au); err != nil || got != size {
			t.Errorf("SPSSize of a %v keyframe = %v, %v", size, got, err)
		}
	}
	au := keyFrame(t, 640, 480)
	sps := bytes.Index(au, []byte{0, 0, 0, 1, 0x67}) + 4
	if sps < 4 {
		t.Fatal("no SPS in OpenH264's keyframe")
	}
	end := bytes.Index(au[sps:], []byte{0, 0, 1}) // the next start code
	for cut := sps + 1; cut < sps+end-1; cut++ {
		if got, err := SPSSize(au[:cut]); err == nil && got != image.Pt(640, 480) {
			t.Errorf("an SPS cut to %d bytes read as %v", cut-sps, got)
		}
	}
	if _, err := SPSSize(au[sps+end:]); err == nil {
		t.Error("an access unit without its SPS read a size")
	}
	if _, err := SPSSize(nil); err == nil {
		t.Error("nothing read a size")
	}
	// An SPS declaring 4096 macroblocks a side (65536 pixels): refused, not
	// a size to allocate for.
	huge := []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f} // baseline, level 3.1
	w := bitWriter{}
	w.ue(0)    // seq_parameter_set_id
	w.ue(0)    // log2_max_frame_num_minus4
	w.ue(2)    // pic_order_cnt_type
	w.ue(1)    // max_num_ref_frames
	w.bit(0)   // gaps
	w.ue(8191) // pic_width_in_mbs_minus1
	w.ue(8191) // pic_height_in_map_units_minus1
	w.bit(1)   // frame_mbs_only
	w.bit(1)   // direct_8x8
	w.bit(0)   // no cropping
	w.bit(1)   // rbsp stop bit
	if size, err := SPSSize(append(huge, w.bytes()...)); err != errSPSSize {
		t.Errorf("an SPS of 8192 macroblocks a side read as %v, %v; want %v", size, err, errSPSSize)
	}
}

// bitWriter writes exp-Golomb fields for forged parameter sets.
type bitWriter struct {
	b []byte
	n int
}

func (w *bitWriter) bit(v int) {
	if w.n%8 == 0 {
		w.b = append(w.b, 0)
	}
	w.b[len(w.b)-1] |= byte(v&1) << (7 - w.n%8)
	w.n++
}

func (w *bitWriter) ue(v uint32) {
	x, bits := v+1, 0
	for y := x; y > 1; y >>= 1 {
		bits++
	}
	for range bits {
		w.bit(0)
	}
	for i := bits; i >= 0; i-- {
		w.bit(int(x >> i & 1))
	}
}

func (w *bitWriter) bytes() []byte { return w.b }

func FuzzSPSSize(f *testing.F) {
	f.Add(keyFrame(f, 320, 240))
	f.Add([]byte{0, 0, 1, 0x67, 0x64, 0, 0x1f, 0xac, 0xd9, 0x40})
	f.Fuzz(func(t *testing.T, au []byte) {
		size, err := SPSSize(au)
		if err == nil && (size.X <= 0 || size.Y <= 0 || size.X > 1<<16 || size.Y > 1<<17) {
			t.Fatalf("SPSSize = %v without an error", size)
		}
	})
}

// TestDecoderWeighsParameterSets: a decoder bounded below a keyframe's
// declared size refuses it before decoding, and decodes one within.
func TestDecoderWeighsParameterSets(t *testing.T) {
	d, err := NewDecoder()
	if err != nil {
		t.Skip(err)
	}
	defer d.Close()
	d.SetMaxFrameSize(image.Pt(320, 240))
	if img, err := d.Decode(nil, keyFrame(t, 640, 480)); err == nil || !bytes.Contains([]byte(err.Error()), []byte("640x480")) {
		t.Errorf("a 640x480 keyframe under a 320x240 bound: %v, %v", img, err)
	}
	if img, err := d.Decode(nil, keyFrame(t, 320, 240)); err != nil || img.Rect.Dx() != 320 {
		t.Errorf("a 320x240 keyframe: %v, %v", img, err)
	}
}
