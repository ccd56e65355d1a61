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
	// Parameter sets of the larger size in front of an inter frame: weighed
	// too, though the frame is no IDR.
	big := h264KeyFrame(t, 640, 480)
	sps := big[:bytes.Index(big, []byte{0, 0, 0, 1, 0x65})] // SPS and PPS
	e, err := h264.NewEncoder(h264.EncoderConfig{Width: 320, Height: 240})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i := range 2 {
		au, key, err := e.Encode(nil, source(320, 240, i), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !key {
			au = append(append([]byte(nil), sps...), au...)
		}
		log.pkts = nil
		if err := pk.WriteFrame(au, uint32((2+i)*3000)); err != nil {
			t.Fatal(err)
		}
		push(v, log.pkts, now)
	}
	if c := dec.calls.Load(); c != 2 {
		t.Errorf("decoder called %d times; want twice, for the 320x240 keyframes only", c)
	}
	// Two runs of oversize frames, each told once: the good keyframe
	// between them ended the first.
	if len(told) != 2 || told[0].Size != image.Pt(640, 480) || told[1].Size != image.Pt(640, 480) {
		t.Errorf("told %v; want two 640x480 reports", told)
	}
	if st := v.Stats(); st.TooLarge != 2 {
		t.Errorf("%d frames dropped for their size; want 2 (the keyframe and the inter frame with large parameter sets)", st.TooLarge)
	}
}
