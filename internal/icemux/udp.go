// Package icemux shares ICE sockets between a process's sessions: every
// session's media on one UDP port (pion's UDP mux), and passive ICE-TCP
// on one TCP port (pion's TCP mux), so a server opens two ports for any
// number of sessions, and a firewall or a container publishes them once.
//
// Muxes are kept by port and counted: a session acquires the ones it uses
// and releases them when it ends; the last release closes them. Two
// Streams on one port share them.
package icemux

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"syscall"

	"github.com/pion/ice/v4"
)

// Config is which local addresses a mux listens on. The first acquirer of
// a port sets it; later ones share what it opened.
type Config struct {
	// Interfaces, when not empty, limits the addresses to these network
	// interfaces (by name).
	Interfaces []string
	// IncludeLoopback listens on loopback addresses too.
	IncludeLoopback bool
}

type udpShare struct {
	mux  *ice.MultiUDPMuxDefault
	refs int
}

var udpMuxes = struct {
	sync.Mutex
	byPort map[int]*udpShare
}{byPort: map[int]*udpShare{}}

// AcquireUDP returns the UDP mux on port, opening it on every address of
// cfg's interfaces when no session holds it. release must be called once,
// when the session no longer needs it.
func AcquireUDP(port int, cfg Config) (mux ice.UDPMux, release func(), err error) {
	if port <= 0 || port > 65535 {
		return nil, nil, fmt.Errorf("icemux: UDP port %d", port)
	}
	udpMuxes.Lock()
	defer udpMuxes.Unlock()
	sh := udpMuxes.byPort[port]
	if sh == nil {
		m, err := listenUDP(port, cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("icemux: UDP port %d: %w", port, err)
		}
		sh = &udpShare{mux: m}
		udpMuxes.byPort[port] = sh
	}
	sh.refs++
	var once sync.Once
	return sh.mux, func() { once.Do(func() { releaseUDP(port, sh) }) }, nil
}

func releaseUDP(port int, sh *udpShare) {
	udpMuxes.Lock()
	defer udpMuxes.Unlock()
	if sh.refs--; sh.refs == 0 {
		delete(udpMuxes.byPort, port)
		_ = sh.mux.Close()
	}
}

// PortOf returns the port of a TCP or UDP address, or 0.
func PortOf(a net.Addr) int {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.Port
	case *net.UDPAddr:
		return a.Port
	}
	return 0
}

// listenUDP opens port on every address of cfg's interfaces a browser can
// reach: IPv4, IPv6 but link-local (fe80::/10 needs a zone no remote
// candidate has, and a new one fails to bind while the kernel checks it is
// unique), and loopback when cfg asks. An address that cannot be bound
// (not ready, gone) is skipped; one where the port is taken fails it all,
// as does none bound.
func listenUDP(port int, cfg Config) (*ice.MultiUDPMuxDefault, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var muxes []ice.UDPMux
	var errs []error
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || len(cfg.Interfaces) > 0 && !slices.Contains(cfg.Interfaces, ifc.Name) {
			continue
		}
		if ifc.Flags&net.FlagLoopback != 0 && !cfg.IncludeLoopback {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.IsLinkLocalUnicast() || ipn.IP.IsMulticast() || ipn.IP.IsUnspecified() {
				continue
			}
			conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: ipn.IP, Port: port})
			if errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EACCES) {
				// Taken, or not ours to take: the port is not the
				// server's on every address, so it is not used.
				for _, m := range muxes {
					_ = m.Close()
				}
				return nil, err
			}
			if err != nil { // an address that cannot be bound yet (or any more)
				errs = append(errs, err)
				continue
			}
			muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn}))
		}
	}
	if len(muxes) == 0 {
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return nil, errors.New("no address to listen on")
	}
	return ice.NewMultiUDPMuxDefault(muxes...), nil
}
