package rtcstream

import (
	"context"
	"log/slog"
	"time"
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

	// MaxSessions caps concurrent sessions; further offers get 503 with a
	// Retry-After header. Default 0: no cap.
	MaxSessions int
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

	// RTCConfiguration holds the ICE servers (STUN, TURN) and transport
	// policy, for the browser's and the server's peer connections alike.
	// Default: none, which works where the browser can reach the server's
	// addresses directly.
	RTCConfiguration *RTCConfiguration
	// RTCConfigurationFunc, when set, is called for every connection
	// instead (fresh, short-lived TURN credentials per session; see
	// package turn). It is called once for the browser's side and once for
	// the server's, and must be safe for concurrent use.
	RTCConfigurationFunc func(context.Context) (*RTCConfiguration, error)
	// Network restricts and rewrites the server's ICE candidates.
	Network Network

	// MaxBodyBytes caps a signalling request body. Default 64 KiB.
	MaxBodyBytes int64
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

// Network restricts and rewrites the server's ICE candidates. The zero
// value gathers on every interface except loopback.
type Network struct {
	// Interfaces, when not empty, limits candidates to these interfaces.
	Interfaces []string
	// IncludeLoopback adds loopback candidates: needed when the browser
	// and server share a machine with no other network (tests, a laptop
	// offline).
	IncludeLoopback bool
	// UDPPortMin and UDPPortMax bound the UDP ports used (a firewall
	// opening). Default: any.
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
