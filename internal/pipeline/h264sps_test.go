package pipeline

import (
	"bytes"
	"image"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/h264"
)

// h264KeyFrame encodes a keyframe of w x h with OpenH264.
func h264KeyFrame(t testing.TB, w, h int) []byte {
	t.Helper()
	e, err := h264.NewEncoder(h264.EncoderConfig{Width: w, Height: h})
	if err != nil {
		t.Skipf("no H.264 encoder in this build: %v", err)
	}
	defer e.Close()
	au, key, err := e.Encode(nil, source(w, h, 0), 0)
	if err != nil || !key {
		t.Fatalf("encoding a %dx%d keyframe: key %v, %v", w, h, key, err)
	}
	return au
}

func TestH264KeyFrameSize(t *testing.T) {
	// 1920x1080 is coded as 1088 lines and cropped: the SPS's cropping is
	// read.
	for _, size := range []image.Point{{640, 480}, {1280, 720}, {1920, 1080}, {176, 144}, {320, 240}} {
		au := h264KeyFrame(t, size.X, size.Y)
		if got, err := H264KeyFrameSize(au); err != nil || got != size {
			t.Errorf("H264KeyFrameSize of a %v keyframe = %v, %v", size, got, err)
		}
	}
	au := h264KeyFrame(t, 640, 480)
	sps := bytes.Index(au, []byte{0, 0, 0, 1, 0x67}) + 4
	if sps < 4 {
		t.Fatal("no SPS in OpenH264's keyframe")
	}
	end := bytes.Index(au[sps:], []byte{0, 0, 1}) // the next start code
	for cut := sps + 1; cut < sps+end-1; cut++ {
		if got, err := H264KeyFrameSize(au[:cut]); err == nil && got != image.Pt(640, 480) {
			t.Errorf("an SPS cut to %d bytes read as %v", cut-sps, got)
		}
	}
	if _, err := H264KeyFrameSize(au[sps+end:]); err == nil {
		t.Error("an access unit without its SPS read a size")
	}
	if _, err := H264KeyFrameSize(nil); err == nil {
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
	if size, err := H264KeyFrameSize(append(huge, w.bytes()...)); err != errSPSSize {
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

func FuzzH264KeyFrameSize(f *testing.F) {
	f.Add(h264KeyFrame(f, 320, 240))
	f.Add([]byte{0, 0, 1, 0x67, 0x64, 0, 0x1f, 0xac, 0xd9, 0x40})
	f.Fuzz(func(t *testing.T, au []byte) {
		size, err := H264KeyFrameSize(au)
		if err == nil && (size.X <= 0 || size.Y <= 0 || size.X > 1<<16 || size.Y > 1<<17) {
			t.Fatalf("H264KeyFrameSize = %v without an error", size)
		}
	})
}

// TestVideoDropsOversizeH264KeyFrame: an H.264 video over the bound never
// reaches the decoder, and the page is told its size.
func TestVideoDropsOversizeH264KeyFrame(t *testing.T) {
	vd, err := h264.NewDecoder()
	if err != nil {
		t.Skipf("no H.264 decoder in this build: %v", err)
	}
	dec := &countingDecoder{VideoDecoder: vd}
	var told []*FrameTooLargeError
	v, err := NewVideo(VideoConfig{
		Handler:         identity,
		Codec:           codec.H264,
		NewEncoder:      func() (codec.VideoEncoder, error) { return h264.NewEncoder(h264.EncoderConfig{}) },
		NewDecoder:      func() (codec.VideoDecoder, error) { return dec, nil },
		Out:             &discard{},
		MaxFrameSize:    image.Pt(320, 240),
		OnFrameTooLarge: func(err *FrameTooLargeError) { told = append(told, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	var log packetLog
	pk := NewH264Packetizer(&log, 0)
	now := time.Now()
	for i, size := range []image.Point{{320, 240}, {640, 480}} {
		log.pkts = nil
		if err := pk.WriteFrame(h264KeyFrame(t, size.X, size.Y), uint32(i*3000)); err != nil {
			t.Fatal(err)
		}
		push(v, log.pkts, now)
	}
	if c := dec.calls.Load(); c != 1 {
		t.Errorf("decoder called %d times; want once, for the 320x240 keyframe", c)
	}
	if len(told) != 1 || told[0].Size != image.Pt(640, 480) {
		t.Errorf("told %v; want one 640x480 report", told)
	}
}
