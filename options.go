package rtcstream

import (
	"context"
	"image"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"time"

	"github.com/rtcstream/rtcstream/internal/server"
)

// Options configure a Stream. The zero value is ready to use; every field's
// comment gives its default.
type Options struct {
	// Title is the page's title and heading (NewStream's page; a Blocks
	// page has its own). Default "rtcstream".
	Title string
	// Description is a line under the heading of NewStream's page.
	// Default: none.
	Description string
	// NoMirror turns off mirroring of the local camera preview (gradio's
	// mirror_webcam=False). The preview is mirrored by default; the
	// stream sent to the handler never is.
	NoMirror bool
	// TrackConstraints are what the page asks of the camera: resolution
	// and frame rate. Default: the browser's (usually 640x480 at 30 fps).
	TrackConstraints *TrackConstraints
	// ButtonLabels relabel the page's Start, Stop and Waiting states.
	ButtonLabels ButtonLabels
	// ShowStats overlays the stream with what the browser measures: frame
	// rates, bitrates, resolutions and round-trip time. Default off.
	ShowStats bool

	// TimeLimit ends each session after this long, with a countdown shown
	// in the page. Default 0: no limit.
	TimeLimit time.Duration
	// FrameRate paces a receive-mode generator's frames. Default 30.
	FrameRate int
	// AudioInputRate is the sample rate, in Hz, at which an audio handler
	// receives the browser's (mono) audio. Default 48000; 16000 suits
	// speech models.
	AudioInputRate int

	// ConcurrencyLimit caps concurrent sessions (gradio's
	// concurrency_limit). Pages past it wait in line with their place
	// shown; a client that does not queue gets 503 with a Retry-After
	// header. Default 0: a cap from the machine, runtime.GOMAXPROCS(0)
	// times 4 for Video and AudioVideo streams and times 32 for Audio
	// (about what a core holds in real time: BENCHMARKS.md, "Default
	// session caps"). Negative: no cap.
	ConcurrencyLimit int
	// OnHandlerError says what a session does when the handler fails or
	// panics. Default ContinueOnError.
	OnHandlerError ErrorPolicy

	// VideoBitrate is the encoder's starting and highest target, in bits
	// per second. Default 1 Mbps. The bitrate then follows the path's
	// capacity (Google Congestion Control on the browser's transport-wide
	// feedback), down to 100 kbps, so a narrow link keeps streaming with
	// bounded latency instead of queueing. It starts at 300 kbps and
	// doubles every second from the first frame until packets start to
	// queue, then follows the estimate.
	VideoBitrate int
	// FixedBitrate keeps the encoder at VideoBitrate whatever the path.
	// Default false.
	FixedBitrate bool
	// FullFrameRate hands every camera frame to the handler however
	// loaded the machine is. Default false: when the process's work
	// waits for a CPU (more sessions than the cores hold, or other work
	// beside the server), every session's handler gets the same share of
	// its frames, lowered until the waiting stops and raised when it has
	// (down to one frame in ten); the frames left out are decoded but not
	// handled (FrameDrop DropOverload). So an overloaded server lowers
	// every session's frame rate alike instead of delaying every frame
	// (BENCHMARKS.md, "Overload, fairly"). A handler that waits on I/O
	// (a remote model) costs no CPU while it waits and does not count.
	FullFrameRate bool
	// VideoCodecs are the video codecs a session may use, most wanted
	// first: each session uses the first that the browser offers, both
	// ways. Default nil: VP8, then H264 (every browser offers VP8; see
	// the README's "Codecs" for the trade). An empty or unknown list is
	// an error from NewStream.
	VideoCodecs []VideoCodec

	// RTCConfiguration holds the ICE servers (STUN, TURN) and transport
	// policy, for the browser's and the server's peer connections alike.
	// Default: none, which works where the browser can reach the server's
	// addresses directly.
	RTCConfiguration *RTCConfiguration
	// RTCConfigurationFunc, when set, is called for every connection
	// instead (fresh, short-lived TURN credentials per session; see
	// package turn). It is called once for the browser's side and once for
	// the server's (ConfigRequest tells them apart), and must be safe for
	// concurrent use.
	RTCConfigurationFunc func(context.Context) (*RTCConfiguration, error)

	// LiveKit, when its TokenURL is set, makes the stream's page join a
	// LiveKit room instead of connecting to this server; an rtcstream
	// worker in the room (package livekit) runs the handler. Default: the
	// page connects here.
	LiveKit LiveKitPage
	// Network restricts and rewrites the server's ICE candidates.
	Network Network

	// MaxBodyBytes caps a signalling request body. Default 64 KiB.
	MaxBodyBytes int64
	// MaxFrameSize bounds the size of the video frames a browser may send:
	// a frame whose keyframe header declares more pixels than
	// MaxFrameSize.X*MaxFrameSize.Y, or a side longer than the longer of
	// the two, is dropped without decoding (either orientation of the
	// bound is accepted, so a phone held upright streams). Default
	// 1920x1080.
	MaxFrameSize image.Point
	// IdleTimeout ends a connected session that has received no media for
	// this long. In receive mode anything the browser sends counts (ICE
	// consent checks included), so a live viewer is never ended; a
	// vanished one is ended by ICE within about 6 s. Default 30 s;
	// negative: never.
	IdleTimeout time.Duration
	// ReconnectGrace is how long a session whose connection failed (a
	// phone moving from Wi-Fi to cellular, a laptop waking) waits for the
	// client to restart ICE on it: the handler, its state, the inputs and
	// the time limit's clock go on, and media resumes on the new path.
	// Default 15 s; negative: the session ends when its connection fails.
	ReconnectGrace time.Duration
	// MaxViewers bounds the WHEP players that may watch one session's
	// output at {prefix}/whep (README, "WHEP"): a WHIP
	// publisher's, or a receive-mode generator's; never a page's own
	// camera or microphone. Each viewer costs its encryption and sending,
	// not an encoder. Default 16; negative: no WHEP.
	MaxViewers int
	// Record, if set, records each session's input, output or both to
	// WebM files (see Record). Default: nothing is recorded.
	Record *Record
	// AllowedOrigins lists the origins ("https://example.com"), besides
	// the page's own, whose pages may call the signalling routes (POST
	// /webrtc/offer, /webrtc/stop, /webrtc/queue); "*" allows every
	// origin. A browser's request from any other origin is refused with
	// 403 cross_origin; a request without an Origin header (not a
	// browser's) is not checked. The page's own origin is the one whose
	// host is the request's Host (or X-Forwarded-Host, from a reverse
	// proxy). Default: same origin only.
	AllowedOrigins []string
	// Authorize, when set, vets every signalling request (offers,
	// trickled candidates, stop, the waiting line, /webrtc/config) once
	// its Host, Origin and Content-Type have passed and before its body
	// is read; it must not read the body, and must be safe for concurrent
	// use. An error refuses the request with 401 {"error":
	// "unauthorized", "message": the error's text}. The identity it
	// returns for an offer is the session's (Session.Identity): a user
	// name, a token's claims. Later requests about a session are
	// authorized again, and must carry the session's token besides.
	// Default: everyone may connect.
	Authorize func(r *http.Request) (identity any, err error)
	// FrameAncestors lists the origins allowed to embed the page in a
	// frame (CSP frame-ancestors); "*" allows any. Default: the page's own
	// origin only. It applies to NewStream's page; a WebRTC component's
	// page takes it from ui.BlocksOptions.FrameAncestors.
	FrameAncestors []string
	// NegotiationTimeout bounds answering one offer, ICE gathering
	// included. Default 10 s.
	NegotiationTimeout time.Duration

	// Logger receives the Stream's logs. Default slog.Default().
	Logger *slog.Logger

	// Observer is told what the sessions do, for metrics: per-stage frame
	// timings, dropped frames and audio, sessions, the waiting line,
	// handler errors and round-trip times. metrics.New makes one that
	// serves them to Prometheus. Default: none.
	Observer Observer

	// AllowedHosts lists host names ("example.com", no port) that a
	// server listening on a loopback address answers for besides
	// localhost, names under .localhost and IP addresses: the public name
	// a reverse proxy on the same machine passes on in the Host header.
	// Any other Host is refused with 403 bad_host, which stops DNS
	// rebinding (a site that points its own name at 127.0.0.1 once its
	// page has loaded). The hosts of AllowedOrigins are allowed too.
	// Servers listening on other addresses do not check the Host.
	// Default: none.
	AllowedHosts []string
	// ClientLimits bound what one client may ask of the signalling
	// routes. The zero value holds the defaults.
	ClientLimits ClientLimits
}

