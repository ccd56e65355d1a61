package turntest

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Stats is what coturn logged about the test's clients; the allocation
// Start makes to see that the server is up is left out.
type Stats struct {
	// Allocations counts ALLOCATE requests granted.
	Allocations int
	// Refused counts requests refused with 401 Unauthorized that carried
	// a username: wrong or expired credentials. (The 401 that asks a new
	// client to authenticate carries none and is not counted.)
	Refused int
	// Permissions and ChannelBinds count CREATE_PERMISSION and
	// CHANNEL_BIND requests granted: a client preparing to relay to a
	// peer.
	Permissions, ChannelBinds int
	// Usernames lists the usernames allocations were granted to, each
	// once, in order of first use.
	Usernames []string
	// Closed counts allocations that have ended. coturn logs an
	// allocation's traffic when it ends, a second or so after the client
	// releases it.
	Closed int
	// PeerPacketsIn, PeerBytesIn, PeerPacketsOut and PeerBytesOut total
	// the ended allocations' relayed traffic: received from peers on the
	// relayed address, and sent to peers from it.
	PeerPacketsIn, PeerBytesIn, PeerPacketsOut, PeerBytesOut int64
}

// Lines coturn 4.6 logs with "verbose":
//
//	session 000000000000000002: realm <r> user <u>: incoming packet ALLOCATE processed, success
//	session 000000000000000002: realm <r> user <u>: incoming packet message processed, error 401: Unauthorized
//	session 000000000000000002: peer usage: realm=<r>, username=<u>, rp=2, rb=2, sp=2, sb=2
//	session 000000000000000002: closed (2nd stage), user <u> realm <r> origin <>, ...
var (
	processedRE = regexp.MustCompile(`session (\d+): realm <[^>]*> user <([^>]*)>: incoming packet (\S+) processed, (success|error (\d+))`)
	peerUsageRE = regexp.MustCompile(`session (\d+): peer usage: realm=<[^>]*>, username=<([^>]*)>, rp=(\d+), rb=(\d+), sp=(\d+), sb=(\d+)`)
	closedRE    = regexp.MustCompile(`session (\d+): closed \(2nd stage\), user <([^>]*)>`)
)

// isProbe reports whether username is the readiness probe's: probeUser, or
// "expiry:probeUser" with a shared secret.
func isProbe(username string) bool {
	return username == probeUser || strings.HasSuffix(username, ":"+probeUser)
}

// Stats returns what coturn has logged so far.
func (s *Server) Stats() Stats {
	var st Stats
	for _, line := range s.proc.Lines() {
		if m := processedRE.FindStringSubmatch(line); m != nil {
			user, method, result := m[2], m[3], m[4]
			if isProbe(user) {
				continue
			}
			if result != "success" {
				if m[5] == "401" && user != "" {
					st.Refused++
				}
				continue
			}
			switch method {
			case "ALLOCATE":
				st.Allocations++
				if !slices.Contains(st.Usernames, user) {
					st.Usernames = append(st.Usernames, user)
				}
			case "CREATE_PERMISSION":
				st.Permissions++
			case "CHANNEL_BIND":
				st.ChannelBinds++
			}
			continue
		}
		if m := peerUsageRE.FindStringSubmatch(line); m != nil {
			if isProbe(m[2]) {
				continue
			}
			n := func(i int) int64 { v, _ := strconv.ParseInt(m[i], 10, 64); return v }
			st.PeerPacketsIn += n(3)
			st.PeerBytesIn += n(4)
			st.PeerPacketsOut += n(5)
			st.PeerBytesOut += n(6)
			continue
		}
		if m := closedRE.FindStringSubmatch(line); m != nil && m[2] != "" && !isProbe(m[2]) {
			st.Closed++
		}
	}
	return st
}

// Await returns the Stats once cond holds for them, or the last Stats and
// ctx's error if ctx ends first.
func (s *Server) Await(ctx context.Context, cond func(Stats) bool) (Stats, error) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st := s.Stats()
		if cond(st) {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-tick.C:
		}
	}
}
