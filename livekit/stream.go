package livekit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	lkp "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"
	"golang.org/x/time/rate"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/server"
)

// errorInterval rate-limits the handler errors told to a participant.
const errorInterval = time.Second

// What a participant's control messages may cost, as a session's page
// (internal/server): at most controlRate a second (burst controlRate), of
// at most peer.MaxMessageSize bytes; the excess is dropped, and the
// participant told at most once a second.
const controlRate = 100

// stream runs the handler for one participant: the worker's counterpart
// of a Stream's session, with the same handlers, media paths and control
// messages. It reads the participant's camera and microphone (those the
// stream takes) and publishes what the handler gives back as tracks named
// TrackName(identity). It is a server.Carrier and a server.Handle.
type stream struct {
	j        *job
	identity string
	log      *slog.Logger
	rp       *lksdk.RemoteParticipant
	media    *server.Media
	vout     *lksdk.LocalTrack // nil when the stream gives no video
	aout     *lksdk.LocalTrack // nil when it gives no audio
	pubs     []*lksdk.LocalTrackPublication
	input    func(id string, raw []byte) (bool, error)
	server.HandlersIO
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{} // the handlers have returned
	stopped sync.Once

	rmu     sync.Mutex // guards readers
	readers map[webrtc.RTPCodecType]*reader

	mu      sync.Mutex // guards limited
	limited bool       // the time limit ended the stream

	emu      sync.Mutex // guards the error reports
	lastErr  time.Time
	muted    int
	toldSize bool

	ctl     *rate.Limiter // the participant's control messages
	ctlTold *rate.Limiter // warnings about dropping them
}

// reader feeds one subscribed track's packets to the media.
type reader struct {
	t    *webrtc.TrackRemote
	done chan struct{}
}

// newStream binds a session of the handler for rp, publishes its output
// tracks and starts its handlers; attach gives it the participant's
// tracks. Its video is vc both ways: the camera's codec, and its
// processed track's.
func newStream(j *job, lk *lksdk.Room, rp *lksdk.RemoteParticipant, vc codec.VideoCodec) (*stream, error) {
	cfg := &j.w.cfg
	ctx, cancel := context.WithCancel(j.ctx)
	s := &stream{j: j, identity: rp.Identity(), rp: rp, cancel: cancel, done: make(chan struct{}),
		readers: map[webrtc.RTPCodecType]*reader{},
		ctl:     rate.NewLimiter(controlRate, controlRate), ctlTold: rate.NewLimiter(1, 1)}
	s.ctx = server.WithHandle(ctx, s)
	s.log = j.log.With("participant", s.identity)
	fail := func(err error) (*stream, error) {
		cancel()
		return nil, err
	}
	hs, err := cfg.NewSession(s)
	if err != nil {
		return fail(err)
	}
	s.input = hs.SetInput
	s.HandlersIO = server.HandlersIO{H: hs}
	if cfg.GivesVideo() {
		if s.vout, err = lksdk.NewLocalTrack(peer.VideoCapability(vc), lksdk.WithRTCPHandler(s.rtcp)); err != nil {
			return fail(err)
		}
	}
	if cfg.GivesAudio() {
		if s.aout, err = lksdk.NewLocalTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}); err != nil {
			return fail(err)
		}
	}
	if s.media, err = server.NewMedia(cfg, hs, s, vc); err != nil {
		return fail(err)
	}
	s.media.Warm()
	for _, out := range []struct {
		t      *lksdk.LocalTrack
		source lkp.TrackSource
	}{{s.vout, lkp.TrackSource_CAMERA}, {s.aout, lkp.TrackSource_MICROPHONE}} {
		if out.t == nil {
			continue
		}
		pub, err := lk.LocalParticipant.PublishTrack(out.t, &lksdk.TrackPublicationOptions{
			Name: TrackName(s.identity), Source: out.source,
		})
		if err != nil {
			s.unpublish(lk)
			s.media.Close()
			return fail(fmt.Errorf("publishing the processed track: %w", err))
		}
		s.pubs = append(s.pubs, pub)
	}
	go func() {
		if s.run() {
			s.j.finished(s)
		}
	}()
	return s, nil
}

// publishes says whether the stream publishes any track.
func (s *stream) publishes() bool { return len(s.pubs) > 0 }

// takes says whether the stream reads tracks of kind.
func (s *stream) takes(kind webrtc.RTPCodecType) bool {
	cfg := &s.j.w.cfg
	switch kind {
	case webrtc.RTPCodecTypeVideo:
		return cfg.TakesVideo()
	case webrtc.RTPCodecTypeAudio:
		return cfg.TakesAudio()
	}
	return false
}

