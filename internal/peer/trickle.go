package peer

import (
	"context"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// DefaultAnswerWait is how long an answer waits for the server's
// candidates when AnswerOptions.AnswerWait is zero: host candidates (and
// the shared ports') come within it; a STUN or TURN server's come later,
// by trickle (LateCandidates).
const DefaultAnswerWait = 200 * time.Millisecond

// late holds the local candidates gathered after an answer went out, for
// the client to fetch (LateCandidates). Each answer (the first, and each
// ICE restart's) starts a new generation.
type late struct {
	mu       sync.Mutex
	answered bool // the answer is out: later candidates are kept here
	done     bool // gathering is complete
	cands    []webrtc.ICECandidateInit
	changed  chan struct{} // closed and replaced on every change
}

// onLocalCandidate is the peer connection's OnICECandidate.
func (c *Conn) onLocalCandidate(cand *webrtc.ICECandidate) {
	l := &c.late
	l.mu.Lock()
	defer l.mu.Unlock()
	if cand == nil {
		l.done = true
	} else if l.answered {
		l.cands = append(l.cands, cand.ToJSON())
	} else {
		return // in the answer
	}
	l.signal()
}

func (l *late) signal() {
	if l.changed != nil {
		close(l.changed)
	}
	l.changed = make(chan struct{})
}

// beginGathering starts a generation, before SetLocalDescription.
func (c *Conn) beginGathering() {
	l := &c.late
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answered, l.done, l.cands = false, false, nil
	l.signal()
}

// answerSDP waits for gathering up to the answer wait and returns the local description with the candidates so
// far; those gathered after it are kept for LateCandidates. more reports
// whether gathering was still going on.
func (c *Conn) answerSDP(ctx context.Context, gathered <-chan struct{}) (sdp string, more bool, err error) {
	wait := c.opts.AnswerWait
	if wait <= 0 {
		wait = DefaultAnswerWait
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-gathered:
	case <-t.C:
	case <-ctx.Done():
		return "", false, ctx.Err()
	}
	l := &c.late
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answered = true
	if c.pc.ICEGatheringState() == webrtc.ICEGatheringStateComplete {
		l.done = true
	}
	return c.pc.LocalDescription().SDP, !l.done, nil
}

// LateCandidates returns the local candidates gathered after the current
// answer, from index from on, waiting until there is one, gathering is
// done, or ctx ends. next is the index to ask from next; done reports
// that no more will come for this answer.
func (c *Conn) LateCandidates(ctx context.Context, from int) (cands []webrtc.ICECandidateInit, next int, done bool) {
	l := &c.late
	for {
		l.mu.Lock()
		from = min(max(from, 0), len(l.cands))
		cands, done, changed := l.cands[from:], l.done, l.changed
		l.mu.Unlock()
		if len(cands) > 0 || done {
			return cands, from + len(cands), done
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, from, false
		case <-c.done:
			return nil, from, true
		}
	}
}
