package turn

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/turnserver"
)

// Defaults for ServerOptions.
const (
	// DefaultServerAddr is where a Server listens, on UDP and TCP: the
	// TURN port.
	DefaultServerAddr = ":3478"
	// DefaultServerTTL is how long a Server's credentials can make new
	// relays. An allocation made in time lives on after its credential
	// expires, so it only needs to cover the connection's setup (and a
	// page fetches new ones for an ICE restart).
	DefaultServerTTL = 10 * time.Minute
)

// ServerOptions configure NewServer. The zero value serves TURN over UDP
// and TCP on DefaultServerAddr.
type ServerOptions struct {
	// Addr is the UDP and TCP address to listen on. Default
	// DefaultServerAddr. "off" serves neither (TLS only).
	Addr string
	// TLSAddr, with TLSConfig, serves TURN over TLS ("turns:") there: on
	// ":443" of an address of its own, it reaches clients whose network
	// lets only HTTPS out. Default: no TLS.
	TLSAddr   string
	TLSConfig *tls.Config
	// Host is the name or address browsers reach the server by, in the
	// URLs handed out. Default: the host of the page's request for its
	// configuration (so the page's own domain), without its port.
	Host string
	// RelayIP is the address the relays are made on: one the rtcstream
	// server can send to. Default: Addr's IP when it names one, else the
	// machine's first non-loopback IPv4 address.
	RelayIP string
	// PeerIPs are addresses, besides the machine's own, that relays may
	// send to: the Network.PublicIPs of an rtcstream server behind 1:1
	// NAT. Relays send nowhere else.
	PeerIPs []string
	// TTL is how long a credential can make new relays. Default
	// DefaultServerTTL.
	TTL time.Duration
	// RelayOnly makes the browser use the relay for every connection
	// (iceTransportPolicy "relay"): it hides the browser's addresses from
	// the rtcstream server, and tests the relay. Default false: the relay
	// is the last resort.
	RelayOnly bool
	// MaxPerCredential bounds one credential's relays at a time; MaxTotal
	// the server's. Defaults 8 (one browser's transports and interfaces)
	// and 1024.
	MaxPerCredential, MaxTotal int
	// RelayIdle closes a relay that carried nothing either way for this
	// long. A live connection's relay carries its consent checks every
	// few seconds, so this frees the relays of browsers that left without
	// releasing them (crashed, lost their network), which would otherwise
	// count against MaxTotal and MaxPerCredential for 10 minutes.
	// Default 1 minute.
	RelayIdle time.Duration
	// Realm is the TURN realm. Default "rtcstream".
	Realm string
	// Logger logs refused requests at debug level. Default slog.Default().
	Logger *slog.Logger
}

// Server is a TURN server built into the process (pion's), for browsers
// that cannot reach an rtcstream server directly: behind a firewall that
// lets through only TCP to a few ports, or only TLS. It relays to that
// server only, for credentials it made itself: one per connection, from
// RTCConfiguration, which fits Options.RTCConfigurationFunc.
//
//	ts, err := turn.NewServer(turn.ServerOptions{})
//	...
//	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
//		&rtcstream.Options{RTCConfigurationFunc: ts.RTCConfiguration})
//
// Open UDP and TCP 3478 (and TLSAddr's port) besides the server's own
// ports. Its methods are safe for concurrent use.
type Server struct {
	opts     ServerOptions
	secret   []byte
	udp      net.PacketConn
	tcp, tls net.Listener
	srv      *turnserver.Server
	peers    []net.IP
}

// NewServer listens and serves. Close stops it.
func NewServer(opts ServerOptions) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = DefaultServerAddr
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultServerTTL
	}
	if opts.Realm == "" {
		opts.Realm = "rtcstream"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.TLSAddr != "" && opts.TLSConfig == nil {
		return nil, errors.New("rtcstream turn: TLSAddr needs a TLSConfig (a certificate)")
	}
	if opts.Addr == "off" && opts.TLSAddr == "" {
		return nil, errors.New("rtcstream turn: nothing to serve on (Addr off and no TLSAddr)")
	}
	s := &Server{opts: opts, secret: make([]byte, 32)}
	_, _ = rand.Read(s.secret)
	for _, p := range opts.PeerIPs {
		ip := net.ParseIP(p)
		if ip == nil {
			return nil, fmt.Errorf("rtcstream turn: PeerIPs: %q is not an IP address", p)
		}
		s.peers = append(s.peers, ip)
	}
	relay, err := relayIP(opts)
	if err != nil {
		return nil, err
	}
	if err := s.listen(); err != nil {
		s.closeSockets()
		return nil, err
	}
	s.srv, err = turnserver.New(turnserver.Config{
		Realm:            opts.Realm,
		Secret:           s.secret,
		UDP:              s.udp,
		TCP:              s.tcp,
		TLS:              s.tls,
		TLSConfig:        opts.TLSConfig,
		RelayIP:          relay,
		PeerAllowed:      s.peerAllowed,
		MaxPerCredential: opts.MaxPerCredential,
		MaxTotal:         opts.MaxTotal,
		RelayIdle:        opts.RelayIdle,
		Logger:           opts.Logger,
	})
	if err != nil {
		s.closeSockets()
		return nil, err
	}
	return s, nil
}

