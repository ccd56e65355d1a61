package pipeline

import (
	"context"
	"errors"
	"image"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/vpx"
	"github.com/rtcstream/rtcstream/media"
)

// source makes a moving test picture: a gradient, a bright square that
// moves with i, and fine texture, so the encoder has real work.
func source(w, h, i int) *image.YCbCr {
	img := media.NewI420(w, h)
	for y := range h {
		for x := range w {
			v := (x + y + i*4) & 0xff
			if x/4%2 == y/4%2 {
				v ^= 0x10
			}
			img.Y[y*img.YStride+x] = uint8(16 + v*219/255)
		}
	}
	sx, sy := (i*7)%(w-64), (i*5)%(h-64)
	for y := sy; y < sy+64; y++ {
		for x := sx; x < sx+64; x++ {
			img.Y[y*img.YStride+x] = 235
		}
	}
	for j := range img.Cb {
		img.Cb[j], img.Cr[j] = uint8(100+j%40), uint8(140-j%30)
	}
	return img
}

// encodedStream encodes n frames of source and packetizes them.
func encodedStream(t testing.TB, w, h, n int) (frames [][]byte, packets [][]rtp.Packet) {
	t.Helper()
	enc, err := vpx.NewEncoder(vpx.EncoderConfig{BitRate: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	var log packetLog
	p := NewPacketizer(&log, 0)
	for i := range n {
		data, _, err := enc.Encode(nil, source(w, h, i), time.Duration(i)*time.Second/30)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, data)
		log.pkts = nil
		if err := p.WriteFrame(data, uint32(i*3000)); err != nil {
			t.Fatal(err)
		}
		packets = append(packets, log.pkts)
	}
	return frames, packets
}

// discard counts packets and the frames their marker bits end.
type discard struct{ packets, frames atomic.Int64 }

func (d *discard) WriteRTP(p *rtp.Packet) error {
	d.packets.Add(1)
	if p.Marker {
		d.frames.Add(1)
	}
	return nil
}

func newTestVideo(t testing.TB, h VideoHandler, out RTPWriter, onErr func(error) bool, pli func()) *Video {
	t.Helper()
	v, err := NewVideo(VideoConfig{
		Handler: h,
		NewEncoder: func() (codec.VideoEncoder, error) {
			e, err := vpx.NewEncoder(vpx.EncoderConfig{})
			if err != nil {
				return nil, err
			}
			return e, nil
		},
		NewDecoder: func() (codec.VideoDecoder, error) {
			d, err := vpx.NewDecoder()
			if err != nil {
				return nil, err
			}
			return d, nil
		},
		Out:             out,
		OnHandlerError:  onErr,
		RequestKeyFrame: pli,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

func identity(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
	return in, nil
}

func push(v *Video, pkts []rtp.Packet, now time.Time) {
	for _, p := range pkts {
		v.PushRTP(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload, now)
	}
}

// TestVideoSlowHandlerDropsStaleFrames holds the handler's first call while
// the other 29 frames arrive and are decoded, however briefly: the handler
// then sees only the newest, and 28 stale frames never queued. (Frames come
// in together here because the handler is busy, not because a lost packet
// held them: only those wait as a burst; see TestLatestKeepsABurstDropsABacklog.)
func TestVideoSlowHandlerDropsStaleFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		hold time.Duration // after the last packet, before the first call returns
	}{
		{"held past burstWait", burstWait + 50*time.Millisecond},
		{"briefly", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls, st, sent := runHeld(t, tc.hold)
			if st.Decoded != 30 {
				t.Fatalf("decoded %d of 30 frames (VP8 needs them all)", st.Decoded)
			}
			if calls-1+int64(st.DroppedStale) != 29 || sent != calls {
				t.Fatalf("handler calls %d, dropped stale %d, sent %d: every frame after the first must be handled and sent, or dropped", calls, st.DroppedStale, sent)
			}
			if calls != 2 {
				t.Fatalf("handler calls %d, dropped stale %d; want 2 and 28", calls, st.DroppedStale)
			}
		})
	}
}

// runHeld streams 30 frames to a handler whose first call waits until the
// rest have arrived and hold has passed; it returns the handler calls, the
// pipeline's counts and the frames sent.
func runHeld(t *testing.T, hold time.Duration) (int64, VideoStats, int64) {
	_, packets := encodedStream(t, 320, 240, 30)
	var out discard
	var calls atomic.Int64
	release := make(chan struct{})
	slow := func(ctx context.Context, in *image.YCbCr, pts time.Duration) (image.Image, error) {
		if calls.Add(1) == 1 {
			<-release // hold the first frame while the rest arrive
		}
		return in, nil
	}
	v := newTestVideo(t, slow, &out, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- v.Run(ctx) }()
	push(v, packets[0][:], time.Now())
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	for _, p := range packets[1:] {
		push(v, p, time.Now())
	}
	time.Sleep(hold)
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return calls.Load(), v.Stats(), out.frames.Load()
}

func TestVideoHandlerPanicKeepsStreaming(t *testing.T) {
	_, packets := encodedStream(t, 320, 240, 10)
	var out discard
	var mu sync.Mutex
	var errs []error
	boom := func(ctx context.Context, in *image.YCbCr, pts time.Duration) (image.Image, error) {
		panic("boom")
	}
	v := newTestVideo(t, boom, &out, func(err error) bool {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
		return false
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- v.Run(ctx) }()
	for _, p := range packets {
		push(v, p, time.Now())
		time.Sleep(5 * time.Millisecond)
	}
	deadline := time.Now().Add(5 * time.Second)
	for out.frames.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The input went out unprocessed: the video did not freeze.
	if out.frames.Load() < 5 {
		t.Fatalf("only %d frames sent after panics", out.frames.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	var herr *HandlerError
	if len(errs) == 0 || !errors.As(errs[0], &herr) || !herr.Panic || herr.Err.Error() != "boom" || len(herr.Stack) == 0 {
		t.Fatalf("errors reported: %v", errs)
	}
}

func TestVideoHandlerErrorCanStop(t *testing.T) {
	_, packets := encodedStream(t, 320, 240, 3)
	bad := errors.New("model not loaded")
	v := newTestVideo(t, func(context.Context, *image.YCbCr, time.Duration) (image.Image, error) {
		return nil, bad
	}, &discard{}, func(error) bool { return true }, nil)
	done := make(chan error)
	go func() { done <- v.Run(context.Background()) }()
	push(v, packets[0], time.Now())
	select {
	case err := <-done:
		if !errors.Is(err, bad) {
			t.Fatalf("Run returned %v, want the handler's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop on the handler error")
	}
}

func TestVideoLossAsksForKeyFrame(t *testing.T) {
	_, packets := encodedStream(t, 320, 240, 6)
	var plis atomic.Int64
	v := newTestVideo(t, identity, &discard{}, nil, func() { plis.Add(1) })
	now := time.Now()
	push(v, packets[0], now)
	push(v, packets[1], now)
	// Frame 2 never arrives; frames 3.. do, and the loss wait runs out.
	for i, p := range packets[3:] {
		push(v, p, now.Add(time.Duration(i+1)*200*time.Millisecond))
	}
	if plis.Load() == 0 {
		t.Fatal("no PLI after a lost frame")
	}
	st := v.Stats()
	if st.Assembler.Lost == 0 || st.Decoded != 2 || st.DecodeErrors != 0 {
		t.Fatalf("stats %+v: want a loss, 2 decoded frames and no decode of broken references", st)
	}
}

func TestVideoConvertsNonYCbCrOutput(t *testing.T) {
	_, packets := encodedStream(t, 320, 240, 2)
	var out discard
	rgba := image.NewRGBA(image.Rect(0, 0, 160, 120))
	v := newTestVideo(t, func(context.Context, *image.YCbCr, time.Duration) (image.Image, error) {
		return rgba, nil
	}, &out, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- v.Run(ctx) }()
	push(v, packets[0], time.Now())
	deadline := time.Now().Add(5 * time.Second)
	for out.frames.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if out.frames.Load() != 1 {
		t.Fatalf("sent %d frames", out.frames.Load())
	}
}
