package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/pion/rtp"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/peer"
)

// WHEP playback (RFC 9725's sibling, draft-ietf-wish-whep): a player
// watches a session's processed output, encoded once and sent to every
// viewer, so one source is processed once and watched by many.
//
//	POST   {prefix}/whep[?session=webrtc_id]  application/sdp offer
//	  -> 201 application/sdp answer; Location {prefix}/whep/{token}, ETag
//	PATCH  {prefix}/whep/{token}  trickled candidates -> 204
//	DELETE {prefix}/whep/{token}  -> 200: the viewer leaves
//	OPTIONS either                -> 204, CORS for allowed origins
//
// What can be watched: a WHIP publisher's session (a broadcast by
// nature) and a receive-mode generator's, never a page's camera or
// microphone session (someone's face and voice are theirs). Without
// ?session, the most recent such session. Each session takes at most
// Config.MaxViewers viewers (503 past it), every offer passes the
// signalling's checks and rate, and a viewer ends with its source.

// viewer is one WHEP player of a session's output.
type viewer struct {
	token   string
	src     *Session
	conn    *peer.Conn
	release func() // its shared ICE ports
	stop    context.CancelFunc
	done    chan struct{}

	dropped sync.Once

	mu        sync.Mutex
	trickled  int
	etag      string
	connected bool
}

// viewers are a session's WHEP viewers.
type viewers struct {
	mu      sync.Mutex
	set     map[*viewer]struct{}
	lastKey time.Time // the last keyframe asked for on a viewer's behalf
	pending bool      // a request within the interval, to be granted at its end
}

// viewerKeyFrameInterval bounds the keyframes viewers may ask of their
// source: one viewer's (or many's) requests in a loop would otherwise
// make every frame a keyframe, for the publisher and every viewer.
const viewerKeyFrameInterval = 500 * time.Millisecond

// keyFrame asks the source for a keyframe on a viewer's behalf (force),
// at most once per viewerKeyFrameInterval: a request within the interval
// is granted at its end, once however many came, so that a viewer that
// joins just after another still gets its first picture within the
// interval. The deferred request is dropped if every viewer has left.
func (v *viewers) keyFrame(force func()) {
	v.mu.Lock()
	now := time.Now()
	wait := viewerKeyFrameInterval - now.Sub(v.lastKey)
	switch {
	case wait <= 0:
		v.lastKey = now
		v.mu.Unlock()
		force()
	case v.pending:
		v.mu.Unlock()
	default:
		v.pending = true
		v.mu.Unlock()
		time.AfterFunc(wait, func() {
			v.mu.Lock()
			v.pending = false
			v.lastKey = time.Now()
			watched := len(v.set) > 0
			v.mu.Unlock()
			if watched {
				force()
			}
		})
	}
}

func (v *viewers) add(x *viewer, max int) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.set) >= max {
		return false
	}
	if v.set == nil {
		v.set = map[*viewer]struct{}{}
	}
	v.set[x] = struct{}{}
	return true
}

func (v *viewers) remove(x *viewer) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.set, x)
}

// count is how many watch.
func (v *viewers) count() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.set)
}

// each calls f for every viewer that has connected.
func (v *viewers) each(f func(*viewer)) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for x := range v.set {
		x.mu.Lock()
		ok := x.connected
		x.mu.Unlock()
		if ok {
			f(x)
		}
	}
}

// writeVideo sends a packet of the session's output video to its viewers.
func (v *viewers) writeVideo(p *rtp.Packet) {
	v.each(func(x *viewer) {
		if t := x.conn.Video(); t != nil {
			_ = t.WriteRTP(p) // a viewer's failure is its own
		}
	})
}

// writeAudio sends an Opus packet of the session's output to its viewers.
func (v *viewers) writeAudio(packet []byte, d time.Duration) {
	v.each(func(x *viewer) {
		if t := x.conn.Audio(); t != nil {
			_ = t.WriteSample(pionmedia.Sample{Data: packet, Duration: d})
		}
	})
}

// watchable reports whether WHEP viewers may watch ss.
func (ss *Session) watchable() bool {
	if offer, _ := ss.whip.current(); offer != "" {
		return true
	}
	return !ss.s.cfg.Mode.receives() // a generator's
}

func (s *Stream) mountWHEP(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("POST "+prefix+"/whep", s.whRoute(sdpType, s.handleWHEP))
	mux.HandleFunc("PATCH "+prefix+"/whep/{token}", s.whRoute(sdpFragType, s.handleWHEPPatch))
	mux.HandleFunc("DELETE "+prefix+"/whep/{token}", s.whRoute("", s.handleWHEPDelete))
	mux.HandleFunc("OPTIONS "+prefix+"/whep", s.handleWHIPOptions)
	mux.HandleFunc("OPTIONS "+prefix+"/whep/{token}", s.handleWHIPOptions)
}

