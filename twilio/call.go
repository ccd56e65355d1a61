package twilio

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/server"
)

// Bounds on what Twilio (or whoever holds the URL and a signature) sends.
const (
	maxMessage  = 64 << 10         // bytes a message: a 20 ms media message is about 300
	readTimeout = 10 * time.Second // between messages: Twilio sends media every 20 ms
	writeWait   = 5 * time.Second
)

// message is a Media Streams message, either way. Twilio writes its
// numbers as strings.
type message struct {
	Event          string `json:"event"`
	SequenceNumber string `json:"sequenceNumber,omitempty"`
	StreamSid      string `json:"streamSid,omitempty"`
	Start          *struct {
		StreamSid        string            `json:"streamSid"`
		AccountSid       string            `json:"accountSid"`
		CallSid          string            `json:"callSid"`
		Tracks           []string          `json:"tracks"`
		CustomParameters map[string]string `json:"customParameters"`
		MediaFormat      struct {
			Encoding   string `json:"encoding"`
			SampleRate int    `json:"sampleRate"`
			Channels   int    `json:"channels"`
		} `json:"mediaFormat"`
	} `json:"start,omitempty"`
	Media *struct {
		Track     string `json:"track,omitempty"`
		Chunk     string `json:"chunk,omitempty"`
		Timestamp string `json:"timestamp,omitempty"`
		Payload   string `json:"payload"`
	} `json:"media,omitempty"`
	Mark *struct {
		Name string `json:"name"`
	} `json:"mark,omitempty"`
	DTMF *struct {
		Digit string `json:"digit"`
	} `json:"dtmf,omitempty"`
}

// call is one phone call's stream: the handler's session over Twilio's
// WebSocket. It is a server.Carrier and a server.Handle.
type call struct {
	b   *Bridge
	ws  *websocket.Conn
	log *slog.Logger

	sid     string // the stream's
	callSid string
	params  map[string]string
	media   *server.Media
	server.HandlersIO

	ctx    context.Context
	cancel context.CancelFunc
	ran    chan struct{} // the handler returned
	limit  *time.Timer   // the Stream's TimeLimit; nil without

	wmu      sync.Mutex // orders writes to the WebSocket
	sounding bool       // the last packet sent held sound
	marks    map[string]time.Time
	nmark    int

	emu     sync.Mutex
	lastErr time.Time
	muted   int
	why     string
}

func newCall(b *Bridge, ws *websocket.Conn) *call {
	ctx, cancel := context.WithCancel(context.Background())
	c := &call{b: b, ws: ws, log: b.log, ctx: ctx, cancel: cancel, ran: make(chan struct{}), marks: map[string]time.Time{}}
	ws.SetReadLimit(maxMessage)
	return c
}

// run reads the call's messages until it ends, then frees it.
func (c *call) run() {
	defer c.finish()
	for c.ctx.Err() == nil {
		_ = c.ws.SetReadDeadline(time.Now().Add(readTimeout))
		kind, b, err := c.ws.ReadMessage()
		if err != nil {
			if c.ctx.Err() == nil {
				c.end("the connection ended: " + err.Error())
			}
			return
		}
		if kind != websocket.TextMessage {
			c.fail("a binary message")
			return
		}
		var m message
		if err := json.Unmarshal(b, &m); err != nil {
			c.fail("a message that is not JSON: " + err.Error())
			return
		}
		if err := c.handle(&m); err != nil {
			c.fail(err.Error())
			return
		}
	}
}

