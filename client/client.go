// Package client is a pure-Go WebRTC client for rtcstream servers (and any
// server speaking fastrtc's /webrtc/offer signalling). It sends frames you
// give it and returns the frames the server sends back, decoded. Tests,
// load generators and automation use it in place of a browser.
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
	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/codec/vpx"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// Options configure Dial. The zero value works against a server on this
// machine's network; every field's comment gives its default.
type Options struct {
	// Bitrate is the sent video's target in bits per second. Default 1 Mbps.
	Bitrate int
	// HTTPClient sends the signalling requests. Default http.DefaultClient.
	HTTPClient *http.Client
	// Loopback makes the client gather loopback candidates only: for a
	// server on this machine, as in tests.
	Loopback bool
	// ICEServers are STUN/TURN URLs with optional credentials.
	ICEServers []webrtc.ICEServer
	// RelayOnly forces TURN relaying.
	RelayOnly bool
	// FrameBuffer is how many received frames wait for ReadFrame before
	// newer ones are dropped. Default 64.
	FrameBuffer int
	// Queue makes Dial wait its turn in the server's line when the server
	// is at its session limit, instead of failing with a 503. OnQueue, if
	// set, is told the place in line (1 is next) each time it is polled.
	Queue   bool
	OnQueue func(position int)
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

// Message is a control message from the server, such as
// {"type":"error","message":"..."}.
type Message struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Reason  string `json:"reason"`
	Raw     []byte `json:"-"`
}

