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
	"strconv"
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
	mux  *udpMux
	refs int
}

var udpMuxes = struct {
	sync.Mutex
	byPort map[int]*udpShare
}{byPort: map[int]*udpShare{}}

// AcquireUDP returns the UDP mux on port, opening it on every address of
// cfg's interfaces when no session holds it. When one does, the mux is
// brought up to date with the machine's addresses first: one that came up
// since (a new interface, a changed lease) is listened on, and one that
// went away is no longer handed to new sessions. release must be called
// once, when the session no longer needs it.
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
	} else {
		sh.mux.refresh()
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

// udpMux is one port on every address of cfg's interfaces, a socket and
// a pion UDPMuxDefault for each: pion's MultiUDPMuxDefault with a set of
// addresses that follows the machine's.
type udpMux struct {
	port int
	cfg  Config

	mu sync.Mutex
	// byAddr holds every address's mux opened so far, by "ip:port"; a
	// session gathered on one keeps it until the whole mux closes.
	byAddr map[string]*ice.UDPMuxDefault
	// listen is the addresses handed to new sessions: those still on
	// the machine at the last refresh, in the order they were found.
	listen []net.Addr
}

// listenUDP opens port on every address of cfg's interfaces a browser can
// reach (see reachable). An address that cannot be bound (not ready,
// gone) is skipped; one where the port is taken fails it all, as does
// none bound.
func listenUDP(port int, cfg Config) (*udpMux, error) {
	ips, err := reachable(cfg)
	if err != nil {
		return nil, err
	}
	m := &udpMux{port: port, cfg: cfg, byAddr: map[string]*ice.UDPMuxDefault{}}
	var errs []error
	for _, ip := range ips {
		err := m.open(ip)
		if errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EACCES) {
			// Taken, or not ours to take: the port is not the
			// server's on every address, so it is not used.
			_ = m.Close()
			return nil, err
		}
		if err != nil { // an address that cannot be bound yet (or any more)
			errs = append(errs, err)
		}
	}
	if len(m.listen) == 0 {
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		return nil, errors.New("no address to listen on")
	}
	return m, nil
}

// open listens on ip and hands it to new sessions. The caller holds m.mu
// or is its only user.
func (m *udpMux) open(ip net.IP) error {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: m.port})
	if err != nil {
		return err
	}
	mux := ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn})
	addr := conn.LocalAddr()
	m.byAddr[addr.String()] = mux
	m.listen = append(m.listen, addr)
	return nil
}

// refresh brings the addresses handed to new sessions up to date with the
// machine's: a new address is listened on (skipped when it cannot be
// bound: taken by another program there, or not ready yet; the next
// refresh tries again), one that is gone is no longer handed out, and one
// that came back is handed out again on the socket it kept.
func (m *udpMux) refresh() {
	ips, err := reachable(m.cfg)
	if err != nil {
		return // keep what there is
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.listen = m.listen[:0]
	for _, ip := range ips {
		key := net.JoinHostPort(ip.String(), strconv.Itoa(m.port))
		if mux, ok := m.byAddr[key]; ok {
			m.listen = append(m.listen, mux.LocalAddr())
			continue
		}
		_ = m.open(ip)
	}
}

// GetConn returns the session ufrag's connection on the local address
// addr, one of those GetListenAddresses returned.
func (m *udpMux) GetConn(ufrag string, addr net.Addr) (net.PacketConn, error) {
	m.mu.Lock()
	mux, ok := m.byAddr[addr.String()]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("icemux: no UDP mux on %s", addr)
	}
	return mux.GetConn(ufrag, addr)
}

// RemoveConnByUfrag closes the session ufrag's connections on every
// address.
func (m *udpMux) RemoveConnByUfrag(ufrag string) {
	for _, mux := range m.muxes() {
		mux.RemoveConnByUfrag(ufrag)
	}
}

// GetListenAddresses returns the addresses a new session gathers on.
func (m *udpMux) GetListenAddresses() []net.Addr {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.listen)
}

// Close closes every address's socket.
func (m *udpMux) Close() error {
	var errs []error
	for _, mux := range m.muxes() {
		errs = append(errs, mux.Close())
	}
	return errors.Join(errs...)
}

func (m *udpMux) muxes() []*ice.UDPMuxDefault {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*ice.UDPMuxDefault, 0, len(m.byAddr))
	for _, mux := range m.byAddr {
		out = append(out, mux)
	}
	return out
}

// reachable returns the addresses of cfg's interfaces a browser can
// reach: IPv4, IPv6 but link-local (fe80::/10 needs a zone no remote
// candidate has, and a new one fails to bind while the kernel checks it is
// unique), and loopback when cfg asks.
func reachable(cfg Config) ([]net.IP, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var ips []net.IP
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
			ips = append(ips, ipn.IP)
		}
	}
	return ips, nil
}
