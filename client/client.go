// Package client is a pure-Go WebRTC client for rtcstream servers (and any
// server speaking fastrtc's /webrtc/offer signalling). It sends frames you
// give it and returns the frames the server sends back, decoded. Tests,
// load generators and automation use it in place of a browser.
//
// A load generator can skip both codecs: WriteEncoded sends frames encoded
// beforehand, and with Options.SkipDecode the received frames are counted
// and timed (Options.OnFrame) but never decoded.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/videocodec"
)

// Options configure Dial. The zero value works against a server on this
// machine's network; every field's comment gives its default.
type Options struct {
	// Bitrate is the target of WriteFrame's encoder in bits per second.
	// Default 1 Mbps.
	Bitrate int
	// VideoCodec is the one video codec the client offers, sends
	// (WriteFrame's encoder, WriteEncoded's frames) and decodes: VP8 or
	// H264. Default VP8. A server whose Options.VideoCodecs leave it out
	// refuses the offer (unsupported_codec).
	VideoCodec codec.VideoCodec
	// HTTPClient sends the signalling requests. Default http.DefaultClient.
	HTTPClient *http.Client
	// Loopback makes the client gather loopback candidates only: for a
	// server on this machine, as in tests.
	Loopback bool
	// ICEServers are STUN/TURN URLs with optional credentials. Default:
	// the server's, as its page gets them (GET webrtc/config, again before
	// each ICE restart): none, or fresh TURN credentials (turn.Server).
	ICEServers []webrtc.ICEServer
	// RelayOnly forces TURN relaying. It is also on when the server's
	// configuration asks for it (and ICEServers is not set).
	RelayOnly bool
	// TCPOnly connects over ICE-TCP alone, as a client behind a firewall
	// that drops UDP must: to a server's passive TCP candidates.
	TCPOnly bool
	// Reconnect is how long the client restarts ICE on its session after
	// the connection is lost (its network changed, or went away for a
	// while) before Done is closed. Default 15 s, the server's default
	// grace; negative: no restarts.
	Reconnect time.Duration
	// FrameBuffer is how many received frames wait for ReadFrame before
	// newer ones are dropped. Default 64.
	FrameBuffer int
	// Queue makes Dial wait its turn in the server's line when the server
	// is at its session limit, instead of failing with a 503. OnQueue, if
	// set, is told the place in line (1 is next) each time it is polled.
	Queue   bool
	OnQueue func(position int)

	// SkipDecode turns the decoder off: received frames are reported to
	// OnFrame but never decoded, and ReadFrame returns none. Default false.
	SkipDecode bool
	// OnFrame, if set, is called for every frame received from the server,
	// as soon as its last packet arrived and before it is decoded. It is
	// called from the goroutine that reads the video and must not block.
	OnFrame func(FrameInfo)
	// OnKeyFrameRequest, if set, is called when the server asks for a
	// keyframe (an RTCP PLI or FIR), from the goroutine that reads RTCP; it
	// must not block. WriteFrame honours such requests by itself; a caller
	// of WriteEncoded should send a keyframe next.
	OnKeyFrameRequest func()

	// Audio adds a sendrecv Opus audio track (mono, 48 kHz, 20 ms
	// packets): WriteAudio sends on it and ReadAudio returns what the
	// server sends back. Needed for rtcstream.Audio streams, whose offer
	// must carry Opus. Default false.
	Audio bool
	// VideoOff leaves the video track out of the offer: an audio-only
	// client (with Audio). WriteFrame and WriteEncoded then fail with
	// ErrNoVideo and ReadFrame returns no frame. Default false.
	VideoOff bool
	// AudioBitrate is the target of WriteAudio's Opus encoder in bits per
	// second. Default 32 kbps, as browsers send.
	AudioBitrate int
	// AudioBuffer is how many received 20 ms audio frames wait for
	// ReadAudio before newer ones are dropped. Default 250 (5 s).
	AudioBuffer int
	// BearerToken, if set, is sent as "Authorization: Bearer" with every
	// signalling request, for a server whose Options.Authorize checks it
	// (WHIP publishers authenticate so).
	BearerToken string
	// Prefix is where the stream's signalling is under Dial's base URL:
	// "/webrtc" (the default) for a Stream, or a Blocks page's first
	// stream component; what ui.Blocks.MountPrefix returns ("/webrtc/c3")
	// for another component on the page.
	Prefix string
}

