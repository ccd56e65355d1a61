package pipeline

import (
	"context"
	"image"
	"sync"
	"time"
)

// pooledFrame is a decoded frame buffer that circulates between the
// decoder, the latest-frame slot and the handler.
type pooledFrame struct {
	img   *image.YCbCr
	rtp   uint32        // RTP timestamp of the input frame
	pts   time.Duration // time since the session's first frame
	at    time.Time     // when the frame finished decoding
	start time.Time     // when its first packet arrived
	held  bool          // released after a missing packet (Frame.Held)
	lag   time.Duration // how long it waited to be read (readLag)
}

const (
	// burstGap: a held frame (Frame.Held) decoded this soon after the
	// held frame waiting came in the same burst, the frames a
	// retransmission released together, not because the handler fell
	// behind the camera.
	burstGap = 10 * time.Millisecond
	// burstFrames caps the frames a burst may leave waiting.
	burstFrames = 4
	// burstWait is the longest a frame of a burst waits for the handler
	// while newer ones wait behind it; a handler slower than that gets
	// the newest instead.
	burstWait = 50 * time.Millisecond
)

// latest is the mailbox between the decoder and the handler. A frame put
// while another waits replaces it, so a slow handler always gets the
// newest frame and never a backlog: latency stays bounded by one handler
// call instead of growing with a queue. The exception is a burst: frames
// the assembler held behind a missing packet (Frame.Held), released at
// once by its retransmission and decoded within burstGap of each other,
// wait together, up to burstFrames, and the handler gets them in order as
// long as none has waited burstWait; on a lossy link this keeps frames a
// fast handler has time for. Frames that bunch up for any other reason (a
// CPU-starved server reading its socket late) replace one another as
// always: handling them all would only add to the load. Replaced frames go back to the free list, so a steady stream
// allocates nothing.
type latest struct {
	mu      sync.Mutex
	frames  []*pooledFrame // waiting, oldest first
	free    []*pooledFrame
	ready   chan struct{} // holds a token while frames are waiting
	dropped uint64        // frames replaced before the handler saw them
	obs     Observer
}

func newLatest(obs Observer) *latest {
	return &latest{ready: make(chan struct{}, 1), obs: obs, frames: make([]*pooledFrame, 0, burstFrames)}
}

// get returns a free frame buffer to decode into; its img may be nil or of
// another size, which the decoder handles.
func (l *latest) get() *pooledFrame {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		f := l.free[n-1]
		l.free = l.free[:n-1]
		return f
	}
	return &pooledFrame{}
}

// release returns a frame buffer to the free list.
func (l *latest) release(f *pooledFrame) {
	l.mu.Lock()
	l.free = append(l.free, f)
	l.mu.Unlock()
}

// put makes f the frame the handler gets next, after the frames of its
// burst.
func (l *latest) put(f *pooledFrame) {
	l.mu.Lock()
	dropped := 0
	if n := len(l.frames); n > 0 {
		last := l.frames[n-1]
		burst := f.held && last.held && f.at.Sub(last.at) <= burstGap
		switch {
		case !burst:
			dropped = l.drop(n) // replace every waiting frame
		case n == burstFrames:
			dropped = l.drop(1) // a burst, full: drop its oldest
		}
	}
	l.frames = append(l.frames, f)
	l.mu.Unlock()
	for range dropped {
		l.obs.Drop(DropStale)
	}
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

// drop frees the k oldest waiting frames. l.mu must be held.
func (l *latest) drop(k int) int {
	l.free = append(l.free, l.frames[:k]...)
	l.frames = append(l.frames[:0], l.frames[k:]...)
	l.dropped += uint64(k)
	return k
}

// take waits for a frame: the oldest waiting, unless it has waited
// burstWait and a newer one waits behind it. It returns nil when ctx ends
// or stop is closed.
func (l *latest) take(ctx context.Context, stop <-chan struct{}) *pooledFrame {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-stop:
			return nil
		case <-l.ready:
		}
		now := time.Now()
		l.mu.Lock()
		stale := 0
		for stale < len(l.frames)-1 && now.Sub(l.frames[stale].at) > burstWait {
			stale++
		}
		dropped := l.drop(stale)
		var f *pooledFrame
		if len(l.frames) > 0 {
			f = l.frames[0]
			l.frames = append(l.frames[:0], l.frames[1:]...)
		}
		more := len(l.frames) > 0
		l.mu.Unlock()
		for range dropped {
			l.obs.Drop(DropStale)
		}
		if more {
			select {
			case l.ready <- struct{}{}:
			default:
			}
		}
		if f != nil {
			return f
		}
	}
}

func (l *latest) droppedCount() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}
