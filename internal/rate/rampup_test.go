package rate

import (
	"testing"
	"time"
)

// The fast start doubles the target every second from when media flows,
// never below the controller's estimate and never above the highest
// bitrate, and stops for good at the controller's first decrease.
func TestRampUp(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	r := newRampUp(300_000, 1_000_000)

	if got := r.observe(310_000, t0); got != 310_000 {
		t.Errorf("before media flows: %d, want the estimate 310000", got)
	}
	r.begin(t0)
	r.begin(at(time.Hour)) // later calls change nothing
	for _, c := range []struct {
		after   time.Duration
		want    int
		ramping bool
	}{
		{0, 310_000, true}, // the estimate is ahead of the ramp's 300k
		{500 * time.Millisecond, 424_264, true},
		{time.Second, 600_000, true},
		{1500 * time.Millisecond, 848_528, true},
		{2 * time.Second, 1_000_000, false}, // capped: nothing left to climb
	} {
		got, ramping := r.target(at(c.after))
		if got != c.want || ramping != c.ramping {
			t.Errorf("after %v: %d (ramping %v), want %d (%v)", c.after, got, ramping, c.want, c.ramping)
		}
	}
	// A higher estimate keeps the floor; a lower one ends the ramp, and the
	// encoder follows the controller from then on.
	if got := r.observe(350_000, at(1500*time.Millisecond)); got != 848_528 {
		t.Errorf("a rising estimate under the ramp: %d, want the ramp's 848528", got)
	}
	if got := r.observe(297_500, at(1600*time.Millisecond)); got != 297_500 {
		t.Errorf("after the estimate fell: %d, want the estimate 297500", got)
	}
	if got, ramping := r.target(at(10 * time.Second)); got != 297_500 || ramping {
		t.Errorf("after the ramp ended: %d (ramping %v), want 297500 (false)", got, ramping)
	}
	if got := r.observe(320_000, at(11*time.Second)); got != 320_000 {
		t.Errorf("the estimate climbing again after the ramp: %d, want 320000", got)
	}
}

// The ramp ends when the controller's delay detector sees a queue, or loss
// passes 2%, even while its estimate rises (a decrease from a ramped
// received rate can be above the controller's own slow climb).
func TestRampUpEndsOnCongestion(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, c := range []struct {
		stats map[string]any
		ends  bool
	}{
		{map[string]any{"delayTargetBitrate": 350_000, "state": "increase", "usage": "normal", "averageLoss": 0.0}, false},
		{map[string]any{"delayTargetBitrate": 350_000, "state": "hold", "usage": "underuse", "averageLoss": 0.01}, false},
		{map[string]any{"delayTargetBitrate": 350_000, "state": "decrease", "usage": "normal", "averageLoss": 0.0}, true},
		{map[string]any{"delayTargetBitrate": 350_000, "state": "hold", "usage": "overuse", "averageLoss": 0.0}, true},
		{map[string]any{"delayTargetBitrate": 350_000, "state": "increase", "usage": "normal", "averageLoss": 0.05}, true},
		// Before any feedback pion's stats are zero values, usage "overuse".
		{map[string]any{"delayTargetBitrate": 0, "state": "increase", "usage": "overuse", "averageLoss": 0.0}, false},
		{map[string]any{}, false}, // another estimator: only a falling estimate ends it
		// The path's queueing delay (internal/peer) ends it past 25 ms,
		// whatever GCC's slower detector says.
		{map[string]any{"delayTargetBitrate": 350_000, "state": "increase", "usage": "normal", QueueDelayKey: 30.0}, true},
		{map[string]any{"delayTargetBitrate": 350_000, "state": "increase", "usage": "normal", QueueDelayKey: 10.0}, false},
		{map[string]any{QueueDelayKey: 40.0}, true}, // even before GCC's first feedback
	} {
		r := newRampUp(300_000, 1_000_000)
		r.watch(func() map[string]any { return c.stats })
		r.begin(t0)
		got := r.observe(680_000, t0.Add(1500*time.Millisecond)) // rising
		want := 848_528
		if c.ends {
			want = 680_000
		}
		if got != want {
			t.Errorf("%v: %d, want %d", c.stats, got, want)
		}
		if _, ramping := r.target(t0.Add(1600 * time.Millisecond)); ramping == c.ends {
			t.Errorf("%v: still ramping %v", c.stats, ramping)
		}
	}
}
