package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/internal/peer"
)

// WHIP ingest (RFC 9725): a publisher that is not the stream's page (OBS,
// GStreamer, a browser, the Go client) sends its media through the
// stream's handler like a page does.
//
//	POST    {prefix}/whip       application/sdp offer
//	  -> 201 application/sdp answer; Location {prefix}/whip/{token}, ETag
//	PATCH   {prefix}/whip/{token} application/trickle-ice-sdpfrag
//	  -> 204 (trickled candidates), or 200 with the server's new ICE
//	     credentials and candidates (an ICE restart: new ice-ufrag and
//	     ice-pwd, If-Match "*")
//	DELETE  {prefix}/whip/{token} -> 200: the session ends
//	OPTIONS either              -> 204, with CORS for allowed origins
//
// The requests pass the signalling's checks (guard.go: Host, Origin,
// Config.Authorize, which reads a publisher's "Authorization: Bearer"
// header like any other), its limits (body size and time, the client's
// rate of offers, the session cap: 503 with Retry-After, since a
// publisher has no page to wait in line on) and the offer's
// (checkOffer: 422 for an offer without the media the stream takes). The
// token in the session's URL is its secret, as the JSON signalling's
// token is. Failures have the signalling's JSON bodies.
//
// A WHIP publisher sends and receives nothing back: the session runs
// without the control channel (its inputs keep their values) and without
// the stream's output tracks. The answer carries every server candidate:
// WHIP has no way to trickle them later.

const (
	sdpType     = "application/sdp"
	sdpFragType = "application/trickle-ice-sdpfrag"
	// sessionHeader names a WHIP session's webrtc_id in its 201: WHEP
	// viewers watch it with ?session= (its URL's token is its secret).
	sessionHeader = "Rtcstream-Session"
)

// mountWHIP registers the WHIP routes under prefix.
func (s *Stream) mountWHIP(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("POST "+prefix+"/whip", s.whRoute(sdpType, s.handleWHIP))
	mux.HandleFunc("PATCH "+prefix+"/whip/{token}", s.whRoute(sdpFragType, s.handleWHIPPatch))
	mux.HandleFunc("DELETE "+prefix+"/whip/{token}", s.whRoute("", s.handleWHIPDelete))
	mux.HandleFunc("OPTIONS "+prefix+"/whip", s.handleWHIPOptions)
	mux.HandleFunc("OPTIONS "+prefix+"/whip/{token}", s.handleWHIPOptions)
}

// whRoute is a WHIP or WHEP route: the signalling's checks, with CORS
// headers on every reply (refusals too: a page must read them).
func (s *Stream) whRoute(body string, h func(http.ResponseWriter, *http.Request, *caller)) http.HandlerFunc {
	guarded := s.guardedBody(body, h)
	return func(w http.ResponseWriter, r *http.Request) {
		s.cors(w, r)
		guarded(w, r)
	}
}

// iceCandidate is a trickled candidate of the media section mid.
func iceCandidate(cand, mid string) webrtc.ICECandidateInit {
	return webrtc.ICECandidateInit{Candidate: cand, SDPMid: &mid}
}

// cors lets a page of an allowed origin (checkOrigin's) read the reply:
// WHIP players and publishers in browsers are often served from elsewhere.
func (s *Stream) cors(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin == "" || s.access.checkOrigin(r) != nil {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "Location, ETag, Link, Accept-Patch, Retry-After, "+sessionHeader)
}

func (s *Stream) handleWHIPOptions(w http.ResponseWriter, r *http.Request) {
	if aerr := s.access.checkHost(r); aerr != nil {
		writeError(w, aerr)
		return
	}
	s.cors(w, r)
	h := w.Header()
	if r.PathValue("token") == "" {
		h.Set("Allow", "POST, OPTIONS")
		h.Set("Accept-Post", sdpType)
	} else {
		h.Set("Allow", "PATCH, DELETE, OPTIONS")
		h.Set("Accept-Patch", sdpFragType)
	}
	h.Set("Access-Control-Allow-Methods", h.Get("Allow"))
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

func (s *Stream) handleWHIP(w http.ResponseWriter, r *http.Request, c *caller) {
	if !s.cfg.Mode.receives() {
		writeError(w, refuse(http.StatusMethodNotAllowed, "no_input",
			"this stream makes its own media (receive mode) and takes none to publish"))
		return
	}
	body, ok := s.readSDP(w, r)
	if !ok {
		return
	}
	offer := body
	vc, aerr := s.checkOffer(offer, http.StatusUnprocessableEntity)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if ok, retry := s.access.rates.take(c.client, time.Now()); !ok {
		writeError(w, rateLimited(retry))
		return
	}
	ss, aerr := s.reserve("whip-"+newToken()[:16], "", c.identity, vc)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	etag := ss.whip.setOffer(offer)
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.NegotiationTimeout + 10*time.Second))
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.NegotiationTimeout)
	defer cancel()
	answer, err := ss.answer(ctx, offer, func(o *peer.AnswerOptions) {
		// All the server's candidates: a WHIP client hears of none
		// later. Half the negotiation's time, so that a STUN or TURN
		// server that never answers leaves an answer with the rest.
		o.AnswerWait = s.cfg.NegotiationTimeout / 2
		o.SendVideo, o.SendAudio = false, false
	})
	if err != nil {
		s.release(ss)
		if errors.Is(err, peer.ErrInvalidSDP) {
			writeError(w, refuse(http.StatusBadRequest, "invalid_sdp", clip(err.Error(), 300)))
			return
		}
		s.cfg.Logger.Error("WHIP negotiation failed", "session", ss.id, "err", clip(err.Error(), 300))
		writeError(w, refuse(http.StatusInternalServerError, "negotiation_failed", clip(err.Error(), 300)))
		return
	}
	ss.log.Info("WHIP publisher", "client", c.client)
	go ss.run()
	s.linkICEServers(w, r)
	h := w.Header()
	h.Set("Location", whipPath(r.URL.Path, ss.token))
	h.Set(sessionHeader, ss.id) // what a WHEP viewer names it by
	h.Set("ETag", etag)
	h.Set("Accept-Patch", sdpFragType)
	h.Set("Content-Type", sdpType)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(answer))
}

