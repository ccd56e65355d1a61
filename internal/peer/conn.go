package peer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// ControlLabel is the data channel the browser opens for control messages
// (errors, inputs, session end).
const ControlLabel = "rtcstream"

// Errors returned by Answer for offers it cannot take.
var (
	ErrInvalidSDP   = errors.New("invalid SDP")
	ErrNoVideoCodec = errors.New("the offer has no VP8 video section")
	ErrNoVideo      = errors.New("the offer has no video section")
	ErrNoAudioCodec = errors.New("the offer has no Opus audio section")
	ErrNoAudio      = errors.New("the offer has no audio section")
)

// RTPFunc receives one inbound RTP packet. The packet and its payload are
// reused after the call returns.
type RTPFunc func(p *rtp.Packet, arrived time.Time)

// AnswerOptions configures Answer.
type AnswerOptions struct {
	// Configuration is the pion configuration (ICE servers, policy).
	Configuration webrtc.Configuration
	// SendVideo adds an outbound VP8 track, reachable through Video.
	SendVideo bool
	// SendAudio adds an outbound Opus track, reachable through Audio.
	SendAudio bool
	// OnAudioRTP receives the inbound audio's packets, from one goroutine.
	// Nil means inbound audio is not wanted.
	OnAudioRTP RTPFunc
	// OnVideoRTP receives the inbound video's packets, from one goroutine.
	// Nil means inbound video is not wanted.
	OnVideoRTP RTPFunc
	// OnKeyFrameRequest is called when the browser sends a PLI or FIR for
	// the outbound video.
	OnKeyFrameRequest func()
	// OnMessage is called with each message on the control channel.
	OnMessage func(msg []byte)
	// GatherTimeout bounds ICE gathering before the answer is sent; 0
	// means 5 s.
	GatherTimeout time.Duration
}

// Conn is the server side of one browser's peer connection.
type Conn struct {
	pc        *webrtc.PeerConnection
	out       *webrtc.TrackLocalStaticRTP
	audioOut  *webrtc.TrackLocalStaticSample
	opts      AnswerOptions
	mu        sync.Mutex
	dc        *webrtc.DataChannel
	pending   []string // control messages waiting for the channel to open
	closed    bool
	inSSRC    uint32
	wg        sync.WaitGroup
	done      chan struct{}
	connected chan struct{}
	connOnce  sync.Once
	doneOnce  sync.Once
	doneCause error
}

// CheckOffer parses an offer and reports whether it can be answered with
// video (when needVideo) and audio (when needAudio) before any peer
// connection is made.
func CheckOffer(offer string, needVideo, needAudio bool) error {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidSDP, err)
	}
	if needAudio {
		if err := checkCodec(&sd, "audio", " OPUS/48000", ErrNoAudioCodec, ErrNoAudio); err != nil {
			return err
		}
	}
	if !needVideo {
		return nil
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "video" {
			continue
		}
		for _, a := range md.Attributes {
			if a.Key == "rtpmap" && strings.Contains(strings.ToUpper(a.Value), " VP8/90000") {
				return nil
			}
		}
		return ErrNoVideoCodec
	}
	return ErrNoVideo
}

// checkCodec finds a media section of kind offering codec (an rtpmap
// value's " NAME/RATE", upper case).
func checkCodec(sd *sdp.SessionDescription, kind, codec string, noCodec, noSection error) error {
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != kind {
			continue
		}
		for _, a := range md.Attributes {
			if a.Key == "rtpmap" && strings.Contains(strings.ToUpper(a.Value), codec) {
				return nil
			}
		}
		return noCodec
	}
	return noSection
}