// ClientLimits bound what one client may ask of a Stream's signalling
// routes, so that no client can take the waiting line or the server's
// time from the others. A client is a remote IP address (for IPv6, its
// /64), or whatever Address returns. The table of clients is bounded in
// memory; a client it has forgotten starts afresh.
type ClientLimits struct {
	// OffersPerMinute and Burst limit how often one client may start a
	// session (an offer that brings no ticket from the waiting line) or
	// join the waiting line: a token bucket that holds Burst tokens and
	// refills at OffersPerMinute. Past it the client gets 429
	// rate_limited with a Retry-After header. Defaults 20 a minute and a
	// burst of 10; a negative OffersPerMinute turns the limit off.
	OffersPerMinute, Burst int
	// Tickets caps the places one client holds in the waiting line at
	// once; past it, 429 too_many_tickets. Default 2; negative: no cap.
	Tickets int
	// Address names the client a request comes from. Behind a reverse
	// proxy every request comes from the proxy's address: return the
	// client's from the header the proxy sets (one that it overwrites,
	// never one a client can add to). Default: the request's remote
	// address.
	Address func(r *http.Request) string
}

// engine applies the defaults for the engine, which reads zero or
// negative as no limit.
func (l ClientLimits) engine() server.ClientLimits {
	c := server.ClientLimits{OffersPerMinute: l.OffersPerMinute, Burst: l.Burst, Tickets: l.Tickets, Address: l.Address}
	if c.OffersPerMinute == 0 {
		c.OffersPerMinute = 20
	}
	if c.Burst <= 0 {
		c.Burst = 10
	}
	if c.Tickets == 0 {
		c.Tickets = 2
	}
	return c
}

