package client

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/pion/webrtc/v4"
)

// PublishWHIP publishes to a WHIP endpoint (RFC 9725): an rtcstream
// Stream's "{prefix}/whip" ("http://host:7860/webrtc/whip"), or any other
// WHIP server. The Conn sends video (WriteFrame, WriteEncoded) and, with
// Options.Audio, audio (WriteAudio), and receives nothing: ReadFrame and
// ReadAudio return no media and there is no control channel. Close ends
// the session with a DELETE of its resource.
//
// Of Options, these count: Bitrate, HTTPClient, Loopback, ICEServers
// (none by default: a WHIP endpoint hands out no configuration before the
// offer), RelayOnly, TCPOnly, Audio, VideoOff, AudioBitrate and
// BearerToken (the endpoint's token, sent as "Authorization: Bearer").
// Candidates gathered after the offer are trickled with PATCH; the
// connection is not restarted when it drops.
//
// Errors are *DialError, as Dial's; a refusal is an *Error with the
// endpoint's status (401, 422 for an offer without the media it takes,
// 503 when it is full, ...).
func PublishWHIP(ctx context.Context, endpoint string, opts *Options) (*Conn, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &DialError{StageSetup, fmt.Errorf("rtcstream client: WHIP endpoint %q is not an http(s) URL", endpoint)}
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Reconnect = -1
	return dial(ctx, endpoint, &o, &whipSession{endpoint: u})
}

// WatchWHEP plays a WHEP endpoint's stream (draft-ietf-wish-whep): an
// rtcstream Stream's "{prefix}/whep" (a WHIP publisher's or a generator's
// processed output, "?session=webrtc_id" for a given one), or any other
// WHEP server. The Conn receives video (ReadFrame) and, with
// Options.Audio, audio (ReadAudio), and sends nothing; Close leaves with a
// DELETE. Options count as for PublishWHIP, and FrameBuffer,
// AudioBuffer, SkipDecode and OnFrame as for Dial.
func WatchWHEP(ctx context.Context, endpoint string, opts *Options) (*Conn, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &DialError{StageSetup, fmt.Errorf("rtcstream client: WHEP endpoint %q is not an http(s) URL", endpoint)}
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Reconnect = -1
	return dial(ctx, endpoint, &o, &whipSession{endpoint: u, watch: true})
}

// whipSession is a WHIP publisher's view of its session: the resource to
// PATCH and DELETE, and its ETag.
type whipSession struct {
	endpoint *url.URL
	watch    bool // WHEP: the Conn receives only

	mu       sync.Mutex
	resource string // absolute URL, from the answer's Location
	etag     string
	mid      string // of the offer's first media section: trickled candidates' section
}

// direction is the transceivers': a WHIP publisher only sends, a WHEP
// player only receives.
func (c *Conn) direction() webrtc.RTPTransceiverDirection {
	switch {
	case c.whip == nil:
		return webrtc.RTPTransceiverDirectionSendrecv
	case c.whip.watch:
		return webrtc.RTPTransceiverDirectionRecvonly
	}
	return webrtc.RTPTransceiverDirectionSendonly
}

// negotiateWHIP posts the offer as application/sdp and applies the
// answer; the session is at the reply's Location.
func (c *Conn) negotiateWHIP(ctx context.Context, offer, _ string) (withControl bool, err error) {
	w := c.whip
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.endpoint.String(), bytes.NewReader([]byte(offer)))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/sdp")
	resp, answer, err := c.do(req)
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusCreated {
		return false, &Error{Status: resp.StatusCode, Message: "the endpoint answered " + resp.Status + ", not 201 Created"}
	}
	loc, err := w.endpoint.Parse(resp.Header.Get("Location"))
	if err != nil || resp.Header.Get("Location") == "" {
		return false, &Error{Status: resp.StatusCode, Message: "the endpoint's answer has no usable Location"}
	}
	if id := resp.Header.Get("Rtcstream-Session"); id != "" {
		c.id = id // an rtcstream session's webrtc_id: WatchWHEP's ?session=
	}
	w.mu.Lock()
	w.resource, w.etag = loc.String(), resp.Header.Get("ETag")
	if ts := c.pc.GetTransceivers(); len(ts) > 0 {
		w.mid = ts[0].Mid()
	}
	w.mu.Unlock()
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: string(answer)}); err != nil {
		return false, fmt.Errorf("rtcstream client: bad answer: %w", err)
	}
	c.answered()
	return false, nil
}

// trickle PATCHes one candidate to the session (RFC 8840 fragment).
func (w *whipSession) trickle(ctx context.Context, c *Conn, cand webrtc.ICECandidateInit) error {
	w.mu.Lock()
	resource, etag, mid := w.resource, w.etag, w.mid
	w.mu.Unlock()
	if cand.SDPMid != nil {
		mid = *cand.SDPMid
	}
	frag := fmt.Sprintf("a=mid:%s\r\na=%s\r\n", mid, cand.Candidate)
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, resource, bytes.NewReader([]byte(frag)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
	if etag != "" {
		req.Header.Set("If-Match", etag)
	}
	_, _, err = c.do(req)
	return err
}

// end DELETEs the session.
func (w *whipSession) end(ctx context.Context, c *Conn) error {
	w.mu.Lock()
	resource := w.resource
	w.mu.Unlock()
	if resource == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, resource, nil)
	if err != nil {
		return err
	}
	_, _, err = c.do(req)
	return err
}

// WHIPResource returns the URL and current ETag of a PublishWHIP
// session's resource, for a caller that PATCHes or DELETEs it itself;
// "" for a Conn from Dial.
func (c *Conn) WHIPResource() (url, etag string) {
	if c.whip == nil {
		return "", ""
	}
	c.whip.mu.Lock()
	defer c.whip.mu.Unlock()
	return c.whip.resource, c.whip.etag
}