// source finds the session a viewer asks for.
func (s *Stream) source(id string) (*Session, *apiError) {
	if !s.cfg.GivesVideo() && !s.cfg.GivesAudio() {
		return nil, refuse(http.StatusMethodNotAllowed, "no_output", "this stream sends nothing back to watch (send mode)")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id != "" {
		ss := s.byID[id]
		switch {
		case ss == nil:
			return nil, refuse(http.StatusNotFound, "unknown_session", "no session has this webrtc_id; it may have ended")
		case !ss.watchable():
			return nil, refuse(http.StatusForbidden, "not_watchable", "this session is a page's own camera or microphone; only WHIP publishers and generators can be watched")
		}
		return ss, nil
	}
	var latest *Session
	for _, ss := range s.byToken {
		if ss.watchable() && ss.conn.Load() != nil && (latest == nil || ss.seq > latest.seq) {
			latest = ss
		}
	}
	if latest == nil {
		return nil, refuse(http.StatusNotFound, "no_source", "nothing to watch yet: no WHIP publisher or generator session is running")
	}
	return latest, nil
}

func (s *Stream) handleWHEP(w http.ResponseWriter, r *http.Request, c *caller) {
	if s.cfg.MaxViewers <= 0 {
		writeError(w, refuse(http.StatusNotFound, "whep_off", "this stream has no WHEP viewers (Options.MaxViewers)"))
		return
	}
	body, ok := s.readSDP(w, r)
	if !ok {
		return
	}
	if aerr := checkOfferCandidates(body); aerr != nil {
		writeError(w, aerr)
		return
	}
	src, aerr := s.source(r.URL.Query().Get("session"))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	if vc := src.media.VideoCodec(); s.cfg.GivesVideo() {
		// The viewer gets the session's packets as they are.
		if _, err := peer.CheckOffer(body, true, false, []codec.VideoCodec{vc}); err != nil {
			if errors.Is(err, peer.ErrInvalidSDP) {
				writeError(w, refuse(http.StatusBadRequest, "invalid_sdp", clip(err.Error(), 300)))
			} else {
				writeError(w, refuse(http.StatusUnprocessableEntity, "unsupported_codec",
					"the session sends "+string(vc)+" video, which the offer does not take"))
			}
			return
		}
	}
	if ok, retry := s.access.rates.take(c.client, time.Now()); !ok {
		writeError(w, rateLimited(retry))
		return
	}
	v := &viewer{token: newToken(), src: src, done: make(chan struct{}), etag: `"ice-1"`}
	if !src.viewers.add(v, s.cfg.MaxViewers) {
		writeError(w, refuse(http.StatusServiceUnavailable, "too_many_viewers",
			"this session has its "+itoa(s.cfg.MaxViewers)+" viewers; try again later"))
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		src.viewers.remove(v)
		writeError(w, refuse(http.StatusServiceUnavailable, "shutting_down", "The server is shutting down."))
		return
	}
	s.viewers[v.token] = v
	s.watching.Add(1)
	s.mu.Unlock()
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.NegotiationTimeout + 10*time.Second))
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.NegotiationTimeout)
	defer cancel()
	answer, err := s.answerViewer(ctx, v, body)
	if err != nil {
		s.dropViewer(v)
		s.watching.Done()
		if errors.Is(err, peer.ErrInvalidSDP) {
			writeError(w, refuse(http.StatusBadRequest, "invalid_sdp", clip(err.Error(), 300)))
			return
		}
		writeError(w, refuse(http.StatusInternalServerError, "negotiation_failed", clip(err.Error(), 300)))
		return
	}
	src.log.Info("WHEP viewer", "client", c.client, "viewers", src.viewers.count())
	go func() {
		defer s.watching.Done()
		s.runViewer(v)
	}()
	s.linkICEServers(w, r)
	h := w.Header()
	h.Set("Location", whipPath(r.URL.Path, v.token))
	h.Set("ETag", v.etag)
	h.Set("Accept-Patch", sdpFragType)
	h.Set("Content-Type", sdpType)
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write([]byte(answer))
}

