package client

import (
	"errors"
	"net"
	"strconv"

	"github.com/pion/webrtc/v4"
)

// Path is how the connection's media goes: its selected ICE candidate
// pair.
type Path struct {
	// Local and Remote are the candidates' types: "host", "srflx" (an
	// address a NAT gave), "prflx" (one learned from the checks) or
	// "relay" (a TURN server's).
	Local, Remote string
	// Protocol is "udp" or "tcp" (ICE-TCP). For a relayed candidate it is
	// the relay's own side, UDP.
	Protocol string
	// LocalAddr and RemoteAddr are the candidates' addresses.
	LocalAddr, RemoteAddr string
}

// String is "local -> remote over protocol", such as "relay -> host over udp".
func (p Path) String() string { return p.Local + " -> " + p.Remote + " over " + p.Protocol }

// Path returns the connection's selected candidate pair. It fails before
// the connection is up.
func (c *Conn) Path() (Path, error) {
	pair, err := c.selectedPair()
	if err != nil {
		return Path{}, err
	}
	addr := func(ip string, port uint16) string { return net.JoinHostPort(ip, strconv.Itoa(int(port))) }
	return Path{
		Local:      pair.Local.Typ.String(),
		Remote:     pair.Remote.Typ.String(),
		Protocol:   pair.Local.Protocol.String(),
		LocalAddr:  addr(pair.Local.Address, pair.Local.Port),
		RemoteAddr: addr(pair.Remote.Address, pair.Remote.Port),
	}, nil
}

// selectedPair is ICE's selected candidate pair, both ends set.
func (c *Conn) selectedPair() (*webrtc.ICECandidatePair, error) {
	sctp := c.pc.SCTP()
	if sctp == nil {
		return nil, errors.New("rtcstream client: not connected")
	}
	pair, err := sctp.Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil {
		return nil, err
	}
	if pair == nil || pair.Local == nil || pair.Remote == nil {
		return nil, errors.New("rtcstream client: no candidate pair selected")
	}
	return pair, nil
}