// attach reads t into the media. The stream must not read a track of t's
// kind already (the job replaces the stream instead).
func (s *stream) attach(t *webrtc.TrackRemote) {
	r := &reader{t: t, done: make(chan struct{})}
	s.rmu.Lock()
	s.readers[t.Kind()] = r
	s.rmu.Unlock()
	go s.read(r)
	if t.Kind() == webrtc.RTPCodecTypeVideo {
		s.rp.WritePLI(t.SSRC())
	}
}

// reads says whether the stream reads a track of kind.
func (s *stream) reads(kind webrtc.RTPCodecType) bool {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	return s.readers[kind] != nil
}

// detach stops reading t, if the stream reads it, and says how many
// tracks the stream still reads.
func (s *stream) detach(t *webrtc.TrackRemote) int {
	s.rmu.Lock()
	r := s.readers[t.Kind()]
	if r != nil && r.t == t {
		delete(s.readers, t.Kind())
	} else {
		r = nil
	}
	n := len(s.readers)
	s.rmu.Unlock()
	if r != nil {
		r.stop()
	}
	return n
}

// tracks returns the tracks the stream reads.
func (s *stream) tracks() []*webrtc.TrackRemote {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	var ts []*webrtc.TrackRemote
	for _, r := range s.readers {
		ts = append(ts, r.t)
	}
	return ts
}

