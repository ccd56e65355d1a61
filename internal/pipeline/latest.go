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
}

// latest is a one-frame mailbox between the decoder and the handler. Put
// replaces whatever frame is waiting, so a slow handler always gets the
// newest frame and never a backlog: latency stays bounded by one handler
// call instead of growing with a queue. Replaced frames go back to the
// free list, so a steady stream allocates nothing.
type latest struct {
	mu      sync.Mutex
	frame   *pooledFrame
	free    []*pooledFrame
	ready   chan struct{} // holds a token while frame != nil
	dropped uint64        // frames replaced before the handler saw them
	obs     Observer
}

func newLatest(obs Observer) *latest {
	return &latest{ready: make(chan struct{}, 1), obs: obs}
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

// put makes f the frame the handler gets next.
func (l *latest) put(f *pooledFrame) {
	l.mu.Lock()
	old := l.frame
	l.frame = f
	if old != nil {
		l.free = append(l.free, old)
		l.dropped++
	}
	l.mu.Unlock()
	if old != nil {
		l.obs.Drop(DropStale)
	}
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

// take waits for a frame. It returns nil when ctx ends.
func (l *latest) take(ctx context.Context) *pooledFrame {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.ready:
		}
		l.mu.Lock()
		f := l.frame
		l.frame = nil
		l.mu.Unlock()
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
