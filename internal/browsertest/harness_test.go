package browsertest

import (
	"context"
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
