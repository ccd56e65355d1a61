package rtcstream_test

import (
	"context"
	"errors"
	"image"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// watch starts a WHEP viewer of url's stream (session: "" for the latest).
func watch(t *testing.T, ctx context.Context, url, session string) (*client.Conn, error) {
	t.Helper()
	endpoint := url + "/webrtc/whep"
	if session != "" {
		endpoint += "?session=" + session
	}
	c, err := client.WatchWHEP(ctx, endpoint, &client.Options{Loopback: true})
	if err == nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, err
}

// seesInverted reads frames from c until one shows the inverted pattern (the
// left half bright, the right half dark), or fails after d.
func seesInverted(t *testing.T, c *client.Conn, d time.Duration) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	n := 0
	for {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("after %d frames: %v", n, err)
		}
		n++
		b := f.Image.Bounds()
		if lumaAt(f.Image, b.Dx()/4, b.Dy()/2) > 150 && lumaAt(f.Image, b.Dx()*3/4, b.Dy()/2) < 90 {
			return n
		}
	}
}

// One WHIP publisher, processed once, watched by two WHEP viewers: both
// see the handler's output (the inverted pattern); when the publisher
// leaves, the viewers' connections end and nothing is left running.
func TestWHEPWatchesAPublisher(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 40*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	if _, err := watch(t, ctx, url, ""); !isStatus(err, 404, "no_source") {
		t.Errorf("watching before anyone publishes: %v; want 404 no_source", err)
	}
	pub, err := client.PublishWHIP(ctx, url+"/webrtc/whip", &client.Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sent := sendFrames(t, ctx, pub, 320, 240, 300, 30)
	first, err := watch(t, ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := watch(t, ctx, url, pub.ID())
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []*client.Conn{first, second} {
		n := seesInverted(t, v, 10*time.Second)
		t.Logf("viewer %d: the inverted pattern in frame %d", i+1, n)
	}
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("%d sessions with a publisher and two viewers: want 1 (viewers are not sessions)", n)
	}
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	<-sent
	for i, v := range []*client.Conn{first, second} {
		select {
		case <-v.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("viewer %d still connected 10 s after its source left", i+1)
		}
	}
	waitSessions(t, s, 0, 5*time.Second)
}

// A receive-mode generator's session, started by a page, can be watched.
func TestWHEPWatchesAGenerator(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	gen := func(ctx context.Context) iter.Seq[image.Image] {
		return func(yield func(image.Image) bool) {
			for i := 0; ctx.Err() == nil; i++ {
				if !yield(invert(pattern(320, 240, i))) {
					return
				}
			}
		}
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Receive, gen, &rtcstream.Options{Network: loopback, FrameRate: 30})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	page := dial(t, ctx, url)
	_ = page
	v, err := watch(t, ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	seesInverted(t, v, 10*time.Second)
}

// What cannot be watched, and how many may watch.
func TestWHEPRefusals(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback, MaxViewers: 1})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	page := dial(t, ctx, url)
	if _, err := watch(t, ctx, url, page.ID()); !isStatus(err, 403, "not_watchable") {
		t.Errorf("watching a page's camera session: %v; want 403 not_watchable", err)
	}
	if _, err := watch(t, ctx, url, ""); !isStatus(err, 404, "no_source") {
		t.Errorf("watching with only a page's session running: %v; want 404 no_source", err)
	}
	if _, err := watch(t, ctx, url, "nobody"); !isStatus(err, 404, "unknown_session") {
		t.Errorf("watching an unknown session: %v; want 404 unknown_session", err)
	}
	pub, err := client.PublishWHIP(ctx, url+"/webrtc/whip", &client.Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if _, err := watch(t, ctx, url, pub.ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := watch(t, ctx, url, pub.ID()); !isStatus(err, 503, "too_many_viewers") {
		t.Errorf("a second viewer over MaxViewers 1: %v; want 503 too_many_viewers", err)
	}

	for _, tc := range []struct {
		name   string
		mode   rtcstream.Mode
		opts   rtcstream.Options
		status int
		code   string
	}{
		{"send mode", rtcstream.Send, rtcstream.Options{}, 405, "no_output"},
		{"WHEP off", rtcstream.SendReceive, rtcstream.Options{MaxViewers: -1}, 404, "whep_off"},
	} {
		tc.opts.Network = loopback
		handler := any(invert)
		if tc.mode == rtcstream.Send {
			handler = func(image.Image) error { return nil }
		}
		other, err := rtcstream.NewStream(rtcstream.Video, tc.mode, handler, &tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := watch(t, ctx, serve(t, other), ""); !isStatus(err, tc.status, tc.code) {
			t.Errorf("%s: %v; want %d %s", tc.name, err, tc.status, tc.code)
		}
	}
}

// isStatus reports whether err is the server's refusal with status and code.
func isStatus(err error, status int, code string) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Status == status && e.Code == code
}

// stageCounter counts the frames that went through the handler and the
// encoder.
type stageCounter struct {
	streamtest.NopObserver
	handled, encoded atomic.Int64
}

func (c *stageCounter) FrameStage(s rtcstream.Stage, _ time.Duration) {
	switch s {
	case rtcstream.StageHandler:
		c.handled.Add(1)
	case rtcstream.StageEncode:
		c.encoded.Add(1)
	}
}

// A WHIP publisher's output goes only to WHEP viewers: while none
// watches, its frames are handled (the handler may have more to do than
// the picture) but not encoded; a viewer that comes sees the output from
// a keyframe on, and when it leaves the encoding stops again.
func TestWHIPUnwatchedIsNotEncoded(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 40*time.Second)
	count := &stageCounter{}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback, Observer: count})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	pub, err := client.PublishWHIP(ctx, url+"/webrtc/whip", &client.Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sent := sendFrames(t, ctx, pub, 320, 240, 360, 30)
	deadline := time.Now().Add(10 * time.Second)
	for count.handled.Load() < 30 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if h, e := count.handled.Load(), count.encoded.Load(); h < 30 || e != 0 {
		t.Fatalf("unwatched: %d frames handled, %d encoded; want 30 or more handled, none encoded", h, e)
	}
	v, err := watch(t, ctx, url, pub.ID())
	if err != nil {
		t.Fatal(err)
	}
	n := seesInverted(t, v, 10*time.Second)
	t.Logf("the viewer saw the inverted pattern in its frame %d; %d frames encoded for it", n, count.encoded.Load())
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the viewer's leaving reaches the session; frames in flight
	before := count.encoded.Load()
	time.Sleep(time.Second)
	if grew := count.encoded.Load() - before; grew > 0 {
		t.Errorf("%d frames encoded in the second after the last viewer left; want none", grew)
	}
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	<-sent
	waitSessions(t, s, 0, 5*time.Second)
}