// readSDP reads a WHIP or WHEP request's body (an offer or a fragment)
// within the signalling's size and time limits; a failure is answered, and
// the connection closed (what is left of the body is not waited for).
func (s *Stream) readSDP(w http.ResponseWriter, r *http.Request) (string, bool) {
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		w.Header().Set("Connection", "close")
		writeError(w, aerr)
		return "", false
	}
	return string(body), true
}

// whipPath is the session's resource: the endpoint's path and its token.
func whipPath(endpoint, token string) string {
	return strings.TrimRight(endpoint, "/") + "/" + token
}

// linkICEServers lists the stream's STUN and TURN servers as Link
// headers (RFC 9725 section 4.6), for a publisher's restarts.
func (s *Stream) linkICEServers(w http.ResponseWriter, r *http.Request) {
	cfg, err := s.ice(r.Context(), r)
	if err != nil || cfg == nil {
		return
	}
	for _, srv := range cfg.ICEServers {
		for _, u := range srv.URLs {
			v := "<" + u + `>; rel="ice-server"`
			if srv.Username != "" {
				v += fmt.Sprintf(`; username=%q; credential=%q; credential-type="password"`, srv.Username, srv.Credential)
			}
			w.Header().Add("Link", v)
		}
	}
}

// whipLookup finds the WHIP session a resource URL names.
func (s *Stream) whipLookup(r *http.Request) (*Session, *apiError) {
	s.mu.Lock()
	ss := s.byToken[r.PathValue("token")]
	s.mu.Unlock()
	if ss == nil {
		return nil, refuse(http.StatusNotFound, "unknown_session", "no WHIP session has this URL; it may have ended")
	}
	if offer, _ := ss.whip.current(); offer == "" {
		return nil, refuse(http.StatusNotFound, "unknown_session", "no WHIP session has this URL; it may have ended")
	}
	return ss, nil
}

