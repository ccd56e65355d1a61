package peer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotRestart is Restart's error for an offer that keeps the ICE
// credentials: it is not an ICE restart.
var ErrNotRestart = errors.New("peer: the offer does not restart ICE (same ice-ufrag)")

// lost starts the wait for a restart of a failed connection, or ends it
// without ReconnectGrace.
func (c *Conn) lost() {
	grace := c.opts.ReconnectGrace
	if grace <= 0 {
		c.finish(errors.New("connection failed"))
		return
	}
	c.mu.Lock()
	first := c.grace == nil && !c.closed
	if first {
		c.grace = time.AfterFunc(grace, func() {
			c.finish(fmt.Errorf("connection failed, and no restart came within %v", grace))
		})
	}
	c.mu.Unlock()
	if first && c.opts.OnLost != nil {
		c.opts.OnLost()
	}
}

// restored ends the wait for a restart, if one ran.
func (c *Conn) restored() {
	c.mu.Lock()
	was := c.grace != nil && c.grace.Stop()
	c.grace = nil
	c.mu.Unlock()
	if was && c.opts.OnRestored != nil {
		c.opts.OnRestored()
	}
}

// Restart answers an ICE restart: an offer for the same connection with
// new ICE credentials, which a client sends when its network changed or
// the connection failed. The media, the control channel and everything
// the connection carries go on over the new path. It returns the answer
// with the local candidates gathered within the answer wait (later ones
// through LateCandidates); ctx bounds the negotiation.
func (c *Conn) Restart(ctx context.Context, offer string) (string, error) {
	c.restartMu.Lock()
	defer c.restartMu.Unlock()
	select {
	case <-c.done:
		return "", errors.New("peer: the connection has ended")
	default:
	}
	if offer == c.lastRestart[0] && c.lastRestart[1] != "" {
		// The client did not get the answer (its network was changing)
		// and asks again: the same answer.
		return c.lastRestart[1], nil
	}
	if cur := c.pc.RemoteDescription(); cur != nil && iceUfrag(cur.SDP) != "" && iceUfrag(cur.SDP) == iceUfrag(offer) {
		return "", ErrNotRestart
	}
	answer, err := c.answerOffer(ctx, offer)
	if err != nil {
		return "", err
	}
	c.lastRestart = [2]string{offer, answer}
	return answer, nil
}

// iceUfrag returns the first a=ice-ufrag of an SDP.
func iceUfrag(sdp string) string {
	const key = "a=ice-ufrag:"
	i := strings.Index(sdp, key)
	if i < 0 {
		return ""
	}
	v := sdp[i+len(key):]
	if end := strings.IndexAny(v, "\r\n"); end >= 0 {
		v = v[:end]
	}
	return v
}
