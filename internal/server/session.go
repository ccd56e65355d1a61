package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/rate"
	"github.com/rtcstream/rtcstream/internal/record"
)

// connectTimeout is how long a session may wait for the browser's ICE and
// DTLS to connect after the answer was sent. A browser that vanishes in
// that window would otherwise hold its session forever.
const connectTimeout = 30 * time.Second

// rttInterval is how often a session's round-trip time is sampled: for
// the Observer, and for the incoming video's wait for retransmissions.
const rttInterval = 2 * time.Second

type endReason int

const (
	endNone endReason = iota
	endClientStop
	endConnection
	endConnectTimeout
	endHandlerError
	endSendError
	endTimeLimit
	endFinished
	endServerClosed
	endIdle
	endFrameTooLarge
)

func (r endReason) String() string {
	switch r {
	case endClientStop:
		return "stopped by the client"
	case endConnection:
		return "connection lost"
	case endConnectTimeout:
		return "the browser never connected"
	case endHandlerError:
		return "the handler failed"
	case endSendError:
		return "sending video failed"
	case endTimeLimit:
		return "time limit reached"
	case endFinished:
		return "the stream finished"
	case endServerClosed:
		return "the server is shutting down"
	case endIdle:
		return "no media"
	case endFrameTooLarge:
		return "the camera's frames are too large"
	}
	return "ended"
}

// reasonText is r in words for the page, the log and the Observer.
func (ss *Session) reasonText(r endReason) string {
	if r == endIdle {
		return r.String() + " for " + shortDuration(ss.idleTimeout())
	}
	return r.String()
}

// Session is one browser's stream: its peer connection, media path and
// handlers. It lives until the browser stops it, the connection fails,
// the error policy ends it, the time limit passes, a generator finishes,
// or the Stream closes.
type Session struct {
	s      *Stream
	id     string // the client's webrtc_id
	token  string // server-issued, required by every later request
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	conn   atomic.Pointer[peer.Conn]
	media  *Media
	input  func(id string, raw []byte) (bool, error)
	HandlersIO
	// identity is what Config.Authorize returned for the offer.
	identity any

	endMu     sync.Mutex
	endReason endReason
	endErr    error
	done      chan struct{} // closed when every resource is freed

	errs errorReports

	rate *rate.Policy // bandwidth adaptation; nil without

	lastSeen atomic.Int64  // unix ns of the browser's last sign of activity (idle.go)
	toldSize atomic.Bool   // the page was told its frames are too large
	ctl      controlBudget // the page's control message rate

	sockets func() // gives back the shared ICE ports (sockets.go); nil before answer

	lastRestart atomic.Int64 // unix ns of the last ICE restart (restart.go)

	whip    whipState // a WHIP publisher's session (whip.go)
	viewers viewers   // who watches its output with WHEP (whep.go)
	seq     uint64    // the order of its reservation, among the stream's

	recIn, recOut atomic.Pointer[record.Recorder] // recording.go
}

// releaseSockets gives back the shared ICE ports, once the connection is
// closed.
func (ss *Session) releaseSockets() {
	if ss.sockets != nil {
		ss.sockets()
	}
}

// Handle is what a handler's context carries of the stream it runs for,
// the root package's Session: a Session here, or a LiveKit worker's
// participant stream. Its methods are safe for concurrent use.
type Handle interface {
	ID() string
	Identity() any
	Logger() *slog.Logger
	// SendJSON sends an encoded control message to the client; it does
	// not block on the network.
	SendJSON(b []byte)
	// AudioOut is the audio output, nil when the stream sends no audio.
	AudioOut() *pipeline.AudioOut
	// Input and Output are the session's Handlers.Input and Output.
	Input(c any) (v any, ok bool)
	Output(c any, v any) error
	// Observer is the stream's Config.Observer, nil when none.
	Observer() Observer
}

// ErrNoIO is Handle.Output's error for a stream without outputs.
var ErrNoIO = errors.New("the stream has no inputs or outputs besides itself")

// HandlersIO gives a Handle's Input and Output from a session's handlers.
type HandlersIO struct{ H Handlers }

// Input returns the current value of input c (Handlers.Input).
func (io HandlersIO) Input(c any) (any, bool) {
	if io.H.Input == nil {
		return nil, false
	}
	return io.H.Input(c)
}

// Output sends v as the value of output c (Handlers.Output).
func (io HandlersIO) Output(c any, v any) error {
	if io.H.Output == nil {
		return ErrNoIO
	}
	return io.H.Output(c, v)
}

// handleKey carries the Handle in its handlers' context.
type handleKey struct{}

// WithHandle returns ctx carrying h, for the handlers it is given to.
func WithHandle(ctx context.Context, h Handle) context.Context {
	return context.WithValue(ctx, handleKey{}, h)
}