// Frame is a frame received from the server.
type Frame struct {
	// Image is the decoded frame; the caller owns it.
	Image *image.YCbCr
	// RTPTimestamp is the frame's 90 kHz RTP timestamp. rtcstream servers
	// carry the input frame's timestamp to the output, so it identifies
	// which sent frame this one was made from.
	RTPTimestamp uint32
	// Received is when the last packet of the frame arrived.
	Received time.Time
	// KeyFrame reports whether the frame was a keyframe.
	KeyFrame bool
}

// FrameInfo describes a frame received from the server without its pixels.
type FrameInfo struct {
	// RTPTimestamp is the frame's 90 kHz RTP timestamp (see Frame).
	RTPTimestamp uint32
	// Size is the length of the encoded frame in bytes.
	Size int
	// KeyFrame reports whether the frame is a keyframe.
	KeyFrame bool
	// Received is when the last packet of the frame arrived.
	Received time.Time
}

// Message is a control message from the server: the same messages a
// Stream's page gets. Type says which fields are set.
type Message struct {
	// Type is "output", "vad", "error", "warning", "time_limit", "end",
	// or one a handler sent with Session.Send.
	Type string `json:"type"`
	// Message is the text of an "error", a "warning", or an "end" by
	// error.
	Message string `json:"message"`
	// Reason is why the stream ended ("end"): "time limit reached",
	// "the handler failed", ...; Error says it ended by an error.
	Reason string `json:"reason"`
	Error  bool   `json:"error"`
	// Values are an "output" message's additional outputs, by component
	// id (ui.Blocks.ID), each in its component's JSON form.
	Values map[string]json.RawMessage `json:"values"`
	// Event is a "vad" message's turn event (started_talking,
	// pause_detected, reply_started, reply_ended, barge_in), and At its
	// stream time in seconds.
	Event string  `json:"event"`
	At    float64 `json:"at"`
	// Seconds is a "time_limit" message's limit.
	Seconds float64 `json:"seconds"`
	// Raw is the message as it came, for the fields above do not cover
	// (a "vad" pause_detected's utterance_seconds, a handler's own).
	Raw []byte `json:"-"`
}

