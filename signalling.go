package rtcstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

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

func itoa(n int) string { return strconv.Itoa(n) }

type signalRequest struct {
	Type      string                   `json:"type"`
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
}

// writeError answers with a signalling failure (queue.go's route too).
func writeError(w http.ResponseWriter, e *apiError) {
	httpjson.WriteError(w, e.status, e.code, e.message)
}

// readRequest reads and decodes a signalling body within the size limit.
func (s *Stream) readRequest(w http.ResponseWriter, r *http.Request) (*signalRequest, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &apiError{http.StatusRequestEntityTooLarge, "body_too_large",
				"the request body is over " + strconv.FormatInt(tooBig.Limit, 10) + " bytes"}
		}
		return nil, &apiError{http.StatusBadRequest, "bad_request", "could not read the request body: " + err.Error()}
	}
	var req signalRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, &apiError{http.StatusBadRequest, "bad_json", "the body is not valid JSON: " + err.Error()}
	}
	return &req, nil
}

func (s *Stream) handleOffer(w http.ResponseWriter, r *http.Request) {
	req, aerr := s.readRequest(w, r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	switch req.Type {
	case "offer":
		reply, aerr := s.offer(r.Context(), req)
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
	case "":
		writeError(w, &apiError{http.StatusBadRequest, "not_offer", `the body has no "type"; want "offer" or "ice-candidate"`})
	default:
		writeError(w, &apiError{http.StatusBadRequest, "not_offer", `"type" is "` + req.Type + `"; want "offer" or "ice-candidate"`})
	}
}

func (s *Stream) offer(ctx context.Context, req *signalRequest) (*answerReply, *apiError) {
	if req.SDP == "" {
		return nil, &apiError{http.StatusBadRequest, "invalid_sdp", `the offer has no "sdp"`}
	}
	if err := peer.CheckOffer(req.SDP, s.modality != Audio, s.modality != Video); err != nil {
		switch {
		case errors.Is(err, peer.ErrNoAudioCodec):
			return nil, &apiError{http.StatusBadRequest, "unsupported_codec", "the offer's audio section has no Opus; rtcstream streams Opus"}
		case errors.Is(err, peer.ErrNoAudio):
			return nil, &apiError{http.StatusBadRequest, "no_audio", "the offer has no audio section"}
		case errors.Is(err, peer.ErrNoVideoCodec):
			return nil, &apiError{http.StatusBadRequest, "unsupported_codec", "the offer's video section has no VP8; rtcstream streams VP8"}
		case errors.Is(err, peer.ErrNoVideo):
			return nil, &apiError{http.StatusBadRequest, "no_video", "the offer has no video section"}
		}
		return nil, &apiError{http.StatusBadRequest, "invalid_sdp", err.Error()}
	}
	if req.WebRTCID == "" {
		req.WebRTCID = newToken()
	}
	ss, aerr := s.reserve(req.WebRTCID, req.Ticket)
	if aerr != nil {
		return nil, aerr
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.NegotiationTimeout)
	defer cancel()
	answer, err := ss.answer(ctx, req.SDP)
	if err != nil {
		s.release(ss)
		if errors.Is(err, peer.ErrInvalidSDP) {
			return nil, &apiError{http.StatusBadRequest, "invalid_sdp", err.Error()}
		}
		s.opts.Logger.Error("negotiation failed", "session", ss.id, "err", err)
		return nil, &apiError{http.StatusInternalServerError, "negotiation_failed", err.Error()}
	}
	go ss.run()
	return &answerReply{SDP: answer, Type: "answer", WebRTCID: ss.id, Token: ss.token}, nil
}

// reserve registers a new session for id, enforcing the session cap.
func (s *Stream) reserve(id, ticket string) (*session, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return nil, &apiError{http.StatusServiceUnavailable, "shutting_down", "The server is shutting down."}
	case s.byID[id] != nil:
		return nil, &apiError{http.StatusConflict, "duplicate_session", "a session with this webrtc_id is already running"}
	}
	if aerr := s.admit(ticket, time.Now()); aerr != nil {
		return nil, aerr
	}
	ss, err := s.newSession(id)
	if err != nil {
		return nil, &apiError{http.StatusInternalServerError, "session_failed", err.Error()}
	}
	s.byToken[ss.token] = ss
	s.byID[id] = ss
	s.sessions.Add(1)
	if o := s.opts.Observer; o != nil {
		o.SessionStarted()
	}
	return ss, nil
}

