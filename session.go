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
	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/vpx"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/rate"
	"github.com/rtcstream/rtcstream/ui"
)

// connectTimeout is how long a session may wait for the browser's ICE and
// DTLS to connect after the answer was sent. A browser that vanishes in
// that window would otherwise hold its session forever.
const connectTimeout = 30 * time.Second

// rttInterval is how often a session's round-trip time is sampled: for
// the Observer, and for the incoming video's wait for retransmissions.
const rttInterval = 2 * time.Second

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
	endTimeLimit
	endFinished
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
	case endTimeLimit:
		return "time limit reached"
	case endFinished:
		return "the stream finished"
	case endServerClosed:
		return "the server is shutting down"
	}
	return "ended"
}

// session is one browser's stream: its peer connection, frame path and
// handler goroutine. It lives until the browser stops it, the connection
// fails, the error policy ends it, the time limit passes, a generator
// finishes, or the Stream closes.
type session struct {
	s         *Stream
	id        string // the client's webrtc_id
	token     string // server-issued, required by every later request
	log       *slog.Logger
	ctx       context.Context
	cancel    context.CancelFunc
	conn      atomic.Pointer[peer.Conn]
	video     *pipeline.Video  // video, send-receive and send modes
	out       *pipeline.Sender // video, receive mode
	audio     *audioPath       // audio
	audioBind *audioBinding    // the audio handler (per session for audio-video)
	inputs    *inputValues

	endMu     sync.Mutex
	endReason endReason
	endErr    error
	done      chan struct{} // closed when every resource is freed

	errMu      sync.Mutex
	lastErrMsg time.Time
	suppressed int

	outMu   sync.Mutex
	lastOut map[int]string // last value sent per additional output

	bitrate atomic.Int64 // the encoder's target under bandwidth adaptation
	rate    *rate.Policy // bandwidth adaptation; nil without
}