// Output decodes the "output" value for component id into v (a string
// for a Textbox, []ui.ChatMessage for a Chatbot, ...); ok is false when
// the message carries no value for id.
func (m Message) Output(id string, v any) (ok bool, err error) {
	raw, ok := m.Values[id]
	if !ok {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

// Error is a signalling failure the server reported.
type Error struct {
	// Status is the HTTP status: 200 when a fastrtc-style server refused
	// the offer in the body ({"status": "failed", "meta": {"error": ...}}).
	Status  int
	Code    string // the JSON "error" field
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("rtcstream client: server answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Conn is a connected client. WriteFrame and WriteEncoded must be called
// from one goroutine; the other methods are safe for concurrent use.
type Conn struct {
	opts      Options
	dc        *webrtc.DataChannel
	base      string
	http      *http.Client
	pc        *webrtc.PeerConnection
	out       *webrtc.TrackLocalStaticRTP
	id        string
	token     string
	enc       codec.VideoEncoder
	pack      pipeline.FramePacketizer
	encBuf    []byte
	encMu     sync.Mutex // guards enc against Close during WriteFrame
	encClosed bool

	frames   chan Frame
	messages chan Message
	dropped  atomic.Uint64
	stats    connStats
	inSSRC   atomic.Uint32
	dcOpen   chan struct{}
	dcOnce   sync.Once

	closeOnce sync.Once
	wg        sync.WaitGroup
	connected chan struct{}
	failed    chan struct{}
	failOnce  sync.Once
	trackDone *sync.Once

	audio *audioState // nil without Options.Audio

	reconnect reconnector
	net       *stdnet.Net // listed again before an ICE restart
	// fromServer: the ICE servers are the server's, fetched again before
	// an ICE restart (TURN credentials expire).
	fromServer bool
	trickle    trickle

	whip *whipSession // PublishWHIP's; nil for Dial's
}

// Dial connects to the rtcstream server at base (the URL its page is
// served at, such as "http://127.0.0.1:7860/") and returns once media can
// flow. ctx bounds the connection set-up only.
//
// Errors are *DialError, naming the step that failed; a failure the server
// reported is also an *Error (errors.As finds both), and an expired ctx is
// also ctx.Err() (errors.Is).
func Dial(ctx context.Context, base string, opts *Options) (*Conn, error) {
	return dial(ctx, base, opts, nil)
}

// dial is Dial, or PublishWHIP with whip.
func dial(ctx context.Context, base string, opts *Options, whip *whipSession) (*Conn, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Bitrate <= 0 {
		o.Bitrate = 1_000_000
	}
	if err := o.VideoCodec.Check(); err != nil {
		return nil, &DialError{StageSetup, err}
	}
	o.VideoCodec = o.VideoCodec.OrVP8()
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.FrameBuffer <= 0 {
		o.FrameBuffer = 64
	}
	if o.AudioBuffer <= 0 {
		o.AudioBuffer = 250
	}
	if whip == nil {
		prefix := strings.Trim(o.Prefix, "/")
		if prefix == "" {
			prefix = "webrtc"
		}
		base = strings.TrimRight(base, "/") + "/" + prefix + "/" // the signalling's
	}
	fromServer := o.ICEServers == nil && whip == nil
	if fromServer {
		sc, err := fetchConfig(ctx, o.HTTPClient, base)
		if err != nil {
			return nil, &DialError{StageConfig, err}
		}
		o.ICEServers = sc.ICEServers
		o.RelayOnly = o.RelayOnly || sc.RelayOnly
	}
	netw, err := stdnet.NewNet()
	if err != nil {
		return nil, &DialError{StageSetup, err}
	}
	nc := peer.NetConfig{DisableMDNS: true, RelayOnly: o.RelayOnly, TCPOnly: o.TCPOnly, ActiveTCP: true, Net: netw}
	if o.Loopback {
		nc.Interfaces, nc.IncludeLoopback = []string{"lo"}, true
	}
	api, err := peer.NewAPI(nc)
	if err != nil {
		return nil, &DialError{StageSetup, err}
	}
	cfg := webrtc.Configuration{ICEServers: o.ICEServers}
	if o.RelayOnly {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		return nil, &DialError{StageSetup, err}
	}
	enc, err := videocodec.NewEncoder(o.VideoCodec, videocodec.EncoderConfig{BitRate: o.Bitrate})
	if err != nil {
		pc.Close()
		return nil, &DialError{StageSetup, err}
	}
	c := &Conn{
		opts:       o,
		base:       base,
		fromServer: fromServer,
		http:       o.HTTPClient,
		pc:         pc,
		enc:        enc,
		frames:     make(chan Frame, o.FrameBuffer),
		messages:   make(chan Message, 16),
		dcOpen:     make(chan struct{}),
		connected:  make(chan struct{}),
		failed:     make(chan struct{}),
		id:         newID(),
		net:        netw,
		whip:       whip,
	}
	c.trickle.ctx, c.trickle.cancel = context.WithCancel(context.Background())
	c.pc.OnICECandidate(c.onCandidate)
	if err := c.setup(ctx); err != nil {
		c.shutdown()
		return nil, err
	}
	return c, nil
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails
	return fmt.Sprintf("go-%x", b)
}

func (c *Conn) setup(ctx context.Context) error {
	if err := c.prepare(); err != nil {
		return &DialError{StageSetup, err}
	}
	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		return &DialError{StageSetup, err}
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		return &DialError{StageSetup, err}
	}
	sdp, err := c.offerSDP(ctx, gathered)
	if err != nil {
		return &DialError{StageGather, err}
	}
	var ticket string
	if c.opts.Queue && c.whip == nil {
		if ticket, err = c.waitTurn(ctx); err != nil {
			return &DialError{StageQueue, err}
		}
	}
	negotiate := c.negotiate
	if c.whip != nil {
		negotiate = c.negotiateWHIP
	}
	withControl, err := negotiate(ctx, sdp, ticket)
	if err != nil {
		return &DialError{StageOffer, err}
	}
	select {
	case <-c.connected:
	case <-c.failed:
		return &DialError{StageConnect, ErrConnectionFailed}
	case <-ctx.Done():
		return &DialError{StageConnect, ctx.Err()}
	}
	if !withControl {
		return nil // the server declined the control channel (not rtcstream)
	}
	select { // the control channel opens right after
	case <-c.dcOpen:
	case <-ctx.Done():
		return &DialError{StageControl, ctx.Err()}
	}
	return nil
}

// prepare adds the tracks, the control channel and the callbacks to the
// peer connection.
func (c *Conn) prepare() error {
	if c.opts.Audio {
		if err := c.prepareAudio(); err != nil {
			return err
		}
	}
	if !c.opts.VideoOff {
		if err := c.prepareVideo(); err != nil {
			return err
		}
	}
	return c.prepareControl()
}

// prepareVideo adds the sendrecv video transceiver (recvonly for a WHEP
// player, sendonly for a WHIP publisher), offering Options.VideoCodec
// only.
func (c *Conn) prepareVideo() error {
	if c.direction() == webrtc.RTPTransceiverDirectionRecvonly {
		tr, err := c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
		if err != nil {
			return err
		}
		return peer.PreferVideo(tr, c.opts.VideoCodec)
	}
	out, err := webrtc.NewTrackLocalStaticRTP(peer.VideoCapability(c.opts.VideoCodec), "video", "rtcstream-client")
	if err != nil {
		return err
	}
	c.out = out
	c.pack = pipeline.NewPacketizerFor(c.opts.VideoCodec, out, 0)
	tr, err := c.pc.AddTransceiverFromTrack(out, webrtc.RTPTransceiverInit{Direction: c.direction()})
	if err != nil {
		return err
	}
	if err := peer.PreferVideo(tr, c.opts.VideoCodec); err != nil {
		return err
	}
	c.wg.Add(1)
	go c.readSenderRTCP(tr.Sender())
	return nil
}

// prepareControl adds the control channel and the callbacks.
func (c *Conn) prepareControl() error {
	if c.whip == nil { // a WHIP publisher only sends media
		dc, err := c.pc.CreateDataChannel(peer.ControlLabel, nil)
		c.dc = dc
		if err != nil {
			return err
		}
		dc.OnOpen(func() { c.dcOnce.Do(func() { close(c.dcOpen) }) })
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			msg := Message{Raw: append([]byte(nil), m.Data...)}
			_ = json.Unmarshal(m.Data, &msg)
			select {
			case c.messages <- msg:
			default:
			}
		})
	}

	var connOnce sync.Once
	c.reconnect.c = c
	c.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			connOnce.Do(func() {
				close(c.connected)
				if c.opts.Reconnect >= 0 && c.startWatch() {
					go c.watchNetwork()
				}
			})
			c.reconnect.connected()
		case webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateFailed:
			if c.wasConnected() && c.opts.Reconnect >= 0 && c.token != "" {
				c.reconnect.lost() // restart ICE on the session
				return
			}
			if s == webrtc.PeerConnectionStateFailed {
				c.failOnce.Do(func() { close(c.failed) })
			}
		case webrtc.PeerConnectionStateClosed:
			c.failOnce.Do(func() { close(c.failed) })
		}
	})
	c.wg.Add(1) // released by the OnTrack reader, or by shutdown if none came
	var trackOnce sync.Once
	c.pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		if t.Kind() == webrtc.RTPCodecTypeAudio {
			c.onAudioTrack(t)
			return
		}
		if t.Kind() != webrtc.RTPCodecTypeVideo {
			return
		}
		trackOnce.Do(func() {
			defer c.wg.Done()
			c.inSSRC.Store(uint32(t.SSRC()))
			c.readVideo(t)
		})
	})
	c.trackDone = &trackOnce
	return nil
}

