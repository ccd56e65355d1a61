package browsertest

import (
	"context"
	"errors"
	"image"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// openCamera loads the bare camera page and plays getUserMedia in video#cam.
func openCamera(t *testing.T, ctx context.Context, s *site) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/camera")); err != nil {
		t.Fatal(err)
	}
	if _, err := Eval[bool](ctx, `navigator.mediaDevices.getUserMedia({video: true}).then((s) => {
		document.querySelector("#cam").srcObject = s; return true; })`); err != nil {
		t.Fatalf("getUserMedia: %v", err)
	}
}

// checkQuadrants asserts the four colours of the quadrant clip in a video.
func checkQuadrants(t *testing.T, ctx context.Context, selector string, w, h, tol int) {
	t.Helper()
	for _, q := range quadrantRGB {
		x, y := int(q.fx*float64(w)), int(q.fy*float64(h))
		r, g, b, err := VideoPixel(ctx, selector, x, y)
		if err != nil {
			t.Fatal(err)
		}
		if !near(r, q.r, tol) || !near(g, q.g, tol) || !near(b, q.b, tol) {
			t.Errorf("%s %s pixel (%d,%d) = rgb(%d,%d,%d), want about rgb(%d,%d,%d)", selector, q.name, x, y, r, g, b, q.r, q.g, q.b)
		}
	}
}

func TestFakeCameraPlaysY4M(t *testing.T) {
	leakCheck(t)
	const w, h = 320, 240
	s := newSite(t, nil)
	ctx := New(t, Options{FakeVideo: writeQuadrantsY4M(t, w, h)})
	openCamera(t, ctx, s)
	gw, gh, err := WaitVideo(ctx, "#cam", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if gw != w || gh != h {
		t.Fatalf("camera size %dx%d, want %dx%d", gw, gh, w, h)
	}
	checkQuadrants(t, ctx, "#cam", w, h, 12)
	if _, _, _, err := VideoPixel(ctx, "#cam", w, 0); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("VideoPixel outside the frame: err = %v", err)
	}
	if _, _, _, err := VideoPixel(ctx, "title", 0, 0); err == nil {
		t.Error("VideoPixel on a non-video element: no error")
	}
}

// TestY4MHeadersChromiumAccepts records which colour-space tags Chromium's
// file capture takes: every 4:2:0 tag, and not 4:4:4 (the camera is then
// "not found"). WriteY4M uses Y4MColorSpace.
func TestY4MHeadersChromiumAccepts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser per header")
	}
	s := newSite(t, nil)
	for _, tt := range []struct {
		colorSpace string
		accepted   bool
	}{
		{"420jpeg", true}, {"420", true}, {"420mpeg2", true}, {"420paldv", true}, {"444", false},
	} {
		t.Run("C"+tt.colorSpace, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.y4m")
			frame := quadrants(64, 48)
			if err := writeY4M(path, tt.colorSpace, 64, 48, 10, 2, func(int) *image.YCbCr { return frame }); err != nil {
				t.Fatal(err)
			}
			ctx := New(t, Options{FakeVideo: path, Timeout: 20 * time.Second})
			if !tt.accepted {
				if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/camera")); err != nil {
					t.Fatal(err)
				}
				_, err := Eval[bool](ctx, `navigator.mediaDevices.getUserMedia({video: true}).then(() => true)`)
				if err == nil || !strings.Contains(err.Error(), "NotFoundError") {
					t.Fatalf("getUserMedia with a C%s file: err = %v, want NotFoundError", tt.colorSpace, err)
				}
				return
			}
			openCamera(t, ctx, s)
			if _, _, err := WaitVideo(ctx, "#cam", 5*time.Second); err != nil {
				t.Fatal(err)
			}
			checkQuadrants(t, ctx, "#cam", 64, 48, 24)
		})
	}
}

func TestWaitAttrTimesOutWithLastValue(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{})
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/camera")); err != nil {
		t.Fatal(err)
	}
	if _, err := Eval[bool](ctx, `document.body.dataset.x = "a", true`); err != nil {
		t.Fatal(err)
	}
	err := WaitAttr(ctx, "body", "data-x", "b", 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), `last value "a"`) {
		t.Fatalf("err = %v, want a timeout naming the last value", err)
	}
	if err := WaitAttr(ctx, "body", "data-x", "a", time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := Text(ctx, "title"); err != nil {
		t.Fatal(err)
	}
}