func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// newSession builds the session's frame path; answer connects it.
func (s *Stream) newSession(id string) (*session, error) {
	ctx, cancel := context.WithCancel(s.ctx)
	ss := &session{
		s:      s,
		id:     id,
		token:  newToken(),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
		inputs: newInputValues(s.bind),
	}
	ss.log = s.opts.Logger.With("session", id)
	ss.ctx = context.WithValue(ctx, sessionKey{}, ss) // SessionFrom in the handler
	bitrate := s.opts.VideoBitrate
	newEnc := func() (codec.VideoEncoder, error) {
		if b := ss.bitrate.Load(); b > 0 {
			return newVP8Encoder(int(b)) // bandwidth adaptation's target
		}
		return newVP8Encoder(bitrate)
	}
	if s.modality == Audio || s.modality == AudioVideo {
		ss.audioBind = s.audio
		videoHandler := s.bind.videoHandler(ss.inputs, ss.sendOutputs)
		if s.av != nil {
			h := s.av() // this session's handler
			ss.audioBind = &audioBinding{stream: h.Audio}
			videoHandler = videoOf(h)
		}
		a, err := newAudioPath(ss)
		if err != nil {
			cancel()
			return nil, err
		}
		ss.audio = a
		if s.modality == Audio {
			return ss, nil
		}
		v, err := pipeline.NewVideo(pipeline.VideoConfig{
			Handler: videoHandler, NewEncoder: newEnc, NewDecoder: newVP8Decoder, Out: trackWriter{ss},
			RequestKeyFrame: ss.requestKeyFrame, OnHandlerError: ss.handlerError, Observer: s.observer(),
		})
		if err != nil {
			a.close()
			cancel()
			return nil, err
		}
		ss.video = v
		return ss, nil
	}
	if s.mode == Receive {
		ss.out = pipeline.NewSender(newEnc, trackWriter{ss}, 0)
		ss.out.SetObserver(s.observer())
		return ss, nil
	}
	v, err := pipeline.NewVideo(pipeline.VideoConfig{
		Handler:         s.bind.videoHandler(ss.inputs, ss.sendOutputs),
		NewEncoder:      newEnc,
		NewDecoder:      newVP8Decoder,
		Out:             trackWriter{ss},
		RequestKeyFrame: ss.requestKeyFrame,
		OnHandlerError:  ss.handlerError,
		Observer:        s.observer(),
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
	// Sized for the common camera, so a warmed encoder is ready for the
	// first frame; another size rebuilds it on that frame. It sends every
	// frame (no DropFrames): skipping frames that overrun the bitrate
	// measured no better after scene cuts on a 500 kbit/s link (p95
	// 264-290 ms against 249-251 ms without) and cost frames on fast links
	// while the bandwidth estimate climbs from its 300 kbit/s start.
	e, err := vpx.NewEncoder(vpx.EncoderConfig{BitRate: bitrate, Width: 640, Height: 480})
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
	if w.ss.rate != nil {
		w.ss.rate.Sending()
	}
	return c.Video().WriteRTP(p)
}

func (ss *session) requestKeyFrame() {
	if c := ss.conn.Load(); c != nil {
		c.RequestKeyFrame()
	}
}

func (ss *session) forceKeyFrame() {
	switch {
	case ss.video != nil:
		ss.video.ForceKeyFrame()
	case ss.out != nil:
		ss.out.ForceKeyFrame()
	}
}

// answer negotiates the peer connection for offer.
func (ss *session) answer(ctx context.Context, offer string) (string, error) {
	cfg, err := ss.s.rtcConfiguration(ctx)
	if err != nil {
		return "", fmt.Errorf("rtc configuration: %w", err)
	}
	opts := peer.AnswerOptions{
		Configuration:     cfg.pion(),
		SendVideo:         ss.s.modality != Audio && ss.s.mode != Send,
		SendAudio:         ss.s.modality != Video && ss.s.mode != Send,
		OnKeyFrameRequest: ss.forceKeyFrame,
		OnMessage:         ss.onMessage,
	}
	if ss.video != nil {
		opts.OnVideoRTP = func(p *rtp.Packet, at time.Time) {
			ss.video.PushRTP(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload, at)
		}
	}
	if ss.audio != nil && ss.audio.in != nil {
		opts.OnAudioRTP = func(p *rtp.Packet, _ time.Time) {
			ss.audio.in.PushRTP(p.SequenceNumber, p.Timestamp, p.Payload)
		}
	}
	api, err := ss.api()
	if err != nil {
		return "", err
	}
	conn, sdp, err := peer.Answer(ctx, api, offer, opts)
	if err != nil {
		return "", err
	}
	ss.conn.Store(conn)
	switch {
	case ss.video != nil && ss.s.mode == SendReceive:
		go ss.video.Warm() // while the browser connects
	case ss.out != nil:
		go ss.out.Warm()
	}
	return sdp, nil
}

// api returns the WebRTC API for the session's connection. A session that
// sends video and adapts its bitrate gets one of its own, whose congestion
// controller drives its encoder through the session's rate.Policy.
func (ss *session) api() (*webrtc.API, error) {
	s := ss.s
	if s.opts.FixedBitrate || s.modality != Video || s.mode == Send {
		return s.api, nil
	}
	ss.rate = rate.New(s.opts.VideoBitrate, ss.setBitrate)
	nc := s.net
	nc.Bandwidth = ss.rate.Bandwidth()
	return peer.NewAPI(nc)
}

// setBitrate gives the encoder a target, now and when it is rebuilt.
func (ss *session) setBitrate(bps int) {
	ss.bitrate.Store(int64(bps))
	switch {
	case ss.video != nil:
		_ = ss.video.SetBitrate(bps)
	case ss.out != nil:
		_ = ss.out.SetBitrate(bps)
	}
}

// run drives the session until it ends, then frees everything. It is
// started once answer succeeded.
func (ss *session) run() {
	defer ss.s.sessions.Done()
	conn := ss.conn.Load()
	ran := make(chan error, 1)
	started := false
	start := func() {
		started = true
		switch {
		case ss.audio != nil && ss.video != nil:
			go func() { ran <- ss.runAudioVideo(ss.ctx) }()
		case ss.audio != nil:
			go func() { ran <- ss.runAudio(ss.ctx) }()
		case ss.video != nil:
			go func() { ran <- ss.video.Run(ss.ctx) }()
		default:
			go func() { ran <- ss.generate(ss.ctx) }()
		}
	}
	if ss.video != nil || (ss.audio != nil && ss.audio.in != nil) {
		start() // media may arrive as soon as DTLS is up
	}

	connectTimer := time.NewTimer(connectTimeout)
	defer connectTimer.Stop()
	var limit <-chan time.Time
	var rampTick <-chan time.Time // the fast start's, while it climbs
	var sampleRTT <-chan time.Time
	if ss.s.opts.Observer != nil || ss.video != nil {
		t := time.NewTicker(rttInterval)
		defer t.Stop()
		sampleRTT = t.C
	}
	connected := conn.Connected()
wait:
	for {
		select {
		case <-connected:
			connected = nil
			connectTimer.Stop()
			if tl := ss.s.opts.TimeLimit; tl > 0 {
				t := time.NewTimer(tl)
				defer t.Stop()
				limit = t.C
				ss.send(map[string]any{"type": "time_limit", "seconds": tl.Seconds()})
			}
			if !started {
				start()
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
			break wait
		case <-sampleRTT:
			if rtt, ok := conn.RTT(); ok {
				if ss.video != nil {
					ss.video.SetRTT(rtt)
				}
				if o := ss.s.opts.Observer; o != nil {
					o.RTT(rtt)
				}
			}
		case <-limit:
			ss.setEnd(endTimeLimit, nil)
			break wait
		case <-conn.Done():
			ss.setEnd(endConnection, conn.Err())
			break wait
		case err := <-ran:
			started = false // its goroutine is done
			var herr *pipeline.HandlerError
			switch {
			case errors.As(err, &herr):
				ss.setEnd(endHandlerError, err)
			case err != nil:
				ss.setEnd(endSendError, err)
			default:
				ss.setEnd(endFinished, nil)
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
	if started {
		<-ran
	}
	_ = conn.Close()
	ss.s.forget(ss)
	if o := ss.s.opts.Observer; o != nil {
		o.SessionEnded(reason.String())
	}
	ss.logEnd(reason, err)
	ss.closeMedia()
	close(ss.done)
}

// closeMedia frees the session's codecs.
func (ss *session) closeMedia() {
	if ss.audio != nil {
		ss.audio.close()
	}
	switch {
	case ss.video != nil:
		_ = ss.video.Close()
	case ss.out != nil:
		_ = ss.out.Close()
	}
}

func (ss *session) logEnd(reason endReason, err error) {
	if ss.audio != nil && ss.video == nil {
		var st pipeline.AudioOutStats
		if ss.audio.out != nil {
			st = ss.audio.out.Stats()
		}
		ss.log.Info("session ended", "reason", reason.String(), "err", err,
			"audio_packets_sent", st.Sent, "audio_packets_late", st.Late, "audio_slots_skipped", st.Skipped, "audio_packets_short", st.Short,
			"audio_dropped_for_latency", st.DroppedLive, "audio_flushed", st.Flushed,
			"audio_frames_dropped", ss.audio.dropped.Load())
		return
	}
	if ss.video == nil {
		ss.log.Info("session ended", "reason", reason.String(), "err", err, "sent", ss.out.Encoded())
		return
	}
	st := ss.video.Stats()
	ss.log.Info("session ended", "reason", reason.String(), "err", err,
		"decoded", st.Decoded, "handled", st.Handled, "dropped_stale", st.DroppedStale,
		"lost", st.Assembler.Lost, "handler_errors", st.HandlerErrors)
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
	if o := ss.s.opts.Observer; o != nil {
		o.HandlerFailed()
	}
	stop := ss.s.opts.OnHandlerError == EndOnError
	ss.errMu.Lock()
	defer ss.errMu.Unlock()
	now := time.Now()
	if !stop && now.Sub(ss.lastErrMsg) < errorMessageInterval {
		ss.suppressed++ // counted in the next report, to page and log alike
		return false
	}
	msg := err.Error()
	if ss.suppressed > 0 {
		msg = fmt.Sprintf("%s (and %d more errors)", msg, ss.suppressed)
	}
	var herr *pipeline.HandlerError
	if errors.As(err, &herr) && herr.Panic {
		ss.log.Error("handler panicked", "err", herr.Err, "more", ss.suppressed, "stack", string(herr.Stack))
	} else {
		ss.log.Warn("handler failed", "err", err, "more", ss.suppressed)
	}
	ss.send(map[string]string{"type": "error", "message": msg})
	ss.lastErrMsg, ss.suppressed = now, 0
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

// sendOutputs sends a handler's additional outputs to the page, each only
// when its value changed.
func (ss *session) sendOutputs(values map[int]any) {
	ss.outMu.Lock()
	defer ss.outMu.Unlock()
	changed := map[string]json.RawMessage{}
	for i, v := range values {
		id := ss.s.outputID(i)
		if id == "" {
			continue
		}
		raw, err := ss.s.bind.results[i].output.Encode(v)
		if err != nil {
			ss.handlerError(fmt.Errorf("output %s: %w", ui.Describe(ss.s.bind.results[i].output), err))
			continue
		}
		if ss.lastOut == nil {
			ss.lastOut = map[int]string{}
		}
		if ss.lastOut[i] == string(raw) {
			continue
		}
		ss.lastOut[i] = string(raw)
		changed[id] = raw
	}
	if len(changed) > 0 {
		ss.send(map[string]any{"type": "output", "values": changed})
	}
}

// onMessage handles a control message from the browser.
func (ss *session) onMessage(msg []byte) {
	var m struct {
		Type   string                     `json:"type"`
		Values map[string]json.RawMessage `json:"values"`
	}
	if json.Unmarshal(msg, &m) != nil {
		ss.send(map[string]string{"type": "warning", "message": "the server could not read a control message"})
		return
	}
	switch m.Type {
	case "stop":
		go ss.end(endClientStop, nil)
	case "input":
		for id, raw := range m.Values {
			i, ok := ss.s.inputIndex(id)
			if !ok {
				ss.send(map[string]string{"type": "warning", "message": fmt.Sprintf("input %q is not an input of this stream", id)})
				continue
			}
			if err := ss.inputs.set(ss.s.bind, i, raw); err != nil {
				// The value is refused and the previous one stays.
				ss.send(map[string]string{"type": "error", "message": err.Error()})
			}
		}
	}
}