// answerViewer negotiates a viewer's connection: the source's output
// tracks, every server candidate in the answer.
func (s *Stream) answerViewer(ctx context.Context, v *viewer, offer string) (string, error) {
	cfg, err := s.ice(ctx, nil)
	if err != nil {
		return "", err
	}
	opts := peer.AnswerOptions{
		Configuration:     cfg.pion(),
		SendVideo:         s.cfg.GivesVideo(),
		VideoCodec:        v.src.media.VideoCodec(),
		SendAudio:         s.cfg.GivesAudio(),
		OnKeyFrameRequest: func() { v.src.viewers.keyFrame(v.src.media.ForceKeyFrame) },
		AnswerWait:        s.cfg.NegotiationTimeout / 2,
	}
	api, nc := s.api, s.cfg.Net
	v.release = s.sockets(ctx, &nc)
	if nc.UDPMux != nil || nc.TCPMux != nil {
		if api, err = peer.NewAPI(nc); err != nil {
			return "", err
		}
	}
	conn, answer, err := peer.Answer(ctx, api, offer, opts)
	if err != nil {
		return "", err
	}
	v.conn = conn
	return answer, nil
}

// runViewer waits for the viewer to connect (then asks the source for a
// keyframe to start its picture), and for its end: its connection's, its
// DELETE, or its source's.
func (s *Stream) runViewer(v *viewer) {
	ctx, stop := context.WithCancel(v.src.ctx)
	v.mu.Lock()
	v.stop = stop
	v.mu.Unlock()
	defer s.dropViewer(v)
	timer := time.NewTimer(connectTimeout)
	defer timer.Stop()
	select {
	case <-v.conn.Connected():
		v.mu.Lock()
		v.connected = true
		v.mu.Unlock()
		v.src.viewers.keyFrame(v.src.media.ForceKeyFrame)
	case <-timer.C:
		return
	case <-ctx.Done():
		return
	case <-v.conn.Done():
		return
	}
	select {
	case <-ctx.Done():
	case <-v.conn.Done():
	}
}

// dropViewer frees a viewer, once: its place, its connection, its ports.
func (s *Stream) dropViewer(v *viewer) {
	v.dropped.Do(func() { s.freeViewer(v) })
}

func (s *Stream) freeViewer(v *viewer) {
	v.src.viewers.remove(v)
	s.mu.Lock()
	delete(s.viewers, v.token)
	s.mu.Unlock()
	if v.conn != nil {
		_ = v.conn.Close()
	}
	if v.release != nil {
		v.release()
		v.release = nil
	}
}

func (s *Stream) viewerOf(r *http.Request) (*viewer, *apiError) {
	s.mu.Lock()
	v := s.viewers[r.PathValue("token")]
	s.mu.Unlock()
	if v == nil {
		return nil, refuse(http.StatusNotFound, "unknown_viewer", "no WHEP viewer has this URL; it may have ended")
	}
	return v, nil
}

func (s *Stream) handleWHEPDelete(w http.ResponseWriter, r *http.Request, _ *caller) {
	v, aerr := s.viewerOf(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	v.mu.Lock()
	stop := v.stop
	v.mu.Unlock()
	if stop != nil {
		stop()
	} else {
		s.dropViewer(v)
	}
	w.WriteHeader(http.StatusOK)
}

// handleWHEPPatch takes trickled candidates; a viewer restarts by
// watching afresh (422 for an ICE restart, as RFC 9725 section 4.3 asks of
// a resource that trickles but does not restart).
func (s *Stream) handleWHEPPatch(w http.ResponseWriter, r *http.Request, _ *caller) {
	v, aerr := s.viewerOf(r)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	body, ok := s.readSDP(w, r)
	if !ok {
		return
	}
	frag := parseFragment(body)
	v.mu.Lock()
	etag := v.etag
	v.mu.Unlock()
	switch m := r.Header.Get("If-Match"); {
	case frag.ufrag != "" || frag.pwd != "":
		writeError(w, refuse(http.StatusUnprocessableEntity, "no_restart", "a WHEP viewer does not restart ICE: watch again with a new offer"))
		return
	case m != "" && m != etag:
		writeError(w, refuse(http.StatusPreconditionFailed, "etag_mismatch", "If-Match does not name this viewer's ICE"))
		return
	}
	for _, cand := range frag.candidates {
		v.mu.Lock()
		v.trickled++
		over := v.trickled > maxTrickled
		v.mu.Unlock()
		if over {
			writeError(w, refuse(http.StatusBadRequest, "too_many_candidates", "a viewer takes at most "+itoa(maxTrickled)+" trickled ICE candidates"))
			return
		}
		if err := checkCandidate(cand); err != nil {
			writeError(w, refuse(http.StatusBadRequest, "invalid_candidate", err.Error()))
			return
		}
		if err := v.conn.AddICECandidate(iceCandidate(cand, frag.mid)); err != nil {
			writeError(w, refuse(http.StatusBadRequest, "invalid_candidate", clip(err.Error(), 200)))
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}
