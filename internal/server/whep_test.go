package server

import (
	"sync/atomic"
	"testing"
	"time"
)

// Viewers' keyframe requests reach the source at most once per interval;
// one within it (a viewer joining just after another) is granted at the
// interval's end, once however many came, and not at all if every viewer
// has left by then.
func TestViewersKeyFrameRequests(t *testing.T) {
	var v viewers
	x := &viewer{}
	if !v.add(x, 4) {
		t.Fatal("add refused a first viewer")
	}
	var n atomic.Int32
	force := func() { n.Add(1) }
	start := time.Now()
	v.keyFrame(force)
	if n.Load() != 1 {
		t.Fatalf("%d keyframes asked for after the first request; want 1, at once", n.Load())
	}
	for range 5 {
		v.keyFrame(force) // within the interval: one deferred grant
	}
	deadline := time.Now().Add(5 * time.Second)
	for n.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	took := time.Since(start)
	if n.Load() != 2 || took < viewerKeyFrameInterval {
		t.Fatalf("%d keyframes asked for, the second after %v; want 2, the second at the interval's end (%v)", n.Load(), took, viewerKeyFrameInterval)
	}
	time.Sleep(viewerKeyFrameInterval + 100*time.Millisecond)
	if n.Load() != 2 {
		t.Errorf("%d keyframes asked for; want no more than 2 for six requests in one interval", n.Load())
	}

	// A request deferred while the last viewer leaves is dropped.
	v.keyFrame(force) // a new interval: at once (3)
	v.keyFrame(force) // deferred
	v.remove(x)
	time.Sleep(viewerKeyFrameInterval + 200*time.Millisecond)
	if n.Load() != 3 {
		t.Errorf("%d keyframes asked for; want 3: the deferred one dropped with no viewer left", n.Load())
	}
}
