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
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/internal/rate"
)

// DefaultNACKInterval is how often missing packets are asked for again.
// pion's default of 100 ms loses frames at 2% loss; 10-20 ms recovers them,
// and 5 ms takes 15-20 ms off the p95 latency at 10% loss each way and a
// 50 ms round trip (BENCHMARKS.md, "Loss and delay"), for one small RTCP
// packet each 5 ms while a packet is missing.
const DefaultNACKInterval = 5 * time.Millisecond

// nackWindow is how long a missing packet is asked for, every NACK
// interval. A sender resends a packet at most once a round trip (pion's
// responder: RTT + 5 ms; libwebrtc likewise), so the NACKs within one round
// trip of a retransmission come to nothing, and asking for 300 ms is a
// second retransmission when the first is lost, on paths up to about
// 150 ms of round trip: at 5% loss each way one retransmission in ten
// fails (the NACK or the packet), and each failure costs the frames until a
// keyframe. The frame assembler waits as long (pipeline.LossWaitFor).
const nackWindow = 300 * time.Millisecond

// dtlsRetransmission is how long the DTLS handshake waits before it sends
// a flight again, doubling each time. pion's default, RFC 6347's 1 s, made
// one connection in three take 1.4-4.4 s at 10% loss each way; a
// retransmission too soon on a long path costs a few hundred bytes.
const dtlsRetransmission = 200 * time.Millisecond

// MaxMessageSize is the largest data channel message accepted, announced
// in the SDP's max-message-size (RFC 8841), which a browser's send()
// respects; the control channel drops larger ones.
const MaxMessageSize = 64 << 10

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
	// They do not apply with UDPMux.
	UDPPortMin, UDPPortMax uint16
	// UDPMux, when set, carries the connection's UDP on a socket shared
	// with other connections (internal/icemux) instead of its own.
	UDPMux ice.UDPMux
	// TCPMux, when set, adds passive ICE-TCP candidates on its port.
	TCPMux ice.TCPMux
	// TCPOnly gathers ICE-TCP candidates alone (active ones, for a
	// client): a client behind a firewall that drops UDP.
	TCPOnly bool
	// ActiveTCP adds active ICE-TCP to UDP, as browsers do: a client
	// tries the server's passive TCP candidates when UDP fails.
	ActiveTCP bool
	// Net, when set, is the network the connections gather on; a caller
	// that keeps it can UpdateInterfaces before an ICE restart, so that
	// the restart gathers the addresses a network change brought (pion
	// lists them once, when the network is made).
	Net *stdnet.Net
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

// NewAPI builds a pion API with VP8, H.264 (codecs.go) and Opus only, NACK at nc.NACKInterval,
// RTCP reports, transport-wide congestion control feedback, and data
// channel messages of at most MaxMessageSize. pion's
// jitterbuffer interceptor is deliberately absent (it stops OnTrack from
// firing).
func NewAPI(nc NetConfig) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := registerVideo(m); err != nil {
		return nil, err
	}
	// Opus is negotiated at 48 kHz stereo only (pion declines another rate
	// or channel count); the fmtp an offer brings is echoed but read by
	// nothing: decoders are made at a fixed rate and channel count.
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
	// A missing packet is asked for for nackWindow, not until it comes:
	// on a congested link, asking on and on for what is gone would add
	// to the traffic that congested it (a NACK storm). One NACK packet
	// names all that is missing, so asking again costs one small RTCP
	// packet an interval; the sender resends each packet once a round
	// trip at most.
	if err := webrtc.ConfigureNackWithOptions(m, reg, []nack.GeneratorOption{
		nack.GeneratorInterval(interval), nack.GeneratorMaxNacksPerPacket(uint16(nackWindow/interval) + 1),
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
	s.SetSCTPMaxMessageSize(MaxMessageSize)
	s.SetDTLSRetransmissionInterval(dtlsRetransmission)
	if nc.Net != nil {
		s.SetNet(nc.Net)
	}
	if len(nc.Interfaces) > 0 {
		names := slices.Clone(nc.Interfaces)
		s.SetInterfaceFilter(func(name string) bool { return slices.Contains(names, name) })
	}
	s.SetIncludeLoopbackCandidate(nc.IncludeLoopback)
	if nc.IncludeLoopback && len(nc.Interfaces) == 1 && nc.Interfaces[0] == "lo" {
		s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	if nc.UDPMux != nil {
		s.SetICEUDPMux(nc.UDPMux)
	}
	switch {
	case nc.TCPOnly:
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6})
	case nc.TCPMux != nil || nc.ActiveTCP:
		s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP4, webrtc.NetworkTypeTCP6})
	}
	if nc.TCPMux != nil {
		s.SetICETCPMux(nc.TCPMux)
	}
	if nc.UDPMux == nil && (nc.UDPPortMin != 0 || nc.UDPPortMax != 0) {
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
	// How long the controlling side (a Go client) waits for a better pair
	// before nominating a server-reflexive, peer-reflexive or relayed one.
	// pion's 0.5, 1 and 2 s put 2 s into every start through TURN; a
	// direct path answers its checks well within these.
	s.SetSrflxAcceptanceMinWait(100 * time.Millisecond)
	s.SetPrflxAcceptanceMinWait(250 * time.Millisecond)
	s.SetRelayAcceptanceMinWait(500 * time.Millisecond)
	if nc.RelayOnly {
		s.SetRelayAcceptanceMinWait(0)
		s.SetPrflxAcceptanceMinWait(0)
		// pion's active ICE-TCP dials a remote passive candidate whatever
		// the policy: a relay-only connection went direct over TCP. (The
		// TCP network types stay: TURN over TCP needs them.)
		s.DisableActiveTCP(true)
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(s)), nil
}