// handle acts on one message; an error ends the call as malformed.
func (c *call) handle(m *message) error {
	switch m.Event {
	case "connected":
	case "start":
		return c.start(m)
	case "media":
		if c.media == nil {
			return errors.New("media before start")
		}
		if m.Media == nil {
			return errors.New("a media message without media")
		}
		if m.Media.Track != "" && m.Media.Track != "inbound" {
			return nil // the call's other leg, if Twilio was asked for both
		}
		chunk, err1 := strconv.ParseUint(m.Media.Chunk, 10, 64)
		ms, err2 := strconv.ParseUint(m.Media.Timestamp, 10, 64)
		payload, err3 := base64.StdEncoding.DecodeString(m.Media.Payload)
		if err := errors.Join(err1, err2, err3); err != nil {
			return fmt.Errorf("a malformed media message: %w", err)
		}
		// As RTP: the chunk numbers the packets, the timestamp counts
		// milliseconds (on the 48 kHz clock the input expects).
		c.media.PushAudio(&rtp.Packet{Header: rtp.Header{SequenceNumber: uint16(chunk), Timestamp: uint32(ms * 48)}, Payload: payload}, time.Now())
	case "mark":
		if m.Mark != nil {
			c.marked(m.Mark.Name)
		}
	case "dtmf":
		if m.DTMF != nil {
			c.log.Info("twilio: a key pressed", "digit", m.DTMF.Digit)
		}
	case "stop":
		c.end("the caller hung up")
	default:
		c.log.Debug("twilio: an unknown message: ignored", "event", m.Event)
	}
	return nil
}

// start begins the handler's session for the stream m starts.
func (c *call) start(m *message) error {
	if c.media != nil {
		return errors.New("a second start")
	}
	st := m.Start
	if st == nil || st.StreamSid == "" {
		return errors.New("a start message without its streamSid")
	}
	if f := st.MediaFormat; f.Encoding != "audio/x-mulaw" || f.SampleRate != 8000 || f.Channels != 1 {
		return fmt.Errorf("media format %s at %d Hz, %d channels: want audio/x-mulaw at 8000 Hz, mono", f.Encoding, f.SampleRate, f.Channels)
	}
	c.sid, c.callSid, c.params = st.StreamSid, st.CallSid, st.CustomParameters
	c.log = c.b.log.With("call", c.callSid, "stream", c.sid)
	hs, err := c.b.cfg.NewSession(c)
	if err != nil {
		return err
	}
	c.HandlersIO = server.HandlersIO{H: hs}
	if c.media, err = server.NewMedia(&c.b.cfg, hs, c, ""); err != nil {
		return err
	}
	if o := c.b.cfg.Observer; o != nil {
		o.SessionStarted()
	}
	c.log.Info("twilio: call started")
	if tl := c.b.cfg.TimeLimit; tl > 0 { // as a browser's session
		c.limit = time.AfterFunc(tl, func() { c.hangUp("time limit reached") })
	}
	ctx := server.WithHandle(c.ctx, c)
	go func() {
		defer close(c.ran)
		err := c.media.Run(ctx)
		var herr *pipeline.HandlerError
		switch {
		case err != nil && errors.As(err, &herr):
			c.end("the handler failed: " + err.Error())
		case err != nil:
			c.end("error: " + err.Error())
		case c.ctx.Err() == nil:
			c.end("the handler returned")
		}
	}()
	return nil
}

// end ends the call, once, saying why in the log.
func (c *call) end(why string) {
	c.emu.Lock()
	if c.why == "" {
		c.why = why
	}
	c.emu.Unlock()
	c.cancel()
}

// fail ends a call whose messages are malformed.
func (c *call) fail(why string) {
	c.log.Warn("twilio: a malformed message: the call is closed", "why", why)
	c.end("malformed: " + why)
}

// hangUp ends the call from this side.
func (c *call) hangUp(why string) {
	c.end(why)
	_ = c.ws.SetReadDeadline(time.Now()) // wakes run's read
}

