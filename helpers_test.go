package rtcstream_test

import (
	"context"
	"errors"
	"image"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/media"
)

// Shared with the other packages' networked tests (internal/streamtest).
var (
	loopback    = streamtest.Loopback
	checkLeaks  = streamtest.CheckLeaks
	testContext = streamtest.Context
)

// serve starts s on a loopback HTTP server and cleans both up.
func serve(t *testing.T, s *rtcstream.Stream) string { return streamtest.Serve(t, s) }

// pattern draws a frame whose left half is dark and right half bright,
// with a bar that moves with i so the encoder sees motion.
func pattern(w, h, i int) *image.YCbCr {
	img := media.NewI420(w, h)
	for y := range h {
		for x := range w {
			v := uint8(40)
			if x >= w/2 {
				v = 200
			}
			if x/8 == (i*3)%(w/8) {
				v = 120
			}
			img.Y[y*img.YStride+x] = v
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return img
}

// invert is a user handler whose effect is easy to see in pixels.
func invert(img image.Image) image.Image {
	yc := img.(*image.YCbCr)
	for i, v := range yc.Y {
		yc.Y[i] = 255 - v
	}
	return yc
}

// lumaAt averages the luma in a 5x5 block centred on (x, y).
func lumaAt(img *image.YCbCr, x, y int) int {
	sum := 0
	for dy := -2; dy <= 2; dy++ {
		for dx := -2; dx <= 2; dx++ {
			sum += int(img.Y[(y+dy)*img.YStride+x+dx])
		}
	}
	return sum / 25
}

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

// newBenchServer serves s on loopback for a benchmark.
func newBenchServer(s *rtcstream.Stream) *httptest.Server { return httptest.NewServer(s) }