// Answer makes a peer connection for offer and returns it with the answer
// SDP, which carries every local candidate (the server does not trickle).
// ctx bounds the negotiation only; the connection lives until Close.
func Answer(ctx context.Context, api *webrtc.API, offer string, opts AnswerOptions) (*Conn, string, error) {
	pc, err := api.NewPeerConnection(opts.Configuration)
	if err != nil {
		return nil, "", err
	}
	c := &Conn{pc: pc, opts: opts, done: make(chan struct{}), connected: make(chan struct{})}
	answer, err := c.negotiate(ctx, offer)
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, answer, nil
}

func (c *Conn) negotiate(ctx context.Context, offer string) (string, error) {
	pc := c.pc
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			c.connOnce.Do(func() { close(c.connected) })
		case webrtc.PeerConnectionStateFailed:
			c.finish(errors.New("connection failed"))
		case webrtc.PeerConnectionStateClosed:
			c.finish(errors.New("connection closed"))
		}
	})
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		if dc.Label() != ControlLabel {
			return
		}
		c.mu.Lock()
		c.dc = dc
		c.mu.Unlock()
		dc.OnOpen(c.flushPending)
		if c.opts.OnMessage != nil {
			dc.OnMessage(func(m webrtc.DataChannelMessage) { c.opts.OnMessage(m.Data) })
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		if !c.startLoop() {
			return
		}
		defer c.wg.Done()
		if c.startLoop() { // the receiver's RTCP must be read for the interceptors
			go c.drainRTCP(r)
		}
		switch {
		case t.Kind() == webrtc.RTPCodecTypeVideo && c.opts.OnVideoRTP != nil:
			c.mu.Lock()
			c.inSSRC = uint32(t.SSRC())
			c.mu.Unlock()
			c.readRTP(t, c.opts.OnVideoRTP)
		case t.Kind() == webrtc.RTPCodecTypeAudio && c.opts.OnAudioRTP != nil:
			c.readRTP(t, c.opts.OnAudioRTP)
		default:
			c.discard(t)
		}
	})

	if c.opts.SendVideo {
		out, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback,
		}, "video", "rtcstream")
		if err != nil {
			return "", err
		}
		sender, err := pc.AddTrack(out)
		if err != nil {
			return "", err
		}
		c.out = out
		if c.startLoop() {
			go c.readSenderRTCP(sender)
		}
	}

	if c.opts.SendAudio {
		out, err := webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		}, "audio", "rtcstream")
		if err != nil {
			return "", err
		}
		sender, err := pc.AddTrack(out)
		if err != nil {
			return "", err
		}
		c.audioOut = out
		if c.startLoop() {
			go c.drainSenderRTCP(sender)
		}
	}

	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidSDP, err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	timeout := c.opts.GatherTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-gathered:
	case <-t.C: // answer with the candidates gathered so far
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return pc.LocalDescription().SDP, nil
}

// startLoop registers a goroutine with the Conn; false once closed.
func (c *Conn) startLoop() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	return true
}

func (c *Conn) readRTP(t *webrtc.TrackRemote, fn RTPFunc) {
	buf := make([]byte, 1500)
	var p rtp.Packet
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if err := p.Unmarshal(buf[:n]); err != nil {
			continue
		}
		fn(&p, time.Now())
	}
}

func (c *Conn) discard(t *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := t.Read(buf); err != nil {
			return
		}
	}
}

func (c *Conn) drainRTCP(r *webrtc.RTPReceiver) {
	defer c.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := r.Read(buf); err != nil {
			return
		}
	}
}

// readSenderRTCP must run for as long as the sender lives: NACKs and
// PLIs only reach the interceptors and us through it.
func (c *Conn) readSenderRTCP(s *webrtc.RTPSender) {
	defer c.wg.Done()
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				if c.opts.OnKeyFrameRequest != nil {
					c.opts.OnKeyFrameRequest()
				}
			}
		}
	}
}

// Audio is the outbound audio track, or nil without SendAudio.
func (c *Conn) Audio() *webrtc.TrackLocalStaticSample { return c.audioOut }

