package rtcstream_test

import (
	"context"
	"image"
	"iter"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
)

func TestIdleSessionWithoutMediaEnds(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, IdleTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	// A camera that streams a second, then stops, and a client that
	// connects and never sends: both end, the camera's 2 s after its
	// last frame.
	camera := dial(t, ctx, url)
	<-sendFrames(t, ctx, camera, 160, 120, 30, 30)
	stopped := time.Now()
	silent := dial(t, ctx, url)
	connected := time.Now()
	// The camera's end is due first.
	m := readMessage(t, ctx, camera, "end")
	if m.Reason != "no media for 2s" {
		t.Fatalf("camera: end %+v, want no media for 2s", m)
	}
	if d := time.Since(stopped); d < 1500*time.Millisecond || d > 5*time.Second {
		t.Fatalf("camera ended %v after its last frame, want about 2 s", d)
	}
	m = readMessage(t, ctx, silent, "end")
	if m.Reason != "no media for 2s" {
		t.Fatalf("silent client: end %+v, want no media for 2s", m)
	}
	if d := time.Since(connected); d < 1500*time.Millisecond || d > 5*time.Second {
		t.Fatalf("silent client ended after %v, want about 2 s", d)
	}
	waitSessions(t, s, 0, 5*time.Second)
}

func TestIdleReceiveModeViewerStays(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	// A generator that pauses 3 s, three idle timeouts: its viewer sends
	// nothing but RTCP reports, and must stay.
	gen := func(ctx context.Context) iter.Seq[image.Image] {
		return func(yield func(image.Image) bool) {
			for i := 0; ; i++ {
				if i == 10 {
					select {
					case <-time.After(3 * time.Second):
					case <-ctx.Done():
						return
					}
				}
				if !yield(flat(160, 120, 100)) {
					return
				}
			}
		}
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Receive, gen,
		&rtcstream.Options{Network: loopback, FrameRate: 20, IdleTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	begin := time.Now()
	for time.Since(begin) < 5*time.Second {
		if _, err := c.ReadFrame(ctx); err != nil {
			t.Fatalf("after %v: %v", time.Since(begin), err)
		}
	}
	for {
		mctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		m, err := c.ReadMessage(mctx)
		cancel()
		if err != nil {
			break
		}
		if m.Type == "end" {
			t.Fatalf("the viewer's session ended: %+v", m)
		}
	}
	if n := s.ActiveSessions(); n != 1 {
		t.Fatalf("%d sessions, want the viewer's", n)
	}
}