// negotiate posts the offer and applies the answer. It reports whether the
// answer accepted the control channel: fastrtc-style servers may not.
func (c *Conn) negotiate(ctx context.Context, offer, ticket string) (withControl bool, err error) {
	var ans struct {
		SDP   string `json:"sdp"`
		Type  string `json:"type"`
		Token string `json:"token"`
		// CandidatesPending: the server trickles more candidates.
		CandidatesPending bool `json:"candidates_pending"`
		// fastrtc answers a refusal with 200 and
		// {"status": "failed", "meta": {"error": code, "limit": n}}.
		Status string `json:"status"`
		Meta   struct {
			Error string `json:"error"`
			Limit int    `json:"limit"`
		} `json:"meta"`
	}
	if err := c.post(ctx, "offer", map[string]string{
		"sdp": offer, "type": "offer", "webrtc_id": c.id, "ticket": ticket,
	}, &ans); err != nil {
		return false, err
	}
	if ans.Status == "failed" {
		msg := "the server refused the offer"
		if ans.Meta.Limit > 0 {
			msg = fmt.Sprintf("%s (limit %d)", msg, ans.Meta.Limit)
		}
		return false, &Error{Status: http.StatusOK, Code: ans.Meta.Error, Message: msg}
	}
	c.token = ans.Token
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
		return false, fmt.Errorf("rtcstream client: bad answer: %w", err)
	}
	c.answered()
	c.serverCandidates(ans.CandidatesPending)
	return acceptsDataChannel(ans.SDP), nil
}

