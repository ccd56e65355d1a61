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

// TestRestreamDemo runs `rtcstream demo restream` and uses its pages as a
// person would: Chromium publishes its camera from /publish (left half
// dark, right half bright), and /watch, in another tab, plays the edge
// detector's output (flat areas dark, whatever their brightness).
func TestRestreamDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := net.JoinHostPort(lktest.Interface(t), strconv.Itoa(freePort(t)))
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"demo", "-addr", addr, "restream"}, io.Discard, io.Discard) }()
	defer func() { cancel(); <-done }()
	origin := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(origin + "/watch"); err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'self'") {
				t.Fatalf("GET /watch: %s, CSP %q", resp.Status, resp.Header.Get("Content-Security-Policy"))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo does not serve in 10 s")
		}
	}
	cam := filepath.Join(t.TempDir(), "halves.y4m")
	if err := browsertest.WriteY4M(cam, 320, 240, 30, 30, func(int) *image.YCbCr {
		img := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
		for y := range 240 {
			for x := range 320 {
				img.Y[y*img.YStride+x] = map[bool]uint8{true: 40, false: 200}[x < 160]
			}
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = 128, 128
		}
		return img
	}); err != nil {
		t.Fatal(err)
	}
	pub := browsertest.New(t, browsertest.Options{FakeVideo: cam, SecureOrigins: []string{origin}, Timeout: 2 * time.Minute})
	if err := chromedp.Do(pub, chromedp.Navigate(origin+"/publish")); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.Click(pub, "#go"); err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.WaitText(pub, "#status", 20*time.Second, func(s string) bool { return s == "connected" }); err != nil {
		t.Fatalf("the publisher: %v", err)
	}
	player := browsertest.NewTab(t, pub)
	if err := chromedp.Do(player, chromedp.Navigate(origin+"/watch")); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.Click(player, "#go"); err != nil {
		t.Fatal(err)
	}
	if w, h, err := browsertest.WaitVideo(player, "#player", 20*time.Second); err != nil || w != 320 || h != 240 {
		s, _ := browsertest.Text(player, "#status")
		t.Fatalf("the player's video: %dx%d, %v (status %q)", w, h, err, s)
	}
	// Dark where the camera is flat (bright or not), bright on the edge
	// between its halves: the edge detector's picture, playing.
	var flat, edge int
	err := browsertest.Poll(player, 10*time.Second, func(ctx context.Context) (bool, error) {
		r, g, b, err := browsertest.VideoPixel(ctx, "#player", 240, 120)
		if err != nil {
			return false, nil
		}
		flat, edge = (r+g+b)/3, 0
		for x := 154; x <= 166; x += 2 {
			r, g, b, err := browsertest.VideoPixel(ctx, "#player", x, 120)
			if err == nil {
				edge = max(edge, (r+g+b)/3)
			}
		}
		return flat < 80 && edge > 120, nil
	})
	if err != nil {
		t.Errorf("the player shows brightness %d where the camera is bright and flat and %d at its edge: want the edge detector's dark and bright (%v)", flat, edge, err)
	}
}
