// Package server is rtcstream's engine: the sessions behind a Stream, their
// signalling (wire-compatible with fastrtc), the waiting line, the control
// messages on the data channel, and each session's media path from
// packets to handler and back. The root package turns a user's options and
// handler into a Config and serves the Stream this package runs; it knows
// nothing of pion.
package server

import (
	"context"
	"errors"
	"fmt"
	"image"
	"iter"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/media"
)

// Modality and Mode are the root package's, value for value.
type (
	Modality int
	Mode     int
)

const (
	Video Modality = iota + 1
	Audio
	AudioVideo
)

const (
	SendReceive Mode = iota + 1
	Receive
	Send
)

// receives and sends say which way media flows.
func (m Mode) receives() bool { return m != Receive }
func (m Mode) sends() bool    { return m != Send }

// Config is what the engine needs of a Stream. Every field is set (the
// root package applies the defaults) except where its comment says.
type Config struct {
	Modality Modality
	Mode     Mode
	// NewSession makes a session's handlers; the Handlers fields its
	// modality and mode use must be set.
	NewSession func(Hooks) (Handlers, error)

	TimeLimit        time.Duration // 0: none
	FrameRate        int           // paces a video generator
	AudioInputRate   int
	ConcurrencyLimit int // 0: no cap
	EndOnError       bool
	VideoBitrate     int
	// VideoCodecs are the video codecs a session may use, most wanted
	// first; nil means codec.DefaultVideoCodecs().
	VideoCodecs  []codec.VideoCodec
	FixedBitrate bool
	// ICE returns the ICE servers for one connection; nil means none. r is
	// the page's request for its configuration (GET /config), or nil for
	// the server's own side of a connection.
	ICE func(ctx context.Context, r *http.Request) (*ICEConfig, error)
	Net peer.NetConfig
	// UDPPort and TCPPort are the shared ICE ports (sockets.go): > 0 that
	// port; 0 the number of the HTTP port the offer came in on (for TCP,
	// only when that listener shares it: icemux.ServeTCP); < 0 none (a
	// UDP port per session; no ICE-TCP).
	UDPPort, TCPPort int
	// ReconnectGrace is how long a session whose connection failed waits
	// for an ICE restart before it ends; 0: none.
	ReconnectGrace     time.Duration
	MaxBodyBytes       int64
	NegotiationTimeout time.Duration
	MaxFrameSize       image.Point
	// FullFrameRate hands the handler every frame whatever the CPU load;
	// false: the process's overload governor sets the share.
	FullFrameRate  bool
	IdleTimeout    time.Duration // < 0: never
	AllowedOrigins []string
	// Authorize, when set, vets every signalling request; the identity
	// it returns is the session's.
	Authorize func(r *http.Request) (identity any, err error)
	Logger    *slog.Logger
	Observer  Observer // nil: none

	// AllowedHosts are the Host names a loopback listener answers besides
	// localhost and addresses (guard.go); nil: none.
	AllowedHosts []string
	// Clients bounds what one client may ask (limits.go); zero: nothing.
	Clients ClientLimits

	// AudioCodec, if set, makes a stream's audio codecs in place of Opus
	// (a telephone bridge's μ-law): the encoder takes 20 ms frames of
	// mono at 48 kHz; the decoder gives mono at decRate.
	AudioCodec func() (enc codec.AudioEncoder, dec codec.AudioDecoder, decRate int, err error)

	// MaxViewers bounds one session's WHEP viewers (whep.go); 0: no WHEP.
	MaxViewers int
	// Record records sessions' media (recording.go); nil: none.
	Record *RecordConfig
}

// Handlers are one session's handlers, made by Config.NewSession. Which
// are used follows the stream: Video for video and audio-video streams
// that receive frames, Frames for receive-mode video, Audio for audio and
// audio-video streams that receive audio, AudioFrames for receive-mode
// audio.
type Handlers struct {
	Video       pipeline.VideoHandler
	Frames      func(context.Context) (iter.Seq[image.Image], error)
	Audio       func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error
	AudioFrames func(context.Context) (iter.Seq[media.AudioFrame], error)
	// SetInput applies a value the page sent for the input with id; ok
	// is false when id is no input of this stream. Nil: the stream has
	// no inputs.
	SetInput func(id string, raw []byte) (ok bool, err error)
	// Input returns the current value of the stream's input component c;
	// ok is false when c is none of its inputs. Output sends v as the
	// value of its output component c. Nil: the stream has none.
	Input  func(c any) (v any, ok bool)
	Output func(c any, v any) error
	// Encoded, set in receive mode, replaces the generators: media
	// already encoded, sent as it is (passthrough.go), its video and its
	// audio (either may be nil), each yielded when due.
	Encoded func(context.Context) (video, audio iter.Seq[media.EncodedFrame])
}

// Hooks are what a session's handlers may do besides their media.
type Hooks interface {
	// Send sends a control message (marshalled to JSON) to the page.
	Send(msg any)
	// HandlerError reports a handler's failure to the page and the log,
	// and says whether the session ends (Config.EndOnError).
	HandlerError(err error) (stop bool)
}

// ICEConfig is the ICE part of a connection's configuration, marshalled
// for the browser as its RTCConfiguration.
type ICEConfig struct {
	ICEServers         []ICEServer `json:"iceServers,omitempty"`
	ICETransportPolicy string      `json:"iceTransportPolicy,omitempty"` // "all" or "relay"
}

