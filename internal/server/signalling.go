package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/httpjson"
	"github.com/rtcstream/rtcstream/internal/peer"
)

// Signalling, wire-compatible with fastrtc:
//
//	POST /webrtc/offer {"sdp", "type": "offer", "webrtc_id"}
//	  -> 200 {"sdp", "type": "answer", "webrtc_id", "token"}
//	POST /webrtc/offer {"type": "ice-candidate", "candidate": {...}, "webrtc_id", "token"}
//	  -> 200 {"status": "success"}
//	POST /webrtc/stop {"webrtc_id", "token"}
//	  -> 200 {"status": "stopped"}
//
// Unlike fastrtc, every failure is a real HTTP status with a JSON body
// {"error": code, "message": text} (package internal/httpjson), and the
// token the answer carries is required by every later request about the
// session.
//
// What a stranger may send is bounded before it costs anything: the
// checks of guard.go (Host, Origin, Content-Type, Authorize), then the
// body's size (Config.MaxBodyBytes, 413) and the time it takes to arrive
// (bodyReadTimeout, 408), then the webrtc_id (maxIDLen characters of
// [A-Za-z0-9_-], 400), the offer's and the session's ICE candidates
// (candidate.go), and the client's rate of offers and places in line
// (limits.go, 429). No refusal reaches another client's session.

// bodyReadTimeout bounds the time a request body may take to arrive: a
// client that trickles it a byte a second holds a connection and a
// goroutine for no longer than this. A variable for tests.
var bodyReadTimeout = 10 * time.Second

// maxIDLen bounds a client-chosen webrtc_id; the page's is 32 characters.
const maxIDLen = 128

func itoa(n int) string { return strconv.Itoa(n) }

type signalRequest struct {
	Type      string                   `json:"type"`
	From      int                      `json:"from"` // server-candidates: the first index wanted
	SDP       string                   `json:"sdp"`
	WebRTCID  string                   `json:"webrtc_id"`
	Token     string                   `json:"token"`
	Ticket    string                   `json:"ticket"`
	Candidate *webrtc.ICECandidateInit `json:"candidate"`
}

type answerReply struct {
	SDP      string `json:"sdp"`
	Type     string `json:"type"`
	WebRTCID string `json:"webrtc_id"`
	Token    string `json:"token"`
	// CandidatesPending: the server is still gathering candidates (from a
	// STUN or TURN server); fetch them with "server-candidates".
	CandidatesPending bool `json:"candidates_pending,omitempty"`
}

// lateReply answers "server-candidates": the server's candidates gathered
// after its answer, from the index asked for; Next is the index to ask
// from next, Done that no more will come for this answer.
type lateReply struct {
	Candidates []webrtc.ICECandidateInit `json:"candidates"`
	Next       int                       `json:"next"`
	Done       bool                      `json:"done"`
}

// lateWait bounds one "server-candidates" request: it returns what came by
// then, and the client asks again.
const lateWait = 10 * time.Second

// apiError is a failure of a signalling request, as the client sees it.
type apiError struct {
	status     int
	code       string
	message    string
	retryAfter time.Duration // for a 429; a 503 always gets httpjson's
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func refuse(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// writeError answers with a signalling failure (queue.go's route too).
func writeError(w http.ResponseWriter, e *apiError) {
	if e.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.retryAfter.Seconds()))))
	}
	httpjson.WriteError(w, e.status, e.code, e.message)
}

// readRequest reads and decodes a signalling body within the size and
// time limits, and checks its webrtc_id.
func (s *Stream) readRequest(w http.ResponseWriter, r *http.Request) (*signalRequest, *apiError) {
	body, aerr := s.readBody(w, r)
	if aerr != nil {
		// What is left of the body must not be waited for, nor read as
		// the next request.
		w.Header().Set("Connection", "close")
		return nil, aerr
	}
	var req signalRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, refuse(http.StatusBadRequest, "bad_json", "the body is not valid JSON: "+clip(err.Error(), 200))
	}
	if req.WebRTCID != "" && !validID(req.WebRTCID) {
		return nil, refuse(http.StatusBadRequest, "invalid_webrtc_id",
			"webrtc_id must be 1 to "+itoa(maxIDLen)+" characters of A-Z, a-z, 0-9, _ and -")
	}
	return &req, nil
}

