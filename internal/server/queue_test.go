package server

import (
	"net/http"
	"testing"
	"time"
)

// holdSlot fills one of s's slots with a session that never ran (and
// that Close ends at once).
func holdSlot(s *Stream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	done := make(chan struct{})
	close(done)
	ss := &Session{token: newToken(), cancel: func() {}, done: done}
	s.byToken[ss.token] = ss
}

// admitFresh is admit for an offer without a ticket.
func admitFresh(s *Stream, now time.Time) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.admit("", now)
}

func join(t *testing.T, s *Stream, client string, now time.Time) (queueReply, *apiError) {
	t.Helper()
	return s.queueRequest(&signalRequest{}, &caller{client: client}, now)
}

// A client holding places in line cannot keep fresh offers out while
// slots are free, nor hold more places than ClientLimits.Tickets.
func TestLineCannotBeHeld(t *testing.T) {
	s := newTestStream(t, Config{ConcurrencyLimit: 4, Clients: ClientLimits{Tickets: 2}})
	now := time.Now()
	for i := range 2 {
		r, aerr := join(t, s, "hog", now)
		if aerr != nil || r.Status != "ready" {
			t.Fatalf("join %d: %+v %v", i, r, aerr)
		}
	}
	if _, aerr := join(t, s, "hog", now); aerr == nil || aerr.status != http.StatusTooManyRequests || aerr.code != "too_many_tickets" {
		t.Fatalf("third place: %v, want 429 too_many_tickets", aerr)
	}
	// Two slots are reserved, two are free: fresh offers take them.
	for i := range 2 {
		if aerr := admitFresh(s, now); aerr != nil {
			t.Fatalf("fresh offer %d with free slots: %v", i, aerr)
		}
		holdSlot(s)
	}
	if aerr := admitFresh(s, now); aerr == nil || aerr.code != "too_many_sessions" {
		t.Fatalf("fresh offer with every slot taken or reserved: %v, want too_many_sessions", aerr)
	}
	// Another client still gets a place, and waits.
	if r, aerr := join(t, s, "other", now); aerr != nil || r.Status != "waiting" || r.Position != 1 {
		t.Fatalf("another client's place: %+v %v", r, aerr)
	}
	// The hog's reservations lapse; a slot goes to the one waiting, who
	// polls meanwhile.
	ticket := s.queue[len(s.queue)-1].id
	var r queueReply
	var aerr *apiError
	for at := time.Duration(0); at <= reservationTTL+ticketStale/2; at += ticketStale / 2 {
		if r, aerr = s.queueRequest(&signalRequest{Ticket: ticket}, &caller{client: "other"}, now.Add(at)); aerr != nil {
			t.Fatalf("poll at %v: %v", at, aerr)
		}
	}
	if r.Status != "ready" {
		t.Fatalf("the waiting client after the reservations lapsed: %+v", r)
	}
	// With no cap on tickets, places are not counted.
	free := newTestStream(t, Config{ConcurrencyLimit: 1})
	for i := range 10 {
		if _, aerr := join(t, free, "any", now); aerr != nil {
			t.Fatalf("join %d without a ticket cap: %v", i, aerr)
		}
	}
}

func TestQueueJoinsAreRateLimited(t *testing.T) {
	s := newTestStream(t, Config{ConcurrencyLimit: 1, Clients: ClientLimits{OffersPerMinute: 60, Burst: 1, Tickets: 5}})
	now := time.Now()
	if _, aerr := join(t, s, "a", now); aerr != nil {
		t.Fatal(aerr)
	}
	_, aerr := join(t, s, "a", now)
	if aerr == nil || aerr.code != "rate_limited" || aerr.retryAfter <= 0 {
		t.Fatalf("second join at once: %v, want rate_limited with a retry", aerr)
	}
	if _, aerr := join(t, s, "b", now); aerr != nil {
		t.Fatalf("another client: %v", aerr)
	}
}
