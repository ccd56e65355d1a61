package client

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// defaultReconnect is how long a client restarts ICE after its connection
// fails before it gives up: the server's default ReconnectGrace.
const defaultReconnect = 15 * time.Second

// restartTry bounds one ICE restart: the offer, the answer and the checks
// on the new path.
const restartTry = 5 * time.Second

// reconnector restarts ICE when the connection is lost, until it is back
// or the time runs out; then the Conn fails.
type reconnector struct {
	c        *Conn
	mu       sync.Mutex
	running  bool
	back     chan struct{} // closed when the connection is back, per run
	restarts int
	offer    string // the restart offer last sent (restart's goroutine only)
}

// lost starts restarting, once per loss.
func (r *reconnector) lost() {
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return
	}
	r.running = true
	r.back = make(chan struct{})
	back := r.back
	r.mu.Unlock()
	go r.run(back)
}

// connected tells a running restart that the connection is back.
func (r *reconnector) connected() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running {
		r.running = false
		close(r.back)
	}
}

func (r *reconnector) run(back chan struct{}) {
	c := r.c
	deadline := time.Now().Add(c.reconnectWithin())
	for time.Now().Before(deadline) {
		select {
		case <-back:
			return
		case <-c.failed:
			return
		default:
		}
		if r.restart(back) == nil {
			return
		}
		select {
		case <-back:
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
	select {
	case <-back:
	default:
		c.failOnce.Do(func() { close(c.failed) })
	}
}

// restart sends one ICE restart offer and waits for the connection.
func (r *reconnector) restart(back chan struct{}) error {
	c := r.c
	ctx, cancel := context.WithTimeout(context.Background(), restartTry)
	defer cancel()
	// Keep-alive connections from before a network change are dead: the
	// requests go on new ones.
	c.http.CloseIdleConnections()
	// A restart whose answer did not come is sent again as it was (the
	// server answers a repeated offer with the same answer); pion cannot
	// replace a local offer.
	if c.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer {
		_ = c.net.UpdateInterfaces() // the addresses a network change brought
		if c.fromServer {
			// New TURN credentials: the old ones may no longer make
			// relays. Without them the restart tries with the old.
			if sc, err := fetchConfig(ctx, c.http, c.base); err == nil {
				cfg := c.pc.GetConfiguration()
				cfg.ICEServers = sc.ICEServers
				_ = c.pc.SetConfiguration(cfg)
			}
		}
		offer, err := c.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
		if err != nil {
			return err
		}
		gathered := webrtc.GatheringCompletePromise(c.pc)
		if err := c.pc.SetLocalDescription(offer); err != nil {
			return err
		}
		sdp, err := c.offerSDP(ctx, gathered)
		if err != nil {
			return err
		}
		r.offer = sdp // sent again as it is if its answer does not come
	}
	var ans struct {
		SDP               string `json:"sdp"`
		CandidatesPending bool   `json:"candidates_pending"`
	}
	if err := c.post(ctx, "offer", map[string]string{
		"sdp": r.offer, "type": "offer", "webrtc_id": c.id, "token": c.token,
	}, &ans); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == "unknown_session" {
			c.failOnce.Do(func() { close(c.failed) }) // the session is gone
		}
		return err
	}
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
		return err
	}
	c.answered()
	c.serverCandidates(ans.CandidatesPending)
	r.mu.Lock()
	r.restarts++
	r.mu.Unlock()
	select {
	case <-back:
		return nil
	case <-ctx.Done():
		return errors.New("the connection did not come back on the new path")
	}
}

// Restarts reports how many ICE restarts the client has made.
func (c *Conn) Restarts() int {
	c.reconnect.mu.Lock()
	defer c.reconnect.mu.Unlock()
	return c.reconnect.restarts
}

func (c *Conn) reconnectWithin() time.Duration {
	if c.opts.Reconnect == 0 {
		return defaultReconnect
	}
	return c.opts.Reconnect
}
