package client

import (
	"context"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// gatherWait bounds how long an offer waits for local candidates: those
// gathered by then go in the offer, later ones (a TURN server's relay
// candidate, slow to come, or never where UDP is blocked) are trickled to
// the server once it has answered, as a browser does.
const gatherWait = 250 * time.Millisecond

// trickle holds and sends the candidates gathered after an offer went out.
type trickle struct {
	mu       sync.Mutex
	offered  bool // the offer is out: later candidates are trickled
	answered bool // the server answered it: trickle now, not later
	closed   bool
	pending  []webrtc.ICECandidateInit
	ctx      context.Context
	cancel   context.CancelFunc
	answers  int // counts answers: a newer one ends the older's poll of the server's candidates
}

// onCandidate is the peer connection's OnICECandidate.
func (c *Conn) onCandidate(cand *webrtc.ICECandidate) {
	if cand == nil {
		return // end of candidates: the server needs no word of it
	}
	init := cand.ToJSON()
	t := &c.trickle
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case t.closed || !t.offered: // before the offer: it is in the offer
	case !t.answered:
		t.pending = append(t.pending, init)
	default:
		c.sendCandidates([]webrtc.ICECandidateInit{init})
	}
}

// offerSDP waits for gathering up to gatherWait and returns the local
// description's SDP with the candidates gathered so far; those gathered
// after it wait for answered.
func (c *Conn) offerSDP(ctx context.Context, gathered <-chan struct{}) (string, error) {
	timer := time.NewTimer(gatherWait)
	defer timer.Stop()
	select {
	case <-gathered:
	case <-timer.C:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	t := &c.trickle
	t.mu.Lock()
	defer t.mu.Unlock()
	t.offered, t.answered, t.pending = true, false, nil
	return c.pc.LocalDescription().SDP, nil
}

// answered sends the candidates held for the answer, and those to come.
func (c *Conn) answered() {
	t := &c.trickle
	t.mu.Lock()
	defer t.mu.Unlock()
	t.answered = true
	if len(t.pending) > 0 && !t.closed {
		c.sendCandidates(t.pending)
	}
	t.pending = nil
}

// sendCandidates posts cands to the server, in order, in the background;
// c.trickle.mu is held. A candidate the server refuses is dropped: the
// others may still connect.
func (c *Conn) sendCandidates(cands []webrtc.ICECandidateInit) {
	t := &c.trickle
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		for _, cand := range cands {
			ctx, cancel := context.WithTimeout(t.ctx, 5*time.Second)
			if c.whip != nil {
				_ = c.whip.trickle(ctx, c, cand)
			} else {
				_ = c.post(ctx, "offer", map[string]any{
					"type": "ice-candidate", "candidate": cand, "webrtc_id": c.id, "token": c.token,
				}, nil)
			}
			cancel()
		}
	}()
}

// stopTrickle ends the sends, before shutdown waits for them.
func (c *Conn) stopTrickle() {
	t := &c.trickle
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.cancel()
}

// serverCandidates adds the server's candidates gathered after its answer
// (a STUN or TURN server's), fetched in the background until it has no
// more or a newer answer (an ICE restart's) replaces this one. pending is
// the answer's candidates_pending.
func (c *Conn) serverCandidates(pending bool) {
	t := &c.trickle
	t.mu.Lock()
	defer t.mu.Unlock()
	t.answers++
	gen := t.answers
	if !pending || t.closed {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		from := 0
		for range 12 { // each request waits up to 10 s at the server
			var reply struct {
				Candidates []webrtc.ICECandidateInit `json:"candidates"`
				Next       int                       `json:"next"`
				Done       bool                      `json:"done"`
			}
			ctx, cancel := context.WithTimeout(t.ctx, 15*time.Second)
			err := c.post(ctx, "offer", map[string]any{
				"type": "server-candidates", "webrtc_id": c.id, "token": c.token, "from": from,
			}, &reply)
			cancel()
			if err != nil {
				return // the session ended, or the network: the checks go on with what there is
			}
			t.mu.Lock()
			stale := gen != t.answers || t.closed
			t.mu.Unlock()
			if stale {
				return
			}
			for _, cand := range reply.Candidates {
				_ = c.pc.AddICECandidate(cand)
			}
			from = reply.Next
			if reply.Done {
				return
			}
		}
	}()
}