// readBody reads a request body within the size and time limits.
func (s *Stream) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *apiError) {
	limit := s.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	// The connection's read deadline bounds the body's arrival. It is
	// lifted once the body is in, or the server's wait for the client's
	// next request would end this one's context while it negotiates.
	rc := http.NewResponseController(w)
	timeout := bodyTimeout(r)
	_ = rc.SetReadDeadline(time.Now().Add(timeout)) // not every ResponseWriter can
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		var ne net.Error
		switch {
		case errors.As(err, &tooBig):
			return nil, tooLarge(tooBig.Limit)
		case errors.As(err, &ne) && ne.Timeout():
			return nil, refuse(http.StatusRequestTimeout, "body_timeout",
				"the request body did not arrive within "+timeout.String())
		}
		return nil, refuse(http.StatusBadRequest, "bad_request", "could not read the request body: "+clip(err.Error(), 200))
	}
	_ = rc.SetReadDeadline(time.Time{})
	return body, nil
}

// bodyTimeout is how long r's body may take: bodyReadTimeout, or the
// server's ReadTimeout when that is shorter (setting the connection's
// deadline replaces the server's).
func bodyTimeout(r *http.Request) time.Duration {
	d := bodyReadTimeout
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 {
		d = min(d, srv.ReadTimeout)
	}
	return d
}

func tooLarge(limit int64) *apiError {
	return refuse(http.StatusRequestEntityTooLarge, "body_too_large",
		"the request body is over "+strconv.FormatInt(limit, 10)+" bytes")
}

// validID reports whether id is a webrtc_id rtcstream takes: one that can
// be logged and echoed as it is.
func validID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func (s *Stream) handleOffer(w http.ResponseWriter, r *http.Request, c *caller) {
	req, aerr := s.readRequest(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	switch req.Type {
	case "offer":
		// The reply waits for the negotiation: give the write that long
		// whatever the server's WriteTimeout.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.NegotiationTimeout + 10*time.Second))
		reply, aerr := s.offer(r.Context(), req, c)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		httpjson.Write(w, http.StatusOK, reply)
	case "ice-candidate":
		if aerr := s.candidate(req); aerr != nil {
			writeError(w, aerr)
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "success"})
	case "server-candidates":
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(lateWait + 10*time.Second))
		reply, aerr := s.lateCandidates(r.Context(), req)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		httpjson.Write(w, http.StatusOK, reply)
	case "":
		writeError(w, refuse(http.StatusBadRequest, "not_offer", `the body has no "type"; want "offer", "ice-candidate" or "server-candidates"`))
	default:
		writeError(w, refuse(http.StatusBadRequest, "not_offer", `"type" is `+strconv.Quote(clip(req.Type, 40))+`; want "offer", "ice-candidate" or "server-candidates"`))
	}
}

// lateCandidates long-polls the session's candidates gathered after its
// answer (trickle ICE from the server), at most lateWait.
func (s *Stream) lateCandidates(ctx context.Context, req *signalRequest) (*lateReply, *apiError) {
	ss, aerr := s.lookup(req)
	if aerr != nil {
		return nil, aerr
	}
	c := ss.conn.Load()
	if c == nil {
		return nil, refuse(http.StatusConflict, "not_ready", "the session is not negotiated yet")
	}
	ctx, cancel := context.WithTimeout(ctx, lateWait)
	defer cancel()
	cands, next, done := c.LateCandidates(ctx, req.From)
	if cands == nil {
		cands = []webrtc.ICECandidateInit{}
	}
	return &lateReply{Candidates: cands, Next: next, Done: done}, nil
}

func (s *Stream) offer(ctx context.Context, req *signalRequest, c *caller) (*answerReply, *apiError) {
	if req.SDP == "" {
		return nil, refuse(http.StatusBadRequest, "invalid_sdp", `the offer has no "sdp"`)
	}
	vc, aerr := s.checkOffer(req.SDP, http.StatusBadRequest)
	if aerr != nil {
		return nil, aerr
	}
	if req.Token != "" { // a live session's: an ICE restart
		return s.restart(ctx, req)
	}
	// An offer with a ticket paid for it when it joined the line.
	if req.Ticket == "" {
		if ok, retry := s.access.rates.take(c.client, time.Now()); !ok {
			return nil, rateLimited(retry)
		}
	}
	if req.WebRTCID == "" {
		req.WebRTCID = newToken()
	}
	ss, aerr := s.reserve(req.WebRTCID, req.Ticket, c.identity, vc)
	if aerr != nil {
		return nil, aerr
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.NegotiationTimeout)
	defer cancel()
	answer, err := ss.answer(ctx, req.SDP)
	if err != nil {
		s.release(ss)
		if errors.Is(err, peer.ErrInvalidSDP) {
			return nil, refuse(http.StatusBadRequest, "invalid_sdp", clip(err.Error(), 300))
		}
		s.cfg.Logger.Error("negotiation failed", "session", ss.id, "err", clip(err.Error(), 300))
		return nil, refuse(http.StatusInternalServerError, "negotiation_failed", clip(err.Error(), 300))
	}
	go ss.run()
	reply := &answerReply{SDP: answer, Type: "answer", WebRTCID: ss.id, Token: ss.token}
	if c := ss.conn.Load(); c != nil {
		reply.CandidatesPending = c.Trickling()
	}
	return reply, nil
}

