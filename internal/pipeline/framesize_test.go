package pipeline

import (
	"context"
	"encoding/binary"
	"errors"
	"image"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/vpx"
)

// keyHeader is a keyframe's first ten bytes declaring w x h, scale bits
// set to see that they are ignored.
func keyHeader(w, h int) []byte {
	b := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0, 0, 0, 0}
	binary.LittleEndian.PutUint16(b[6:], uint16(w)|0xc000)
	binary.LittleEndian.PutUint16(b[8:], uint16(h)|0x4000)
	return b
}

func TestVP8KeyFrameSize(t *testing.T) {
	good := append(keyHeader(4096, 2160), 1, 2, 3)
	for _, tc := range []struct {
		name  string
		frame []byte
		want  image.Point
		err   bool
	}{
		{"keyframe", good, image.Pt(4096, 2160), false},
		{"16383 square", keyHeader(16383, 16383), image.Pt(16383, 16383), false},
		{"header only", good[:10], image.Pt(4096, 2160), false},
		{"truncated", good[:9], image.Point{}, true},
		{"tag only", good[:3], image.Point{}, true},
		{"empty", nil, image.Point{}, true},
		{"inter frame", append([]byte{0x11}, good[1:]...), image.Point{}, true},
		{"no start code", append(append([]byte(nil), good[:3]...), 0x9d, 0x01, 0x2b, 0, 1, 0, 1), image.Point{}, true},
		{"zero width", keyHeader(0, 480), image.Point{}, true},
		{"zero height", keyHeader(640, 0), image.Point{}, true},
	} {
		got, err := VP8KeyFrameSize(tc.frame)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("%s: %v, %v; want %v, error %v", tc.name, got, err, tc.want, tc.err)
		}
	}
}

func FuzzVP8KeyFrameSize(f *testing.F) {
	f.Add(keyHeader(640, 480))
	f.Fuzz(func(t *testing.T, frame []byte) {
		size, err := VP8KeyFrameSize(frame)
		if err == nil && (size.X < 1 || size.Y < 1 || size.X > 16383 || size.Y > 16383) {
			t.Fatalf("size %v", size)
		}
	})
}

func TestFitsWithin(t *testing.T) {
	hd := image.Pt(1920, 1080)
	for _, tc := range []struct {
		size, bound image.Point
		fits        bool
	}{
		{image.Pt(1920, 1080), hd, true},
		{image.Pt(1080, 1920), hd, true}, // a phone held upright
		{image.Pt(640, 480), hd, true},
		{image.Pt(1920, 1088), hd, false}, // more pixels
		{image.Pt(1921, 100), hd, false},  // a longer side
		{image.Pt(16383, 16383), hd, false},
		{image.Pt(16383, 16383), image.Point{}, true}, // no bound
	} {
		if got := FitsWithin(tc.size, tc.bound); got != tc.fits {
			t.Errorf("FitsWithin(%v, %v) = %v", tc.size, tc.bound, got)
		}
	}
}

// countingDecoder counts the frames that reach the decoder.
type countingDecoder struct {
	codec.VideoDecoder
	calls atomic.Int64
}

func (d *countingDecoder) Decode(dst *image.YCbCr, data []byte) (*image.YCbCr, error) {
	d.calls.Add(1)
	return d.VideoDecoder.Decode(dst, data)
}

// sizeRig is a Video bounded to 320x240 whose decoder calls, keyframe
// requests and oversize reports are counted.
type sizeRig struct {
	v       *Video
	dec     *countingDecoder
	plis    atomic.Int64
	told    []*FrameTooLargeError
	pkt     *Packetizer
	log     packetLog
	enc     *vpx.Encoder
	n       int
	decoded uint64
}

