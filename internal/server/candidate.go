package server

import (
	"errors"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Bounds on the ICE candidates a client may give a session. Each remote
// candidate makes the server send connectivity checks to its address, so
// a flood of them would turn the server into a packet cannon aimed where
// the client likes.
const (
	// maxTrickled caps the candidates trickled to one session. A browser
	// gathers one or two per network interface and transport (host, srflx,
	// relay): well under 20 on any ordinary machine.
	maxTrickled = 20
	// maxOfferCandidates caps the a=candidate lines of one offer (clients
	// that do not trickle put theirs in the SDP, repeated per media
	// section when not bundled).
	maxOfferCandidates = 60
	// maxCandidateLen bounds one candidate's text; a browser's is about
	// 150 bytes.
	maxCandidateLen = 512
)

var validComponent = regexp.MustCompile(`^[A-Za-z0-9+/]{1,32}$`)

// checkCandidate refuses an ICE candidate (RFC 8839 section 5.1) that no
// browser sends: malformed, or whose address is not one a peer can have
// (unspecified, multicast, broadcast, "this network"), or a host name
// other than an mDNS .local name (which the server would otherwise look
// up in the DNS).
func checkCandidate(c string) error {
	if len(c) > maxCandidateLen {
		return errors.New("the candidate is over " + strconv.Itoa(maxCandidateLen) + " bytes")
	}
	c = strings.TrimPrefix(strings.TrimPrefix(c, "a="), "candidate:")
	f := strings.Fields(c)
	if len(f) < 8 || f[6] != "typ" {
		return errors.New("the candidate is not of the form \"candidate:foundation component transport priority address port typ type\"")
	}
	if !validComponent.MatchString(f[0]) {
		return errors.New("the candidate's foundation is malformed")
	}
	if n, err := strconv.ParseUint(f[1], 10, 8); err != nil || n < 1 {
		return errors.New("the candidate's component is not a number from 1 to 255")
	}
	transport := strings.ToLower(f[2])
	if transport != "udp" && transport != "tcp" {
		return errors.New("the candidate's transport is not udp or tcp")
	}
	if _, err := strconv.ParseUint(f[3], 10, 32); err != nil {
		return errors.New("the candidate's priority is not a 32-bit number")
	}
	port, err := strconv.ParseUint(f[5], 10, 16)
	if err != nil || (port == 0 && transport == "udp") {
		return errors.New("the candidate's port is not a port number")
	}
	switch f[7] {
	case "host", "srflx", "prflx", "relay":
	default:
		return errors.New("the candidate's type is not host, srflx, prflx or relay")
	}
	return checkCandidateAddress(f[4])
}

func checkCandidateAddress(a string) error {
	ip, err := netip.ParseAddr(a)
	if err != nil {
		if isMDNSName(a) {
			return nil
		}
		return errors.New("the candidate's address is neither an IP address nor an mDNS .local name")
	}
	ip = ip.Unmap()
	switch {
	case ip.Zone() != "":
		return errors.New("the candidate's address has a zone")
	case ip.IsUnspecified(), ip.Is4() && ip.As4()[0] == 0:
		return errors.New("the candidate's address is unspecified")
	case ip.IsMulticast(), ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return errors.New("the candidate's address is a multicast or broadcast address")
	}
	return nil
}

// isMDNSName reports whether a is a host name under .local, as browsers
// use to hide local addresses (a UUID and ".local").
func isMDNSName(a string) bool {
	name, ok := strings.CutSuffix(strings.ToLower(a), ".local")
	if !ok || name == "" || len(a) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// checkOfferCandidates applies the candidate bounds to the a=candidate
// lines of an offer's SDP.
func checkOfferCandidates(sdp string) *apiError {
	n := 0
	for line := range strings.Lines(sdp) {
		line = strings.TrimRight(line, "\r\n")
		if !strings.HasPrefix(line, "a=candidate:") {
			continue
		}
		if n++; n > maxOfferCandidates {
			return refuse(http.StatusBadRequest, "too_many_candidates", "the offer has over "+strconv.Itoa(maxOfferCandidates)+" ICE candidates")
		}
		if err := checkCandidate(line); err != nil {
			return refuse(http.StatusBadRequest, "invalid_candidate", "the offer's ICE candidate "+strconv.Itoa(n)+" is refused: "+err.Error())
		}
	}
	return nil
}
