// Package impair is a test-only network impairment for rtcstream: a UDP
// relay that drops, delays, jitters and so reorders datagrams, and an HTTP
// proxy for the signalling routes that sends a session's media through
// such a relay. Tests and `rtcstream bench` use it on loopback to measure
// what loss and delay do to a stream; netem is not available everywhere,
// and this runs inside a test's own network namespace.
package impair

import (
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Config is an impairment, applied to each direction on its own.
type Config struct {
	// Loss is the probability, 0 to 1, that a datagram is dropped.
	Loss float64
	// Delay is added to every datagram (one way; the round trip gains
	// twice it).
	Delay time.Duration
	// Jitter adds a further delay drawn uniformly from [0, Jitter) to
	// each datagram; datagrams overtake one another when it exceeds their
	// spacing.
	Jitter time.Duration
	// Seed makes the drops and delays repeatable; 0 picks one.
	Seed uint64
	// Drop, when set, is asked about each datagram before the random
	// loss (up: from the client to the server) and drops those it
	// reports true for: a test's chosen losses, such as a packet and its
	// first retransmission. It is called from the relay's reading
	// goroutines, one per direction and client.
	Drop func(up bool, datagram []byte) bool
}

// Stats count a relay's datagrams, both directions together.
type Stats struct {
	Forwarded, Dropped uint64
}

// Relay forwards datagrams between clients and one target address through
// the impairment: a client sends to Addr, the target sees each client as
// a port of the relay's own.
type Relay struct {
	cfg    Config
	target *net.UDPAddr
	conn   *net.UDPConn // client-facing

	mu     sync.Mutex
	rng    *rand.Rand
	peers  map[string]*net.UDPConn // client address -> its target-facing socket
	line   *delayLine
	closed bool
	wg     sync.WaitGroup

	forwarded, dropped atomic.Uint64
}

// NewRelay listens on a loopback port and relays to target.
func NewRelay(target *net.UDPAddr, cfg Config) (*Relay, error) {
	if cfg.Loss < 0 || cfg.Loss > 1 || cfg.Delay < 0 || cfg.Jitter < 0 {
		return nil, errors.New("impair: loss is a probability, delay and jitter are not negative")
	}
	ip := net.IPv4(127, 0, 0, 1)
	if target.IP.To4() == nil {
		ip = net.IPv6loopback
	}
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip})
	if err != nil {
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	r := &Relay{cfg: cfg, target: target, conn: conn, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		peers: map[string]*net.UDPConn{}, line: newDelayLine()}
	r.wg.Go(r.fromClients)
	r.wg.Go(r.line.run)
	return r, nil
}

// Addr is where clients send.
func (r *Relay) Addr() *net.UDPAddr { return r.conn.LocalAddr().(*net.UDPAddr) }

// Stats returns the counts so far.
func (r *Relay) Stats() Stats {
	return Stats{Forwarded: r.forwarded.Load(), Dropped: r.dropped.Load()}
}

// Close stops relaying and waits for the relay's goroutines.
func (r *Relay) Close() error {
	r.mu.Lock()
	r.closed = true
	for _, c := range r.peers {
		c.Close()
	}
	r.mu.Unlock()
	err := r.conn.Close()
	r.line.close()
	r.wg.Wait()
	return err
}

// fromClients reads what clients send and relays it to the target.
func (r *Relay) fromClients() {
	buf := make([]byte, 64<<10)
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		up := r.peer(from)
		if up == nil {
			return
		}
		r.send(true, buf[:n], func(b []byte) { _, _ = up.WriteToUDP(b, r.target) })
	}
}

// peer returns client's target-facing socket, made on its first datagram.
func (r *Relay) peer(client *net.UDPAddr) *net.UDPConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	if c := r.peers[client.String()]; c != nil {
		return c
	}
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: r.Addr().IP})
	if err != nil {
		return nil
	}
	r.peers[client.String()] = c
	r.wg.Go(func() {
		buf := make([]byte, 64<<10)
		for {
			n, _, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			r.send(false, buf[:n], func(b []byte) { _, _ = r.conn.WriteToUDP(b, client) })
		}
	})
	return c
}

// send applies the impairment to one datagram: drops it, or writes a copy
// after its delay.
func (r *Relay) send(up bool, b []byte, write func([]byte)) {
	if r.cfg.Drop != nil && r.cfg.Drop(up, b) {
		r.dropped.Add(1)
		return
	}
	r.mu.Lock()
	drop := r.rng.Float64() < r.cfg.Loss
	d := r.cfg.Delay
	if r.cfg.Jitter > 0 {
		d += time.Duration(r.rng.Int64N(int64(r.cfg.Jitter)))
	}
	r.mu.Unlock()
	if drop {
		r.dropped.Add(1)
		return
	}
	r.forwarded.Add(1)
	if d <= 0 {
		write(b)
		return
	}
	r.line.add(time.Now().Add(d), append([]byte(nil), b...), write)
}
