package server

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/overload"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/videocodec"
)

// Carrier carries one stream's media to and from its client: a Session's
// peer connection, or a LiveKit worker's room (package livekit). Media
// calls it from its own goroutines: its methods must be safe for
// concurrent use and must not block on the network.
type Carrier interface {
	Hooks
	// WriteVideo sends one RTP packet of the processed video. With
	// nothing to carry it yet, it drops the packet and returns nil.
	WriteVideo(p *rtp.Packet) error
	// WriteAudio sends one Opus packet holding d of audio, likewise.
	WriteAudio(packet []byte, d time.Duration) error
	// RequestKeyFrame asks the client's camera for a keyframe.
	RequestKeyFrame()
	// FrameTooLarge tells the client that its camera's frames are over
	// the stream's bound (and dropped); it is called for every such frame.
	FrameTooLarge(err *pipeline.FrameTooLargeError)
	// RTT is the round trip to the client, when known.
	RTT() (time.Duration, bool)
	// VideoWanted reports whether anyone receives the processed video
	// (the client, a WHEP viewer, a recording): while nobody does, its
	// frames are handled but not encoded. Called for every frame.
	VideoWanted() bool
}

// Media is one stream's media between its carrier and its handlers:
// decoders, handler goroutines, encoders and pacing, for its modality and
// mode. A Session has one per browser; a LiveKit worker one per
// participant.
type Media struct {
	cfg     *Config
	c       Carrier
	obs     observer
	codec   codec.VideoCodec // the video's, both ways
	bitrate atomic.Int64     // the encoder's target under bandwidth adaptation; 0: the Config's
	path    mediaPath
	onVideo peer.RTPFunc // the path's readers; nil for what it does not take
	onAudio peer.RTPFunc
}

// mediaPath is what Media runs: one per modality and mode: videoPath
// (video the client sends), generatorPath (receive-mode video),
// audioPath, and avPath.
type mediaPath interface {
	// receive sets the callbacks for the tracks it reads.
	receive(o *peer.AnswerOptions)
	early() bool
	warm()
	run(ctx context.Context) error
	forceKeyFrame()
	setBitrate(bps int)
	setRTT(d time.Duration)
	logAttrs() []any
	close()
}

// NewMedia builds the media for cfg's modality and mode, with the
// handlers h (Config.NewSession's) over the carrier c, its video in vc
// (the zero value: VP8). Close frees it.
func NewMedia(cfg *Config, h Handlers, c Carrier, vc codec.VideoCodec) (*Media, error) {
	if err := vc.Check(); err != nil {
		return nil, err
	}
	m := &Media{cfg: cfg, c: c, obs: observer{cfg.Observer}, codec: vc.OrVP8()}
	var err error
	switch {
	case cfg.Mode == Receive && h.Encoded != nil:
		if m.codec != codec.VP8 {
			return nil, fmt.Errorf("an encoded source sends VP8 video; the client negotiated %s (VideoCodecs must put VP8 first)", m.codec)
		}
		m.path = newPassthroughPath(m, h.Encoded)
	case cfg.Modality == Audio:
		m.path, err = newAudioPath(m, h)
	case cfg.Modality == AudioVideo:
		var v mediaPath
		if cfg.Mode == Receive {
			v = newGeneratorPath(m, h.Frames)
		} else if v, err = newVideoPath(m, h.Video); err != nil {
			return nil, err
		}
		var a *audioPath
		if a, err = newAudioPath(m, h); err != nil {
			v.close()
			return nil, err
		}
		m.path = &avPath{v, a}
	case cfg.Mode == Receive:
		m.path = newGeneratorPath(m, h.Frames)
	default:
		m.path, err = newVideoPath(m, h.Video)
	}
	if err != nil {
		return nil, err
	}
	var o peer.AnswerOptions
	m.path.receive(&o)
	m.onVideo, m.onAudio = o.OnVideoRTP, o.OnAudioRTP
	return m, nil
}

// VideoCodec is the video's codec, both ways.
func (m *Media) VideoCodec() codec.VideoCodec { return m.codec }