// Sessions a core holds, for the default ConcurrencyLimit (BENCHMARKS.md,
// "Default session caps").
const (
	videoSessionsPerCore = 4
	audioSessionsPerCore = 32
)

// sessionCap resolves ConcurrencyLimit for a stream of modality: the
// engine reads zero or negative as no cap.
func (o *Options) sessionCap(modality Modality) int {
	switch {
	case o.ConcurrencyLimit > 0:
		return o.ConcurrencyLimit
	case o.ConcurrencyLimit < 0:
		return -1
	case modality == Audio:
		return audioSessionsPerCore * runtime.GOMAXPROCS(0)
	}
	return videoSessionsPerCore * runtime.GOMAXPROCS(0)
}

type configRequestKey struct{}

// ConfigRequest returns, in a call of Options.RTCConfigurationFunc, the
// browser's (or Go client's) request for its configuration (GET
// {path}/config); ok is false in the call for the server's own side of a
// connection. A TURN server of your own needs no relay for the server: its
// function returns nil then (as turn.Server's does), and can use the
// request's Host in the URLs it hands out.
func ConfigRequest(ctx context.Context) (r *http.Request, ok bool) {
	r, ok = ctx.Value(configRequestKey{}).(*http.Request)
	return r, ok
}

// RTCConfiguration is the part of the WebRTC configuration users set, as in
// the browser's RTCConfiguration.
type RTCConfiguration struct {
	ICEServers []ICEServer `json:"iceServers,omitempty"`
	// ICETransportPolicy is "all" (default) or "relay" (TURN only).
	ICETransportPolicy string `json:"iceTransportPolicy,omitempty"`
}

// ICEServer is a STUN or TURN server.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// engine converts the configuration for the engine; nil stays nil.
func (c *RTCConfiguration) engine() *server.ICEConfig {
	if c == nil {
		return nil
	}
	ice := &server.ICEConfig{ICETransportPolicy: c.ICETransportPolicy}
	for _, s := range c.ICEServers {
		ice.ICEServers = append(ice.ICEServers, server.ICEServer(s))
	}
	return ice
}

