package server

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// ClientLimits bound what one client may ask of the signalling routes. A
// client is a remote address (Address). The root package applies the
// defaults; here a zero or negative OffersPerMinute or Tickets means no
// limit.
type ClientLimits struct {
	// OffersPerMinute and Burst make a token bucket per client: every
	// offer without a ticket and every new place in the waiting line
	// takes a token. Past it: 429 rate_limited with Retry-After.
	OffersPerMinute int
	Burst           int
	// Tickets caps the places one client holds in the waiting line at
	// once (429 too_many_tickets past it).
	Tickets int
	// Address names the client a request comes from; nil means
	// ClientAddress.
	Address func(r *http.Request) string
}

// ClientAddress is the default client of a request: its remote IP
// address, or for IPv6 its /64 prefix (one subscriber's usual share, so
// rotating through it buys nothing).
func ClientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return clip(host, 64)
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// clientOf is the limits' name for r's client.
func (s *Stream) clientOf(r *http.Request) string {
	if f := s.cfg.Clients.Address; f != nil {
		return clip(f(r), 128)
	}
	return ClientAddress(r)
}

// maxClients bounds the rate table's memory: at about 100 bytes an entry,
// under 2 MB however many addresses a flood comes from.
const maxClients = 16384

// rateTable is one token bucket per client. An entry whose bucket has
// refilled is the same as no entry, so it is dropped; a full table drops
// those first, then arbitrary ones (which only forgives their owners).
type rateTable struct {
	perSec, burst float64 // perSec <= 0: no limit

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was counted
}

func newRateTable(l ClientLimits) *rateTable {
	t := &rateTable{buckets: map[string]*bucket{}}
	if l.OffersPerMinute > 0 {
		t.perSec = float64(l.OffersPerMinute) / 60
		t.burst = float64(max(l.Burst, 1))
	}
	return t
}

// take takes a token from client's bucket. When there is none it returns
// false and how long until there is one.
func (t *rateTable) take(client string, now time.Time) (ok bool, retry time.Duration) {
	if t.perSec <= 0 {
		return true, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if now.Sub(t.lastSweep) > time.Minute || len(t.buckets) >= maxClients {
		t.sweep(now)
	}
	b := t.buckets[client]
	if b == nil {
		b = &bucket{tokens: t.burst, at: now}
		t.buckets[client] = b
	}
	b.tokens = math.Min(t.burst, b.tokens+now.Sub(b.at).Seconds()*t.perSec)
	b.at = now
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / t.perSec * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

// sweep drops the buckets that have refilled and, when the table is still
// full, arbitrary ones down to three quarters of it. t.mu must be held.
func (t *rateTable) sweep(now time.Time) {
	t.lastSweep = now
	for k, b := range t.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*t.perSec >= t.burst {
			delete(t.buckets, k)
		}
	}
	for k := range t.buckets {
		if len(t.buckets) < maxClients*3/4 {
			break
		}
		delete(t.buckets, k)
	}
}

// size is the number of clients the table holds (tests).
func (t *rateTable) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.buckets)
}

// clip bounds a string that came from a client before it is logged or
// echoed in a reply.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
