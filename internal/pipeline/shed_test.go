package pipeline

import (
	"context"
	"image"
	"slices"
	"sync"
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
	mu  sync.Mutex
	set []int
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
		t.Run("", func(t *testing.T) {
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
// frame, with frames 100 ms apart, then stalls the packets 300 ms: the
// frames before report about no lateness (the handler's own time is not
// lateness), the ones after at least the stall (read late against the
// sender's clock).
func TestVideoLatenessLeavesTheHandlerOut(t *testing.T) {
	const n, stallAt, stall = 16, 8, 300 * time.Millisecond
	_, packets := encodedStream(t, 320, 240, n)
	slow := func(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
		time.Sleep(60 * time.Millisecond)
		return in, nil
	}
	shed := &fixedShare{share: 1}
	var out discard
	var enc bitrates
	v := newShedVideo(t, slow, &out, shed, &enc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- v.Run(ctx) }()
	start := time.Now()
	for i, p := range packets {
		// RTP timestamps are 1/30 s apart (encodedStream); send them 100
		// ms apart by restamping.
		at := start.Add(time.Duration(i) * 100 * time.Millisecond)
		if i >= stallAt {
			at = at.Add(stall)
		}
		time.Sleep(time.Until(at))
		pkts := make([]rtp.Packet, len(p))
		copy(pkts, p)
		for j := range pkts {
			pkts[j].Timestamp = uint32(i * 9000)
		}
		push(v, pkts, time.Now())
	}
	waitFor(t, "the last frame", func() bool { return v.Stats().Encoded == n })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	late := shed.observed()
	if len(late) != n {
		t.Fatalf("%d lateness reports for %d frames", len(late), n)
	}
	before := slices.Clone(late[:stallAt])
	slices.Sort(before)
	if med := before[len(before)/2]; med > 40*time.Millisecond {
		t.Fatalf("before the stall: median lateness %v with a 60 ms handler (%v); want the handler left out", med, late[:stallAt])
	}
	for i, l := range late[stallAt:] {
		if l < stall {
			t.Fatalf("frame %d after a %v stall: lateness %v (%v)", stallAt+i, stall, l, late)
		}
	}
}

func TestTransitMinForgetsAnOldPath(t *testing.T) {
	var tm transitMin
	t0 := time.Now()
	at := func(i int, extra time.Duration) time.Time {
		return t0.Add(time.Duration(i)*time.Second/30 + extra)
	}
	for i := range 30 {
		if l := tm.lag(at(i, 0), uint32(i*3000)); l != 0 {
			t.Fatalf("frame %d on time: lag %v", i, l)
		}
	}
	if l := tm.lag(at(30, 80*time.Millisecond), 30*3000); l != 80*time.Millisecond {
		t.Fatalf("a frame 80 ms late: lag %v", l)
	}
	// The path lengthens by 200 ms for good: lagging at first, on time
	// again within two windows.
	i := 31
	if l := tm.lag(at(i, 200*time.Millisecond), uint32(i*3000)); l != 200*time.Millisecond {
		t.Fatalf("on the longer path: lag %v, want 200ms", l)
	}
	for ; at(i, 0).Sub(t0) < 2*transitWindow+time.Second; i++ {
		tm.lag(at(i, 200*time.Millisecond), uint32(i*3000))
	}
	if l := tm.lag(at(i, 200*time.Millisecond), uint32(i*3000)); l != 0 {
		t.Fatalf("two windows on the longer path: lag %v, want 0", l)
	}
	// RTP timestamps wrap.
	var w transitMin
	ts := uint32(0xffffff00)
	w.lag(t0, ts)
	if l := w.lag(t0.Add(time.Second/30), ts+3000); l != 0 {
		t.Fatalf("across the wrap: lag %v", l)
	}
}