// Network restricts and rewrites the server's ICE candidates. The zero
// value gathers on every interface except loopback.
type Network struct {
	// Interfaces, when not empty, limits candidates to these interfaces.
	Interfaces []string
	// IncludeLoopback adds loopback candidates: needed when the browser
	// and server share a machine with no other network (tests, a laptop
	// offline).
	IncludeLoopback bool
	// UDPPort is the one UDP port every session's media uses. Default
	// 0: the number of the HTTP port the offer came in on, so a server on
	// :7860 takes TCP 7860 for HTTP and UDP 7860 for media (when that UDP
	// port is taken, each session gets its own, and a warning is logged).
	// The port is opened on every address of the interfaces; an address
	// the machine gains later is opened for the sessions that start after
	// it, and one it loses is no longer offered. -1: a port of its own for
	// each session, within UDPPortMin and UDPPortMax.
	UDPPort int
	// TCPPort is where browsers whose UDP is blocked connect over ICE-TCP
	// (passive TCP candidates). Default 0: the HTTP port itself, when it
	// is served by NewHTTPServer's server, which tells ICE-TCP from
	// HTTP(S) by a connection's first bytes; with another server, none.
	// -1: no ICE-TCP.
	TCPPort int
	// UDPPortMin and UDPPortMax bound the UDP ports used when each
	// session has its own (UDPPort -1; setting them implies it). Default:
	// any.
	UDPPortMin, UDPPortMax uint16
	// PublicIPs are announced in place of the local addresses, for a
	// server behind 1:1 NAT (clouds, Docker).
	PublicIPs []string
	// DisableMDNS stops resolving the browser's .local candidates.
	DisableMDNS bool
}

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Title == "" {
		c.Title = "rtcstream"
	}
	if c.VideoBitrate <= 0 {
		c.VideoBitrate = 1_000_000
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 64 << 10
	}
	if c.MaxFrameSize.X <= 0 || c.MaxFrameSize.Y <= 0 {
		c.MaxFrameSize = image.Pt(1920, 1080)
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = 30 * time.Second
	}
	switch {
	case c.MaxViewers == 0:
		c.MaxViewers = 16
	case c.MaxViewers < 0:
		c.MaxViewers = 0
	}
	switch {
	case c.ReconnectGrace == 0:
		c.ReconnectGrace = 15 * time.Second
	case c.ReconnectGrace < 0:
		c.ReconnectGrace = 0
	}
	if c.NegotiationTimeout <= 0 {
		c.NegotiationTimeout = 10 * time.Second
	}
	if c.FrameRate <= 0 {
		c.FrameRate = 30
	}
	if c.AudioInputRate <= 0 {
		c.AudioInputRate = 48000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// TrackConstraints ask the browser's camera for a resolution and frame
// rate (getUserMedia's "ideal" constraints: the browser gets as close as
// the camera allows). Zero fields are left to the browser.
type TrackConstraints struct {
	Width, Height int
	FrameRate     float64
	// FacingMode is "user" (front camera) or "environment" (back camera).
	FacingMode string
}

// ButtonLabels relabel the stream component's button. Empty labels keep
// the defaults "Start", "Stop" and "Waiting".
type ButtonLabels struct {
	Start, Stop, Waiting string
}

// LiveKitPage makes a stream's page join LiveKit rooms (Options.LiveKit).
type LiveKitPage struct {
	// TokenURL is where the page POSTs for a room and a token, relative
	// to the page: serve livekit.TokenHandler there.
	TokenURL string
	// ServerURL is the LiveKit server's URL as browsers reach it
	// ("wss://lk.example.com"): the page's Content-Security-Policy lets
	// it connect there (its WebSocket, and the https:// URL LiveKit's
	// client checks a failed connection with).
	ServerURL string
}

// connectSources are the CSP sources the page connects to for LiveKit.
func (l LiveKitPage) connectSources() []string {
	u, err := url.Parse(l.ServerURL)
	if l.TokenURL == "" || err != nil || u.Host == "" {
		return nil
	}
	switch u.Scheme {
	case "ws", "http":
		return []string{"ws://" + u.Host, "http://" + u.Host}
	case "wss", "https":
		return []string{"wss://" + u.Host, "https://" + u.Host}
	}
	return nil
}
