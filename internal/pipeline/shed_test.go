package pipeline

import (
	"context"
	"fmt"
	"image"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/vpx"
)

// fixedShare sheds at a fixed share and keeps what it is told.
type fixedShare struct {
	share float64
	mu    sync.Mutex
	late  []time.Duration
}

func (f *fixedShare) Share() float64 { return f.share }
func (f *fixedShare) Observe(d time.Duration) {
	f.mu.Lock()
	f.late = append(f.late, d)
	f.mu.Unlock()
}

func (f *fixedShare) observed() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.late)
}

// bitrates is a VP8 encoder that remembers the targets it is given.
type bitrates struct {
	codec.VideoEncoder
	mu   sync.Mutex
	set  []int
	hook func() // called before each Encode, when set
}

func (b *bitrates) Encode(dst []byte, img *image.YCbCr, pts time.Duration) ([]byte, bool, error) {
	if b.hook != nil {
		b.hook()
	}
	return b.VideoEncoder.Encode(dst, img, pts)
}

func (b *bitrates) SetBitrate(bps int) error {
	b.mu.Lock()
	b.set = append(b.set, bps)
	b.mu.Unlock()
	return b.VideoEncoder.SetBitrate(bps)
}

func (b *bitrates) last() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.set) == 0 {
		return 0
	}
	return b.set[len(b.set)-1]
}