func (s *Stream) handleWHIPDelete(w http.ResponseWriter, r *http.Request, _ *caller) {
	ss, aerr := s.whipLookup(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	ss.end(endClientStop, nil)
	w.WriteHeader(http.StatusOK)
}

func (s *Stream) handleWHIPPatch(w http.ResponseWriter, r *http.Request, _ *caller) {
	ss, aerr := s.whipLookup(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	body, ok := s.readSDP(w, r)
	if !ok {
		return
	}
	frag := parseFragment(body)
	restart := frag.ufrag != "" || frag.pwd != ""
	match := r.Header.Get("If-Match")
	_, etag := ss.whip.current()
	switch {
	case restart && (frag.ufrag == "" || frag.pwd == ""):
		writeError(w, refuse(http.StatusBadRequest, "invalid_fragment", "an ICE restart needs both a=ice-ufrag and a=ice-pwd"))
		return
	case !restart && match != "" && match != etag:
		writeError(w, refuse(http.StatusPreconditionFailed, "etag_mismatch",
			"If-Match does not name this session's current ICE (it restarted): send the candidates with the new ETag"))
		return
	}
	if restart {
		s.whipRestart(w, r, ss, frag)
		return
	}
	if aerr := s.whipCandidates(ss, frag); aerr != nil {
		writeError(w, aerr)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// whipCandidates adds a fragment's candidates, within the session's
// trickle budget.
func (s *Stream) whipCandidates(ss *Session, frag fragment) *apiError {
	conn := ss.conn.Load()
	if conn == nil {
		return refuse(http.StatusConflict, "not_ready", "the session is not negotiated yet")
	}
	for _, cand := range frag.candidates {
		if aerr := s.countCandidate(ss); aerr != nil {
			return aerr
		}
		if err := checkCandidate(cand); err != nil {
			return refuse(http.StatusBadRequest, "invalid_candidate", err.Error())
		}
		if err := conn.AddICECandidate(iceCandidate(cand, frag.mid)); err != nil {
			return refuse(http.StatusBadRequest, "invalid_candidate", clip(err.Error(), 200))
		}
	}
	return nil
}

// whipRestart restarts ICE with a fragment's new credentials: the offer
// the session began with, with those credentials and no candidates, is
// the restart's offer (RFC 9725 section 4.4.2: nothing but ICE changes);
// the reply is the answer's credentials and candidates as a fragment.
func (s *Stream) whipRestart(w http.ResponseWriter, r *http.Request, ss *Session, frag fragment) {
	if m := r.Header.Get("If-Match"); m != "*" {
		writeError(w, refuse(http.StatusPreconditionRequired, "if_match_required", `an ICE restart must carry If-Match: "*"`))
		return
	}
	old, _ := ss.whip.current()
	offer := restartOffer(old, frag.ufrag, frag.pwd)
	// The session's answer options wait for every candidate, restarts too.
	reply, aerr := s.restart(r.Context(), &signalRequest{Type: "offer", SDP: offer, Token: ss.token})
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	etag := ss.whip.setOffer(offer)
	if aerr := s.whipCandidates(ss, frag); aerr != nil {
		writeError(w, aerr)
		return
	}
	out, err := answerFragment(reply.SDP)
	if err != nil {
		writeError(w, refuse(http.StatusInternalServerError, "negotiation_failed", clip(err.Error(), 300)))
		return
	}
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Content-Type", sdpFragType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(out))
}

// fragment is what rtcstream reads of a trickle-ice-sdpfrag (RFC 8840):
// the ICE credentials (an ICE restart), the candidates, and the media
// section they are for.
type fragment struct {
	ufrag, pwd string
	mid        string
	candidates []string // "candidate:..." values
}

// parseFragment reads an SDP fragment leniently: unknown lines are
// skipped, as RFC 8840 asks.
func parseFragment(body string) fragment {
	var f fragment
	for line := range strings.Lines(body) {
		line = strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			f.ufrag = strings.TrimPrefix(line, "a=ice-ufrag:")
		case strings.HasPrefix(line, "a=ice-pwd:"):
			f.pwd = strings.TrimPrefix(line, "a=ice-pwd:")
		case strings.HasPrefix(line, "a=mid:") && f.mid == "":
			f.mid = strings.TrimPrefix(line, "a=mid:")
		case strings.HasPrefix(line, "a=candidate:"):
			f.candidates = append(f.candidates, strings.TrimPrefix(line, "a="))
		}
	}
	return f
}

// restartOffer is offer with new ICE credentials and no candidates.
func restartOffer(offer, ufrag, pwd string) string {
	var b strings.Builder
	for line := range strings.Lines(offer) {
		trimmed := strings.TrimRight(line, "\r\n")
		switch {
		case strings.HasPrefix(trimmed, "a=ice-ufrag:"):
			b.WriteString("a=ice-ufrag:" + ufrag + "\r\n")
		case strings.HasPrefix(trimmed, "a=ice-pwd:"):
			b.WriteString("a=ice-pwd:" + pwd + "\r\n")
		case strings.HasPrefix(trimmed, "a=candidate:"), trimmed == "a=end-of-candidates":
		default:
			b.WriteString(trimmed + "\r\n")
		}
	}
	return b.String()
}

// answerFragment is an answer's ICE credentials and candidates as a
// trickle-ice-sdpfrag: those of its first media section (the bundle's).
func answerFragment(answer string) (string, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(answer); err != nil {
		return "", err
	}
	if len(sd.MediaDescriptions) == 0 {
		return "", fmt.Errorf("the answer has no media section")
	}
	md := sd.MediaDescriptions[0]
	get := func(key string) string {
		if v, ok := md.Attribute(key); ok {
			return v
		}
		v, _ := sd.Attribute(key)
		return v
	}
	var b strings.Builder
	fmt.Fprintf(&b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", get("ice-ufrag"), get("ice-pwd"))
	fmt.Fprintf(&b, "m=%s 9 %s %s\r\n", md.MediaName.Media, strings.Join(md.MediaName.Protos, "/"), strings.Join(md.MediaName.Formats, " "))
	fmt.Fprintf(&b, "a=mid:%s\r\n", get("mid"))
	for _, a := range md.Attributes {
		if a.Key == "candidate" {
			fmt.Fprintf(&b, "a=candidate:%s\r\n", a.Value)
		}
	}
	b.WriteString("a=end-of-candidates\r\n")
	return b.String(), nil
}

// whipState is a WHIP session's: the offer its ICE runs on (empty for a
// session of the JSON signalling), and that ICE's version, for ETags.
type whipState struct {
	mu      sync.Mutex
	offer   string
	version int
}

// setOffer records the offer the session's ICE now runs on, and returns
// its ETag.
func (w *whipState) setOffer(offer string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.offer = offer
	w.version++
	return fmt.Sprintf(`"ice-%d"`, w.version)
}

// current returns the offer and its ETag; an empty offer for a session
// that is not WHIP's.
func (w *whipState) current() (offer, etag string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.offer, fmt.Sprintf(`"ice-%d"`, w.version)
}