// acceptsDataChannel reports whether an answer keeps an application
// (SCTP data channel) section open.
func acceptsDataChannel(answer string) bool {
	var sd sdp.SessionDescription
	if sd.UnmarshalString(answer) != nil {
		return true // SetRemoteDescription took it; assume the usual
	}
	for _, md := range sd.MediaDescriptions {
		if md.MediaName.Media == "application" && md.MediaName.Port.Value != 0 {
			return true
		}
	}
	return false
}

// queuePoll is how often a client in the server's line asks for its turn.
const queuePoll = 500 * time.Millisecond

// waitTurn joins the server's line and returns the ticket once a slot is
// reserved for it.
func (c *Conn) waitTurn(ctx context.Context) (string, error) {
	var r struct {
		Status   string `json:"status"`
		Ticket   string `json:"ticket"`
		Position int    `json:"position"`
	}
	body := map[string]string{"webrtc_id": c.id}
	for {
		if err := c.post(ctx, "queue", body, &r); err != nil {
			return "", err
		}
		if r.Status == "ready" {
			return r.Ticket, nil
		}
		if c.opts.OnQueue != nil {
			c.opts.OnQueue(r.Position)
		}
		body = map[string]string{"ticket": r.Ticket}
		select {
		case <-time.After(queuePoll):
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// SendInput sends new values for the stream's extra inputs, keyed by the
// input components' ids, as the page does when a slider moves.
func (c *Conn) SendInput(values map[string]any) error {
	b, err := json.Marshal(map[string]any{"type": "input", "values": values})
	if err != nil {
		return err
	}
	return c.dc.SendText(string(b))
}

// post sends a signalling request and decodes the reply into v.
func (c *Conn) post(ctx context.Context, path string, body, v any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	_, data, err := c.do(req)
	if err != nil || v == nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// do sends a signalling request with the bearer token, if any, and
// returns the response and its body (up to 1 MiB); a status other than
// 2xx is an *Error.
func (c *Conn) do(req *http.Request) (*http.Response, []byte, error) {
	if c.opts.BearerToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.BearerToken)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Status: resp.StatusCode}
		var body struct{ Error, Message string }
		if json.Unmarshal(data, &body) == nil {
			e.Code, e.Message = body.Error, body.Message
		} else {
			e.Message = string(data)
		}
		return resp, data, e
	}
	return resp, data, nil
}

func (c *Conn) readVideo(t *webrtc.TrackRemote) {
	vc := c.opts.VideoCodec
	var dec codec.VideoDecoder
	if !c.opts.SkipDecode {
		var err error
		if dec, err = videocodec.NewDecoder(vc, image.Point{}); err != nil {
			return
		}
		defer dec.Close()
	}
	asm := pipeline.NewAssemblerFor(vc, 0)
	buf := make([]byte, 1500)
	var p rtp.Packet
	var lastPLI, lastRTT time.Time
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		now := time.Now()
		if now.Sub(lastRTT) >= 2*time.Second {
			// Wait for a retransmission as long as the path takes to bring it.
			lastRTT = now
			if rtt, ok := peer.RTT(c.pc); ok {
				asm.SetLossWait(pipeline.LossWaitFor(rtt))
			}
		}
		c.stats.packetsReceived.Add(1)
		asm.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		for {
			f, ok := asm.Pop(now)
			if !ok {
				break
			}
			c.stats.framesReceived.Add(1)
			c.stats.bytesReceived.Add(uint64(len(f.Data)))
			if c.opts.OnFrame != nil {
				c.opts.OnFrame(FrameInfo{RTPTimestamp: f.Timestamp, Size: len(f.Data), KeyFrame: f.KeyFrame, Received: now})
			}
			if dec == nil {
				continue
			}
			img, err := dec.Decode(nil, f.Data)
			if err != nil || img == nil {
				if err != nil {
					c.stats.decodeErrors.Add(1)
				}
				continue
			}
			select {
			case c.frames <- Frame{Image: img, RTPTimestamp: f.Timestamp, Received: now, KeyFrame: f.KeyFrame}:
			default:
				c.dropped.Add(1)
			}
		}
		c.stats.setAssembler(asm.Stats())
		if asm.KeyFrameNeeded() && now.Sub(lastPLI) > 250*time.Millisecond {
			lastPLI = now
			c.stats.keyFramesRequested.Add(1)
			c.RequestKeyFrame()
		}
	}
}

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
				c.stats.keyFramesAsked.Add(1)
				c.enc.RequestKeyFrame()
				if c.opts.OnKeyFrameRequest != nil {
					c.opts.OnKeyFrameRequest()
				}
			}
		}
	}
}

