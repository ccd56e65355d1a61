package peer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/codec"
)

// ControlLabel is the data channel the browser opens for control messages
// (errors, inputs, session end).
const ControlLabel = "rtcstream"

// Errors returned by Answer for offers it cannot take.
var (
	ErrInvalidSDP   = errors.New("invalid SDP")
	ErrNoVideoCodec = errors.New("the offer's video section has none of the stream's video codecs")
	ErrNoVideo      = errors.New("the offer has no video section")
	ErrNoAudioCodec = errors.New("the offer has no Opus audio section")
	ErrNoAudio      = errors.New("the offer has no audio section")
)

// Errors told to AnswerOptions.OnControlRefused.
var (
	// ErrExtraChannel: the browser opened a data channel besides its
	// first "rtcstream" one (a second "rtcstream", or any other label);
	// it was closed, and the first stays the control channel.
	ErrExtraChannel = errors.New("a data channel besides the control channel was refused and closed")
	// ErrMessageTooLarge: the browser sent a control message over
	// MaxMessageSize, ignoring the max-message-size the answer announced;
	// it was dropped.
	ErrMessageTooLarge = errors.New("control message too large")
)

// maxBuffered bounds the control messages queued for the browser: when a
// page reads slower than the server sends (or stops reading), Send drops
// messages past it instead of letting the queue grow.
const maxBuffered = 1 << 20

// RTPFunc receives one inbound RTP packet. The packet and its payload are
// reused after the call returns.
type RTPFunc func(p *rtp.Packet, arrived time.Time)

// AnswerOptions configures Answer.
type AnswerOptions struct {
	// ReconnectGrace is how long a failed connection waits for an ICE
	// restart (Restart) before Done is closed; 0 closes it at once.
	ReconnectGrace time.Duration
	// OnLost is told when the connection fails and waits for a restart,
	// OnRestored when a restart brought it back. Neither may block.
	OnLost, OnRestored func()
	// Configuration is the pion configuration (ICE servers, policy).
	Configuration webrtc.Configuration
	// SendVideo adds an outbound video track, reachable through Video.
	SendVideo bool
	// VideoCodec is the video format both ways (CheckOffer's choice):
	// the answer names only it. The zero value is VP8.
	VideoCodec codec.VideoCodec
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
	// OnMessage is called with each message on the control channel, from
	// the channel's reader goroutine.
	OnMessage func(msg []byte)
	// OnControlRefused is told when the browser breaks the control
	// channel's rules, at most once for each: ErrExtraChannel, and an
	// error wrapping ErrMessageTooLarge that gives the message's size. It
	// is called from pion's goroutines and must not block.
	OnControlRefused func(err error)
	// AnswerWait is how long the answer waits for candidates before it is
	// sent with those gathered; later ones are trickled (LateCandidates).
	// 0 means DefaultAnswerWait.
	AnswerWait time.Duration
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
	dropped   atomic.Uint64
	refused   sync.Map // the kinds of refusal told to OnControlRefused
	closed    bool
	inSSRC    uint32
	wg        sync.WaitGroup
	done      chan struct{}
	connected chan struct{}
	connOnce  sync.Once
	doneOnce  sync.Once
	doneCause error

	restartMu   sync.Mutex  // one restart at a time (restart.go)
	lastRestart [2]string   // the last restart's offer and answer, under restartMu
	grace       *time.Timer // runs while a failed connection waits for a restart; under mu

	late late // candidates gathered after the answer (trickle.go)
}

// CheckOffer parses an offer and reports whether it can be answered with
// video (when needVideo) and audio (when needAudio) before any peer
// connection is made. With video, it returns the first of prefer (nil:
// codec.DefaultVideoCodecs) that the offer's video section offers, which
// AnswerOptions.VideoCodec should then name.
func CheckOffer(offer string, needVideo, needAudio bool, prefer []codec.VideoCodec) (codec.VideoCodec, error) {
	var sd sdp.SessionDescription
	if err := sd.UnmarshalString(offer); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidSDP, err)
	}
	if needAudio {
		if err := checkCodec(&sd, "audio", " OPUS/48000", ErrNoAudioCodec, ErrNoAudio); err != nil {
			return "", err
		}
	}
	if !needVideo {
		return "", nil
	}
	if prefer == nil {
		prefer = codec.DefaultVideoCodecs()
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media != "video" {
			continue
		}
		if vc, ok := offeredVideo(md, prefer); ok {
			return vc, nil
		}
		return "", ErrNoVideoCodec
	}
	return "", ErrNoVideo
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
// SDP, which carries the local candidates gathered within
// AnswerOptions.AnswerWait; later ones (a STUN or TURN server's) are
// trickled through LateCandidates. ctx bounds the negotiation only; the
// connection lives until Close.
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

// negotiate answers offer: callbacks, the tracks the server sends, the
// descriptions, and the gathering of candidates.
func (c *Conn) negotiate(ctx context.Context, offer string) (string, error) {
	c.handleEvents()
	if err := c.addTracks(); err != nil {
		return "", err
	}
	return c.answerOffer(ctx, offer)
}

