// Package overload sheds video frames fairly when the machine cannot
// handle them all in time.
//
// Every session tells the process's Governor how late its handled frames
// went out (Meter.Observe): the time they spent in the server, less the
// handler's own (a handler may be slow by nature, a remote model say),
// plus how late their first packet was read against the sender's clock.
// When the typical session's frames are late, the CPUs are saturated
// (every session waits for them alike) and the governor lowers the share
// of frames every session hands to its handler; when they are on time it
// raises it again. Lateness, not CPU use, is the signal: a server at 100%
// of its cores that keeps up delays nothing, and one starved by other work
// beside it delays every frame.
package overload

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Tuning (BENCHMARKS.md, "Overload, fairly").
const (
	// Interval is how often the lateness is gathered and the share set.
	Interval = 250 * time.Millisecond
	// HighLate is the typical session's lateness over which the share
	// falls; LowLate the one under which it rises again.
	HighLate = 60 * time.Millisecond
	LowLate  = 30 * time.Millisecond
	// MinShare is the least share: under any load a session keeps one
	// frame in ten (3 fps of a 30 fps camera).
	MinShare = 0.1

	minFall = 0.5  // the share's least factor at a cut
	maxFall = 0.9  // and its greatest
	settle  = 2    // intervals after a cut before the next, for it to show
	rise    = 0.05 // the share's step per interval under LowLate
	smooth  = 0.5  // the weight of the newest interval in the smoothed lateness
	// idleIntervals without a frame handled by any session count as on
	// time (a second: at MinShare a 30 fps session hands one frame every
	// third of a second).
	idleIntervals = 4
)

// Controller is the governor's rule, apart from measuring: the share of
// frames from each interval's smoothed lateness. The zero value is ready,
// at a share of 1.
type Controller struct {
	share   float64 // 0 means 1
	settled int     // intervals since the last cut
}

// Next returns the share after an interval whose smoothed lateness was
// late. Over HighLate the share falls in proportion, by HighLate/late
// (by a tenth to a half; to MinShare at the least), then holds for the
// cut to show before it may fall again; under LowLate it rises by a
// twentieth of the whole (to 1); between, it holds. Falling fast and
// rising slowly keeps the cores out of saturation without swinging.
func (c *Controller) Next(late time.Duration) float64 {
	if c.share == 0 {
		c.share, c.settled = 1, settle // free to cut at once
	}
	c.settled++
	switch {
	case late > HighLate && c.settled > settle:
		f := min(maxFall, max(minFall, float64(HighLate)/float64(late)))
		c.share = max(MinShare, c.share*f)
		c.settled = 0
	case late < LowLate:
		c.share = min(1, c.share+rise)
	}
	return c.share
}

// Governor gathers its sessions' lateness while it has any and sets the
// share of frames they hand to their handlers (Share). Every session
// reads the same share, so under overload each keeps the same fraction of
// its frames: the load is shed fairly, and the frames handled are handled
// on time.
type Governor struct {
	mu       sync.Mutex
	sessions map[*Meter]struct{}
	stop     chan struct{}
	done     chan struct{}

	share atomic.Uint64 // float64 bits
	late  atomic.Int64  // the smoothed lateness, ns
	debug bool
	fixed atomic.Uint64 // float64 bits; > 0: the share, whatever the lateness
}

// Process is the process's governor: the CPUs are the process's.
var Process = NewGovernor()

// NewGovernor returns a governor at a share of 1. The environment's
// RTCSTREAM_OVERLOAD_DEBUG, when set, makes it print each interval's
// lateness and share to standard error; RTCSTREAM_OVERLOAD_SHARE, a
// number in (0, 1], fixes the share (for measurements that compare
// shares: 1 sheds nothing).
func NewGovernor() *Governor {
	g := &Governor{sessions: map[*Meter]struct{}{}, debug: os.Getenv("RTCSTREAM_OVERLOAD_DEBUG") != ""}
	g.share.Store(math.Float64bits(1))
	if f, err := strconv.ParseFloat(os.Getenv("RTCSTREAM_OVERLOAD_SHARE"), 64); err == nil {
		g.Fix(f)
	}
	return g
}

// Fix sets the share to share, in (0, 1], whatever the lateness, until
// Fix(0) gives it back to the measurements; for tests and for
// measurements that compare shares. A value out of range is ignored.
func (g *Governor) Fix(share float64) {
	if share < 0 || share > 1 {
		return
	}
	g.fixed.Store(math.Float64bits(share))
	if share == 0 {
		share = 1
	}
	g.share.Store(math.Float64bits(share))
}

