// Package peer holds rtcstream's pion wiring: the WebRTC API with the
// codecs and interceptors the frame path wants, and a Conn that answers an
// offer, runs the RTCP read loops and carries the control data channel.
// Nothing here is part of rtcstream's public API.
package peer

import (
	"net"
	"slices"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/internal/rate"
)

// DefaultNACKInterval is how often missing packets are asked for again.
// pion's default of 100 ms loses frames at 2% loss; 10-20 ms recovers them.
const DefaultNACKInterval = 15 * time.Millisecond

// maxNACKs is how many times one missing packet is asked for.
const maxNACKs = 3

// Codec payload types offered in answers.
const (
	PayloadTypeVP8  = 96
	PayloadTypeOpus = 111
)

// NetConfig is the ICE network set-up shared by servers and clients.
type NetConfig struct {
	// Interfaces, when not empty, limits host candidates to these
	// network interfaces (by name).
	Interfaces []string
	// IncludeLoopback adds loopback candidates (127.0.0.1, ::1). Needed
	// when both ends run on one machine with no other network, as in
	// tests.
	IncludeLoopback bool
	// UDPPortMin and UDPPortMax bound the local UDP ports; 0 means any.
	UDPPortMin, UDPPortMax uint16
	// PublicIPs are announced as host candidates in place of the local
	// addresses (a server behind 1:1 NAT, as in most clouds and Docker).
	PublicIPs []string
	// DisableMDNS stops .local candidate gathering and resolution.
	DisableMDNS bool
	// RelayOnly is set when the connection may only use TURN relays. The
	// controlling agent then nominates a relayed pair at once: pion/ice
	// only derives that from its own candidate types, which pion/webrtc
	// does not set, so without it an offerer waits 2 s (pion/ice#324).
	RelayOnly bool
	// NACKInterval; 0 means DefaultNACKInterval.
	NACKInterval time.Duration
	// Bandwidth, when set, adds send-side congestion control (Google
	// Congestion Control over transport-wide feedback): the estimator of
	// each peer connection made with the API is handed to
	// Bandwidth.OnEstimator, to drive the encoder's bitrate.
	Bandwidth *rate.BandwidthConfig
	// DisconnectedTimeout is how long ICE may go without traffic before
	// the connection counts as disconnected; 0 means 3 s. Failure follows
	// after twice that, which frees a vanished browser's session. Media
	// and consent checks keep a live connection far busier than that.
	DisconnectedTimeout time.Duration
}

// videoFeedback is what the frame path answers to and sends: NACK for
// retransmissions, PLI and FIR for keyframes, transport-cc for the
// browser's bandwidth estimation.
var videoFeedback = []webrtc.RTCPFeedback{
	{Type: "ccm", Parameter: "fir"},
	{Type: "nack"},
	{Type: "nack", Parameter: "pli"},
	{Type: "transport-cc"},
}

// NewAPI builds a pion API with VP8 and Opus only, NACK at nc.NACKInterval,
// RTCP reports, and transport-wide congestion control feedback. pion's
// jitterbuffer interceptor is deliberately absent (it stops OnTrack from
// firing).
func NewAPI(nc NetConfig) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback,
		},
		PayloadType: PayloadTypeVP8,
	}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, err
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: PayloadTypeOpus,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}

	reg := &interceptor.Registry{}
	interval := nc.NACKInterval
	if interval <= 0 {
		interval = DefaultNACKInterval
	}
	// A missing packet is asked for at most maxNACKs times: on a
	// congested link whose round trip exceeds the interval, asking every
	// 15 ms until the retransmission lands multiplies the traffic that
	// congested it (a NACK storm).
	if err := webrtc.ConfigureNackWithOptions(m, reg, []nack.GeneratorOption{
		nack.GeneratorInterval(interval), nack.GeneratorMaxNacksPerPacket(maxNACKs),
	}); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, err
	}
	if err := webrtc.ConfigureTWCCSender(m, reg); err != nil {
		return nil, err
	}
	if b := nc.Bandwidth; b != nil {
		if err := rate.Register(m, reg, b); err != nil {
			return nil, err
		}
	}

	s := webrtc.SettingEngine{}
	if len(nc.Interfaces) > 0 {
		names := slices.Clone(nc.Interfaces)
		s.SetInterfaceFilter(func(name string) bool { return slices.Contains(names, name) })
	}
	s.SetIncludeLoopbackCandidate(nc.IncludeLoopback)
	if nc.IncludeLoopback && len(nc.Interfaces) == 1 && nc.Interfaces[0] == "lo" {
		s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	if nc.UDPPortMin != 0 || nc.UDPPortMax != 0 {
		if err := s.SetEphemeralUDPPortRange(nc.UDPPortMin, nc.UDPPortMax); err != nil {
			return nil, err
		}
	}
	if len(nc.PublicIPs) > 0 {
		s.SetNAT1To1IPs(nc.PublicIPs, webrtc.ICECandidateTypeHost)
	}
	if nc.DisableMDNS {
		s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	}
	disc := nc.DisconnectedTimeout
	if disc <= 0 {
		disc = 3 * time.Second
	}
	// pion counts the failed timeout from the disconnection, so failure
	// comes 2*disc after the last packet.
	s.SetICETimeouts(disc, disc, time.Second)
	if nc.RelayOnly {
		s.SetRelayAcceptanceMinWait(0)
		s.SetPrflxAcceptanceMinWait(0)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s)), nil
}
