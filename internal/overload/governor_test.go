package overload

import (
	"math"
	"sync"
	"testing"
	"time"
)

func TestControllerFallsHoldsAndRises(t *testing.T) {
	var c Controller
	if s := c.Next(0); s != 1 {
		t.Fatalf("on time at the start: share %.2f, want 1", s)
	}
	// Late by twice HighLate: the share halves, then holds while the cut
	// settles, then halves again.
	var shares []float64
	for range 7 {
		shares = append(shares, c.Next(2*HighLate))
	}
	want := []float64{0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125}
	for i := range want {
		if math.Abs(shares[i]-want[i]) > 1e-9 {
			t.Fatalf("shares while late %v, want %v", shares, want)
		}
	}
	// Slightly late: a cut of a tenth, no more.
	for range settle {
		c.Next((HighLate + LowLate) / 2)
	}
	if s := c.Next(HighLate + time.Millisecond); math.Abs(s-0.125*maxFall) > 1e-9 {
		t.Fatalf("just over HighLate: share %.4f, want %.4f", s, 0.125*maxFall)
	}
	// Never under MinShare.
	for range 50 {
		c.Next(10 * HighLate)
	}
	if s := c.Next(10 * HighLate); s != MinShare {
		t.Fatalf("late for long: share %.3f, want MinShare %.2f", s, MinShare)
	}
	// Between the bounds it holds.
	for range 20 {
		if s := c.Next((HighLate + LowLate) / 2); s != MinShare {
			t.Fatalf("between the bounds the share moved to %.3f", s)
		}
	}
	// On time it climbs back to 1 by steps, and stays.
	var n int
	for s := 0.0; s < 1; n++ {
		s = c.Next(0)
	}
	if want := int(math.Ceil((1 - MinShare) / rise)); n != want {
		t.Fatalf("back to 1 in %d intervals, want %d", n, want)
	}
	if s := c.Next(0); s != 1 {
		t.Fatalf("share %.3f over 1", s)
	}
}

// observeFor has each meter report its lateness every 20 ms for d.
func observeFor(d time.Duration, late map[*Meter]time.Duration) {
	var wg sync.WaitGroup
	for m, l := range late {
		wg.Go(func() {
			for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
				m.Observe(l)
			}
		})
	}
	wg.Wait()
}

func TestGovernorGoesByTheTypicalSession(t *testing.T) {
	g := NewGovernor()
	a, b, c := g.Join(), g.Join(), g.Join()
	defer a.Leave()
	defer b.Leave()
	defer c.Leave()

	// One session's own path is slow: the others are on time, and
	// nobody's frames are shed for it.
	observeFor(6*Interval, map[*Meter]time.Duration{a: 0, b: 5 * time.Millisecond, c: 10 * HighLate})
	if s := g.Share(); s != 1 {
		t.Fatalf("one late session of three: share %.2f, want 1", s)
	}
	// Two of three late: the CPUs are everyone's, the share falls.
	observeFor(8*Interval, map[*Meter]time.Duration{a: 0, b: 4 * HighLate, c: 4 * HighLate})
	if s := g.Share(); s > 0.5 {
		t.Fatalf("two late sessions of three: share %.2f, want it cut at least once", s)
	}
	if l := g.Late(); l < HighLate {
		t.Fatalf("smoothed lateness %v with two sessions %v late", l, 4*HighLate)
	}
	// On time again: it climbs back.
	low := g.Share()
	observeFor(6*Interval, map[*Meter]time.Duration{a: 0, b: 0, c: 0})
	if s := g.Share(); s <= low {
		t.Fatalf("on time again: share %.2f, was %.2f", s, low)
	}
}

func TestGovernorStopsWithItsLastSession(t *testing.T) {
	g := NewGovernor()
	a := g.Join()
	done := g.done
	b := g.Join()
	if g.done != done {
		t.Fatal("a second session started a second loop")
	}
	observeFor(6*Interval, map[*Meter]time.Duration{a: 10 * HighLate, b: 10 * HighLate})
	if g.Share() == 1 {
		t.Fatal("share 1 with every session late")
	}
	a.Leave()
	a.Leave() // idempotent: b must stay counted
	select {
	case <-done:
		t.Fatal("the loop stopped with a session left")
	default:
	}
	b.Leave()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("the loop runs on with no session")
	}
	if s, l := g.Share(), g.Late(); s != 1 || l != 0 {
		t.Fatalf("after the last session: share %.2f, lateness %v; want 1 and 0", s, l)
	}
	// And it starts again for the next.
	c := g.Join()
	defer c.Leave()
	if g.done == done {
		t.Fatal("no loop for the next session")
	}
}