func newSizeRig(t *testing.T, h VideoHandler) *sizeRig {
	t.Helper()
	r := &sizeRig{}
	vd, err := vpx.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	r.dec = &countingDecoder{VideoDecoder: vd}
	if r.enc, err = vpx.NewEncoder(vpx.EncoderConfig{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.enc.Close() })
	if h == nil {
		h = identity
	}
	r.v, err = NewVideo(VideoConfig{
		Handler: h,
		NewEncoder: func() (codec.VideoEncoder, error) {
			e, err := vpx.NewEncoder(vpx.EncoderConfig{})
			if err != nil {
				return nil, err
			}
			return e, nil
		},
		NewDecoder:      func() (codec.VideoDecoder, error) { return r.dec, nil },
		Out:             &discard{},
		RequestKeyFrame: func() { r.plis.Add(1) },
		MaxFrameSize:    image.Pt(320, 240),
		OnFrameTooLarge: func(err *FrameTooLargeError) { r.told = append(r.told, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.v.Close() })
	r.pkt = NewPacketizer(&r.log, 0)
	return r
}

// frame encodes the next 320x240 frame (a keyframe when key) and pushes
// it at now, its header rewritten to declare size when size is not zero.
func (r *sizeRig) frame(t *testing.T, key bool, size image.Point, now time.Time) {
	t.Helper()
	if key {
		r.enc.RequestKeyFrame()
	}
	data, _, err := r.enc.Encode(nil, source(320, 240, r.n), time.Duration(r.n)*time.Second/30)
	if err != nil {
		t.Fatal(err)
	}
	if size != (image.Point{}) {
		binary.LittleEndian.PutUint16(data[6:], uint16(size.X))
		binary.LittleEndian.PutUint16(data[8:], uint16(size.Y))
	}
	r.log.pkts = nil
	if err := r.pkt.WriteFrame(data, uint32(r.n*3000)); err != nil {
		t.Fatal(err)
	}
	r.n++
	push(r.v, r.log.pkts, now)
}

func TestVideoDropsOversizeKeyFrameUndecoded(t *testing.T) {
	r := newSizeRig(t, nil)
	now := time.Now()
	r.frame(t, true, image.Point{}, now) // within the bound: decoded
	r.frame(t, false, image.Point{}, now)
	if c := r.dec.calls.Load(); c != 2 {
		t.Fatalf("decoder called %d times for 2 good frames", c)
	}
	plis := r.plis.Load()

	r.frame(t, true, image.Pt(4096, 4096), now) // forged
	for range 10 {
		r.frame(t, false, image.Point{}, now) // its inter frames
	}
	if c := r.dec.calls.Load(); c != 2 {
		t.Fatalf("decoder called %d times: the oversize keyframe or its inter frames reached it", c)
	}
	if len(r.told) != 1 || r.told[0].Size != image.Pt(4096, 4096) || r.told[0].Max != image.Pt(320, 240) {
		t.Fatalf("told %v, want one 4096x4096 report", r.told)
	}
	const want = "the camera sends 4096x4096 frames; this server takes at most 320x240"
	if r.told[0].Error() != want {
		t.Fatalf("message %q, want %q", r.told[0].Error(), want)
	}
	if st := r.v.Stats(); st.TooLarge != 11 || st.DecodeErrors != 0 {
		t.Fatalf("stats %+v: want 11 frames dropped for size", st)
	}

	// A lost packet now would ask for a keyframe: not while the browser
	// sends oversize ones.
	if err := r.pkt.WriteFrame([]byte{0x01, 1, 2}, uint32(r.n*3000)); err != nil { // never pushed
		t.Fatal(err)
	}
	r.n++
	for i := range 10 {
		r.frame(t, false, image.Point{}, now.Add(time.Duration(i)*100*time.Millisecond))
	}
	if got := r.plis.Load() - plis; got != 0 {
		t.Fatalf("%d keyframe requests while the video was over its bound", got)
	}

	// A keyframe within the bound resumes the video.
	r.frame(t, true, image.Point{}, now.Add(2*time.Second))
	r.frame(t, false, image.Point{}, now.Add(2*time.Second))
	if c := r.dec.calls.Load(); c != 4 {
		t.Fatalf("decoder called %d times, want 2 more after a good keyframe", c)
	}
	if st := r.v.Stats(); st.Decoded != 4 {
		t.Fatalf("decoded %d frames, want 4", st.Decoded)
	}
}

func TestVideoStopsOnRepeatedOversizeKeyFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		send func(r *sizeRig, t *testing.T, now time.Time)
	}{
		{"three keyframes", func(r *sizeRig, t *testing.T, now time.Time) {
			for range MaxOversizeKeyFrames {
				r.frame(t, true, image.Pt(1000, 1000), now)
			}
		}},
		{"no good keyframe in time", func(r *sizeRig, t *testing.T, now time.Time) {
			r.frame(t, true, image.Pt(1000, 1000), now)
			for i := range 60 {
				r.frame(t, false, image.Point{}, now.Add(time.Duration(i)*100*time.Millisecond))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newSizeRig(t, nil)
			done := make(chan error, 1)
			go func() { done <- r.v.Run(context.Background()) }()
			now := time.Now()
			r.frame(t, true, image.Point{}, now)
			tc.send(r, t, now)
			select {
			case err := <-done:
				var tl *FrameTooLargeError
				if !errors.As(err, &tl) || tl.Size != image.Pt(1000, 1000) {
					t.Fatalf("Run returned %v, want a *FrameTooLargeError", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Run goes on")
			}
			if len(r.told) != 1 {
				t.Fatalf("told %d times, want once", len(r.told))
			}
			calls := r.dec.calls.Load()
			r.frame(t, true, image.Point{}, now) // after the stop: ignored
			if r.dec.calls.Load() != calls {
				t.Fatal("a frame decoded after the video stopped")
			}
		})
	}
}

func TestVideoGoodKeyFrameEndsTheRun(t *testing.T) {
	r := newSizeRig(t, nil)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { done <- r.v.Run(ctx) }()
	now := time.Now()
	// Oversize and good keyframes in turn: never three oversize in a row.
	for i := range 2 * MaxOversizeKeyFrames {
		r.frame(t, true, image.Pt(1000, 1000), now)
		r.frame(t, true, image.Point{}, now.Add(time.Duration(i)*time.Second))
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if len(r.told) != 2*MaxOversizeKeyFrames {
		t.Fatalf("told %d times, want once per run", len(r.told))
	}
}

func TestVideoRefusesHugeHandlerImage(t *testing.T) {
	huge := image.NewRGBA(image.Rect(0, 0, DefaultMaxEncodeSize.X+1, 2))
	var errs []error
	r := newSizeRig(t, func(context.Context, *image.YCbCr, time.Duration) (image.Image, error) {
		return huge, nil
	})
	r.v.cfg.OnHandlerError = func(err error) bool { errs = append(errs, err); return false }
	out := r.v.cfg.Out.(*discard)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.v.Run(ctx) }()
	r.frame(t, true, image.Point{}, time.Now())
	deadline := time.Now().Add(5 * time.Second)
	for out.frames.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
	var big *ImageTooLargeError
	if len(errs) != 1 || !errors.As(errs[0], &big) || big.Size != huge.Rect.Size() {
		t.Fatalf("handler errors %v, want one *ImageTooLargeError", errs)
	}
	if out.frames.Load() != 1 {
		t.Fatal("the input frame was not sent on in place of the refused image")
	}
}

func TestSenderRefusesHugeImage(t *testing.T) {
	var made int
	s := NewSender(codec.VP8, func() (codec.VideoEncoder, error) {
		made++
		e, err := vpx.NewEncoder(vpx.EncoderConfig{})
		if err != nil {
			return nil, err
		}
		return e, nil
	}, &discard{}, 0)
	defer s.Close()
	err := s.Send(image.NewGray(image.Rect(0, 0, 3000, 6000)), 0, 0)
	var herr *HandlerError
	var big *ImageTooLargeError
	if !errors.As(err, &herr) || !errors.As(err, &big) {
		t.Fatalf("Send: %v, want a *HandlerError wrapping *ImageTooLargeError", err)
	}
	if made != 0 {
		t.Fatal("the encoder was made for a refused image")
	}
	if err := s.Send(source(160, 120, 0), 0, 0); err != nil {
		t.Fatalf("Send after a refusal: %v", err)
	}
}
