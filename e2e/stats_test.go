package e2e_test

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
	text := p.waitText("pre.stats", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "in 640x480") && strings.Contains(s, "kbit/s") && !strings.Contains(s, "rtt –") &&
			!strings.Contains(s, "encode –") && !strings.Contains(s, "decode –")
	})
	t.Logf("overlay:\n%s", text)
	// What the browser measures of its own part of each frame's trip and
	// of the network's, in milliseconds, with the ranges a 640x480 stream
	// on loopback falls in.
	for _, c := range []struct {
		name    string
		lo, hi  float64
		present bool
	}{
		{"rttMs", 0, 100, true},
		{"encodeMs", 0.1, 100, true},
		{"bufferMs", 0, 500, false}, // absent until a frame left the buffer
		{"decodeMs", 0.05, 100, true},
	} {
		raw := evalOn[string](p, `document.querySelector("rtc-stream pre.stats").dataset.`+c.name)
		if raw == "" && !c.present {
			continue
		}
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil || v < c.lo || v > c.hi {
			t.Errorf("%s = %q (%v), want %v to %v on loopback", c.name, raw, err, c.lo, c.hi)
		}
	}
	p.stop()
	if !evalOn[bool](p, `document.querySelector("rtc-stream pre.stats").hidden`) {
		t.Error("the overlay stayed after Stop")
	}
}