// finish stops the handler and frees the call.
func (c *call) finish() {
	c.cancel()
	if c.limit != nil {
		c.limit.Stop()
	}
	if c.media != nil {
		<-c.ran
		c.media.Close()
		if o := c.b.cfg.Observer; o != nil {
			o.SessionEnded(c.why)
		}
		c.log.Info("twilio: call ended", append([]any{"why", c.why}, c.media.LogAttrs()...)...)
	}
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

// write sends a message to Twilio.
func (c *call) write(m any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
	return c.ws.WriteJSON(m)
}

// silent reports whether a μ-law packet is digital silence (0xff codes):
// the output's stock packet between sounds.
func silent(p []byte) bool { return len(bytes.Trim(p, "\xff")) == 0 }

// WriteAudio sends one 20 ms μ-law packet (server.Carrier). When a sound
// ends it sends a mark, which Twilio echoes once the caller has heard the
// sound: the log tells how long after.
func (c *call) WriteAudio(packet []byte, _ time.Duration) error {
	msg := map[string]any{"event": "media", "streamSid": c.sid, "media": map[string]string{"payload": base64.StdEncoding.EncodeToString(packet)}}
	if err := c.write(msg); err != nil {
		return err
	}
	quiet := silent(packet)
	c.wmu.Lock()
	ended := c.sounding && quiet
	c.sounding = !quiet
	var name string
	if ended {
		c.nmark++
		name = fmt.Sprintf("sound-%d", c.nmark)
		c.marks[name] = time.Now()
	}
	c.wmu.Unlock()
	if ended {
		return c.write(map[string]any{"event": "mark", "streamSid": c.sid, "mark": map[string]string{"name": name}})
	}
	return nil
}

// marked notes Twilio's echo of a mark.
func (c *call) marked(name string) {
	c.wmu.Lock()
	sent, ok := c.marks[name]
	delete(c.marks, name)
	c.wmu.Unlock()
	if ok {
		c.log.Debug("twilio: the caller heard a sound to its end", "after", time.Since(sent).Round(time.Millisecond))
	}
}

// AudioFlushed tells Twilio to drop the audio it has buffered: barge-in
// (pipeline.AudioOut's OnFlush).
func (c *call) AudioFlushed() {
	if err := c.write(map[string]any{"event": "clear", "streamSid": c.sid}); err != nil {
		c.log.Debug("twilio: clear failed", "err", err)
	}
}

// Send takes a control message for the page (server.Hooks): a phone has
// none, so it goes to the log.
func (c *call) Send(msg any) {
	b, err := json.Marshal(msg)
	if err == nil {
		c.SendJSON(b)
	}
}

// SendJSON logs a control message (server.Handle).
func (c *call) SendJSON(b []byte) {
	c.log.Debug("twilio: a message for the page", "message", string(b))
}

// HandlerError logs a handler's failure, at most once a second, and says
// whether the call ends (server.Hooks).
func (c *call) HandlerError(err error) bool {
	cfg := &c.b.cfg
	if cfg.Observer != nil {
		cfg.Observer.HandlerFailed()
	}
	c.emu.Lock()
	defer c.emu.Unlock()
	if !cfg.EndOnError && time.Since(c.lastErr) < time.Second {
		c.muted++
		return false
	}
	c.log.Warn("twilio: handler failed", "err", err, "more", c.muted)
	c.lastErr, c.muted = time.Now(), 0
	return cfg.EndOnError
}

// WriteVideo: a call has no video (server.Carrier).
func (c *call) WriteVideo(*rtp.Packet) error { return nil }

// RequestKeyFrame: no video (server.Carrier).
func (c *call) RequestKeyFrame() {}

// FrameTooLarge: no video (server.Carrier).
func (c *call) FrameTooLarge(*pipeline.FrameTooLargeError) {}

// VideoWanted: a call carries no video (server.Carrier).
func (c *call) VideoWanted() bool { return false }

// RTT is unknown: Twilio does not say (server.Carrier).
func (c *call) RTT() (time.Duration, bool) { return 0, false }

// ID is the stream's SID (server.Handle).
func (c *call) ID() string { return c.sid }

// Identity is the call: its CallSid and the Stream's custom parameters
// (the TwiML passes From and To) (server.Handle).
func (c *call) Identity() any {
	id := map[string]string{"CallSid": c.callSid}
	for k, v := range c.params {
		id[k] = v
	}
	return id
}

// Logger is the bridge's logger with the call's SIDs (server.Handle).
func (c *call) Logger() *slog.Logger { return c.log }

// Observer is the Stream's Observer (server.Handle).
func (c *call) Observer() server.Observer { return c.b.cfg.Observer }

// AudioOut is the call's audio output (server.Handle).
func (c *call) AudioOut() *pipeline.AudioOut { return c.media.AudioOut() }