// Error is a signalling failure the server reported.
type Error struct {
	Status  int    // HTTP status
	Code    string // the JSON "error" field
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("rtcstream client: server answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Conn is a connected client. WriteFrame must be called from one goroutine;
// the other methods are safe for concurrent use.
type Conn struct {
	opts   Options
	dc     *webrtc.DataChannel
	base   string
	http   *http.Client
	pc     *webrtc.PeerConnection
	out    *webrtc.TrackLocalStaticRTP
	id     string
	token  string
	enc    *vpx.Encoder
	pack   *pipeline.Packetizer
	encBuf []byte

	frames   chan Frame
	messages chan Message
	dropped  atomic.Uint64
	inSSRC   atomic.Uint32
	dcOpen   chan struct{}
	dcOnce   sync.Once

	closeOnce sync.Once
	wg        sync.WaitGroup
	failed    chan struct{}
	failOnce  sync.Once
	trackDone *sync.Once
}

// Dial connects to the rtcstream server at base (the URL its page is
// served at, such as "http://127.0.0.1:7860/") and returns once media can
// flow. ctx bounds the connection set-up only.
func Dial(ctx context.Context, base string, opts *Options) (*Conn, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Bitrate <= 0 {
		o.Bitrate = 1_000_000
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.FrameBuffer <= 0 {
		o.FrameBuffer = 64
	}
	nc := peer.NetConfig{DisableMDNS: true, RelayOnly: o.RelayOnly}
	if o.Loopback {
		nc.Interfaces, nc.IncludeLoopback = []string{"lo"}, true
	}
	api, err := peer.NewAPI(nc)
	if err != nil {
		return nil, err
	}
	cfg := webrtc.Configuration{ICEServers: o.ICEServers}
	if o.RelayOnly {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		return nil, err
	}
	enc, err := vpx.NewEncoder(vpx.EncoderConfig{BitRate: o.Bitrate})
	if err != nil {
		pc.Close()
		return nil, err
	}
	c := &Conn{
		opts:     o,
		base:     strings.TrimRight(base, "/") + "/",
		http:     o.HTTPClient,
		pc:       pc,
		enc:      enc,
		frames:   make(chan Frame, o.FrameBuffer),
		messages: make(chan Message, 16),
		dcOpen:   make(chan struct{}),
		failed:   make(chan struct{}),
		id:       newID(),
	}
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
	out, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000,
	}, "video", "rtcstream-client")
	if err != nil {
		return err
	}
	c.out = out
	c.pack = pipeline.NewPacketizer(out, 0)
	tr, err := c.pc.AddTransceiverFromTrack(out, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		return err
	}
	c.wg.Add(1)
	go c.readSenderRTCP(tr.Sender())

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

	connected := make(chan struct{})
	var connOnce sync.Once
	c.pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			connOnce.Do(func() { close(connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			c.failOnce.Do(func() { close(c.failed) })
		}
	})
	c.wg.Add(1) // released by the OnTrack reader, or by shutdown if none came
	var trackOnce sync.Once
	c.pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
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

	offer, err := c.pc.CreateOffer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(c.pc)
	if err := c.pc.SetLocalDescription(offer); err != nil {
		return err
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return ctx.Err()
	}
	var ticket string
	if c.opts.Queue {
		if ticket, err = c.waitTurn(ctx); err != nil {
			return err
		}
	}
	var ans struct {
		SDP   string `json:"sdp"`
		Type  string `json:"type"`
		Token string `json:"token"`
	}
	if err := c.post(ctx, "webrtc/offer", map[string]string{
		"sdp": c.pc.LocalDescription().SDP, "type": "offer", "webrtc_id": c.id, "ticket": ticket,
	}, &ans); err != nil {
		return err
	}
	c.token = ans.Token
	if err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: ans.SDP}); err != nil {
		return fmt.Errorf("rtcstream client: bad answer: %w", err)
	}
	select {
	case <-connected:
	case <-c.failed:
		return errors.New("rtcstream client: connection failed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select { // the control channel opens right after
	case <-c.dcOpen:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
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
		if err := c.post(ctx, "webrtc/queue", body, &r); err != nil {
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
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		e := &Error{Status: resp.StatusCode}
		var body struct{ Error, Message string }
		if json.Unmarshal(data, &body) == nil {
			e.Code, e.Message = body.Error, body.Message
		} else {
			e.Message = string(data)
		}
		return e
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(data, v)
}

func (c *Conn) readVideo(t *webrtc.TrackRemote) {
	dec, err := vpx.NewDecoder()
	if err != nil {
		return
	}
	defer dec.Close()
	asm := pipeline.NewAssembler(0)
	buf := make([]byte, 1500)
	var p rtp.Packet
	var lastPLI time.Time
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		now := time.Now()
		asm.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		for {
			f, ok := asm.Pop(now)
			if !ok {
				break
			}
			img, err := dec.Decode(nil, f.Data)
			if err != nil || img == nil {
				continue
			}
			select {
			case c.frames <- Frame{Image: img, RTPTimestamp: f.Timestamp, Received: now, KeyFrame: f.KeyFrame}:
			default:
				c.dropped.Add(1)
			}
		}
		if asm.KeyFrameNeeded() && now.Sub(lastPLI) > 250*time.Millisecond {
			lastPLI = now
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
				c.enc.RequestKeyFrame()
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
// 90 kHz RTP clock. pts must increase from frame to frame.
func (c *Conn) WriteFrame(img *image.YCbCr, pts time.Duration) error {
	var err error
	c.encBuf, _, err = c.enc.Encode(c.encBuf[:0], img, pts)
	if err != nil {
		return err
	}
	return c.pack.WriteFrame(c.encBuf, RTPTimestamp(pts))
}

// RTPTimestamp converts a presentation time to the 90 kHz RTP clock, as
// WriteFrame stamps it: rounded to the nearest tick.
func RTPTimestamp(pts time.Duration) uint32 {
	return uint32((pts*90000 + time.Second/2) / time.Second)
}

// ReadFrame returns the next frame from the server.
func (c *Conn) ReadFrame(ctx context.Context) (Frame, error) {
	select {
	case f := <-c.frames:
		return f, nil
	case <-ctx.Done():
		return Frame{}, ctx.Err()
	case <-c.failed:
		return Frame{}, errors.New("rtcstream client: connection closed")
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
			return Message{}, errors.New("rtcstream client: connection closed")
		}
	}
}

// Done is closed when the connection has failed or closed.
func (c *Conn) Done() <-chan struct{} { return c.failed }

// DroppedFrames counts received frames dropped because nobody read them.
func (c *Conn) DroppedFrames() uint64 { return c.dropped.Load() }

// ID is the webrtc_id the client chose; Token is the one the server issued.
func (c *Conn) ID() string    { return c.id }
func (c *Conn) Token() string { return c.token }

// Close asks the server to stop the session, then closes the connection.
func (c *Conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if c.token != "" {
			err = c.post(ctx, "webrtc/stop", map[string]string{"webrtc_id": c.id, "token": c.token}, nil)
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
	_ = c.pc.Close()
	c.failOnce.Do(func() { close(c.failed) })
	c.trackDone.Do(func() { c.wg.Done() }) // no track ever came
	c.wg.Wait()
	_ = c.enc.Close()
}