// TakesVideo says whether the stream reads the client's camera,
// TakesAudio its microphone, GivesVideo and GivesAudio whether it sends
// video or audio back.
func (c *Config) TakesVideo() bool { return c.Modality != Audio && c.Mode.receives() }
func (c *Config) TakesAudio() bool { return c.Modality != Video && c.Mode.receives() }
func (c *Config) GivesVideo() bool { return c.Modality != Audio && c.Mode.sends() }
func (c *Config) GivesAudio() bool { return c.Modality != Video && c.Mode.sends() }

// PushVideo hands the media a packet of the client's camera, received at
// at; PushAudio one of its microphone. Each must be called from one
// goroutine at a time (a track's reader); packets the stream does not
// take are dropped.
func (m *Media) PushVideo(p *rtp.Packet, at time.Time) {
	if m.onVideo != nil {
		m.onVideo(p, at)
	}
}

// PushAudio: see PushVideo.
func (m *Media) PushAudio(p *rtp.Packet, at time.Time) {
	if m.onAudio != nil {
		m.onAudio(p, at)
	}
}

// Receive sets a peer connection's callbacks for the tracks the media
// reads.
func (m *Media) Receive(o *peer.AnswerOptions) {
	o.OnVideoRTP, o.OnAudioRTP = m.onVideo, m.onAudio
}

// Early reports that media may arrive before the connection is up, so
// Run should start at once.
func (m *Media) Early() bool { return m.path.early() }

// Warm readies the encoders while the client connects.
func (m *Media) Warm() { m.path.warm() }

// Run runs the handlers until they end or ctx does; it returns once they
// have. An error that is a *pipeline.HandlerError is the handler's
// failure, already reported through the carrier.
func (m *Media) Run(ctx context.Context) error { return m.path.run(ctx) }

// ForceKeyFrame makes the next video frame sent a keyframe.
func (m *Media) ForceKeyFrame() { m.path.forceKeyFrame() }

// SetBitrate gives the video encoder a target, now and when it is rebuilt.
func (m *Media) SetBitrate(bps int) {
	m.bitrate.Store(int64(bps))
	m.path.setBitrate(bps)
}

// SetRTT tells the incoming video's wait for retransmissions the round
// trip.
func (m *Media) SetRTT(d time.Duration) { m.path.setRTT(d) }

// LogAttrs are the counters for the stream's end log.
func (m *Media) LogAttrs() []any { return m.path.logAttrs() }

// Close frees the codecs, once Run has returned (or was never called).
func (m *Media) Close() { m.path.close() }

// AudioOut is the audio output, nil when the stream sends no audio.
func (m *Media) AudioOut() *pipeline.AudioOut {
	switch p := m.path.(type) {
	case *audioPath:
		return p.out
	case *avPath:
		return p.audio.out
	}
	return nil
}

// startBitrate is the target a new encoder starts at: bandwidth
// adaptation's, or VideoBitrate before it has one.
func (m *Media) startBitrate() int {
	if b := m.bitrate.Load(); b > 0 {
		return int(b)
	}
	return m.cfg.VideoBitrate
}

// newEncoder makes the media's video encoder at its target bitrate.
func (m *Media) newEncoder() (codec.VideoEncoder, error) {
	bitrate := m.startBitrate()
	// Sized for the common camera, so that a warmed encoder is ready for
	// the first frame (another size rebuilds it on that frame). VP8's
	// sends every frame (no DropFrames; see BENCHMARKS.md).
	return videocodec.NewEncoder(m.codec, videocodec.EncoderConfig{BitRate: bitrate, Width: 640, Height: 480})
}

// newDecoder makes the media's video decoder, bounded to MaxFrameSize:
// the pipeline keeps larger frames from the decoder already; the
// decoder's own bound is a second line.
func (m *Media) newDecoder() (codec.VideoDecoder, error) {
	return videocodec.NewDecoder(m.codec, m.cfg.MaxFrameSize)
}

// videoOut sends a media path's packets through the carrier.
type videoOut struct{ c Carrier }

func (w videoOut) WriteRTP(p *rtp.Packet) error { return w.c.WriteVideo(p) }

// videoPath is video the browser sends: decoded, handled per frame, and
// (in send-receive mode) encoded back.
type videoPath struct {
	v       *pipeline.Video
	sends   bool
	release func() // leaves the overload governor
}

