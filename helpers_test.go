package rtcstream_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// Shared with the other packages' networked tests (internal/streamtest).
var (
	loopback    = streamtest.Loopback
	checkLeaks  = streamtest.CheckLeaks
	testContext = streamtest.Context
	pattern     = streamtest.Pattern
	invert      = streamtest.Invert
	lumaAt      = streamtest.LumaAt
)

type audioProbe = streamtest.AudioProbe

// serve starts s on a loopback HTTP server and cleans both up.
func serve(t *testing.T, s *rtcstream.Stream) string { return streamtest.Serve(t, s) }

func dial(t *testing.T, ctx context.Context, url string) *client.Conn {
	t.Helper()
	c, err := client.Dial(ctx, url, &client.Options{Loopback: true})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// sendFrames writes n pattern frames at fps from a goroutine; the returned
// channel is closed when it is done.
func sendFrames(t *testing.T, ctx context.Context, c *client.Conn, w, h, n, fps int) <-chan struct{} {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second / time.Duration(fps))
		defer tick.Stop()
		for i := range n {
			if err := c.WriteFrame(pattern(w, h, i), time.Duration(i)*time.Second/time.Duration(fps)); err != nil {
				if !errors.Is(err, client.ErrClosed) { // the test ended first
					t.Errorf("write frame %d: %v", i, err)
				}
				return
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return done
}

// checkInvertedFrame fails t unless f shows sendFrames' pattern as the
// invert handler returns it, at w x h unless w is 0; i numbers it in the
// message.
func checkInvertedFrame(t *testing.T, f client.Frame, w, h, i int) {
	t.Helper()
	b := f.Image.Bounds()
	if w > 0 && (b.Dx() != w || b.Dy() != h) {
		t.Fatalf("frame %d: size %v, want %dx%d", i, b, w, h)
	}
	// The handler inverted luma: the dark left half (40) comes back
	// bright (215), the bright right half (200) dark (55). Two points a
	// half: the pattern's moving bar covers one at most.
	w, h = b.Dx(), b.Dy()
	left := max(lumaAt(f.Image, w/8, h/2), lumaAt(f.Image, w*3/8, h/2))
	right := min(lumaAt(f.Image, w*5/8, h/2), lumaAt(f.Image, w*7/8, h/2))
	if left < 170 || right > 100 {
		t.Fatalf("frame %d: luma %d left, %d right; want the inverted pattern (215, 55)", i, left, right)
	}
}

// checkInverted reads frames from c until n of them show the inverted
// pattern.
func checkInverted(t *testing.T, ctx context.Context, c *client.Conn, n int) {
	t.Helper()
	for got := range n {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("after %d frames: %v", got, err)
		}
		checkInvertedFrame(t, f, 0, 0, got)
	}
}

// newBenchServer serves s on loopback for a benchmark.
func newBenchServer(s *rtcstream.Stream) *httptest.Server { return httptest.NewServer(s) }

// readFrames reads c's frames, handing each to each, until none comes for
// idle (the stream ended or stalled), ctx ends, or each returns true.
func readFrames(ctx context.Context, c *client.Conn, idle time.Duration, each func(f client.Frame) (stop bool)) {
	for {
		rctx, cancel := context.WithTimeout(ctx, idle)
		f, err := c.ReadFrame(rctx)
		cancel()
		if err != nil || each(f) {
			return
		}
	}
}