// Share is the fraction of frames, in [MinShare, 1], a session should
// hand to its handler now.
func (g *Governor) Share() float64 { return math.Float64frombits(g.share.Load()) }

// Late is the smoothed lateness the share was last set from.
func (g *Governor) Late() time.Duration { return time.Duration(g.late.Load()) }

// Sessions is the number of sessions joined.
func (g *Governor) Sessions() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.sessions)
}

// Join adds a session; the governor runs while it has any. Call
// Meter.Leave when the session ends.
func (g *Governor) Join() *Meter {
	m := &Meter{g: g}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sessions[m] = struct{}{}
	if len(g.sessions) == 1 {
		g.stop, g.done = make(chan struct{}), make(chan struct{})
		go g.run(g.stop, g.done)
	}
	return m
}

func (g *Governor) leave(m *Meter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.sessions[m]; !ok {
		return
	}
	delete(g.sessions, m)
	if len(g.sessions) > 0 {
		return
	}
	// Not waiting for the loop, which may be waiting for g.mu: it
	// stores nothing once stop is closed (publish).
	close(g.stop)
	if math.Float64frombits(g.fixed.Load()) == 0 {
		g.share.Store(math.Float64bits(1))
	}
	g.late.Store(0)
}

// typical returns the median over the sessions of each one's lateness
// in the interval (its frames' third quartile), and whether any session
// handled a frame in it. The CPUs are everyone's and, saturated, slow
// most frames of every session: a frame or two held up on the path, or a
// session whose own path is slow, should not cost anyone frames.
func (g *Governor) typical(scratch []time.Duration) ([]time.Duration, time.Duration, bool) {
	g.mu.Lock()
	scratch = scratch[:0]
	for m := range g.sessions {
		if d, ok := m.take(); ok {
			scratch = append(scratch, d)
		}
	}
	g.mu.Unlock()
	if len(scratch) == 0 {
		return scratch, 0, false
	}
	slices.Sort(scratch)
	return scratch, scratch[len(scratch)/2], true
}

func (g *Governor) run(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(Interval)
	defer t.Stop()
	var (
		ctl      Controller
		smoothed float64
		scratch  []time.Duration
		idle     int // intervals in a row without a frame handled
	)
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			var late time.Duration
			var ok bool
			if scratch, late, ok = g.typical(scratch); ok {
				idle = 0
			} else if idle++; idle < idleIntervals {
				continue // a session at a low share may skip an interval
			}
			// Frames late, or none for idleIntervals: nothing loads the
			// CPUs with frames, so the share may rise.
			smoothed = smooth*float64(late) + (1-smooth)*smoothed
			share := ctl.Next(time.Duration(smoothed))
			if f := math.Float64frombits(g.fixed.Load()); f > 0 {
				share = f
			}
			if !g.publish(stop, share, smoothed) {
				return
			}
			if g.debug {
				fmt.Fprintf(os.Stderr, "overload %s late %.1f ms share %.2f sessions %d\n",
					now.Format("15:04:05.000"), smoothed/1e6, share, len(scratch))
			}
		}
	}
}

// publish stores a loop's share and lateness, unless its last session
// left (stop is closed): leave has reset them, and a new loop may run.
func (g *Governor) publish(stop chan struct{}, share, late float64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-stop:
		return false
	default:
	}
	g.late.Store(int64(late))
	g.share.Store(math.Float64bits(share))
	return true
}

// Meter is one session's report to its Governor.
type Meter struct {
	g  *Governor
	mu sync.Mutex
	// The interval's frames: the first maxSamples of them (at 30 fps
	// an interval has 8).
	late [maxSamples]time.Duration
	n    int
}

const maxSamples = 32

// Observe reports a handled frame that went out late by this much (see
// the package's doc).
func (m *Meter) Observe(late time.Duration) {
	m.mu.Lock()
	if m.n < maxSamples {
		m.late[m.n] = late
		m.n++
	}
	m.mu.Unlock()
}

// take returns the third quartile of the interval's lateness and starts
// the next interval.
func (m *Meter) take() (time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == 0 {
		return 0, false
	}
	s := m.late[:m.n]
	slices.Sort(s)
	d := s[len(s)*3/4]
	m.n = 0
	return d, true
}

// Share is the governor's share.
func (m *Meter) Share() float64 { return m.g.Share() }

// Leave removes the session; it is idempotent.
func (m *Meter) Leave() { m.g.leave(m) }
