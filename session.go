package rtcstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/vpx"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// connectTimeout is how long a session may wait for the browser's ICE and
// DTLS to connect after the answer was sent. A browser that vanishes in
// that window would otherwise hold its session forever.
const connectTimeout = 30 * time.Second

// errorMessageInterval rate-limits handler error messages to the browser.
const errorMessageInterval = time.Second

type endReason int

const (
	endNone endReason = iota
	endClientStop
	endConnection
	endConnectTimeout
	endHandlerError
	endSendError
	endServerClosed
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
	case endServerClosed:
		return "the server is shutting down"
	}
	return "ended"
}

// session is one browser's stream: its peer connection, frame path and
// handler goroutine. It lives until the browser stops it, the connection
// fails, the error policy ends it, or the Stream closes.
type session struct {
	s      *Stream
	id     string // the client's webrtc_id
	token  string // server-issued, required by every later request
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	conn   atomic.Pointer[peer.Conn]
	video  *pipeline.Video

	endMu     sync.Mutex
	endReason endReason
	endErr    error
	done      chan struct{} // closed when every resource is freed

	lastErrMsg time.Time // handler goroutine only
	suppressed int
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// newSession builds the session's frame path. start connects it.
func (s *Stream) newSession(id string) (*session, error) {
	ctx, cancel := context.WithCancel(s.ctx)
	ss := &session{
		s:      s,
		id:     id,
		token:  newToken(),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	ss.log = s.opts.Logger.With("session", id)
	bitrate := s.opts.VideoBitrate
	v, err := pipeline.NewVideo(pipeline.VideoConfig{
		Handler:         s.video,
		NewEncoder:      func() (codec.VideoEncoder, error) { return newVP8Encoder(bitrate) },
		NewDecoder:      newVP8Decoder,
		Out:             trackWriter{ss},
		RequestKeyFrame: ss.requestKeyFrame,
		OnHandlerError:  ss.handlerError,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	ss.video = v
	return ss, nil
}

// newVP8Encoder and newVP8Decoder keep a failed constructor's nil pointer
// from becoming a non-nil interface.
func newVP8Encoder(bitrate int) (codec.VideoEncoder, error) {
	e, err := vpx.NewEncoder(vpx.EncoderConfig{BitRate: bitrate})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func newVP8Decoder() (codec.VideoDecoder, error) {
	d, err := vpx.NewDecoder()
	if err != nil {
		return nil, err
	}
	return d, nil
}

// trackWriter sends the pipeline's packets on the session's video track.
type trackWriter struct{ ss *session }

func (w trackWriter) WriteRTP(p *rtp.Packet) error {
	c := w.ss.conn.Load()
	if c == nil || c.Video() == nil {
		return nil
	}
	return c.Video().WriteRTP(p)
}

func (ss *session) requestKeyFrame() {
	if c := ss.conn.Load(); c != nil {
		c.RequestKeyFrame()
	}
}

// answer negotiates the peer connection for offer.
func (ss *session) answer(ctx context.Context, offer string) (string, error) {
	conn, sdp, err := peer.Answer(ctx, ss.s.api, offer, peer.AnswerOptions{
		Configuration: ss.s.opts.RTCConfiguration.pion(),
		SendVideo:     true,
		OnVideoRTP: func(p *rtp.Packet, at time.Time) {
			ss.video.PushRTP(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload, at)
		},
		OnKeyFrameRequest: ss.video.ForceKeyFrame,
		OnMessage:         ss.onMessage,
	})
	if err != nil {
		return "", err
	}
	ss.conn.Store(conn)
	return sdp, nil
}

// run drives the session until it ends, then frees everything. It is
// started once answer succeeded.
func (ss *session) run() {
	defer ss.s.sessions.Done()
	conn := ss.conn.Load()
	ran := make(chan error, 1)
	go func() { ran <- ss.video.Run(ss.ctx) }()

	connectTimer := time.NewTimer(connectTimeout)
	defer connectTimer.Stop()
	connected := conn.Connected()
	runDone := false
wait:
	for {
		select {
		case <-connected:
			connected = nil
			connectTimer.Stop()
		case <-connectTimer.C:
			ss.setEnd(endConnectTimeout, nil)
			break wait
		case <-conn.Done():
			ss.setEnd(endConnection, conn.Err())
			break wait
		case err := <-ran:
			runDone = true
			var herr *pipeline.HandlerError
			if errors.As(err, &herr) {
				ss.setEnd(endHandlerError, err)
			} else if err != nil {
				ss.setEnd(endSendError, err)
			}
			break wait
		case <-ss.ctx.Done():
			break wait
		}
	}
	reason, err := ss.reason()
	if reason != endClientStop && reason != endConnection {
		msg := map[string]any{"type": "end", "reason": reason.String()}
		if err != nil {
			msg["error"], msg["message"] = true, err.Error()
		}
		ss.send(msg)
		conn.Flush(500 * time.Millisecond)
	}
	ss.cancel()
	if !runDone {
		<-ran
	}
	_ = conn.Close()
	_ = ss.video.Close()
	ss.s.forget(ss)
	st := ss.video.Stats()
	ss.log.Info("session ended", "reason", reason.String(), "err", err,
		"decoded", st.Decoded, "handled", st.Handled, "dropped_stale", st.DroppedStale,
		"lost", st.Assembler.Lost, "handler_errors", st.HandlerErrors)
	close(ss.done)
}

// setEnd records why the session ends; the first reason wins.
func (ss *session) setEnd(r endReason, err error) {
	ss.endMu.Lock()
	defer ss.endMu.Unlock()
	if ss.endReason == endNone {
		ss.endReason, ss.endErr = r, err
	}
}

func (ss *session) reason() (endReason, error) {
	ss.endMu.Lock()
	defer ss.endMu.Unlock()
	return ss.endReason, ss.endErr
}

// end stops the session for reason r and waits until its resources are
// freed.
func (ss *session) end(r endReason, err error) {
	ss.setEnd(r, err)
	ss.cancel()
	<-ss.done
}

// handlerError reports a handler failure to the browser (rate-limited, so a
// handler failing on every frame does not flood it) and the log, and says
// whether the session should end.
func (ss *session) handlerError(err error) bool {
	var herr *pipeline.HandlerError
	if errors.As(err, &herr) && herr.Panic {
		ss.log.Error("handler panicked", "err", herr.Err, "stack", string(herr.Stack))
	} else {
		ss.log.Warn("handler failed", "err", err)
	}
	stop := ss.s.opts.OnHandlerError == EndOnError
	now := time.Now()
	if stop || now.Sub(ss.lastErrMsg) >= errorMessageInterval {
		msg := err.Error()
		if ss.suppressed > 0 {
			msg = fmt.Sprintf("%s (and %d more errors)", msg, ss.suppressed)
		}
		ss.send(map[string]string{"type": "error", "message": msg})
		ss.lastErrMsg, ss.suppressed = now, 0
	} else {
		ss.suppressed++
	}
	return stop
}

// send sends a control message to the browser, if its channel is open.
func (ss *session) send(msg any) {
	c := ss.conn.Load()
	if c == nil {
		return
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return
	}
	c.Send(b)
}

// onMessage handles a control message from the browser.
func (ss *session) onMessage(msg []byte) {
	var m struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(msg, &m) != nil {
		ss.log.Debug("unreadable control message", "len", len(msg))
		return
	}
	switch m.Type {
	case "stop":
		go ss.end(endClientStop, nil)
	}
}
