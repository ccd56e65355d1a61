package rate

import (
	"math"
	"sync"
	"time"
)

// rampUpDoubling is how often the fast start doubles the bitrate, and
// rampUpTick how often the session raises the encoder's target while it
// does.
const (
	rampUpDoubling = time.Second
	rampUpTick     = 250 * time.Millisecond
)

// rampUpMaxQueue is the queueing delay, in milliseconds, that ends the
// fast start: packets waiting this much longer than the quickest did mean
// the ramp has passed what the path carries.
const rampUpMaxQueue = 25.0

// rampUp is a session's fast start: from the first video packet sent it
// doubles the encoder's target every second, up to the highest bitrate,
// until the path looks full (congested: packets queue rampUpMaxQueue ms
// longer than the quickest did, the controller's delay detector sees a
// queue grow, more than 2% of packets are lost) or the controller's
// estimate falls. From then on the encoder follows the controller alone.
// While the ramp is ahead, a higher estimate still counts. pion's GCC has
// no probing of its own (it climbs about 8% a second); BENCHMARKS.md has
// the measurements behind the thresholds.
//
// It is safe for concurrent use: the controller reports from its own
// goroutine, the session's loop ticks it.
type rampUp struct {
	mu       sync.Mutex
	initial  int       // bit/s at the start
	max      int       // bit/s, the highest target
	estimate int       // the controller's latest target
	began    time.Time // when the first video was sent; zero before
	done     bool      // the path is full: follow the controller alone
	// stats reads the controller's state (cc.BandwidthEstimator.GetStats);
	// nil until the connection made it.
	stats func() map[string]any
}

func newRampUp(initial, max int) *rampUp {
	return &rampUp{initial: initial, max: max, estimate: initial}
}

// watch gives the ramp the controller's state to read.
func (r *rampUp) watch(stats func() map[string]any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats = stats
}

// congested reports whether a controller's state (pion's GCC GetStats)
// says the path is full. Before the first feedback its state is all zero
// values, whose usage reads "overuse"; it counts once the delay controller
// has set a target.
func congested(stats map[string]any) bool {
	if q, _ := stats[QueueDelayKey].(float64); q > rampUpMaxQueue {
		return true
	}
	if target, _ := stats["delayTargetBitrate"].(int); target <= 0 {
		return false
	}
	state, _ := stats["state"].(string)
	usage, _ := stats["usage"].(string)
	loss, _ := stats["averageLoss"].(float64)
	return state == "decrease" || usage == "overuse" || loss > 0.02
}

// checkLocked ends the ramp if the controller sees the path full.
func (r *rampUp) checkLocked() {
	if !r.done && r.stats != nil && congested(r.stats()) {
		r.done = true
	}
}

// begin starts the ramp's clock, at the first video sent. Later calls do
// nothing.
func (r *rampUp) begin(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.began.IsZero() {
		r.began = now
	}
}

// observe records the controller's new estimate and returns the target to
// give the encoder at now. An estimate lower than the one before ends the
// ramp, as does a congested controller.
func (r *rampUp) observe(estimate int, now time.Time) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if estimate < r.estimate {
		r.done = true
	}
	r.estimate = estimate
	r.checkLocked()
	return r.targetLocked(now)
}

// target returns the encoder's target at now, and whether the ramp still
// runs (false once it ended or reached the highest bitrate, when further
// ticks change nothing).
func (r *rampUp) target(now time.Time) (bps int, ramping bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkLocked()
	bps = r.targetLocked(now)
	return bps, !r.done && bps < r.max
}

func (r *rampUp) targetLocked(now time.Time) int {
	if r.done || r.began.IsZero() {
		return r.estimate
	}
	doublings := float64(now.Sub(r.began)) / float64(rampUpDoubling)
	ramp := float64(r.initial) * math.Exp2(max(0, doublings))
	return max(r.estimate, int(min(ramp, float64(r.max))))
}