// read feeds the track's RTP packets to the media until the track ends or
// the reader is stopped.
func (s *stream) read(r *reader) {
	defer close(r.done)
	push := s.media.PushAudio
	if r.t.Kind() == webrtc.RTPCodecTypeVideo {
		push = s.media.PushVideo
	}
	buf := make([]byte, 1500)
	var p rtp.Packet
	for s.ctx.Err() == nil {
		n, _, err := r.t.Read(buf)
		if err != nil {
			return // ended, or stopped (a read deadline)
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		push(&p, time.Now())
	}
}

// stop ends a reader and waits for it, so that another may read its
// track.
func (r *reader) stop() {
	_ = r.t.SetReadDeadline(time.Now())
	<-r.done
	_ = r.t.SetReadDeadline(time.Time{})
}

// rtcp acts on the SFU's feedback for the processed video: a subscriber
// joining or losing packets asks for a keyframe.
func (s *stream) rtcp(p rtcp.Packet) {
	switch p.(type) {
	case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
		if s.media != nil {
			s.media.ForceKeyFrame()
		}
	}
}

// run runs the handlers until the stream stops, the handler ends or the
// time limit passes. It reports whether the stream ended by itself (its
// handlers or time limit, not stop).
func (s *stream) run() (self bool) {
	defer close(s.done)
	if o := s.j.w.cfg.Observer; o != nil {
		o.SessionStarted()
		defer o.SessionEnded("livekit")
	}
	s.log.Info("livekit: stream started")
	if tl := s.j.w.cfg.TimeLimit; tl > 0 {
		// As a Stream's session: the page counts down, and the stream
		// ends at the limit.
		s.Send(map[string]any{"type": "time_limit", "seconds": tl.Seconds()})
		t := time.AfterFunc(tl, func() {
			s.log.Info("livekit: stream reached its time limit")
			s.Send(map[string]any{"type": "end", "reason": "time limit reached"})
			s.mu.Lock()
			s.limited = true
			s.mu.Unlock()
			s.cancel()
		})
		defer t.Stop()
	}
	err := s.media.Run(s.ctx)
	ended := s.ctx.Err() == nil
	s.mu.Lock()
	self = ended || s.limited
	s.mu.Unlock()
	s.cancel()
	var herr *pipeline.HandlerError
	switch {
	case err != nil && !errors.Is(err, context.Canceled) && !errors.As(err, &herr):
		s.log.Warn("livekit: stream ended by an error", "err", err)
		s.Send(map[string]any{"type": "end", "reason": "error", "error": true, "message": err.Error()})
	case err != nil && errors.As(err, &herr):
		s.Send(map[string]any{"type": "end", "reason": "the handler failed", "error": true, "message": err.Error()})
	case ended:
		// A generator, or a handler that returned: the stream is over.
		s.Send(map[string]any{"type": "end", "reason": "the stream finished"})
	}
	return self
}

// stop stops the stream, its readers and handlers, and unpublishes its
// tracks. Calls after the first return at once.
func (s *stream) stop(why string) {
	s.stopped.Do(func() {
		s.cancel()
		for _, t := range s.tracks() {
			s.detach(t)
		}
		<-s.done
		s.media.Close()
		if lk := s.j.conn(); lk != nil {
			s.unpublish(lk)
		}
		s.log.Info("livekit: stream stopped", append([]any{"why", why}, s.media.LogAttrs()...)...)
	})
}

// unpublish unpublishes the stream's tracks.
func (s *stream) unpublish(lk *lksdk.Room) {
	for _, pub := range s.pubs {
		_ = lk.LocalParticipant.UnpublishTrack(pub.SID())
	}
}

// control handles a control message from the participant: "input" only
// ("stop" is leaving, or unpublishing the camera).
func (s *stream) control(b []byte) {
	if len(b) > peer.MaxMessageSize || !s.ctl.Allow() {
		if s.ctlTold.Allow() {
			s.log.Warn("livekit: control messages over the bounds: dropped", "bytes", len(b))
			s.Send(map[string]string{"type": "warning", "message": fmt.Sprintf(
				"control messages over %d bytes, or over %d a second, are dropped", peer.MaxMessageSize, controlRate)})
		}
		return
	}
	var m struct {
		Type   string                     `json:"type"`
		Values map[string]json.RawMessage `json:"values"`
	}
	if json.Unmarshal(b, &m) != nil {
		s.Send(map[string]string{"type": "warning", "message": "the server could not read a control message"})
		return
	}
	if m.Type == "input" {
		server.ApplyInputs(m.Values, s.input, s.Send)
	}
}

// Send sends a control message to the participant (server.Hooks).
func (s *stream) Send(msg any) { s.j.sendTo(s.identity, msg) }

// SendJSON sends an encoded control message to the participant
// (server.Handle).
func (s *stream) SendJSON(b []byte) { s.j.sendJSON(s.identity, b) }

// ID is the participant's identity (server.Handle): the room's name for
// the stream, as a webrtc_id is a session's.
func (s *stream) ID() string { return s.identity }

// Identity is the participant's identity too (server.Handle): LiveKit's
// token named it, as Options.Authorize does a session's.
func (s *stream) Identity() any { return s.identity }

// Logger is the worker's logger with the job and participant
// (server.Handle).
func (s *stream) Logger() *slog.Logger { return s.log }

// Observer is the Stream's Observer (server.Handle).
func (s *stream) Observer() server.Observer { return s.j.w.cfg.Observer }

// AudioOut is the stream's audio output, nil when it gives no audio
// (server.Handle).
func (s *stream) AudioOut() *pipeline.AudioOut { return s.media.AudioOut() }

// WriteVideo sends a packet of the processed video (server.Carrier).
func (s *stream) WriteVideo(p *rtp.Packet) error {
	if s.vout == nil {
		return nil
	}
	return s.vout.WriteRTP(p, nil)
}

// WriteAudio sends an Opus packet of the handler's audio
// (server.Carrier).
func (s *stream) WriteAudio(packet []byte, d time.Duration) error {
	if s.aout == nil {
		return nil
	}
	return s.aout.WriteSample(pionmedia.Sample{Data: packet, Duration: d}, nil)
}

// RequestKeyFrame asks the participant's camera for a keyframe
// (server.Carrier).
func (s *stream) RequestKeyFrame() {
	s.rmu.Lock()
	r := s.readers[webrtc.RTPCodecTypeVideo]
	s.rmu.Unlock()
	if r != nil {
		s.rp.WritePLI(r.t.SSRC())
	}
}

// RTT is unknown to the worker: LiveKit's SDK keeps its peer connections'
// statistics (server.Carrier).
func (s *stream) RTT() (time.Duration, bool) { return 0, false }

// FrameTooLarge tells the participant, once, that its camera's frames are
// over the stream's bound (server.Carrier).
// VideoWanted reports whether the stream publishes its processed video
// (server.Carrier).
func (s *stream) VideoWanted() bool { return s.vout != nil }

func (s *stream) FrameTooLarge(err *pipeline.FrameTooLargeError) {
	s.emu.Lock()
	told := s.toldSize
	s.toldSize = true
	s.emu.Unlock()
	if !told {
		s.log.Warn("livekit: video frames over the size bound: dropped", "size", err.Size, "max", err.Max)
		s.Send(map[string]string{"type": "error", "message": err.Error()})
	}
}

// HandlerError tells the participant and the log of a handler's failure,
// at most once a second (server.Hooks).
func (s *stream) HandlerError(err error) bool {
	cfg := s.j.w.cfg
	if cfg.Observer != nil {
		cfg.Observer.HandlerFailed()
	}
	s.emu.Lock()
	defer s.emu.Unlock()
	now := time.Now()
	if !cfg.EndOnError && now.Sub(s.lastErr) < errorInterval {
		s.muted++
		return false
	}
	msg := err.Error()
	if s.muted > 0 {
		msg = fmt.Sprintf("%s (and %d more errors)", msg, s.muted)
	}
	s.log.Warn("livekit: handler failed", "err", err, "more", s.muted)
	s.Send(map[string]string{"type": "error", "message": msg})
	s.lastErr, s.muted = now, 0
	return cfg.EndOnError
}

// conn returns the job's room connection.
func (j *job) conn() *lksdk.Room {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.lk
}