func newVideoPath(m *Media, h pipeline.VideoHandler) (*videoPath, error) {
	var shed pipeline.FrameShare
	release := func() {}
	if !m.cfg.FullFrameRate {
		meter := overload.Process.Join()
		shed, release = meter, meter.Leave
	}
	v, err := pipeline.NewVideo(pipeline.VideoConfig{
		Handler:         h,
		NewEncoder:      m.newEncoder,
		NewDecoder:      m.newDecoder,
		Codec:           m.codec,
		Wanted:          m.c.VideoWanted,
		Out:             videoOut{m.c},
		RequestKeyFrame: m.c.RequestKeyFrame,
		OnHandlerError:  m.c.HandlerError,
		MaxFrameSize:    m.cfg.MaxFrameSize,
		OnFrameTooLarge: m.c.FrameTooLarge,
		Observer:        m.obs.video(),
		Shed:            shed,
		Bitrate:         m.startBitrate(),
	})
	if err != nil {
		release()
		return nil, err
	}
	return &videoPath{v: v, sends: m.cfg.Mode.sends(), release: release}, nil
}

func (p *videoPath) receive(o *peer.AnswerOptions) {
	o.OnVideoRTP = func(pk *rtp.Packet, at time.Time) {
		p.v.PushRTP(pk.SequenceNumber, pk.Timestamp, pk.Marker, pk.Payload, at)
	}
}

func (p *videoPath) early() bool { return true }

func (p *videoPath) warm() {
	if p.sends {
		p.v.Warm()
	}
}

func (p *videoPath) run(ctx context.Context) error { return p.v.Run(ctx) }
func (p *videoPath) forceKeyFrame()                { p.v.ForceKeyFrame() }
func (p *videoPath) setBitrate(bps int)            { _ = p.v.SetBitrate(bps) }
func (p *videoPath) setRTT(d time.Duration)        { p.v.SetRTT(d) }
func (p *videoPath) close() {
	_ = p.v.Close()
	p.release()
}

func (p *videoPath) logAttrs() []any {
	st := p.v.Stats()
	attrs := []any{"decoded", st.Decoded, "handled", st.Handled, "dropped_stale", st.DroppedStale,
		"lost", st.Assembler.Lost, "handler_errors", st.HandlerErrors}
	if st.TooLarge > 0 {
		attrs = append(attrs, "dropped_too_large", st.TooLarge)
	}
	if st.Shed > 0 {
		attrs = append(attrs, "dropped_overload", st.Shed)
	}
	if st.Unwatched > 0 {
		attrs = append(attrs, "not_encoded_unwatched", st.Unwatched)
	}
	return attrs
}

// avPath is an audio-video session: the camera's path (or, in receive
// mode, the generator's) and the microphone's (or the audio generator's),
// run together; the first to stop stops the other.
type avPath struct {
	video mediaPath
	audio *audioPath
}

func (p *avPath) receive(o *peer.AnswerOptions) {
	p.video.receive(o)
	p.audio.receive(o)
}

func (p *avPath) early() bool { return p.video.early() || p.audio.early() }
func (p *avPath) warm()       { p.video.warm() }

// run runs both paths. Sending and receiving, the first to stop stops
// the other; two generators (receive mode) each run to their end, unless
// one fails.
func (p *avPath) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_, generating := p.video.(*generatorPath)
	errs := make(chan error, 2)
	go func() { errs <- p.video.run(ctx) }()
	go func() { errs <- p.audio.run(ctx) }()
	err := <-errs
	if !generating || err != nil {
		cancel()
	}
	if err2 := <-errs; err == nil {
		err = err2
	}
	return err
}

func (p *avPath) forceKeyFrame()         { p.video.forceKeyFrame() }
func (p *avPath) setBitrate(bps int)     { p.video.setBitrate(bps) }
func (p *avPath) setRTT(d time.Duration) { p.video.setRTT(d) }
func (p *avPath) logAttrs() []any        { return append(p.video.logAttrs(), p.audio.logAttrs()...) }

func (p *avPath) close() {
	p.audio.close()
	p.video.close()
}

// callHandler runs a handler, turning a panic or an error into a
// *pipeline.HandlerError reported to the client. An error after ctx ended
// is nobody's concern: the stream is ending anyway.
func (m *Media) callHandler(ctx context.Context, run func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = pipeline.Recovered(r)
		}
		switch {
		case ctx.Err() != nil:
			err = nil
		case err != nil:
			err = pipeline.AsHandlerError(err)
			m.c.HandlerError(err)
		}
	}()
	return run(ctx)
}
