package rtcstream_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
)

// TestBrowserStatsOverlay: with Options.ShowStats the page overlays what
// the browser measures (getStats): sizes, frame rates, bitrates and the
// round-trip time, refreshed while streaming and gone after Stop.
func TestBrowserStatsOverlay(t *testing.T) {
	checkLeaks(t)
	s := startLiveServer(t, negative, rtcstream.Options{ShowStats: true})
	p := newBrowser(t, writeCameraClip(t), 0)
	p.open(s.url)
	p.start()
	text := p.waitText("rtc-stream pre.stats", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "in 640x480") && strings.Contains(s, "kbit/s") && !strings.Contains(s, "rtt –")
	})
	t.Logf("overlay:\n%s", text)
	rtt, err := strconv.ParseFloat(evalOn[string](p, `document.querySelector("rtc-stream pre.stats").dataset.rttMs`), 64)
	if err != nil || rtt < 0 || rtt > 100 {
		t.Errorf("round-trip time %v ms (%v) on loopback", rtt, err)
	}
	p.stop()
	if !evalOn[bool](p, `document.querySelector("rtc-stream pre.stats").hidden`) {
		t.Error("the overlay stayed after Stop")
	}
}
