package server

import (
	"net/http"
	"slices"
	"time"

	"github.com/rtcstream/rtcstream/internal/httpjson"
)

// The waiting line for a Stream at its session limit. fastrtc turns users
// away with "come back later"; rtcstream lets them wait their turn:
//
//	POST /webrtc/queue {"webrtc_id"}  -> 200 {"status": "waiting", "ticket", "position": 3}
//	POST /webrtc/queue {"ticket"}     -> the same, polled about once a second
//	                                  -> 200 {"status": "ready", "ticket", "position": 0}
//	POST /webrtc/offer {..., "ticket"} starts the session on the reserved slot.
//
// A waiting ticket not polled for ticketStale is dropped, and a ready
// ticket not used within reservationTTL gives its slot to the next in line,
// so a closed tab never holds the line up for long. An offer without a
// ticket gets a slot when one is free beyond those reserved for ready
// tickets (else 503 with Retry-After). Joining takes a token from the
// client's rate (limits.go), and one client holds at most
// ClientLimits.Tickets places at once (429 too_many_tickets): a client
// polling a few tickets cannot hold the line, nor every free slot.
const (
	ticketStale    = 5 * time.Second
	reservationTTL = 10 * time.Second
)

// busyMessage tells a person why their stream did not start. Clients that
// can wait use the queue route instead of seeing it.
func busyMessage(limit int) string {
	if limit == 1 {
		return "The server is busy: its one stream is in use. Try again shortly."
	}
	return "The server is busy: all " + itoa(limit) + " of its streams are in use. Try again shortly."
}

type ticket struct {
	id       string
	client   string // who joined (ClientLimits)
	ready    bool
	readyAt  time.Time
	lastSeen time.Time
}

type queueReply struct {
	Status   string `json:"status"` // "waiting" or "ready"
	Ticket   string `json:"ticket"`
	Position int    `json:"position"` // 1 is next; 0 when ready
}

// promote drops stale tickets and hands free slots to the head of the line.
// s.mu must be held.
func (s *Stream) promote(now time.Time) {
	s.queue = slices.DeleteFunc(s.queue, func(t *ticket) bool {
		if t.ready {
			return now.Sub(t.readyAt) > reservationTTL
		}
		return now.Sub(t.lastSeen) > ticketStale
	})
	defer s.reportWaiting()
	if s.cfg.ConcurrencyLimit <= 0 {
		for _, t := range s.queue {
			t.ready, t.readyAt = true, now
		}
		return
	}
	free := s.cfg.ConcurrencyLimit - len(s.byToken)
	for _, t := range s.queue {
		if t.ready {
			free--
		}
	}
	for _, t := range s.queue {
		if free <= 0 {
			break
		}
		if !t.ready {
			t.ready, t.readyAt = true, now
			free--
		}
	}
}

// waitingLocked counts the tickets not yet ready. s.mu must be held.
func (s *Stream) waitingLocked() int {
	n := 0
	for _, t := range s.queue {
		if !t.ready {
			n++
		}
	}
	return n
}

// reportWaiting tells the Observer how the waiting line changed since it
// was last told. s.mu must be held.
func (s *Stream) reportWaiting() {
	n := s.waitingLocked()
	if n != s.reported {
		s.obs.lineChanged(n - s.reported)
	}
	s.reported = n
}

// queueStatus reports t's place. s.mu must be held.
func (s *Stream) queueStatus(t *ticket) queueReply {
	if t.ready {
		return queueReply{Status: "ready", Ticket: t.id}
	}
	pos := 0
	for _, o := range s.queue {
		if !o.ready {
			pos++
		}
		if o == t {
			break
		}
	}
	return queueReply{Status: "waiting", Ticket: t.id, Position: pos}
}

func (s *Stream) handleQueue(w http.ResponseWriter, r *http.Request, c *caller) {
	req, aerr := s.readRequest(w, r)
	if aerr == nil {
		var reply queueReply
		if reply, aerr = s.queueRequest(req, c, time.Now()); aerr == nil {
			httpjson.Write(w, http.StatusOK, reply)
			return
		}
	}
	writeError(w, aerr)
}

// queueRequest joins the line, or polls a place in it.
func (s *Stream) queueRequest(req *signalRequest, c *caller, now time.Time) (queueReply, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return queueReply{}, refuse(http.StatusServiceUnavailable, "shutting_down", "The server is shutting down.")
	}
	s.promote(now)
	var t *ticket
	if req.Ticket != "" {
		i := slices.IndexFunc(s.queue, func(t *ticket) bool { return t.id == req.Ticket })
		if i < 0 {
			return queueReply{}, refuse(http.StatusNotFound, "unknown_ticket", "This place in line has expired; join the line again.")
		}
		t = s.queue[i]
	} else {
		if limit := s.cfg.Clients.Tickets; limit > 0 {
			held := 0
			for _, t := range s.queue {
				if t.client == c.client {
					held++
				}
			}
			if held >= limit {
				return queueReply{}, refuse(http.StatusTooManyRequests, "too_many_tickets",
					"Your address already holds "+itoa(held)+" places in line; use one of them.")
			}
		}
		if ok, retry := s.access.rates.take(c.client, now); !ok {
			return queueReply{}, rateLimited(retry)
		}
		t = &ticket{id: newToken(), client: c.client, lastSeen: now}
		s.queue = append(s.queue, t)
		s.promote(now)
	}
	t.lastSeen = now
	return s.queueStatus(t), nil
}

// admit decides whether an offer may start a session, consuming its
// ticket. s.mu must be held.
func (s *Stream) admit(ticketID string, now time.Time) *apiError {
	s.promote(now)
	if ticketID != "" {
		i := slices.IndexFunc(s.queue, func(t *ticket) bool { return t.id == ticketID })
		switch {
		case i < 0:
			return refuse(http.StatusNotFound, "unknown_ticket", "This place in line has expired; join the line again.")
		case !s.queue[i].ready:
			return refuse(http.StatusConflict, "not_your_turn", "This ticket is still waiting in line.")
		}
		s.queue = slices.Delete(s.queue, i, i+1)
		return nil
	}
	if s.cfg.ConcurrencyLimit <= 0 {
		return nil
	}
	// promote has handed every free slot to the line first: a slot left
	// beyond the ready tickets' is nobody's, so a fresh offer takes it
	// even while tickets (held by whoever) are out.
	reserved := 0
	for _, t := range s.queue {
		if t.ready {
			reserved++
		}
	}
	if len(s.byToken)+reserved >= s.cfg.ConcurrencyLimit {
		return refuse(http.StatusServiceUnavailable, "too_many_sessions", busyMessage(s.cfg.ConcurrencyLimit))
	}
	return nil
}