func TestGovernorFix(t *testing.T) {
	g := NewGovernor()
	g.Fix(0.5)
	m := g.Join()
	observeFor(4*Interval, map[*Meter]time.Duration{m: 0})
	if s := m.Share(); s != 0.5 {
		t.Fatalf("fixed at 0.5, on time: share %.2f", s)
	}
	m.Leave()
	if s := g.Share(); s != 0.5 {
		t.Fatalf("fixed at 0.5, no session: share %.2f", s)
	}
	g.Fix(2) // out of range: ignored
	if s := g.Share(); s != 0.5 {
		t.Fatalf("Fix(2) changed the share to %.2f", s)
	}
	g.Fix(0)
	if s := g.Share(); s != 1 {
		t.Fatalf("unfixed: share %.2f, want 1", s)
	}
}

// TestMeterTakesTheThirdQuartile: a frame held up on the path now and
// then does not make a session late; a quarter of its frames or more late
// does.
func TestMeterTakesTheThirdQuartile(t *testing.T) {
	m := &Meter{g: NewGovernor()}
	for i := range 8 {
		late := 5 * time.Millisecond
		if i == 3 {
			late = 400 * time.Millisecond // a jitter spike
		}
		m.Observe(late)
	}
	if d, ok := m.take(); !ok || d != 5*time.Millisecond {
		t.Fatalf("one frame of eight late: %v, %v; want 5ms", d, ok)
	}
	if _, ok := m.take(); ok {
		t.Fatal("an interval without frames reported lateness")
	}
	for i := range 8 {
		m.Observe(time.Duration(100+i) * time.Millisecond)
	}
	if d, _ := m.take(); d != 106*time.Millisecond {
		t.Fatalf("every frame late: %v, want the third quartile 106ms", d)
	}
	for range 100 { // more than an interval holds: the first are kept
		m.Observe(time.Millisecond)
	}
	if d, _ := m.take(); d != time.Millisecond {
		t.Fatalf("%v", d)
	}
}

// TestGovernorRisesWhenFramesStop: sessions that stop sending (a paused
// camera) leave the share where it was for a moment, then let it rise, so
// the next frames are not shed for a load that went.
func TestGovernorRisesWhenFramesStop(t *testing.T) {
	g := NewGovernor()
	a, b := g.Join(), g.Join()
	defer a.Leave()
	defer b.Leave()
	observeFor(6*Interval, map[*Meter]time.Duration{a: 10 * HighLate, b: 10 * HighLate})
	low := g.Share()
	if low == 1 {
		t.Fatal("share 1 with every session late")
	}
	time.Sleep(Interval * (idleIntervals - 1))
	if s := g.Share(); s > low {
		t.Fatalf("share %.2f rose from %.2f before the sessions were idle for long", s, low)
	}
	low = g.Share() // the last late interval may have cut it once more
	time.Sleep(Interval * (idleIntervals + 4))
	if s := g.Share(); s <= low {
		t.Fatalf("no frames for %v: share %.2f, still %.2f", Interval*(2*idleIntervals+3), s, low)
	}
}

// TestGovernorChurn: sessions joining and leaving while the loop runs
// (the last to leave used to wait for the loop while holding the lock the
// loop needed) never hang, and leave the share at 1.
func TestGovernorChurn(t *testing.T) {
	g := NewGovernor()
	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := range 40 {
					m := g.Join()
					m.Observe(10 * HighLate)
					time.Sleep(time.Duration(w*7+i%5) * 5 * time.Millisecond)
					m.Leave()
				}
			})
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("join and leave hung")
	}
	if n, s := g.Sessions(), g.Share(); n != 0 || s != 1 {
		t.Fatalf("after the churn: %d sessions, share %.2f; want 0 and 1", n, s)
	}
}
