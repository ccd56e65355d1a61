package main

import (
	"context"
	"image"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/lktest"
)

// TestWorkerCommand: `rtcstream worker invert` with the LiveKit
// environment registers, inverts a participant's camera in the room
// LiveKit dispatches to it, and returns when told to stop.
func TestWorkerCommand(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	t.Setenv("LIVEKIT_URL", node.URL)
	t.Setenv("LIVEKIT_API_KEY", lktest.APIKey)
	t.Setenv("LIVEKIT_API_SECRET", lktest.APISecret)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"worker", "-agent", "inv", "invert"}, io.Discard, io.Discard) }()
	// LiveKit dispatches a room when it is made: to nobody, if the worker
	// has not registered yet ("not dispatching agent job since no worker
	// is available").
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(node.Log(), "worker registered"); {
		if time.Now().After(deadline) {
			t.Fatal("the worker did not register with LiveKit in 20 s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	p := lktest.Join(t, node.URL, lktest.Token(t, "room-a", "alice", "inv"))
	p.SetColor(60, 128, 128)
	start := time.Now()
	p.PublishCamera(image.Pt(320, 240))
	if _, ok := p.WaitFrames(start, 30, 20*time.Second, func(f lktest.Frame) bool { return f.Y > 180 && f.Y < 210 }); !ok {
		t.Fatalf("no inverted frames came back (%d frames)", len(p.Frames(start)))
	}
	p.Leave()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("rtcstream worker: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("rtcstream worker did not stop within 30 s of being told to")
	}

	// A demo that is not one: a clear error at once.
	if err := run(context.Background(), []string{"worker", "no-such-demo"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "no-such-demo") {
		t.Errorf("worker no-such-demo: %v", err)
	}
	// Without the environment: a clear error at once.
	t.Setenv("LIVEKIT_URL", "")
	if err := run(context.Background(), []string{"worker"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "LIVEKIT_URL") {
		t.Errorf("worker without LIVEKIT_URL: %v", err)
	}
}

// TestDemoOverLiveKit follows the README's Scaling section as a user on
// one machine: `rtcstream worker -agent inv invert` beside
// `rtcstream demo -livekit URL -agent inv invert`; Chromium opens the
// demo's page and presses Start, and the page, joined to a LiveKit room,
// shows its camera inverted by the worker: the demo's server carries no
// media.
func TestDemoOverLiveKit(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	t.Setenv("LIVEKIT_URL", node.URL)
	t.Setenv("LIVEKIT_API_KEY", lktest.APIKey)
	t.Setenv("LIVEKIT_API_SECRET", lktest.APISecret)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	worker := make(chan error, 1)
	go func() { worker <- run(ctx, []string{"worker", "-agent", "inv", "invert"}, io.Discard, io.Discard) }()
	addr := net.JoinHostPort(lktest.Interface(t), strconv.Itoa(freePort(t)))
	page := make(chan error, 1)
	go func() {
		page <- run(ctx, []string{"demo", "-addr", addr, "-livekit", node.URL, "-agent", "inv", "invert"}, io.Discard, io.Discard)
	}()
	origin := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(origin + "/"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo does not serve in 10 s")
		}
	}
	cam := filepath.Join(t.TempDir(), "grey.y4m")
	if err := browsertest.WriteY4M(cam, 320, 240, 30, 30, func(int) *image.YCbCr {
		img := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
		for i := range img.Y {
			img.Y[i] = 60
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = 128, 128
		}
		return img
	}); err != nil {
		t.Fatal(err)
	}
	bctx := browsertest.New(t, browsertest.Options{FakeVideo: cam, SecureOrigins: []string{origin}, Timeout: 2 * time.Minute})
	if err := chromedp.Do(bctx, chromedp.Navigate(origin+"/")); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(bctx, "rtc-stream", "data-state", "idle", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.Click(bctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(bctx, "rtc-stream", "data-state", "streaming", 30*time.Second); err != nil {
		msg, _ := browsertest.Text(bctx, "rtc-stream .error")
		t.Fatalf("%v (error box %q)", err, msg)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		r, g, b, err := browsertest.VideoPixel(bctx, "rtc-stream video.output", 160, 120)
		if err == nil && r > 170 && g > 170 && b > 170 && r < 215 { // 255-60 on grey: about 195
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the output's centre is rgb(%d, %d, %d) (%v): want the grey camera inverted", r, g, b, err)
		}
	}
	cancel()
	for _, ch := range []chan error{worker, page} {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("a command returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a command did not stop within 30 s of being told to")
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
