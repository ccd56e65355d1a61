package pipeline

import (
	"context"
	"testing"
	"time"
)

// TestLatestKeepsABurstDropsABacklog: held frames decoded within burstGap
// of one another (a retransmission releasing the frames behind a lost
// packet) wait for the handler together, in order; frames bunched up for
// another reason do not; frames a camera's interval
// apart replace one another, so a slow handler gets the newest; and a
// burst that waited past burstWait gives way to its newest frame.
func TestLatestKeepsABurstDropsABacklog(t *testing.T) {
	ctx := context.Background()
	frame := func(rtp uint32, at time.Time) *pooledFrame { return &pooledFrame{rtp: rtp, at: at, held: true} }
	takeAll := func(l *latest) []uint32 {
		var got []uint32
		for {
			select {
			case <-l.ready:
				l.ready <- struct{}{} // take waits for the token; give it back
			default:
				return got
			}
			got = append(got, l.take(ctx, nil).rtp)
		}
	}

	now := time.Now()
	l := newLatest(nopObserver{})
	for i := range 3 { // a burst: 2 ms apart
		l.put(frame(uint32(i), now.Add(time.Duration(i)*2*time.Millisecond)))
	}
	if got := takeAll(l); len(got) != 3 || got[0] != 0 || got[2] != 2 || l.droppedCount() != 0 {
		t.Fatalf("a burst of 3: took %v, dropped %d; want all 3 in order", got, l.droppedCount())
	}

	l = newLatest(nopObserver{})
	for i := range 3 { // a camera's interval apart: the handler fell behind
		l.put(frame(uint32(i), now.Add(time.Duration(i)*33*time.Millisecond)))
	}
	if got := takeAll(l); len(got) != 1 || got[0] != 2 || l.droppedCount() != 2 {
		t.Fatalf("3 frames 33 ms apart: took %v, dropped %d; want the newest alone", got, l.droppedCount())
	}

	l = newLatest(nopObserver{})
	for i := range burstFrames + 2 { // a long burst keeps its newest burstFrames
		l.put(frame(uint32(i), now.Add(time.Duration(i)*time.Millisecond)))
	}
	if got := takeAll(l); len(got) != burstFrames || got[0] != 2 || l.droppedCount() != 2 {
		t.Fatalf("a burst of %d: took %v, dropped %d; want the newest %d", burstFrames+2, got, l.droppedCount(), burstFrames)
	}

	l = newLatest(nopObserver{})
	for i := range 3 { // bunched up, but not by a retransmission
		f := frame(uint32(i), now.Add(time.Duration(i)*time.Millisecond))
		f.held = false
		l.put(f)
	}
	if got := takeAll(l); len(got) != 1 || got[0] != 2 {
		t.Fatalf("3 frames 1 ms apart that no loss held: took %v; want the newest alone", got)
	}

	l = newLatest(nopObserver{})
	old := now.Add(-2 * burstWait) // a burst the handler was too slow for
	for i := range 3 {
		l.put(frame(uint32(i), old.Add(time.Duration(i)*time.Millisecond)))
	}
	if got := takeAll(l); len(got) != 1 || got[0] != 2 {
		t.Fatalf("a burst that waited %v: took %v; want its newest alone", 2*burstWait, got)
	}
}
