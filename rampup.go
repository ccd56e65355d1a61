package rtcstream

import (
	"math"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream/internal/peer"
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

// rampUp is a session's fast start. pion's congestion controller has no
// probing: from its 300 kbit/s start it climbs about 8% a second, 15 s to
// reach 1 Mbit/s on a link that carries far more, and the viewer watches a
// blurred picture meanwhile. Browsers probe their way up within a second or
// two. rampUp does the same with the video itself: from the first video
// packet sent it doubles the encoder's target every second, up to the highest
// bitrate, until the path looks full: packets queue 25 ms longer than the
// quickest did (read from the transport-wide feedback, internal/peer), the
// controller's own delay detector finds a queue growing (overuse, or a
// decrease), more than 2% of packets are lost, or its estimate falls. The
// queueing delay is what stops it in time: on a 500 kbit/s link GCC's
// detector, built to ride out jitter, let the queue grow for 1.7 s. From then on the encoder follows
// the controller alone, whose decrease is measured from what the path
// carried (0.85 of the received rate), not from its own slow climb. While
// the ramp is ahead, the controller's estimate still counts when it is
// higher.
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
	if q, _ := stats[peer.QueueDelayKey].(float64); q > rampUpMaxQueue {
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