// answerOffer applies offer, answers it and returns the answer with the
// candidates gathered within the answer wait.
func (c *Conn) answerOffer(ctx context.Context, offer string) (string, error) {
	pc := c.pc
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidSDP, err)
	}
	if err := preferVideo(pc, c.opts.VideoCodec); err != nil {
		return "", err
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	c.beginGathering()
	if err := pc.SetLocalDescription(answer); err != nil {
		return "", err
	}
	sdp, _, err := c.answerSDP(ctx, gathered)
	return sdp, err
}

// Trickling reports whether the current answer's gathering is still going
// on: the client should fetch LateCandidates.
func (c *Conn) Trickling() bool {
	c.late.mu.Lock()
	defer c.late.mu.Unlock()
	return !c.late.done
}

// handleEvents sets the connection's callbacks: its state, the control
// channel, and the browser's tracks.
func (c *Conn) handleEvents() {
	pc := c.pc
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			c.connOnce.Do(func() { close(c.connected) })
			c.restored()
		case webrtc.PeerConnectionStateFailed:
			c.lost()
		case webrtc.PeerConnectionStateClosed:
			c.finish(errors.New("connection closed"))
		}
	})
	pc.OnICECandidate(c.onLocalCandidate)
	pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		c.mu.Lock()
		first := c.dc == nil && dc.Label() == ControlLabel
		if first {
			c.dc = dc
		}
		c.mu.Unlock()
		if !first {
			// Another control channel must not replace the first, and
			// channels nobody reads would each hold a reader and its
			// buffer.
			_ = dc.Close()
			c.refuse(ErrExtraChannel, ErrExtraChannel)
			return
		}
		dc.OnOpen(c.flushPending)
		dc.OnMessage(c.onMessage)
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
}

// addTracks adds the tracks the server sends, with their RTCP readers.
func (c *Conn) addTracks() error {
	if c.opts.SendVideo {
		out, err := webrtc.NewTrackLocalStaticRTP(VideoCapability(c.opts.VideoCodec), "video", "rtcstream")
		if err != nil {
			return err
		}
		sender, err := c.pc.AddTrack(out)
		if err != nil {
			return err
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
			return err
		}
		sender, err := c.pc.AddTrack(out)
		if err != nil {
			return err
		}
		c.audioOut = out
		if c.startLoop() {
			go c.drainSenderRTCP(sender)
		}
	}
	return nil
}

// onMessage hands a control message on, unless it is over MaxMessageSize.
// pion reassembles a message of any size its receive window (1 MiB) holds,
// whatever max-message-size the answer announced (RFC 8841).
func (c *Conn) onMessage(m webrtc.DataChannelMessage) {
	if len(m.Data) > MaxMessageSize {
		c.refuse(ErrMessageTooLarge, fmt.Errorf("%w: %d bytes, over the %d the server takes",
			ErrMessageTooLarge, len(m.Data), MaxMessageSize))
		return
	}
	if c.opts.OnMessage != nil {
		c.opts.OnMessage(m.Data)
	}
}

// refuse tells OnControlRefused of err, once for each kind.
func (c *Conn) refuse(kind, err error) {
	if _, told := c.refused.LoadOrStore(kind, true); !told && c.opts.OnControlRefused != nil {
		c.opts.OnControlRefused(err)
	}
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
// reports whether the message was sent or held. A message that finds the
// holding place full, or more than maxBuffered bytes queued for a page that
// does not keep up, is dropped and counted (Dropped).
func (c *Conn) Send(msg []byte) bool {
	c.mu.Lock()
	dc := c.dc
	if dc == nil || dc.ReadyState() != webrtc.DataChannelStateOpen {
		defer c.mu.Unlock()
		if c.closed {
			return false
		}
		if len(c.pending) >= maxPending {
			c.dropped.Add(1)
			return false
		}
		c.pending = append(c.pending, string(msg))
		return true
	}
	c.mu.Unlock()
	if dc.BufferedAmount() > maxBuffered {
		c.dropped.Add(1)
		return false
	}
	return dc.SendText(string(msg)) == nil
}

// Dropped counts the control messages Send dropped.
func (c *Conn) Dropped() uint64 { return c.dropped.Load() }

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
// its STUN checks measure it, and whether one was measured yet. It asks
// the ICE transport, not pc.GetStats: that builds every statistic, and it
// races with a Close that a remote abort starts (pion reads the stats
// getter outside its lock while close clears it).
func RTT(pc *webrtc.PeerConnection) (time.Duration, bool) {
	sctp := pc.SCTP()
	if sctp == nil || sctp.Transport() == nil || sctp.Transport().ICETransport() == nil {
		return 0, false
	}
	p, ok := sctp.Transport().ICETransport().GetSelectedCandidatePairStats()
	if !ok || p.CurrentRoundTripTime <= 0 {
		return 0, false
	}
	return time.Duration(p.CurrentRoundTripTime * float64(time.Second)), true
}

// Heard is a count that grows with everything the browser sends on the
// selected ICE candidate pair: its packets (RTP, RTCP, DTLS, the data
// channel) and its answers to the connectivity checks pion sends every
// 2 s when the pair is otherwise quiet (RFC 7675 consent). While it grows
// the browser is there, whether or not it sends media; 0 before a pair is
// selected.
func (c *Conn) Heard() uint64 {
	st, ok := c.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePairStats()
	if !ok {
		return 0
	}
	return uint64(st.PacketsReceived) + st.ResponsesReceived
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
	if c.grace != nil {
		c.grace.Stop()
		c.grace = nil
	}
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
