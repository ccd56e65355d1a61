package icemux

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
)

// The TCP mux's bounds on connections from strangers: one that sends no
// STUN binding request in time is closed, as is one whose request names
// no session and that no session takes up.
const (
	tcpFirstBindTimeout = 10 * time.Second
	tcpUnclaimedTimeout = 10 * time.Second
	// tcpWriteBuffer is what a session's ICE-TCP connection queues when
	// the network is slower than the media: about a second at 1 Mbit/s.
	// Past it packets are dropped (and asked for again, or skipped by a
	// keyframe) rather than queued into seconds of delay.
	tcpWriteBuffer = 128 << 10
)

type tcpShare struct {
	mux   ice.TCPMux
	l     net.Listener
	owned bool // opened by AcquireTCP, closed with its last release
	refs  int
}

var tcpMuxes = struct {
	sync.Mutex
	byPort map[int]*tcpShare
}{byPort: map[int]*tcpShare{}}

func newTCPMux(l net.Listener) ice.TCPMux {
	return ice.NewTCPMuxDefault(ice.TCPMuxParams{
		Listener:                     l,
		Logger:                       logging.NewDefaultLoggerFactory().NewLogger("ice-tcp"),
		ReadBufferSize:               64,
		WriteBufferSize:              tcpWriteBuffer,
		FirstStunBindTimeout:         tcpFirstBindTimeout,
		AliveDurationForConnFromStun: tcpUnclaimedTimeout,
	})
}

// ServeTCP takes the ICE-TCP side of a listener on port (see Split) for
// the sessions of this process, until the returned stop is called: a
// session that asks for TCP on port gets it. It fails if port already has
// a mux.
func ServeTCP(port int, l net.Listener) (stop func(), err error) {
	tcpMuxes.Lock()
	defer tcpMuxes.Unlock()
	if tcpMuxes.byPort[port] != nil {
		return nil, fmt.Errorf("icemux: TCP port %d is already muxed", port)
	}
	sh := &tcpShare{mux: newTCPMux(l), l: l}
	tcpMuxes.byPort[port] = sh
	var once sync.Once
	return func() {
		once.Do(func() {
			tcpMuxes.Lock()
			if tcpMuxes.byPort[port] == sh {
				delete(tcpMuxes.byPort, port)
			}
			tcpMuxes.Unlock()
			_ = sh.mux.Close()
		})
	}, nil
}

// ErrNotServed is AcquireTCP's error for a port no server serves when it
// may not listen itself.
var ErrNotServed = errors.New("icemux: no server shares this TCP port with ICE-TCP")

// AcquireTCP returns a TCP mux on port: the one a server serves there
// (ServeTCP), or, when listen is true, one listening on the port itself,
// opened when no session holds it and closed with the last release.
func AcquireTCP(port int, listen bool) (mux ice.TCPMux, release func(), err error) {
	if port <= 0 || port > 65535 {
		return nil, nil, fmt.Errorf("icemux: TCP port %d", port)
	}
	tcpMuxes.Lock()
	defer tcpMuxes.Unlock()
	sh := tcpMuxes.byPort[port]
	if sh != nil && !sh.owned {
		return sh.mux, func() {}, nil
	}
	if sh == nil && !listen {
		return nil, nil, ErrNotServed
	}
	if sh == nil {
		l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err != nil {
			return nil, nil, fmt.Errorf("icemux: TCP port %d: %w", port, err)
		}
		sh = &tcpShare{mux: newTCPMux(l), l: l, owned: true}
		tcpMuxes.byPort[port] = sh
	}
	sh.refs++
	var once sync.Once
	return sh.mux, func() { once.Do(func() { releaseTCP(port, sh) }) }, nil
}

func releaseTCP(port int, sh *tcpShare) {
	tcpMuxes.Lock()
	defer tcpMuxes.Unlock()
	if sh.refs--; sh.refs == 0 {
		delete(tcpMuxes.byPort, port)
		_ = sh.mux.Close()
		_ = sh.l.Close()
	}
}

// ServeSplit shares the TCP listener l with ICE-TCP (Split, ServeTCP) and
// returns the listener HTTP is to be served on; stop ends the ICE side once
// HTTP is done. When l's port already has a mux (another listener on the
// same port number), it returns l as it is, for HTTP alone.
func ServeSplit(l net.Listener) (web net.Listener, stop func()) {
	port := PortOf(l.Addr())
	tcpMuxes.Lock()
	taken := port == 0 || tcpMuxes.byPort[port] != nil
	tcpMuxes.Unlock()
	if taken {
		return l, func() {}
	}
	web, ice := Split(l)
	stop, err := ServeTCP(port, ice)
	if err != nil { // lost a race for the port: serve HTTP alone
		go func() { // and close what comes for ICE-TCP
			for {
				c, err := ice.Accept()
				if err != nil {
					return
				}
				_ = c.Close()
			}
		}()
		return web, func() {}
	}
	return web, stop
}
