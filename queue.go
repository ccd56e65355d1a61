package rtcstream

import (
	"github.com/rtcstream/rtcstream/internal/httpjson"
	"net/http"
	"slices"
	"time"
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
// ticket gets a slot only when nobody is waiting (else 503, as before).
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
	if s.opts.MaxSessions <= 0 {
		for _, t := range s.queue {
			t.ready, t.readyAt = true, now
		}
		return
	}
	free := s.opts.MaxSessions - len(s.byToken)
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

// reportWaiting tells the Observer how the waiting line changed since it
// was last told. s.mu must be held.
func (s *Stream) reportWaiting() {
	n := s.waitingLocked()
	if o := s.opts.Observer; o != nil && n != s.reported {
		o.LineChanged(n - s.reported)
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

func (s *Stream) handleQueue(w http.ResponseWriter, r *http.Request) {
	req, aerr := s.readRequest(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		writeError(w, &apiError{http.StatusServiceUnavailable, "shutting_down", "The server is shutting down."})
		return
	}
	s.promote(now)
	var t *ticket
	if req.Ticket != "" {
		i := slices.IndexFunc(s.queue, func(t *ticket) bool { return t.id == req.Ticket })
		if i < 0 {
			writeError(w, &apiError{http.StatusNotFound, "unknown_ticket", "This place in line has expired; join the line again."})
			return
		}
		t = s.queue[i]
	} else {
		t = &ticket{id: newToken(), lastSeen: now}
		s.queue = append(s.queue, t)
		s.promote(now)
	}
	t.lastSeen = now
	httpjson.Write(w, http.StatusOK, s.queueStatus(t))
}

// admit decides whether an offer may start a session, consuming its
// ticket. s.mu must be held.
func (s *Stream) admit(ticketID string, now time.Time) *apiError {
	s.promote(now)
	if ticketID != "" {
		i := slices.IndexFunc(s.queue, func(t *ticket) bool { return t.id == ticketID })
		switch {
		case i < 0:
			return &apiError{http.StatusNotFound, "unknown_ticket", "This place in line has expired; join the line again."}
		case !s.queue[i].ready:
			return &apiError{http.StatusConflict, "not_your_turn", "This ticket is still waiting in line."}
		}
		s.queue = slices.Delete(s.queue, i, i+1)
		return nil
	}
	if s.opts.MaxSessions <= 0 {
		return nil
	}
	reserved := 0
	for _, t := range s.queue {
		if t.ready {
			reserved++
		}
	}
	if len(s.queue) > 0 || len(s.byToken)+reserved >= s.opts.MaxSessions {
		return &apiError{http.StatusServiceUnavailable, "too_many_sessions", busyMessage(s.opts.MaxSessions)}
	}
	return nil
}
