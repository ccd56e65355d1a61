package server

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/rtcstream/rtcstream/internal/icemux"
	"github.com/rtcstream/rtcstream/internal/peer"
)

// sockets sets nc up for the shared ICE ports of Config.UDPPort and
// TCPPort, on the port of the HTTP listener ctx's request came in on when
// they are 0. release gives them back when the session ends. A port that
// cannot be had is logged, and the session goes without it: its own UDP
// port, or no ICE-TCP.
func (s *Stream) sockets(ctx context.Context, nc *peer.NetConfig) (release func()) {
	httpPort := 0
	if a, ok := ctx.Value(http.LocalAddrContextKey).(net.Addr); ok {
		httpPort = icemux.PortOf(a)
	}
	var releases []func()
	udp := s.cfg.UDPPort
	if udp == 0 && (nc.UDPPortMin != 0 || nc.UDPPortMax != 0) {
		udp = -1 // a range asks for a port per session
	}
	if udp == 0 {
		udp = httpPort
	}
	if udp > 0 {
		mux, rel, err := icemux.AcquireUDP(udp, icemux.Config{Interfaces: nc.Interfaces, IncludeLoopback: nc.IncludeLoopback})
		if err != nil {
			s.warnOnce(&s.warnedUDP, "no shared UDP port: each session gets its own", "port", udp, "err", err)
		} else {
			nc.UDPMux = mux
			releases = append(releases, rel)
		}
	}
	tcp, listen := s.cfg.TCPPort, true
	if tcp == 0 {
		tcp, listen = httpPort, false
	}
	if tcp > 0 {
		mux, rel, err := icemux.AcquireTCP(tcp, listen)
		switch {
		case err == nil:
			nc.TCPMux = mux
			releases = append(releases, rel)
		case !errors.Is(err, icemux.ErrNotServed):
			s.warnOnce(&s.warnedTCP, "no ICE-TCP", "port", tcp, "err", err)
		}
	}
	return func() {
		for _, r := range releases {
			r()
		}
	}
}

// warnOnce logs msg the first time flag is set.
func (s *Stream) warnOnce(flag *bool, msg string, args ...any) {
	s.mu.Lock()
	first := !*flag
	*flag = true
	s.mu.Unlock()
	if first {
		s.cfg.Logger.Warn(msg, args...)
	}
}
