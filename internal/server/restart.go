package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/rtcstream/rtcstream/internal/peer"
)

// restartInterval is the least time between two ICE restarts of one
// session: a client that restarts in a loop (a restart storm) is refused
// in between, with Retry-After.
const restartInterval = time.Second

// restart answers an ICE restart: an offer carrying a live session's
// token, from a client whose connection failed or whose network changed.
// The session, its handler and its clocks go on; only the path changes.
func (s *Stream) restart(ctx context.Context, req *signalRequest) (*answerReply, *apiError) {
	ss, aerr := s.lookup(req)
	if aerr != nil {
		return nil, aerr
	}
	conn := ss.conn.Load()
	if conn == nil {
		return nil, refuse(http.StatusConflict, "negotiating", "the session is still being set up; restart once it has connected")
	}
	// Claim the slot atomically: two restarts sent at once must not both
	// pass.
	now := time.Now().UnixNano()
	last := ss.lastRestart.Load()
	if wait := time.Duration(last) + restartInterval - time.Duration(now); last != 0 && wait > 0 || !ss.lastRestart.CompareAndSwap(last, now) {
		e := refuse(http.StatusTooManyRequests, "rate_limited", "the session restarted less than a second ago")
		e.retryAfter = max(wait, restartInterval/10)
		return nil, e
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.NegotiationTimeout)
	defer cancel()
	answer, err := conn.Restart(ctx, req.SDP)
	switch {
	case errors.Is(err, peer.ErrNotRestart):
		return nil, refuse(http.StatusBadRequest, "not_restart", "an offer for a running session must restart ICE (new ice-ufrag and ice-pwd)")
	case errors.Is(err, peer.ErrInvalidSDP):
		return nil, refuse(http.StatusBadRequest, "invalid_sdp", clip(err.Error(), 300))
	case err != nil:
		select {
		case <-conn.Done():
			return nil, refuse(http.StatusNotFound, "unknown_session", "the session ended before it could restart")
		default:
		}
		ss.log.Warn("ICE restart failed", "err", clip(err.Error(), 300))
		return nil, refuse(http.StatusInternalServerError, "negotiation_failed", clip(err.Error(), 300))
	}
	s.mu.Lock()
	s.trickled[ss] = 0 // the new path's candidates
	s.mu.Unlock()
	ss.log.Info("ICE restarted")
	return &answerReply{SDP: answer, Type: "answer", WebRTCID: ss.id, Token: ss.token, CandidatesPending: conn.Trickling()}, nil
}