// RequestKeyFrame asks the server for a keyframe (a PLI).
func (c *Conn) RequestKeyFrame() {
	if ssrc := c.inSSRC.Load(); ssrc != 0 {
		_ = c.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
	}
}

// WriteFrame encodes img and sends it, stamped with pts converted to the
// 90 kHz RTP clock. pts must increase from frame to frame, in real time as
// a camera stamps its frames (time since the first frame, say): stamps
// that run ahead of the sending make the frames look late to the server,
// which under load sheds frames for it (rtcstream.Options.FullFrameRate),
// and to a browser's jitter buffer. After Close (or Abort), from any
// goroutine, it returns ErrClosed.
func (c *Conn) WriteFrame(img *image.YCbCr, pts time.Duration) error {
	// Close may run meanwhile (from another goroutine): the encoder is
	// used and freed under encMu.
	c.encMu.Lock()
	defer c.encMu.Unlock()
	if c.encClosed {
		return ErrClosed
	}
	var err error
	c.encBuf, _, err = c.enc.Encode(c.encBuf[:0], img, pts)
	if err != nil {
		return err
	}
	return c.send(c.encBuf, pts)
}

// WriteEncoded sends frame, one frame of Options.VideoCodec encoded
// beforehand (by codec/vpx, codec/h264 or any encoder of that codec;
// H.264 as an Annex B access unit), stamped with pts converted to the 90 kHz
// RTP clock. The packets get the connection's next sequence numbers and
// picture ID, so a recorded sequence can be sent again and again, each
// time with fresh pts: a load generator encodes once and replays. The
// first frame sent, and the first after a keyframe request (see
// Options.OnKeyFrameRequest), should be a keyframe. frame is read only
// during the call. WriteEncoded and WriteFrame must be called from one
// goroutine.
func (c *Conn) WriteEncoded(frame []byte, pts time.Duration) error {
	if len(frame) == 0 {
		return errors.New("rtcstream client: WriteEncoded: empty frame")
	}
	return c.send(frame, pts)
}