// checkOffer refuses an offer this stream cannot answer: not SDP (400),
// without the media sections or codecs the stream needs (unfit, the
// status: 400 for the JSON signalling, 422 for WHIP), or with too many
// candidates. It returns the video codec the session will use.
func (s *Stream) checkOffer(sdp string, unfit int) (codec.VideoCodec, *apiError) {
	vc, err := peer.CheckOffer(sdp, s.cfg.Modality != Audio, s.cfg.Modality != Video, s.cfg.VideoCodecs)
	if err != nil {
		return "", s.offerRefusal(err, unfit)
	}
	return vc, checkOfferCandidates(sdp)
}

// offerRefusal is the reply to an offer CheckOffer refused.
func (s *Stream) offerRefusal(err error, unfit int) *apiError {
	switch {
	case errors.Is(err, peer.ErrNoAudioCodec):
		return refuse(unfit, "unsupported_codec", "the offer's audio section has no Opus; rtcstream streams Opus")
	case errors.Is(err, peer.ErrNoAudio):
		return refuse(unfit, "no_audio", "the offer has no audio section")
	case errors.Is(err, peer.ErrNoVideoCodec):
		codecs := s.cfg.VideoCodecs
		if codecs == nil {
			codecs = codec.DefaultVideoCodecs()
		}
		names := make([]string, len(codecs))
		for i, c := range codecs {
			names[i] = string(c)
		}
		return refuse(unfit, "unsupported_codec", "the offer's video section has none of the codecs this stream takes: "+strings.Join(names, ", "))
	case errors.Is(err, peer.ErrNoVideo):
		return refuse(unfit, "no_video", "the offer has no video section")
	}
	return refuse(http.StatusBadRequest, "invalid_sdp", clip(err.Error(), 300))
}

// rateLimited is the reply to a client over its ClientLimits rate.
func rateLimited(retry time.Duration) *apiError {
	e := refuse(http.StatusTooManyRequests, "rate_limited", "Too many new streams from your address; try again in a little while.")
	e.retryAfter = retry
	return e
}

// reserve registers a new session for id, enforcing the session cap; the
// session's identity is what Config.Authorize returned.
func (s *Stream) reserve(id, ticket string, identity any, vc codec.VideoCodec) (*Session, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, refuse(http.StatusServiceUnavailable, "shutting_down", "The server is shutting down.")
	case s.byID[id] != nil:
		return nil, refuse(http.StatusConflict, "duplicate_session", "a session with this webrtc_id is already running")
	}
	if aerr := s.admit(ticket, time.Now()); aerr != nil {
		return nil, aerr
	}
	ss, err := s.newSession(id, vc)
	if err != nil {
		return nil, refuse(http.StatusInternalServerError, "session_failed", clip(err.Error(), 300))
	}
	ss.identity = identity // before any of the session's goroutines starts
	s.seq++
	ss.seq = s.seq
	s.byToken[ss.token] = ss
	s.byID[id] = ss
	s.sessions.Add(1)
	s.obs.sessionStarted()
	return ss, nil
}

// release undoes reserve for a session that never ran.
func (s *Stream) release(ss *Session) {
	ss.cancel()
	ss.releaseSockets()
	ss.media.Close()
	s.forget(ss)
	s.obs.sessionEnded("negotiation failed")
	close(ss.done) // for a Close that found it while it negotiated
	s.sessions.Done()
}

func (s *Stream) forget(ss *Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byToken[ss.token] == ss {
		delete(s.byToken, ss.token)
	}
	if s.byID[ss.id] == ss {
		delete(s.byID, ss.id)
	}
	delete(s.trickled, ss)
}

// lookup finds a session by its token; the webrtc_id must match when given.
func (s *Stream) lookup(req *signalRequest) (*Session, *apiError) {
	s.mu.Lock()
	ss := s.byToken[req.Token]
	s.mu.Unlock()
	if req.Token == "" || ss == nil || (req.WebRTCID != "" && req.WebRTCID != ss.id) {
		return nil, refuse(http.StatusNotFound, "unknown_session", "no session has this webrtc_id and token; it may have ended")
	}
	return ss, nil
}

