package turnserver

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/turn/v5"
)

// idleRelays makes UDP relays as pion's static generator does, and closes
// any that carried nothing either way for idle: pion then deletes its
// allocation. A live connection's relay carries its ICE consent checks
// every few seconds (RFC 7675: a connection without them for 30 s is
// dead), so an idle relay belongs to a client that left without saying
// so: a browser that crashed or lost its network, or one whose release
// was lost, whose allocation would otherwise hold its place in MaxTotal
// and MaxPerCredential for the allocation's lifetime (10 minutes,
// refreshed by nobody).
type idleRelays struct {
	turn.RelayAddressGeneratorStatic
	idle time.Duration

	mu     sync.Mutex
	open   map[*watchedConn]struct{}
	done   chan struct{}
	closed bool
}

func newIdleRelays(static turn.RelayAddressGeneratorStatic, idle time.Duration) *idleRelays {
	r := &idleRelays{RelayAddressGeneratorStatic: static, idle: idle,
		open: map[*watchedConn]struct{}{}, done: make(chan struct{})}
	go r.reap()
	return r
}

// AllocatePacketConn makes a relay that reports its traffic.
func (r *idleRelays) AllocatePacketConn(conf turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	conn, addr, err := r.RelayAddressGeneratorStatic.AllocatePacketConn(conf)
	if err != nil {
		return nil, nil, err
	}
	w := &watchedConn{PacketConn: conn, r: r}
	w.touch()
	r.mu.Lock()
	r.open[w] = struct{}{}
	r.mu.Unlock()
	return w, addr, nil
}

// reap closes the idle relays, checking a few times per idle period,
// until stop.
func (r *idleRelays) reap() {
	tick := time.NewTicker(max(r.idle/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-r.done:
			return
		case now := <-tick.C:
			var idle []*watchedConn
			r.mu.Lock()
			for w := range r.open {
				if now.Sub(time.Unix(0, w.last.Load())) >= r.idle {
					idle = append(idle, w)
				}
			}
			r.mu.Unlock()
			for _, w := range idle {
				_ = w.Close() // pion's read loop fails and deletes the allocation
			}
		}
	}
}

func (r *idleRelays) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.closed {
		r.closed = true
		close(r.done)
	}
}

// watchedConn is a relay's socket that records when it last carried a
// packet.
type watchedConn struct {
	net.PacketConn
	r    *idleRelays
	last atomic.Int64 // Unix nanoseconds
}

func (w *watchedConn) touch() { w.last.Store(time.Now().UnixNano()) }

func (w *watchedConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, addr, err := w.PacketConn.ReadFrom(p)
	if err == nil {
		w.touch()
	}
	return n, addr, err
}

func (w *watchedConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	w.touch()
	return w.PacketConn.WriteTo(p, addr)
}

func (w *watchedConn) Close() error {
	w.r.mu.Lock()
	delete(w.r.open, w)
	w.r.mu.Unlock()
	return w.PacketConn.Close()
}