// release undoes reserve for a session that never ran.
func (s *Stream) release(ss *session) {
	ss.cancel()
	ss.closeMedia()
	s.forget(ss)
	if o := s.opts.Observer; o != nil {
		o.SessionEnded("negotiation failed")
	}
	close(ss.done) // for a Close that found it while it negotiated
	s.sessions.Done()
}

func (s *Stream) forget(ss *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byToken[ss.token] == ss {
		delete(s.byToken, ss.token)
	}
	if s.byID[ss.id] == ss {
		delete(s.byID, ss.id)
	}
}

// lookup finds a session by its token; the webrtc_id must match when given.
func (s *Stream) lookup(req *signalRequest) (*session, *apiError) {
	s.mu.Lock()
	ss := s.byToken[req.Token]
	s.mu.Unlock()
	if req.Token == "" || ss == nil || (req.WebRTCID != "" && req.WebRTCID != ss.id) {
		return nil, &apiError{http.StatusNotFound, "unknown_session", "no session has this webrtc_id and token; it may have ended"}
	}
	return ss, nil
}

func (s *Stream) candidate(req *signalRequest) *apiError {
	ss, aerr := s.lookup(req)
	if aerr != nil {
		return aerr
	}
	if req.Candidate == nil {
		return &apiError{http.StatusBadRequest, "invalid_candidate", `the request has no "candidate"`}
	}
	if req.Candidate.Candidate == "" {
		return nil // end-of-candidates
	}
	c := ss.conn.Load()
	if c == nil {
		return &apiError{http.StatusConflict, "not_ready", "the session is not negotiated yet"}
	}
	if err := c.AddICECandidate(*req.Candidate); err != nil {
		return &apiError{http.StatusBadRequest, "invalid_candidate", err.Error()}
	}
	return nil
}

func (s *Stream) handleStop(w http.ResponseWriter, r *http.Request) {
	req, aerr := s.readRequest(w, r)
	if aerr == nil {
		var ss *session
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
		writeError(w, &apiError{http.StatusMethodNotAllowed, "method_not_allowed", r.URL.Path + " takes POST"})
		return
	case "/config":
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, &apiError{http.StatusMethodNotAllowed, "method_not_allowed", r.URL.Path + " takes GET"})
		return
	}
	writeError(w, &apiError{http.StatusNotFound, "not_found", r.Method + " " + r.URL.Path + " is not a signalling route"})
}

// configReply is what the page needs before it connects.
type configReply struct {
	RTCConfiguration *RTCConfiguration `json:"rtc_configuration"`
	TimeLimit        float64           `json:"time_limit,omitempty"` // seconds
}

// handleConfig gives the page its RTC configuration for one connection
// (fresh TURN credentials when Options.RTCConfigurationFunc is set).
func (s *Stream) handleConfig(w http.ResponseWriter, r *http.Request) {
	cfg, err := s.rtcConfiguration(r.Context())
	if err != nil {
		s.opts.Logger.Error("rtc configuration failed", "err", err)
		writeError(w, &apiError{http.StatusBadGateway, "rtc_configuration_failed", "could not get an RTC configuration (TURN credentials): " + err.Error()})
		return
	}
	if cfg == nil {
		cfg = &RTCConfiguration{}
	}
	httpjson.Write(w, http.StatusOK, configReply{RTCConfiguration: cfg, TimeLimit: s.opts.TimeLimit.Seconds()})
}
