package browsertest

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestScreenshot saves pictures of the page for a person to look at, when
// RTCSTREAM_SCREENSHOT_DIR names a directory: page-streaming.png (wide),
// page-narrow.png and page-error.png.
func TestScreenshot(t *testing.T) {
	dir := os.Getenv("RTCSTREAM_SCREENSHOT_DIR")
	if dir == "" {
		t.Skip("set RTCSTREAM_SCREENSHOT_DIR to save screenshots of the page")
	}
	const w, h = 640, 480
	video := writeQuadrantsY4M(t, w, h)
	echo := newEchoServer(t)
	s := newSiteWithStop(t, echo.handleOffer, echo.handleStop)

	ctx := New(t, Options{FakeVideo: video})
	loadComponent(t, ctx, s, "label=Webcam")
	startStreaming(t, ctx)
	if _, _, err := WaitVideo(ctx, "rtc-stream video.output", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	echo.last().send(t, map[string]any{"type": "warning", "message": "The handler is slower than the camera; frames are being dropped."})
	time.Sleep(500 * time.Millisecond)
	if err := Screenshot(ctx, filepath.Join(dir, "page-streaming.png")); err != nil {
		t.Fatal(err)
	}

	narrow := New(t, Options{FakeVideo: video, WindowWidth: 420, WindowHeight: 900})
	loadComponent(t, narrow, s, "label=Webcam")
	startStreaming(t, narrow)
	time.Sleep(500 * time.Millisecond)
	if err := Screenshot(narrow, filepath.Join(dir, "page-narrow.png")); err != nil {
		t.Fatal(err)
	}

	busy := newSite(t, func(w http.ResponseWriter, body map[string]any) {
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusServiceUnavailable, "busy", "The server is at capacity.")
	})
	loadComponent(t, ctx, busy, "label=Webcam")
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := Screenshot(ctx, filepath.Join(dir, "page-error.png")); err != nil {
		t.Fatal(err)
	}
}
