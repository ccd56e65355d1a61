package e2e_test

import (
	"image"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/impair"
)

// TestBrowserReconnects: the page's media path goes dark for a few
// seconds (every datagram dropped, as when a laptop's Wi-Fi drops); the
// page shows "Reconnecting…", restarts ICE on its session, and once the
// path is back the processed video resumes on the same session, whose
// handler kept its count.
func TestBrowserReconnects(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for Chromium to notice a dead path")
	}
	checkLeaks(t)
	var calls atomic.Int64
	handler := func(img image.Image) image.Image { calls.Add(1); return negative(img) }
	s := startLiveServer(t, handler, rtcstream.Options{AllowedOrigins: []string{"*"}})
	var dark atomic.Bool
	proxy, err := impair.NewProxy(s.url, impair.Config{Drop: func(bool, []byte) bool { return dark.Load() }})
	if err != nil {
		t.Fatal(err)
	}
	front := httptest.NewServer(proxy)
	t.Cleanup(func() {
		front.Close()
		proxy.Close()
	})
	p := newBrowser(t, writeCameraClip(t), 0)
	p.open(front.URL)
	p.start()
	p.waitColors(selOutput, 48, negColors)

	dark.Store(true)
	cut := time.Now()
	p.waitText(selStatus, 20*time.Second, func(s string) bool { return strings.HasPrefix(s, "Reconnecting") })
	t.Logf("the page showed %q %v after the path went dark", p.text(selStatus), time.Since(cut).Round(100*time.Millisecond))
	before := calls.Load()
	time.Sleep(2 * time.Second)
	dark.Store(false)
	back := time.Now()
	p.waitText(selStatus, 20*time.Second, func(s string) bool { return s == "Streaming" })
	p.waitColors(selOutput, 48, negColors)
	waitCalls := time.Now().Add(10 * time.Second)
	for calls.Load() < before+30 && time.Now().Before(waitCalls) {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("streaming again %v after the path came back; the handler ran %d times before the cut, %d now",
		time.Since(back).Round(100*time.Millisecond), before, calls.Load())
	if calls.Load() < before+30 {
		t.Errorf("the handler ran %d times after the path came back, want the stream to resume", calls.Load()-before)
	}
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("ActiveSessions = %d after the reconnect, want the one session", n)
	}
	if got := p.text(selError); got != "" {
		t.Errorf("error box %q after the reconnect, want none", got)
	}
}