func TestPresentedFramesAndWaitText(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{FakeVideo: writeQuadrantsY4M(t, 64, 48)})
	openCamera(t, ctx, s)
	if _, _, err := WaitVideo(ctx, "#cam", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// The clip runs at 15 frames a second.
	if n, err := PresentedFrames(ctx, "#cam", time.Second); err != nil || n < 3 {
		t.Errorf("PresentedFrames = %d, %v; want the playing camera's frames", n, err)
	}
	if _, err := Eval[bool](ctx, `document.querySelector("#cam").pause(), true`); err != nil {
		t.Fatal(err)
	}
	if n, err := PresentedFrames(ctx, "#cam", 300*time.Millisecond); err != nil || n != 0 {
		t.Errorf("PresentedFrames of a paused video = %d, %v; want 0", n, err)
	}
	if _, err := PresentedFrames(ctx, "title", 100*time.Millisecond); err == nil {
		t.Error("PresentedFrames of a non-video: no error")
	}

	if _, err := Eval[bool](ctx, `setTimeout(() => { document.title = "ready"; }, 200), true`); err != nil {
		t.Fatal(err)
	}
	got, err := WaitText(ctx, "title", 5*time.Second, func(s string) bool { return s == "ready" })
	if err != nil || got != "ready" {
		t.Errorf("WaitText = %q, %v", got, err)
	}
	_, err = WaitText(ctx, "title", 200*time.Millisecond, func(s string) bool { return s == "never" })
	if err == nil || !strings.Contains(err.Error(), `last text "ready"`) {
		t.Errorf("WaitText timeout: err = %v, want the last text", err)
	}
	err = Poll(ctx, 100*time.Millisecond, func(context.Context) (bool, error) { return false, nil })
	if !errors.Is(err, errTimeout) {
		t.Errorf("Poll that never succeeds: err = %v", err)
	}
}

func TestNewTabAndCloseTab(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{})
	tab := NewTab(t, ctx)
	for _, c := range []context.Context{ctx, tab} {
		if err := chromedp.Do(c, chromedp.Navigate(s.URL+"/camera")); err != nil {
			t.Fatal(err)
		}
	}
	// Two tabs: each has its own page.
	if _, err := Eval[bool](tab, `document.body.dataset.tab = "second", true`); err != nil {
		t.Fatal(err)
	}
	if got, err := Eval[*string](ctx, `document.body.dataset.tab ?? null`); err != nil || got != nil {
		t.Errorf("first tab sees data-tab %v, %v; want none", got, err)
	}
	// pagehide runs when the tab closes: the page can still send a request.
	if _, err := Eval[bool](tab, `addEventListener("pagehide", () =>
		fetch("/webrtc/stop", {method: "POST", body: "{\"from\": \"pagehide\"}", keepalive: true})), true`); err != nil {
		t.Fatal(err)
	}
	if err := CloseTab(tab); err != nil {
		t.Fatal(err)
	}
	if _, err := Eval[bool](tab, `true`); err == nil {
		t.Error("the closed tab still evaluates")
	}
	if err := poll(ctx, 10*time.Second, func(context.Context) (bool, error) {
		_, stops := s.posted()
		return len(stops) == 1 && stops[0]["from"] == "pagehide", nil
	}); err != nil {
		t.Errorf("no request from pagehide after CloseTab: %v", err)
	}
	// The first tab, and so the browser, lives on.
	if _, err := Text(ctx, "title"); err != nil {
		t.Fatal(err)
	}
}

func TestNarrowWindow(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{WindowWidth: 360, WindowHeight: 740})
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/camera")); err != nil {
		t.Fatal(err)
	}
	if got, err := Eval[[]int](ctx, `[innerWidth, innerHeight]`); err != nil || len(got) != 2 || got[0] != 360 || got[1] != 740 {
		t.Errorf("viewport %v, %v; want 360x740", got, err)
	}
}
