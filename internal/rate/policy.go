// Package rate is a session's video bitrate policy, in one place: Google
// Congestion Control on the browser's transport-wide feedback (Register,
// for the session's own WebRTC API), the path's queueing delay read from
// that feedback, a fast start, and the share of the estimate the encoder
// gets.
package rate

import (
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/cc"
)

// Min is the lowest target bandwidth adaptation goes to, and Start where
// it starts, as browsers do: a keyframe at the full bitrate can overflow
// a narrow link's buffer, and then every keyframe asked for after the
// loss does too. The estimate climbs from there within seconds on a link
// that carries more.
const (
	Min   = 100_000
	Start = 300_000
)

// TickInterval is how often the session calls Tick while the fast start
// climbs.
const TickInterval = rampUpTick

// Policy is one session's video bitrate: it gives the encoder a target
// from the congestion controller's estimate and the fast start. Its
// methods are safe for concurrent use.
type Policy struct {
	max     int
	set     func(bps int)
	ramp    *rampUp
	sending atomic.Bool
}

// New makes the policy of a session whose encoder may use up to max bit/s;
// set gives the encoder a target, from the controller's goroutine or the
// caller's. The encoder starts a little under Start (or max).
func New(max int, set func(bps int)) *Policy {
	start := min(Start, max)
	p := &Policy{max: max, set: set, ramp: newRampUp(start, max)}
	p.follow(start * 10 / 9)
	return p
}

// Bandwidth configures the congestion controller of the session's
// connection (peer.NetConfig.Bandwidth) to report to p.
func (p *Policy) Bandwidth() *BandwidthConfig {
	start := min(Start, p.max)
	return &BandwidthConfig{
		Initial: start, Min: min(Min, p.max), Max: p.max,
		OnEstimator: func(e cc.BandwidthEstimator) {
			p.ramp.watch(e.GetStats)
			e.OnTargetBitrateChange(func(estimate int) {
				p.follow(p.ramp.observe(estimate, time.Now()))
			})
		},
	}
}

// Sending tells p that video is being sent; the fast start counts from the
// first call.
func (p *Policy) Sending() {
	if !p.sending.Load() && p.sending.CompareAndSwap(false, true) {
		p.ramp.begin(time.Now())
	}
}

// Tick raises the encoder's target while the fast start climbs, and
// reports whether it still does (once it does not, stop ticking).
func (p *Policy) Tick(now time.Time) bool {
	bps, ramping := p.ramp.target(now)
	p.follow(bps)
	return ramping
}

// follow gives the encoder three quarters of the controller's target,
// leaving a quarter for RTP, SRTP and RTCP overhead, retransmissions and
// keyframe bursts: closer to the target, a narrow link's queue fills and
// latency spikes (BENCHMARKS.md, the narrow link).
func (p *Policy) follow(target int) {
	p.set(max(target*3/4, Min))
}