func (c *Conn) send(frame []byte, pts time.Duration) error {
	if c.pack == nil {
		return ErrNoVideo
	}
	if err := c.pack.WriteFrame(frame, RTPTimestamp(pts)); err != nil {
		return err
	}
	c.stats.framesSent.Add(1)
	c.stats.bytesSent.Add(uint64(len(frame)))
	return nil
}

// RTPTimestamp converts a presentation time to the 90 kHz RTP clock, as
// WriteFrame stamps it: rounded to the nearest tick.
func RTPTimestamp(pts time.Duration) uint32 {
	return uint32((pts*90000 + time.Second/2) / time.Second)
}

// ReadFrame returns the next frame from the server. Frames that arrived
// before the connection closed are still returned; then it fails with
// ErrClosed. With Options.SkipDecode no frame ever comes.
func (c *Conn) ReadFrame(ctx context.Context) (Frame, error) {
	select {
	case f := <-c.frames:
		return f, nil
	case <-ctx.Done():
		return Frame{}, ctx.Err()
	case <-c.failed:
		select {
		case f := <-c.frames:
			return f, nil
		default:
			return Frame{}, ErrClosed
		}
	}
}

// ReadMessage returns the next control message from the server. Messages
// that arrived before the connection closed are still returned.
func (c *Conn) ReadMessage(ctx context.Context) (Message, error) {
	select {
	case m := <-c.messages:
		return m, nil
	case <-ctx.Done():
		return Message{}, ctx.Err()
	case <-c.failed:
		select {
		case m := <-c.messages:
			return m, nil
		default:
			return Message{}, ErrClosed
		}
	}
}

// wasConnected reports whether the connection came up once.
func (c *Conn) wasConnected() bool {
	select {
	case <-c.connected:
		return true
	default:
		return false
	}
}

// Done is closed when the connection has failed (and Options.Reconnect
// ran out without bringing it back) or closed.
func (c *Conn) Done() <-chan struct{} { return c.failed }

// DroppedFrames counts received frames dropped because nobody read them.
func (c *Conn) DroppedFrames() uint64 { return c.dropped.Load() }

// ID is the webrtc_id the client chose (an rtcstream WHIP publisher's:
// the one the server gave its session, which WHEP viewers name with
// ?session=); Token is the one the server issued.
func (c *Conn) ID() string    { return c.id }
func (c *Conn) Token() string { return c.token }

// Close asks the server to stop the session, then closes the connection.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		switch {
		case c.whip != nil:
			err = c.whip.end(ctx, c)
		case c.token != "":
			err = c.post(ctx, "stop", map[string]string{"webrtc_id": c.id, "token": c.token}, nil)
		}
		c.shutdown()
	})
	return err
}

// Abort closes the connection without telling the server, as a browser
// that crashed or lost its network would.
func (c *Conn) Abort() {
	c.closeOnce.Do(c.shutdown)
}

func (c *Conn) shutdown() {
	c.stopTrickle()
	_ = c.pc.Close()
	c.failOnce.Do(func() { close(c.failed) })
	if c.trackDone != nil { // set once the track reader was counted
		c.trackDone.Do(func() { c.wg.Done() }) // no track ever came
	}
	c.closeAudio()
	c.wg.Wait()
	c.freeAudio()
	c.encMu.Lock()
	_ = c.enc.Close()
	c.encClosed = true
	c.encMu.Unlock()
}
