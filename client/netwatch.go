package client

import (
	"net"
	"time"

	"github.com/pion/webrtc/v4"
)

// netWatchEvery is how often the client looks at its network addresses.
const netWatchEvery = 250 * time.Millisecond

// watchNetwork restarts ICE as soon as the address the connection's media
// leaves from is gone from this machine (Wi-Fi dropped, a new DHCP lease),
// as a browser does on a network change, instead of waiting seconds for
// the connection to count as disconnected. It runs until the Conn fails
// or closes.
func (c *Conn) watchNetwork() {
	defer c.wg.Done()
	tick := time.NewTicker(netWatchEvery)
	defer tick.Stop()
	for {
		select {
		case <-c.failed:
			return
		case <-tick.C:
		}
		if c.pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
			continue // a restart, if needed, is under way
		}
		base := c.localBase()
		if base == nil || hasAddress(base) {
			continue
		}
		c.reconnect.lost()
	}
}

// localBase is the local address of the selected pair's candidate (its
// base, for a relayed or reflexive one), nil when unknown.
func (c *Conn) localBase() net.IP {
	pair, err := c.selectedPair()
	if err != nil {
		return nil
	}
	addr := pair.Local.Address
	if pair.Local.Typ != webrtc.ICECandidateTypeHost {
		addr = pair.Local.RelatedAddress
	}
	return net.ParseIP(addr)
}

// hasAddress reports whether ip is one of this machine's addresses (true
// when they cannot be listed: no restart on a guess).
func hasAddress(ip net.IP) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return true
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// startWatch counts the watcher in c.wg unless the Conn is closing (whose
// shutdown waits for c.wg).
func (c *Conn) startWatch() bool {
	t := &c.trickle
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	c.wg.Add(1)
	return true
}