// drainSenderRTCP reads a sender's RTCP for the interceptors (reports,
// NACK responses); audio has no keyframes to ask for.
func (c *Conn) drainSenderRTCP(s *webrtc.RTPSender) {
	defer c.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}

// Video is the outbound video track, or nil without SendVideo.
func (c *Conn) Video() *webrtc.TrackLocalStaticRTP { return c.out }

// RequestKeyFrame sends a PLI for the inbound video (RFC 4585, 6.3.1).
func (c *Conn) RequestKeyFrame() {
	c.mu.Lock()
	ssrc := c.inSSRC
	c.mu.Unlock()
	if ssrc == 0 {
		return
	}
	_ = c.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
}

// AddICECandidate adds a trickled remote candidate.
func (c *Conn) AddICECandidate(cand webrtc.ICECandidateInit) error {
	return c.pc.AddICECandidate(cand)
}

// maxPending bounds the control messages held until the channel opens.
const maxPending = 32

// Send sends a control message. Messages sent before the browser's control
// channel is open are held (up to maxPending) and sent when it opens. It
// reports whether the message was sent or held.
func (c *Conn) Send(msg []byte) bool {
	c.mu.Lock()
	dc := c.dc
	if dc == nil || dc.ReadyState() != webrtc.DataChannelStateOpen {
		defer c.mu.Unlock()
		if c.closed || len(c.pending) >= maxPending {
			return false
		}
		c.pending = append(c.pending, string(msg))
		return true
	}
	c.mu.Unlock()
	return dc.SendText(string(msg)) == nil
}

// flushPending sends the messages held while the channel was opening.
func (c *Conn) flushPending() {
	c.mu.Lock()
	dc, pending := c.dc, c.pending
	c.pending = nil
	c.mu.Unlock()
	for _, m := range pending {
		if dc.SendText(m) != nil {
			return
		}
	}
}

// Flush waits, up to timeout, until the control messages sent so far have
// left the send buffer, so a message sent just before Close is delivered.
func (c *Conn) Flush(timeout time.Duration) {
	c.mu.Lock()
	dc := c.dc
	c.mu.Unlock()
	if dc == nil || dc.ReadyState() != webrtc.DataChannelStateOpen {
		return
	}
	deadline := time.Now().Add(timeout)
	for dc.BufferedAmount() > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	// Closing the channel resets its SCTP stream, which the peer sees only
	// after the data before it; wait (bounded) for that to finish.
	_ = dc.Close()
	for dc.ReadyState() != webrtc.DataChannelStateClosed && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
}

// RTT returns the round-trip time of the selected ICE candidate pair, as
// its STUN checks measure it, and whether one was measured yet.
func (c *Conn) RTT() (time.Duration, bool) { return RTT(c.pc) }

// RTT returns the round-trip time of pc's selected ICE candidate pair, as
// its STUN checks measure it, and whether one was measured yet.
func RTT(pc *webrtc.PeerConnection) (time.Duration, bool) {
	for _, st := range pc.GetStats() {
		p, ok := st.(webrtc.ICECandidatePairStats)
		if !ok || !p.Nominated || p.CurrentRoundTripTime <= 0 {
			continue
		}
		return time.Duration(p.CurrentRoundTripTime * float64(time.Second)), true
	}
	return 0, false
}

// Connected is closed once ICE and DTLS have connected.
func (c *Conn) Connected() <-chan struct{} { return c.connected }

// Done is closed when the connection has failed or closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err says why Done was closed.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.doneCause
	default:
		return nil
	}
}

func (c *Conn) finish(cause error) {
	c.doneOnce.Do(func() {
		c.doneCause = cause
		close(c.done)
	})
}

// Close closes the peer connection and waits for its read loops. It is
// idempotent.
func (c *Conn) Close() error {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.mu.Unlock()
	if already {
		c.wg.Wait()
		return nil
	}
	err := c.pc.Close()
	c.finish(errors.New("connection closed"))
	c.wg.Wait()
	return err
}
