package impair

import (
	"container/heap"
	"sync"
	"time"
)

// delayLine writes datagrams when they fall due, in the order of their due
// times and, for equal times, the order they came in: without jitter a
// relay keeps the order it was given, as a real path does (a timer per
// datagram would let datagrams due together overtake one another).
type delayLine struct {
	mu     sync.Mutex
	due    dueHeap
	n      uint64        // datagrams queued, for the order of equal due times
	wake   chan struct{} // a datagram came due sooner than the line slept for
	closed bool
}

type dueDatagram struct {
	at    time.Time
	n     uint64
	b     []byte
	write func([]byte)
}

type dueHeap []dueDatagram

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].n < h[j].n
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(dueDatagram)) }
func (h *dueHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func newDelayLine() *delayLine { return &delayLine{wake: make(chan struct{}, 1)} }

// add queues b to be written at at.
func (l *delayLine) add(at time.Time, b []byte, write func([]byte)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.n++
	heap.Push(&l.due, dueDatagram{at: at, n: l.n, b: b, write: write})
	if l.due[0].n == l.n { // the new one is the next due
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// close stops the line; what is queued is dropped.
func (l *delayLine) close() {
	l.mu.Lock()
	l.closed = true
	l.due = nil
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run writes datagrams as they fall due until close.
func (l *delayLine) run() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return
		}
		var next dueDatagram
		wait := time.Hour
		if len(l.due) > 0 {
			if wait = time.Until(l.due[0].at); wait <= 0 {
				next = heap.Pop(&l.due).(dueDatagram)
			}
		}
		l.mu.Unlock()
		if next.write != nil {
			next.write(next.b)
			continue
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-l.wake:
		}
	}
}
