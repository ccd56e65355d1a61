package e2e_test

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/internal/topo"
	"github.com/rtcstream/rtcstream/turn"
)

// turnPort is the built-in TURN server's port in the topologies.
const turnPort = 3478

// TestBrowserTopologies: Chromium, in a client namespace behind a NATing
// router (internal/topo), streams to a server in the test's namespace over
// each path a deployment meets, and the page shows the processed video:
//
//   - UDPThroughNAT: the server's one UDP port;
//   - ICETCPBehindUDPFirewall: the router drops all UDP; ICE-TCP on the
//     page's own port;
//   - TURNOverTCP: the router drops UDP and lets TCP through only to the
//     page's port and the TURN port, and the server has no ICE-TCP; the
//     built-in TURN server relays.
//
// Each logs the time from the click on Start to the first processed frame
// (BENCHMARKS.md, "Paths").
func TestBrowserTopologies(t *testing.T) {
	checkLeaks(t)
	for _, path := range []struct {
		name  string
		setup func(t *testing.T, n *topo.Net, httpPort int)
		turn  bool
		// wantPair matches the selected pair, "local -> remote over
		// protocol". Behind NAT Chromium's local candidate may be the
		// peer-reflexive one the server's checks showed it.
		wantPair string
	}{
		{"UDPThroughNAT", func(*testing.T, *topo.Net, int) {}, false, `^(host|prflx) -> host over udp$`},
		{"ICETCPBehindUDPFirewall", func(t *testing.T, n *topo.Net, _ int) { n.DropUDP(t) }, false, `^(host|prflx) -> host over tcp$`},
		{"TURNOverTCP", func(t *testing.T, n *topo.Net, port int) { n.AllowOnlyTCP(t, port, turnPort) }, true, `^relay -> host over udp$`},
	} {
		t.Run(path.name, func(t *testing.T) {
			n := topo.Build(t)
			var opts rtcstream.Options
			var ts *turn.Server
			if path.turn {
				var err error
				ts, err = turn.NewServer(turn.ServerOptions{Addr: net.JoinHostPort(topo.ServerIP, strconv.Itoa(turnPort))})
				if err != nil {
					t.Fatal(err)
				}
				defer ts.Close()
				opts.RTCConfigurationFunc = ts.RTCConfiguration
				opts.Network.TCPPort = -1
			}
			s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &opts)
			if err != nil {
				t.Fatal(err)
			}
			url, port := streamtest.ServeOn(t, s, topo.ServerIP)
			path.setup(t, n, port)
			out, err := n.RunClient(t, "TestBrowserTopologyClient", "RTCSTREAM_TOPO_URL="+url)
			m := regexp.MustCompile(`TOPO start_ms=(\d+) frames=(\d+) pair="([^"]*)" relay=(\S*)`).FindStringSubmatch(out)
			if err != nil || m == nil {
				t.Fatalf("Chromium behind the router: %v\n%s", err, out)
			}
			startMS, _ := strconv.Atoi(m[1])
			frames, _ := strconv.Atoi(m[2])
			t.Logf("Start -> first processed frame %d ms; %d frames presented in 1.5 s; pair %s (relay over %q)", startMS, frames, m[3], m[4])
			if frames < 15 {
				t.Errorf("the output presented %d frames in 1.5 s, want it playing", frames)
			}
			if !regexp.MustCompile(path.wantPair).MatchString(m[3]) {
				t.Errorf("Chromium's selected pair %q, want %s", m[3], path.wantPair)
			}
			if path.turn && m[4] != "tcp" {
				t.Errorf("Chromium reached the TURN server over %q, want tcp (UDP is blocked)", m[4])
			}
		})
	}
}

// TestBrowserTopologyClient is Chromium's side of TestBrowserTopologies,
// run by it inside the client's namespace; it skips otherwise. It prints
// the time from Start to the first processed frame and the selected pair.
func TestBrowserTopologyClient(t *testing.T) {
	url := os.Getenv("RTCSTREAM_TOPO_URL")
	if os.Getenv(topo.HelperEnv) == "" || url == "" {
		t.Skip("Chromium's side of TestBrowserTopologies, run by it")
	}
	p := newHookedBrowserWith(t, browsertest.Options{FakeVideo: writePatternClip(t), SecureOrigins: []string{url}})
	p.open(url + "/")
	took := p.start()
	p.waitSplit(selOutput, true)
	frames, err := p.presentedFrames(selOutput, 1500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ice := evalOn[iceReport](p, iceReportJS)
	fmt.Printf("TOPO start_ms=%d frames=%d pair=%q relay=%s\n", took.Milliseconds(), frames,
		ice.Local+" -> "+ice.Remote+" over "+ice.Protocol, ice.RelayProtocol)
	p.stop()
}
