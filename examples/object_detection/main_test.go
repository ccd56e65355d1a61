package main

import (
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/detect/face"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/netns"
	"github.com/rtcstream/rtcstream/media"
)

// The browser test runs in its own loopback-only network namespace.
func TestMain(m *testing.M) { os.Exit(netns.RunTestsInNetNS(m)) }

// faceY4M writes a fake camera showing pigo's test face.
func faceY4M(t *testing.T) string {
	t.Helper()
	f, err := os.Open("../../detect/face/testdata/face.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := jpeg.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	frame := media.Resize(nil, media.ToI420(nil, img), 640, 480)
	path := t.TempDir() + "/face.y4m"
	if err := browsertest.WriteY4M(path, 640, 480, 30, 30, func(int) *image.YCbCr { return frame }); err != nil {
		t.Fatal(err)
	}
	return path
}

// greenPixels counts box-green pixels in the output video's current frame:
// the face boxes the handler draws (the face picture has no such green).
const greenPixels = `(() => {
	const v = document.querySelector("rtc-stream video.output");
	if (!v || !v.videoWidth) return -1;
	const c = document.createElement("canvas");
	c.width = v.videoWidth; c.height = v.videoHeight;
	const g = c.getContext("2d", {willReadFrequently: true});
	g.drawImage(v, 0, 0);
	const d = g.getImageData(0, 0, c.width, c.height).data;
	let n = 0;
	for (let i = 0; i < d.length; i += 4) if (d[i+1] > 150 && d[i] < 110 && d[i+2] < 140) n++;
	return n;
})()`

func waitFor(t *testing.T, ctx context.Context, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := browsertest.Eval[T](ctx, js)
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// TestSeedAppInBrowser drives the seed's app, with the face detector
// standing in for YOLOv10, as a user would: the page's headings, classes
// and slider are there; Start shows processed frames; moving the slider
// changes what the handler draws on the next frames; the countdown runs and
// the stream stops by itself at the 10 s time limit.
func TestSeedAppInBrowser(t *testing.T) {
	faces, err := face.New(face.Options{})
	if err != nil {
		t.Fatal(err)
	}
	demo, stream, err := newApp(faceModel{faces}, nil,
		rtcstream.Network{Interfaces: []string{"lo"}, IncludeLoopback: true, DisableMDNS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	srv := httptest.NewServer(demo)
	defer srv.Close()
	ctx := browsertest.New(t, browsertest.Options{FakeVideo: faceY4M(t), Timeout: 90 * time.Second})
	eval[any](t, ctx, fmt.Sprintf("location.href = %q", srv.URL+"/"))
	if err := browsertest.WaitAttr(ctx, "html", "data-blocks", "ready", 15*time.Second); err != nil {
		t.Fatal(err)
	}

	// The page is the seed's.
	if h1 := eval[string](t, ctx, `document.querySelector("h1").textContent`); !strings.Contains(h1, "YOLOv10 Webcam Stream (Powered by WebRTC ⚡️)") {
		t.Errorf("h1 = %q", h1)
	}
	if h3 := eval[string](t, ctx, `document.querySelector("h3 a[href='https://arxiv.org/abs/2405.14458']").textContent`); h3 != "arXiv" {
		t.Errorf("arXiv link text %q", h3)
	}
	if !eval[bool](t, ctx, `!!document.querySelector(".my-column .my-group rtc-stream")`) {
		t.Error("the stream is not inside .my-column .my-group")
	}
	if w := eval[string](t, ctx, `getComputedStyle(document.querySelector(".my-group")).maxWidth`); w != "600px" {
		t.Errorf("custom CSS not applied: .my-group max-width %q", w)
	}
	slider := eval[[]string](t, ctx, `(() => { const r = document.querySelector(".my-group input[type=range]");
		const box = r.closest("[data-component]");
		return [r.min, r.max, r.step, r.value, box.querySelector(".block-label").textContent, box.dataset.component]; })()`)
	if slider[0] != "0" || slider[1] != "1" || slider[2] != "0.05" || slider[3] != "0.3" || slider[4] != "Confidence Threshold" {
		t.Errorf("slider min/max/step/value/label = %q", slider[:5])
	}
	if label := eval[string](t, ctx, `document.querySelector(".my-group .webrtc .block-label").textContent`); label != "Stream" {
		t.Errorf("stream label %q", label)
	}

	// Start: processed frames, with the face boxed.
	start := time.Now()
	if err := browsertest.Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(ctx, "rtc-stream", "data-state", "streaming", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if w, h, err := browsertest.WaitVideo(ctx, "rtc-stream video.output", 10*time.Second); err != nil || w != 500 || h != 500 {
		t.Fatalf("output %dx%d (%v); the seed's handler returns 500x500", w, h, err)
	}
	waitFor(t, ctx, "a face box in the output", 5*time.Second, func() bool { return eval[int](t, ctx, greenPixels) > 200 })
	if cd := eval[string](t, ctx, `document.querySelector("rtc-stream .countdown").textContent`); !strings.HasPrefix(cd, "Time left: 0:") {
		t.Errorf("countdown %q", cd)
	}

	// The slider to 1: no face scores that high, so the boxes go.
	moved := time.Now()
	eval[string](t, ctx, `(() => { const r = document.querySelector(".my-group input[type=range]");
		r.value = "1"; r.dispatchEvent(new Event("input", {bubbles: true})); return r.value; })()`)
	waitFor(t, ctx, "the boxes to go at threshold 1", 3*time.Second, func() bool { return eval[int](t, ctx, greenPixels) < 20 })
	t.Logf("the slider's effect showed %v after the move", time.Since(moved))
	// And back.
	eval[string](t, ctx, `(() => { const r = document.querySelector(".my-group input[type=range]");
		r.value = "0.3"; r.dispatchEvent(new Event("input", {bubbles: true})); return r.value; })()`)
	waitFor(t, ctx, "the boxes to return at 0.3", 3*time.Second, func() bool { return eval[int](t, ctx, greenPixels) > 200 })

	// The time limit ends the stream by itself, about 10 s after it began.
	if err := browsertest.WaitAttr(ctx, "rtc-stream", "data-state", "idle", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took < 9*time.Second || took > 16*time.Second {
		t.Errorf("the stream ended after %v, want about 10 s", took)
	}
	status := eval[string](t, ctx, `document.querySelector("rtc-stream .status").textContent`)
	if !strings.Contains(status, "time limit") {
		t.Errorf("status after the limit: %q", status)
	}
	waitFor(t, ctx, "the server to free the session", 5*time.Second, func() bool { return stream.Server().ActiveSessions() == 0 })
}