// FromContext returns the Handle of the stream whose handler got ctx, or
// nil.
func FromContext(ctx context.Context) Handle {
	h, _ := ctx.Value(handleKey{}).(Handle)
	return h
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// newSession makes a session and its media path for video in vc; answer
// connects it.
func (s *Stream) newSession(id string, vc codec.VideoCodec) (*Session, error) {
	ctx, cancel := context.WithCancel(s.ctx)
	ss := &Session{s: s, id: id, token: newToken(), cancel: cancel, done: make(chan struct{})}
	ss.log = s.cfg.Logger.With("session", id)
	ss.ctx = WithHandle(ctx, ss)
	h, err := s.cfg.NewSession(ss)
	if err == nil {
		ss.input = h.SetInput
		ss.HandlersIO = HandlersIO{h}
		ss.media, err = NewMedia(&s.cfg, h, ss, vc)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return ss, nil
}

// Observer is the Stream's Config.Observer (Handle).
func (ss *Session) Observer() Observer { return ss.s.cfg.Observer }

// Identity is what Config.Authorize returned for the session's offer;
// nil without Authorize.
func (ss *Session) Identity() any { return ss.identity }

// ID is the session's webrtc_id.
func (ss *Session) ID() string { return ss.id }

// Logger is the Stream's logger with the session's id.
func (ss *Session) Logger() *slog.Logger { return ss.log }

// AudioOut is the session's audio output, nil when it sends no audio.
func (ss *Session) AudioOut() *pipeline.AudioOut {
	return ss.media.AudioOut()
}

// WriteVideo sends one packet on the session's video track (Carrier).
func (ss *Session) WriteVideo(p *rtp.Packet) error {
	c := ss.conn.Load()
	ss.viewers.writeVideo(p)
	if r := ss.recOut.Load(); r != nil {
		r.VideoRTP(p, time.Now())
	}
	if c == nil || c.Video() == nil {
		return nil
	}
	if ss.rate != nil {
		ss.rate.Sending()
	}
	return c.Video().WriteRTP(p)
}

// VideoWanted reports whether anyone receives the session's processed
// video (Carrier): the client (a WHIP publisher takes none back), a WHEP
// viewer, or a recording of the output.
func (ss *Session) VideoWanted() bool {
	if c := ss.conn.Load(); c != nil && c.Video() != nil {
		return true
	}
	return ss.viewers.count() > 0 || ss.recOut.Load() != nil
}

// RequestKeyFrame asks the browser's camera for a keyframe (Carrier).
func (ss *Session) RequestKeyFrame() {
	if c := ss.conn.Load(); c != nil {
		c.RequestKeyFrame()
	}
}

// RTT is the connection's round trip, when measured (Carrier).
func (ss *Session) RTT() (time.Duration, bool) {
	if c := ss.conn.Load(); c != nil {
		return c.RTT()
	}
	return 0, false
}

// answer negotiates the peer connection for offer; tune, if given, changes
// the answer's options (WHIP's).
func (ss *Session) answer(ctx context.Context, offer string, tune ...func(*peer.AnswerOptions)) (string, error) {
	cfg, err := ss.s.ice(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("rtc configuration: %w", err)
	}
	c := ss.s.cfg
	opts := peer.AnswerOptions{
		Configuration:     cfg.pion(),
		SendVideo:         c.GivesVideo(),
		VideoCodec:        ss.media.VideoCodec(),
		SendAudio:         c.GivesAudio(),
		OnKeyFrameRequest: ss.media.ForceKeyFrame,
		OnMessage:         ss.onMessage,
		OnControlRefused:  ss.controlRefused,
		ReconnectGrace:    c.ReconnectGrace,
		OnLost: func() {
			ss.log.Info("connection lost: waiting for an ICE restart", "grace", c.ReconnectGrace)
		},
		OnRestored: func() { ss.log.Info("connection restored") },
	}
	ss.media.Receive(&opts)
	ss.watchActivity(&opts)
	ss.recordInput(&opts)
	for _, f := range tune {
		f(&opts)
	}
	api, nc := ss.s.api, c.Net
	ss.sockets = ss.s.sockets(ctx, &nc)
	own := nc.UDPMux != nil || nc.TCPMux != nil
	if !c.FixedBitrate && c.Modality == Video && c.Mode.sends() {
		// Its own API, whose congestion controller drives this session's
		// encoder through its rate.Policy.
		ss.rate = rate.New(c.VideoBitrate, ss.setBitrate)
		nc.Bandwidth = ss.rate.Bandwidth()
		own = true
	}
	if own {
		if api, err = peer.NewAPI(nc); err != nil {
			return "", err
		}
	}
	conn, sdp, err := peer.Answer(ctx, api, offer, opts)
	if err != nil {
		return "", err
	}
	ss.conn.Store(conn)
	go ss.media.Warm() // while the browser connects
	return sdp, nil
}

// setBitrate gives the encoder a target, now and when it is rebuilt.
func (ss *Session) setBitrate(bps int) { ss.media.SetBitrate(bps) }

// run drives the session until it ends, then frees everything. It is
// started once answer succeeded.
func (ss *Session) run() {
	defer ss.s.sessions.Done()
	conn := ss.conn.Load()
	h := &handlerRun{ss: ss, ran: make(chan error, 1)}
	ss.startRecording()
	if ss.media.Early() {
		h.start() // media may arrive as soon as DTLS is up
	}
	ss.wait(conn, h)
	reason, err := ss.reason()
	why := ss.reasonText(reason)
	if reason != endClientStop && reason != endConnection {
		msg := map[string]any{"type": "end", "reason": why}
		if err != nil {
			msg["error"], msg["message"] = true, err.Error()
		}
		ss.Send(msg)
		conn.Flush(500 * time.Millisecond)
	}
	ss.cancel()
	h.wait()
	_ = conn.Close()
	// The files are whole before the session counts as ended: nothing
	// records into them any more (the media path and the connection
	// have stopped).
	recorded := ss.stopRecording()
	ss.releaseSockets()
	ss.s.forget(ss)
	ss.s.obs.sessionEnded(why)
	attrs := append([]any{"reason", why, "err", err}, ss.media.LogAttrs()...)
	attrs = append(attrs, recorded...)
	if n := conn.Dropped(); n > 0 {
		attrs = append(attrs, "control_messages_unsent", n)
	}
	if n := ss.ctl.droppedCount(); n > 0 {
		attrs = append(attrs, "control_messages_dropped", n)
	}
	ss.log.Info("session ended", attrs...)
	ss.media.Close()
	codec.ReleaseMemory() // the codecs' freed C memory, back to the system
	close(ss.done)
}

// handlerRun is the goroutine running a session's media path.
type handlerRun struct {
	ss      *Session
	ran     chan error
	started bool
}

func (h *handlerRun) start() {
	h.started = true
	go func() { h.ran <- h.ss.media.Run(h.ss.ctx) }()
}

// wait waits for a started run to return.
func (h *handlerRun) wait() {
	if h.started {
		<-h.ran
	}
}

// wait waits for the session's end: connection, time limit, idleness,
// handler, client or server. It records why.
func (ss *Session) wait(conn *peer.Conn, h *handlerRun) {
	connectTimer := time.NewTimer(connectTimeout)
	defer connectTimer.Stop()
	var limit <-chan time.Time
	var idle <-chan time.Time     // while connected, with an idle timeout
	var rampTick <-chan time.Time // the fast start's, while it climbs
	watch := idleWatch{ss: ss, conn: conn}
	sampleRTT := time.NewTicker(rttInterval)
	defer sampleRTT.Stop()
	connected := conn.Connected()
	for {
		select {
		case <-connected:
			connected = nil
			connectTimer.Stop()
			if tl := ss.s.cfg.TimeLimit; tl > 0 {
				t := time.NewTimer(tl)
				defer t.Stop()
				limit = t.C
				ss.Send(map[string]any{"type": "time_limit", "seconds": tl.Seconds()})
			}
			if !h.started {
				h.start()
			}
			if d := ss.idleTimeout(); d > 0 {
				ss.touch(time.Now()) // what came before the connection does not count
				t := time.NewTicker(idleCheck(d))
				defer t.Stop()
				idle = t.C
			}
			if ss.rate != nil {
				t := time.NewTicker(rate.TickInterval)
				defer t.Stop()
				rampTick = t.C
			}
		case now := <-rampTick:
			if !ss.rate.Tick(now) {
				rampTick = nil
			}
		case <-connectTimer.C:
			ss.setEnd(endConnectTimeout, nil)
			return
		case <-sampleRTT.C:
			if rtt, ok := conn.RTT(); ok {
				ss.media.SetRTT(rtt)
				ss.s.obs.rtt(rtt)
			}
		case <-limit:
			ss.setEnd(endTimeLimit, nil)
			return
		case now := <-idle:
			if watch.idle(now) {
				ss.setEnd(endIdle, nil)
				return
			}
		case <-conn.Done():
			ss.setEnd(endConnection, conn.Err())
			return
		case err := <-h.ran:
			h.started = false // its goroutine is done
			var herr *pipeline.HandlerError
			var big *pipeline.FrameTooLargeError
			switch {
			case errors.As(err, &herr):
				ss.setEnd(endHandlerError, err)
			case errors.As(err, &big):
				ss.setEnd(endFrameTooLarge, err)
			case err != nil:
				ss.setEnd(endSendError, err)
			default:
				ss.setEnd(endFinished, nil)
			}
			return
		case <-ss.ctx.Done():
			return
		}
	}
}

// setEnd records why the session ends; the first reason wins.
func (ss *Session) setEnd(r endReason, err error) {
	ss.endMu.Lock()
	defer ss.endMu.Unlock()
	if ss.endReason == endNone {
		ss.endReason, ss.endErr = r, err
	}
}

func (ss *Session) reason() (endReason, error) {
	ss.endMu.Lock()
	defer ss.endMu.Unlock()
	return ss.endReason, ss.endErr
}

// end stops the session for reason r and waits until its resources are
// freed.
func (ss *Session) end(r endReason, err error) {
	ss.setEnd(r, err)
	ss.cancel()
	<-ss.done
}