func newShedVideo(t *testing.T, h VideoHandler, out RTPWriter, shed FrameShare, enc *bitrates) *Video {
	t.Helper()
	v, err := NewVideo(VideoConfig{
		Handler: h,
		NewEncoder: func() (codec.VideoEncoder, error) {
			e, err := vpx.NewEncoder(vpx.EncoderConfig{BitRate: 1_000_000})
			if err != nil {
				return nil, err
			}
			enc.VideoEncoder = e
			return enc, nil
		},
		NewDecoder: func() (codec.VideoDecoder, error) { return vpx.NewDecoder() },
		Out:        out,
		Shed:       shed,
		Bitrate:    1_000_000,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	return v
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestVideoShedsItsShare feeds frames one at a time, each once the one
// before was handled or shed (so none is stale): the handler gets the
// share of them, spread evenly, the rest are decoded and counted as shed,
// every frame handled is sent, and the encoder's target follows the
// share so that a frame keeps its size.
func TestVideoShedsItsShare(t *testing.T) {
	const n = 40
	_, packets := encodedStream(t, 320, 240, n)
	for _, share := range []float64{1, 0.9, 0.5, 0.25} {
		t.Run(fmt.Sprint(share), func(t *testing.T) {
			var out discard
			var calls []int // the frames the handler got, by pts
			var mu sync.Mutex
			h := func(_ context.Context, in *image.YCbCr, pts time.Duration) (image.Image, error) {
				mu.Lock()
				calls = append(calls, int((pts*30+time.Second/2)/time.Second))
				mu.Unlock()
				return in, nil
			}
			shed := &fixedShare{share: share}
			var enc bitrates
			v := newShedVideo(t, h, &out, shed, &enc)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- v.Run(ctx) }()
			for i, p := range packets {
				push(v, p, time.Now())
				waitFor(t, "the frame's fate", func() bool {
					st := v.Stats()
					return st.Encoded+st.Shed == uint64(i+1)
				})
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			st := v.Stats()
			want := int(float64(n)*share + 0.5)
			if st.Decoded != n || st.DroppedStale != 0 {
				t.Fatalf("decoded %d of %d, stale %d: every frame must be decoded, none stale here", st.Decoded, n, st.DroppedStale)
			}
			if d := int(st.Handled) - want; d < -1 || d > 1 || st.Handled+st.Shed != n {
				t.Fatalf("share %.2f: handled %d, shed %d of %d; want %d handled", share, st.Handled, st.Shed, n, want)
			}
			if got := out.frames.Load(); got != int64(st.Handled) {
				t.Fatalf("sent %d frames for %d handled", got, st.Handled)
			}
			if len(shed.observed()) != int(st.Handled) {
				t.Fatalf("%d lateness reports for %d frames sent", len(shed.observed()), st.Handled)
			}
			// Evenly: no run of shed frames longer than the share makes.
			mu.Lock()
			defer mu.Unlock()
			maxGap := int(1/share + 0.999)
			for i := 1; i < len(calls); i++ {
				if gap := calls[i] - calls[i-1]; gap > maxGap {
					t.Fatalf("share %.2f: frames %d then %d handled, a gap over %d", share, calls[i-1], calls[i], maxGap)
				}
			}
			if share < 1 {
				if b := enc.last(); b != int(1_000_000*share) {
					t.Fatalf("share %.2f: encoder target %d, want %d", share, b, int(1_000_000*share))
				}
			} else if b := enc.last(); b != 0 {
				t.Fatalf("share 1: the encoder's target was changed to %d", b)
			}
		})
	}
}

// TestVideoLatenessLeavesTheHandlerOut runs a handler that takes 60 ms a
// frame, with frames 100 ms apart: the frames report about no lateness
// (the handler's own time is not lateness). Then the frames come 30 ms
// apart, so each waits in the slot for the handler call before it: that
// is the handler's too. Then the encoder is held 150 ms a frame: that is
// lateness.
func TestVideoLatenessLeavesTheHandlerOut(t *testing.T) {
	const n = 24
	_, packets := encodedStream(t, 320, 240, n)
	slow := func(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
		time.Sleep(60 * time.Millisecond)
		return in, nil
	}
	shed := &fixedShare{share: 1}
	var out discard
	var enc bitrates
	var holdEncoder atomic.Bool
	enc.hook = func() {
		if holdEncoder.Load() {
			time.Sleep(150 * time.Millisecond)
		}
	}
	v := newShedVideo(t, slow, &out, shed, &enc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- v.Run(ctx) }()
	median := func(from, to int) time.Duration {
		waitFor(t, "the frames", func() bool { return len(shed.observed()) >= to })
		l := shed.observed()[from:to]
		slices.Sort(l)
		return l[len(l)/2]
	}
	// Each frame is restamped for the spacing it is sent at, as a camera
	// stamps its frames.
	var ts uint32
	send := func(p []rtp.Packet, apart time.Duration) {
		pkts := slices.Clone(p)
		for j := range pkts {
			pkts[j].Timestamp = ts
		}
		push(v, pkts, time.Now())
		ts += uint32(apart * 90000 / time.Second)
		time.Sleep(apart)
	}
	for _, p := range packets[:8] {
		send(p, 100*time.Millisecond)
	}
	if m := median(0, 8); m > 40*time.Millisecond {
		t.Fatalf("frames 100 ms apart, a 60 ms handler: median lateness %v, want the handler left out (%v)", m, shed.observed())
	}
	// 30 ms apart: the handler cannot keep up; frames wait for it in
	// the slot or go stale.
	sent := len(shed.observed())
	for _, p := range packets[8:16] {
		send(p, 30*time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if m := median(sent, len(shed.observed())); m > 40*time.Millisecond {
		t.Fatalf("frames faster than the handler: median lateness %v, want the wait for the handler left out (%v)", m, shed.observed())
	}
	holdEncoder.Store(true)
	sent = len(shed.observed())
	for _, p := range packets[16:] {
		send(p, 250*time.Millisecond)
	}
	waitFor(t, "the last frame", func() bool { return v.Stats().Encoded+v.Stats().DroppedStale >= n })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m := median(sent, len(shed.observed())); m < 150*time.Millisecond {
		t.Fatalf("encoder held 150 ms a frame: median lateness %v, want at least that (%v)", m, shed.observed()[sent:])
	}
}

func TestReadLag(t *testing.T) {
	const frame = time.Second / 30
	t0 := time.Now()
	var r readLag
	at, ts := t0, uint32(0)
	step := func(read time.Duration, stamped uint32) time.Duration {
		at, ts = at.Add(read), ts+stamped
		return r.next(at, ts)
	}
	r.next(at, ts)
	for range 30 {
		if l := step(frame, 3000); l != 0 {
			t.Fatalf("frames read as stamped: lag %v", l)
		}
	}
	// The reader stalls 300 ms: the next frame is read 300 ms late, the
	// ones queued behind it at once, then on time again.
	if l := step(frame+300*time.Millisecond, 3000); l != 300*time.Millisecond {
		t.Fatalf("a frame read 300 ms late: lag %v", l)
	}
	for range 10 { // the queue drains: ten frames read 2 ms apart
		step(2*time.Millisecond, 3000)
	}
	if l := step(frame, 3000); l > 5*time.Millisecond {
		t.Fatalf("the queue drained: lag %v", l)
	}
	// A queue that stays: each frame read 200 ms late for 8 s, longer
	// than a window; it is remembered through it.
	l := step(frame+200*time.Millisecond, 3000)
	for range 8 * 30 {
		if l = step(frame, 3000); l < 190*time.Millisecond && at.Sub(t0) < 2*transitWindow {
			t.Fatalf("a steady 200 ms queue, %v in: lag %v", at.Sub(t0), l)
		}
	}
	// The path itself got 200 ms longer, for good: forgotten within two
	// windows.
	for range 12 * 30 {
		l = step(frame, 3000)
	}
	if l != 0 {
		t.Fatalf("12 s on a longer path: lag %v", l)
	}
	// A sender that restarts its timestamps, or pauses: no lag.
	if l = step(frame, 1<<31); l != 0 {
		t.Fatalf("after a restart: lag %v", l)
	}
	if l = step(frame, 3000); l != 0 {
		t.Fatalf("after a restart: lag %v", l)
	}
	if l = step(3*time.Second, 3000); l != 0 {
		t.Fatalf("after a pause: lag %v", l)
	}
	// A sender whose stamps run 10% ahead of its sending looks late, by
	// its drift over two windows at most.
	for range 30 * 30 {
		l = step(frame*110/100, 3000)
		if l > 2*transitWindow/10+frame {
			t.Fatalf("a sender 10%% ahead: lag %v", l)
		}
	}
}