func (s *Server) listen() error {
	var err error
	if s.opts.Addr != "off" {
		if s.udp, err = net.ListenPacket("udp", s.opts.Addr); err != nil {
			return fmt.Errorf("rtcstream turn: %w", err)
		}
		// TCP on the UDP socket's port (Addr may have asked for port 0).
		host, _, _ := net.SplitHostPort(s.opts.Addr)
		port := s.udp.LocalAddr().(*net.UDPAddr).Port
		if s.tcp, err = net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port))); err != nil {
			return fmt.Errorf("rtcstream turn: %w", err)
		}
	}
	if s.opts.TLSAddr != "" {
		if s.tls, err = net.Listen("tcp", s.opts.TLSAddr); err != nil {
			return fmt.Errorf("rtcstream turn: %w", err)
		}
	}
	return nil
}

func (s *Server) closeSockets() {
	if s.udp != nil {
		_ = s.udp.Close()
	}
	if s.tcp != nil {
		_ = s.tcp.Close()
	}
	if s.tls != nil {
		_ = s.tls.Close()
	}
}

// relayIP is where relays are made: opts.RelayIP, Addr's IP, or the first
// non-loopback IPv4 address.
func relayIP(opts ServerOptions) (net.IP, error) {
	if opts.RelayIP != "" {
		ip := net.ParseIP(opts.RelayIP)
		if ip == nil {
			return nil, fmt.Errorf("rtcstream turn: RelayIP %q is not an IP address", opts.RelayIP)
		}
		return ip, nil
	}
	for _, a := range []string{opts.Addr, opts.TLSAddr} {
		if host, _, err := net.SplitHostPort(a); err == nil {
			if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
				return ip, nil
			}
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("rtcstream turn: listing addresses: %w", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP, nil
		}
	}
	return nil, errors.New("rtcstream turn: no non-loopback IPv4 address to relay on; set ServerOptions.RelayIP")
}

// peerAllowed: relays send to this machine's addresses and PeerIPs only.
func (s *Server) peerAllowed(ip net.IP) bool {
	for _, p := range s.peers {
		if p.Equal(ip) {
			return true
		}
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// RTCConfiguration returns a new credential and the server's URLs for a
// browser's connection: "turn:HOST:PORT?transport=udp" and
// "?transport=tcp", and "turns:HOST:TLSPORT?transport=tcp" with TLS. In
// the call for the rtcstream server's own side of a connection
// (rtcstream.ConfigRequest is not ok) it returns nil: the server needs no
// relay to itself. It fits Options.RTCConfigurationFunc.
func (s *Server) RTCConfiguration(ctx context.Context) (*rtcstream.RTCConfiguration, error) {
	r, ok := rtcstream.ConfigRequest(ctx)
	if !ok {
		return nil, nil
	}
	host := s.opts.Host
	if host == "" {
		host = requestHost(r)
	}
	if host == "" {
		return nil, errors.New("rtcstream turn: no host for the TURN URLs; set ServerOptions.Host")
	}
	var urls []string
	if s.udp != nil {
		port := strconv.Itoa(s.udp.LocalAddr().(*net.UDPAddr).Port)
		urls = append(urls,
			"turn:"+net.JoinHostPort(host, port)+"?transport=udp",
			"turn:"+net.JoinHostPort(host, port)+"?transport=tcp")
	}
	if s.tls != nil {
		port := strconv.Itoa(s.tls.Addr().(*net.TCPAddr).Port)
		urls = append(urls, "turns:"+net.JoinHostPort(host, port)+"?transport=tcp")
	}
	label := make([]byte, 8)
	_, _ = rand.Read(label)
	user, pass := turnserver.Credential(s.secret, hex.EncodeToString(label), time.Now().Add(s.opts.TTL))
	cfg := &rtcstream.RTCConfiguration{ICEServers: []rtcstream.ICEServer{{URLs: urls, Username: user, Credential: pass}}}
	if s.opts.RelayOnly {
		cfg.ICETransportPolicy = "relay"
	}
	return cfg, nil
}

// requestHost is r's Host without its port ("" if none).
func requestHost(r *http.Request) string {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return host
}

// UDPAddr and TCPAddr are where the server listens (nil when Addr is
// "off"); TLSAddr is its TLS listener's (nil without TLS).
func (s *Server) UDPAddr() net.Addr {
	if s.udp == nil {
		return nil
	}
	return s.udp.LocalAddr()
}

// TCPAddr: see UDPAddr.
func (s *Server) TCPAddr() net.Addr {
	if s.tcp == nil {
		return nil
	}
	return s.tcp.Addr()
}

// TLSAddr: see UDPAddr.
func (s *Server) TLSAddr() net.Addr {
	if s.tls == nil {
		return nil
	}
	return s.tls.Addr()
}

// Allocations is the number of relays open now.
func (s *Server) Allocations() int { return s.srv.Allocations() }

// Close stops the server and its relays.
func (s *Server) Close() error { return s.srv.Close() }