// ICEServer is a STUN or TURN server.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// pion converts the configuration for the server's peer connections.
func (c *ICEConfig) pion() webrtc.Configuration {
	var pc webrtc.Configuration
	if c == nil {
		return pc
	}
	for _, s := range c.ICEServers {
		pc.ICEServers = append(pc.ICEServers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	if c.ICETransportPolicy == "relay" {
		pc.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	return pc
}

// Stream runs the sessions of one stream. It is safe for concurrent use.
type Stream struct {
	cfg Config
	api *webrtc.API // shared by sessions without bandwidth adaptation
	obs observer

	ctx    context.Context // the lifetime of every session
	cancel context.CancelFunc

	access *access // who may call the routes, and how often (guard.go)

	mu       sync.Mutex
	byToken  map[string]*Session
	byID     map[string]*Session
	trickled map[*Session]int   // candidates trickled to each session
	viewers  map[string]*viewer // WHEP viewers by token (whep.go)
	seq      uint64             // sessions reserved so far: each one's seq
	queue    []*ticket          // the waiting line, in order (queue.go)
	reported int                // the waiting count last told to the Observer
	closed   bool
	sessions sync.WaitGroup
	watching sync.WaitGroup // the WHEP viewers' goroutines

	warnedUDP, warnedTCP bool // a shared ICE port could not be had (sockets.go)
}

// New returns a Stream for cfg.
func New(cfg Config) (*Stream, error) {
	if (cfg.Modality < Video || cfg.Modality > AudioVideo) || (cfg.Mode < SendReceive || cfg.Mode > Send) {
		return nil, fmt.Errorf("server: modality %d, mode %d", cfg.Modality, cfg.Mode)
	}
	if err := checkCodecs(cfg.VideoCodecs); err != nil {
		return nil, err
	}
	api, err := peer.NewAPI(cfg.Net)
	if err != nil {
		return nil, fmt.Errorf("rtcstream: webrtc set-up: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Stream{
		cfg:      cfg,
		api:      api,
		obs:      observer{cfg.Observer},
		ctx:      ctx,
		cancel:   cancel,
		access:   newAccess(&cfg),
		byToken:  map[string]*Session{},
		byID:     map[string]*Session{},
		trickled: map[*Session]int{},
		viewers:  map[string]*viewer{},
	}, nil
}

// checkCodecs refuses a preference that names a codec the frame path does
// not carry, one twice, or none at all.
func checkCodecs(codecs []codec.VideoCodec) error {
	if codecs == nil {
		return nil
	}
	if len(codecs) == 0 {
		return errors.New("rtcstream: VideoCodecs is empty: name at least one of VP8 and H264, or leave it nil for both")
	}
	for i, c := range codecs {
		if c == "" || c.Check() != nil {
			return fmt.Errorf("rtcstream: VideoCodecs: unknown codec %q (want %q or %q)", string(c), codec.VP8, codec.H264)
		}
		if slices.Contains(codecs[:i], c) {
			return fmt.Errorf("rtcstream: VideoCodecs names %q twice", string(c))
		}
	}
	return nil
}

// Mount registers the signalling routes under prefix ("/webrtc"), each
// behind the checks of guard.go.
func (s *Stream) Mount(mux *http.ServeMux, prefix string) {
	mux.HandleFunc("POST "+prefix+"/offer", s.guarded(true, s.handleOffer))
	mux.HandleFunc("POST "+prefix+"/stop", s.guarded(true, s.handleStop))
	mux.HandleFunc("POST "+prefix+"/queue", s.guarded(true, s.handleQueue))
	mux.HandleFunc("GET "+prefix+"/config", s.guarded(false, s.handleConfig))
	s.mountWHIP(mux, prefix)
	s.mountWHEP(mux, prefix)
	mux.HandleFunc(prefix+"/", func(w http.ResponseWriter, r *http.Request) { s.handleUnknownRoute(w, r, prefix) })
}

// ActiveSessions returns the number of sessions holding resources.
func (s *Stream) ActiveSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byToken)
}

// Waiting returns the number of clients waiting in line.
func (s *Stream) Waiting() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitingLocked()
}

// Tick asks every connected page to send its inputs again.
func (s *Stream) Tick() {
	for _, ss := range s.all() {
		ss.Send(map[string]string{"type": "tick"})
	}
}

func (s *Stream) all() []*Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := make([]*Session, 0, len(s.byToken))
	for _, ss := range s.byToken {
		all = append(all, ss)
	}
	return all
}

// Close ends every session, waits for their resources to be freed, and
// makes further offers fail with 503. It is idempotent.
func (s *Stream) Close() error {
	s.mu.Lock()
	s.closed = true
	s.queue = nil
	s.reportWaiting()
	s.mu.Unlock()
	// Each session tells its page why it ends; they do so side by side.
	var ending sync.WaitGroup
	for _, ss := range s.all() {
		ending.Go(func() { ss.end(endServerClosed, nil) })
	}
	ending.Wait()
	s.cancel()
	s.sessions.Wait()
	s.watching.Wait()
	return nil
}

// ice returns the ICE configuration for one connection: the page's when
// r is its request, the server's own when r is nil.
func (s *Stream) ice(ctx context.Context, r *http.Request) (*ICEConfig, error) {
	if s.cfg.ICE == nil {
		return nil, nil
	}
	return s.cfg.ICE(ctx, r)
}

// Config returns the configuration s was made with.
func (s *Stream) Config() Config { return s.cfg }