func (s *Stream) candidate(req *signalRequest) *apiError {
	ss, aerr := s.lookup(req)
	if aerr != nil {
		return aerr
	}
	if req.Candidate == nil {
		return refuse(http.StatusBadRequest, "invalid_candidate", `the request has no "candidate"`)
	}
	if aerr := s.countCandidate(ss); aerr != nil {
		return aerr
	}
	if req.Candidate.Candidate == "" {
		return nil // end-of-candidates
	}
	if err := checkCandidate(req.Candidate.Candidate); err != nil {
		return refuse(http.StatusBadRequest, "invalid_candidate", err.Error())
	}
	c := ss.conn.Load()
	if c == nil {
		return refuse(http.StatusConflict, "not_ready", "the session is not negotiated yet")
	}
	if err := c.AddICECandidate(*req.Candidate); err != nil {
		return refuse(http.StatusBadRequest, "invalid_candidate", clip(err.Error(), 200))
	}
	return nil
}

// countCandidate counts a candidate trickled to ss, refusing those past
// maxTrickled.
func (s *Stream) countCandidate(ss *Session) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byToken[ss.token] != ss {
		return refuse(http.StatusNotFound, "unknown_session", "no session has this webrtc_id and token; it may have ended")
	}
	if s.trickled[ss] >= maxTrickled {
		return refuse(http.StatusBadRequest, "too_many_candidates",
			"a session takes at most "+itoa(maxTrickled)+" trickled ICE candidates")
	}
	s.trickled[ss]++
	return nil
}

func (s *Stream) handleStop(w http.ResponseWriter, r *http.Request, _ *caller) {
	req, aerr := s.readRequest(w, r)
	if aerr == nil {
		var ss *Session
		if ss, aerr = s.lookup(req); aerr == nil {
			ss.end(endClientStop, nil)
			httpjson.Write(w, http.StatusOK, map[string]string{"status": "stopped"})
			return
		}
	}
	writeError(w, aerr)
}

func (s *Stream) handleUnknownRoute(w http.ResponseWriter, r *http.Request, prefix string) {
	switch strings.TrimPrefix(r.URL.Path, prefix) {
	case "/offer", "/stop", "/queue":
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, refuse(http.StatusMethodNotAllowed, "method_not_allowed", r.URL.Path+" takes POST"))
		return
	case "/config":
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, refuse(http.StatusMethodNotAllowed, "method_not_allowed", r.URL.Path+" takes GET"))
		return
	case "/whip", "/whep":
		w.Header().Set("Allow", "POST, OPTIONS")
		writeError(w, refuse(http.StatusMethodNotAllowed, "method_not_allowed", r.URL.Path+" takes POST (WHIP, WHEP)"))
		return
	}
	if rest := strings.TrimPrefix(r.URL.Path, prefix); strings.HasPrefix(rest, "/whip/") || strings.HasPrefix(rest, "/whep/") {
		w.Header().Set("Allow", "PATCH, DELETE, OPTIONS")
		writeError(w, refuse(http.StatusMethodNotAllowed, "method_not_allowed", "a WHIP session's or WHEP viewer's URL takes PATCH and DELETE"))
		return
	}
	writeError(w, refuse(http.StatusNotFound, "not_found", clip(r.Method, 16)+" "+clip(r.URL.Path, 100)+" is not a signalling route"))
}

// configReply is what the page needs before it connects.
type configReply struct {
	RTCConfiguration *ICEConfig `json:"rtc_configuration"`
	TimeLimit        float64    `json:"time_limit,omitempty"` // seconds
}

// handleConfig gives the page its RTC configuration for one connection
// (fresh TURN credentials when Config.ICE makes them per call).
func (s *Stream) handleConfig(w http.ResponseWriter, r *http.Request, c *caller) {
	if s.cfg.ICE != nil {
		if ok, retry := s.access.configs.take(c.client, time.Now()); !ok {
			writeError(w, rateLimited(retry))
			return
		}
	}
	cfg, err := s.ice(r.Context(), r)
	if err != nil {
		s.cfg.Logger.Error("rtc configuration failed", "err", err)
		writeError(w, refuse(http.StatusBadGateway, "rtc_configuration_failed", "could not get an RTC configuration (TURN credentials): "+err.Error()))
		return
	}
	if cfg == nil {
		cfg = &ICEConfig{}
	}
	httpjson.Write(w, http.StatusOK, configReply{RTCConfiguration: cfg, TimeLimit: s.cfg.TimeLimit.Seconds()})
}
