package server

import (
	"fmt"
	"strings"
	"testing"
)

func TestCheckCandidate(t *testing.T) {
	for _, tc := range []struct {
		c  string
		ok bool
	}{
		{"candidate:842163049 1 udp 1677729535 203.0.113.9 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag EEtu network-id 3 network-cost 10", true},
		{"candidate:1 1 udp 2130706431 127.0.0.1 9999 typ host", true},
		{"a=candidate:1 1 UDP 2130706431 192.168.1.5 50000 typ host", true},
		{"candidate:3 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active", true},
		{"candidate:4 1 udp 2122194687 2001:db8::5 50000 typ host", true},
		{"candidate:5 1 udp 2122262783 4f0e3a4b-6c1d-4d2e-9f3a-0b1c2d3e4f5a.local 50000 typ host", true},
		{"candidate:6 1 udp 41885439 198.51.100.2 3478 typ relay raddr 203.0.113.9 rport 46154", true},
		{"candidate:a+b/c 2 udp 1 10.0.0.1 1 typ prflx", true},

		{"", false},
		{"hello", false},
		{"candidate:1 1 udp 1 127.0.0.1 9 host", false},
		{"candidate:1 1 udp 1 127.0.0.1 9 typ", false},
		{"candidate:bad!foundation 1 udp 1 127.0.0.1 9 typ host", false},
		{"candidate:1 0 udp 1 127.0.0.1 9 typ host", false},
		{"candidate:1 256 udp 1 127.0.0.1 9 typ host", false},
		{"candidate:1 1 sctp 1 127.0.0.1 9 typ host", false},
		{"candidate:1 1 udp -1 127.0.0.1 9 typ host", false},
		{"candidate:1 1 udp 99999999999 127.0.0.1 9 typ host", false},
		{"candidate:1 1 udp 1 127.0.0.1 0 typ host", false},
		{"candidate:1 1 udp 1 127.0.0.1 65536 typ host", false},
		{"candidate:1 1 udp 1 127.0.0.1 9 typ nat", false},
		{"candidate:1 1 udp 1 0.0.0.0 9 typ host", false},
		{"candidate:1 1 udp 1 0.1.2.3 9 typ host", false},
		{"candidate:1 1 udp 1 :: 9 typ host", false},
		{"candidate:1 1 udp 1 ::ffff:0.0.0.0 9 typ host", false},
		{"candidate:1 1 udp 1 224.0.0.251 5353 typ host", false},
		{"candidate:1 1 udp 1 ff02::fb 5353 typ host", false},
		{"candidate:1 1 udp 1 255.255.255.255 9 typ host", false},
		{"candidate:1 1 udp 1 fe80::1%eth0 9 typ host", false},
		{"candidate:1 1 udp 1 attacker.example 9 typ host", false},
		{"candidate:1 1 udp 1 .local 9 typ host", false},
		{"candidate:1 1 udp 1 a..local 9 typ host", false},
		{"candidate:1 1 udp 1 a_b.local 9 typ host", false},
		{"candidate:1 1 udp 1 127.0.0.1 9 typ host" + strings.Repeat(" x", 300), false},
	} {
		if err := checkCandidate(tc.c); (err == nil) != tc.ok {
			t.Errorf("checkCandidate(%.80q) = %v, want ok %v", tc.c, err, tc.ok)
		}
	}
}

func TestCheckOfferCandidates(t *testing.T) {
	sdp := "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
	line := func(i int) string { return fmt.Sprintf("a=candidate:%d 1 udp 1 127.0.0.1 %d typ host\r\n", i, 9000+i) }
	var some strings.Builder
	for i := range maxOfferCandidates {
		some.WriteString(line(i))
	}
	if aerr := checkOfferCandidates(sdp + some.String()); aerr != nil {
		t.Fatalf("%d candidates: %v", maxOfferCandidates, aerr)
	}
	if aerr := checkOfferCandidates(sdp + some.String() + line(99)); aerr == nil || aerr.code != "too_many_candidates" {
		t.Fatalf("%d candidates: %v, want too_many_candidates", maxOfferCandidates+1, aerr)
	}
	if aerr := checkOfferCandidates(sdp + "a=candidate:1 1 udp 1 239.0.0.1 9 typ host\n"); aerr == nil || aerr.code != "invalid_candidate" {
		t.Fatalf("a multicast candidate: %v, want invalid_candidate", aerr)
	}
}
