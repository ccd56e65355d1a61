package rtcstream_test

import (
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/overload"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/metrics"
)

// TestOverloadShedsEverySessionAlike holds the process's overload
// governor at a share of one half (as it would set it on saturated CPUs;
// what sets it is measured in BENCHMARKS.md, "Overload, fairly"): two
// sessions each get about half their frames back, handled, as does no
// session of a stream with FullFrameRate, which gets them all; the
// metrics show the share and the frames shed.
func TestOverloadShedsEverySessionAlike(t *testing.T) {
	checkLeaks(t)
	overload.Process.Fix(0.5)
	t.Cleanup(func() { overload.Process.Fix(0) })
	ctx := testContext(t, time.Minute)
	m, err := metrics.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	shed, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	full, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, FullFrameRate: true})
	if err != nil {
		t.Fatal(err)
	}
	shedURL := streamtest.ServeWithMetrics(t, shed, m)
	fullURL := serve(t, full)

	const w, h, n = 320, 240, 90 // 3 s at 30 fps
	conns := []*client.Conn{dial(t, ctx, shedURL), dial(t, ctx, shedURL), dial(t, ctx, fullURL)}
	got := make([]chan int, len(conns))
	for i, c := range conns {
		got[i] = make(chan int, 1)
		sendFrames(t, ctx, c, w, h, n, 30)
		go func() {
			k := 0
			readFrames(ctx, c, 2*time.Second, func(f client.Frame) bool {
				checkInvertedFrame(t, f, w, h, k)
				k++
				return k == n
			})
			got[i] <- k
		}()
	}
	var back [3]int
	for i := range got {
		back[i] = <-got[i]
	}
	t.Logf("frames back of %d: %v (share 0.5, 0.5, full)", n, back)
	// The sender's first frames may be lost to connection set-up, and a
	// busy machine may make a frame stale: bounds with room for both,
	// which a session handling every frame (or none) cannot meet.
	for i, k := range back[:2] {
		if k < n*35/100 || k > n*65/100 {
			t.Errorf("session %d at a share of 0.5: %d of %d frames back, want about half", i, k, n)
		}
	}
	if k := back[2]; k < n*80/100 {
		t.Errorf("FullFrameRate session: %d of %d frames back, want them all but a few", k, n)
	}
	text := scrape(t, shedURL+"/metrics")
	if v := metricValue(t, text, "rtcstream_frame_share"); v != 0.5 {
		t.Errorf("rtcstream_frame_share %v, want 0.5", v)
	}
	if v := metricValue(t, text, `rtcstream_frames_dropped_total{reason="overload"}`); v < n*2*35/100 {
		t.Errorf("%v frames counted as shed for overload; the two sessions shed about %d", v, n)
	}
}

// TestOverloadGovernorLeavesWithTheSessions checks that a session joins
// the governor while it runs and leaves it when it ends: with no session
// left, the share is 1 again.
func TestOverloadGovernorLeavesWithTheSessions(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	sendFrames(t, ctx, c, 320, 240, 30, 30)
	for range 10 {
		if _, err := c.ReadFrame(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if overload.Process.Sessions() != 1 {
		t.Fatalf("%d sessions with the governor, want 1", overload.Process.Sessions())
	}
	c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for overload.Process.Sessions() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions still with the governor after the client left", overload.Process.Sessions())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if s := overload.Process.Share(); s != 1 {
		t.Fatalf("share %v with no session", s)
	}
}
