package rtcstream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/bench"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/internal/topo"
	"github.com/rtcstream/rtcstream/turn"
)

// topologyEcho streams from a client behind the topology's router to an
// inverting server, and returns how many frames came back inverted and
// what the router forwarded to the server.
func topologyEcho(t *testing.T, firewall bool) (frames, udp, tcp int) {
	n := topo.Build(t)
	if firewall {
		n.DropUDP(t)
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, nil)
	if err != nil {
		t.Fatal(err)
	}
	url, port := streamtest.ServeOn(t, s, topo.ServerIP)
	out, err := n.RunClient(t, "TestTopologyClient", "RTCSTREAM_TOPO_URL="+url)
	udp, tcp = n.Forwarded(t)
	m := regexp.MustCompile(`TOPO frames=(\d+)`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("the client behind the router: %v\n%s", err, out)
	}
	frames, _ = strconv.Atoi(m[1])
	t.Logf("frames back %d; the router forwarded %d UDP and %d TCP packets to the server's port %d", frames, udp, tcp, port)
	return frames, udp, tcp
}

// A client behind NAT streams over the one UDP port.
func TestTopologyNATOverUDP(t *testing.T) {
	checkLeaks(t)
	frames, udp, _ := topologyEcho(t, false)
	if frames < 30 {
		t.Errorf("%d frames came back through NAT, want the stream's (60 sent)", frames)
	}
	if udp < 100 {
		t.Errorf("%d UDP packets crossed the NAT: the media did not flow over UDP", udp)
	}
}

// A client behind a firewall that drops all UDP streams over ICE-TCP on
// the page's own port.
func TestTopologyFirewallOverICETCP(t *testing.T) {
	checkLeaks(t)
	frames, _, tcp := topologyEcho(t, true)
	if frames < 30 {
		t.Errorf("%d frames came back through a UDP-blocking firewall, want the stream's (60 sent)", frames)
	}
	if tcp < 100 {
		t.Errorf("%d TCP packets crossed the firewall: the media did not flow over ICE-TCP", tcp)
	}
}

// A client behind a firewall that lets TCP out only to the page's port
// and the TURN port (and no UDP at all), to a server without ICE-TCP,
// streams through the built-in TURN server over TCP.
func TestTopologyFirewallThroughTURN(t *testing.T) {
	checkLeaks(t)
	n := topo.Build(t)
	ts, err := turn.NewServer(turn.ServerOptions{Addr: net.JoinHostPort(topo.ServerIP, "3478")})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{
		RTCConfigurationFunc: ts.RTCConfiguration,
		Network:              rtcstream.Network{TCPPort: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	url, port := streamtest.ServeOn(t, s, topo.ServerIP)
	n.AllowOnlyTCP(t, port, 3478)
	start := time.Now()
	out, err := n.RunClient(t, "TestTopologyClient", "RTCSTREAM_TOPO_URL="+url)
	m := regexp.MustCompile(`TOPO frames=(\d+)`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("the client behind the firewall: %v\n%s", err, out)
	}
	frames, _ := strconv.Atoi(m[1])
	relayed := n.ForwardedTo(t, 3478)
	t.Logf("frames back %s in %v; %d TCP packets to the TURN port; %d allocations open\n%s", m[1], time.Since(start).Round(time.Millisecond), relayed, ts.Allocations(), out)
	if frames < 30 {
		t.Errorf("%d frames came back through TURN, want the stream's (60 sent)\n%s", frames, out)
	}
	if relayed < 100 {
		t.Errorf("%d TCP packets went to the TURN port: the media did not flow through it", relayed)
	}
	if !strings.Contains(out, `TOPO path="relay -> host over udp"`) {
		t.Error("the client's path is not its relay candidate to the server's host candidate")
	}
}

// A server behind 1:1 NAT (a cloud VM) that names its public address in
// Network.PublicIPs is reached there directly: its host candidate carries
// the public address. (Without PublicIPs this topology fails to connect.)
func TestTopologyServerBehind1to1NAT(t *testing.T) {
	checkLeaks(t)
	n := topo.Build(t)
	n.HideServer(t)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{
		Network: rtcstream.Network{PublicIPs: []string{topo.PublicIP}},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, port := streamtest.ServeOn(t, s, topo.ServerIP)
	url := fmt.Sprintf("http://%s:%d", topo.PublicIP, port)
	out, err := n.RunClient(t, "TestTopologyClient", "RTCSTREAM_TOPO_URL="+url)
	m := regexp.MustCompile(`TOPO path="(.*)" remote=(\S+)`).FindStringSubmatch(out)
	f := regexp.MustCompile(`TOPO frames=(\d+)`).FindStringSubmatch(out)
	if err != nil || m == nil || f == nil {
		t.Fatalf("the client: %v\n%s", err, out)
	}
	udp, _ := n.Forwarded(t)
	t.Logf("frames back %s; path %s to %s; %d UDP packets forwarded", f[1], m[1], m[2], udp)
	if frames, _ := strconv.Atoi(f[1]); frames < 30 {
		t.Errorf("%s frames came back, want the stream's (60 sent)", f[1])
	}
	if !strings.HasSuffix(m[1], "-> host over udp") || !strings.HasPrefix(m[2], topo.PublicIP+":") {
		t.Errorf("path %s to %s, want UDP to the server's host candidate on its public address %s", m[1], m[2], topo.PublicIP)
	}
}

// sessionCount counts a Stream's sessions and how they ended.
type sessionCount struct {
	givenUp
	mu      sync.Mutex
	started int
	ended   []string
}

func (s *sessionCount) SessionStarted() { s.mu.Lock(); s.started++; s.mu.Unlock() }
func (s *sessionCount) SessionEnded(reason string) {
	s.mu.Lock()
	s.ended = append(s.ended, reason)
	s.mu.Unlock()
}

// The client's address changes mid-stream (a phone moving from Wi-Fi to
// cellular): the client restarts ICE on its session, and the stream
// resumes on the same session, whose handler keeps counting.
func TestTopologyAddressChange(t *testing.T) {
	checkLeaks(t)
	n := topo.Build(t)
	sessions := &sessionCount{}
	var calls atomic.Int64
	counting := func(img image.Image) image.Image { calls.Add(1); return invert(img) }
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, counting, &rtcstream.Options{Observer: sessions})
	if err != nil {
		t.Fatal(err)
	}
	url, _ := streamtest.ServeOn(t, s, topo.ServerIP)
	out, err := n.RunClient(t, "TestTopologyClient", "RTCSTREAM_TOPO_URL="+url, "RTCSTREAM_TOPO_MOVE=1")
	m := regexp.MustCompile(`TOPO frames=(\d+) after=(\d+) back_ms=(\d+) restarts=(\d+)`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("the client behind the router: %v\n%s", err, out)
	}
	after, _ := strconv.Atoi(m[2])
	backMS, _ := strconv.Atoi(m[3])
	restarts, _ := strconv.Atoi(m[4])
	sessions.mu.Lock()
	started, ended := sessions.started, sessions.ended
	sessions.mu.Unlock()
	t.Logf("frames back %s, %d after the address change; first frame %d ms after it; %d ICE restarts; %d sessions, ended %q; the handler ran %d times",
		m[1], after, backMS, restarts, started, ended, calls.Load())
	if after < 30 {
		t.Errorf("%d frames came back after the address change, want the stream to resume; the client:\n%s", after, out)
	}
	if restarts < 1 {
		t.Error("the client made no ICE restart")
	}
	if started != 1 {
		t.Errorf("%d sessions started: the stream did not resume on its session", started)
	}
	for _, r := range ended {
		if strings.Contains(r, "connection") {
			t.Errorf("the session ended for its connection (%q): it did not wait for the restart", r)
		}
	}
}

// TestTopologyClient is the client side of the topology tests, run by
// them inside the client's namespace; it skips otherwise. With
// RTCSTREAM_TOPO_MOVE it changes its own address mid-stream.
func TestTopologyClient(t *testing.T) {
	url := os.Getenv("RTCSTREAM_TOPO_URL")
	if os.Getenv(topo.HelperEnv) == "" || url == "" {
		t.Skip("the client side of the topology tests, run by them")
	}
	if os.Getenv("RTCSTREAM_TOPO_MOVE") != "" {
		topologyMovingClient(t, url)
		return
	}
	if d := os.Getenv("RTCSTREAM_TOPO_BENCH"); d != "" {
		topologyBenchClient(t, url, d)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	c, err := client.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	defer c.Close()
	fmt.Printf("TOPO dial_ms=%d\n", time.Since(start).Milliseconds())
	if p, err := c.Path(); err == nil {
		fmt.Printf("TOPO path=%q remote=%s\n", p.String(), p.RemoteAddr)
	}
	const w, h, n = 320, 240, 60
	sent := sendFrames(t, ctx, c, w, h, n, 30)
	got := 0
	readFrames(ctx, c, 5*time.Second, func(f client.Frame) bool {
		if inverted(f, w, h) {
			got++
		}
		return false
	})
	<-sent
	fmt.Printf("TOPO frames=%d\n", got)
}

// topologyMovingClient streams, moves the client to a new address 3 s in,
// and streams on: it prints the frames back, those after the move, how
// long after the move the first came, and the restarts made.
func topologyMovingClient(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	defer c.Close()
	const w, h, fps = 320, 240, 30
	sent := sendFrames(t, ctx, c, w, h, 12*fps, fps)
	var moved atomic.Int64 // unix ns of the move
	go func() {
		time.Sleep(3 * time.Second)
		for _, args := range [][]string{
			{"addr", "flush", "dev", "c0"},
			{"addr", "add", "10.0.2.3/24", "dev", "c0"},
			{"route", "add", "default", "via", "10.0.2.1"},
		} {
			if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
				t.Errorf("ip %v: %v %s", args, err, out)
			}
		}
		moved.Store(time.Now().UnixNano())
	}()
	got, after := 0, 0
	var back time.Duration
	readFrames(ctx, c, 20*time.Second, func(f client.Frame) bool {
		if inverted(f, w, h) {
			got++
			if m := moved.Load(); m != 0 {
				if after == 0 {
					back = time.Since(time.Unix(0, m))
				}
				after++
			}
		}
		select {
		case <-sent:
			return after > 0 // the stream resumed and the frames are all sent
		default:
			return false
		}
	})
	<-sent
	fmt.Printf("TOPO frames=%d after=%d back_ms=%d restarts=%d\n", got, after, back.Milliseconds(), c.Restarts())
}

// topologyBenchClient runs rtcstream bench's one-stream measurement for
// the duration d and prints its report.
func topologyBenchClient(t *testing.T, url, d string) {
	dur, err := time.ParseDuration(d)
	if err != nil {
		t.Fatal(err)
	}
	r, err := bench.Run(t.Context(), url, &bench.Options{Streams: 1, Duration: dur})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("TOPO bench %s\n", b)
}

// BenchmarkPaths measures, per path a deployment meets (the topologies of
// the tests above), one 640x480 30 fps stream from a Go client behind the
// router: time to connect and to the first processed frame, latency
// percentiles, frames back. Run it once per path:
//
//	go test -run '^$' -bench BenchmarkPaths -benchtime 1x .
func BenchmarkPaths(b *testing.B) {
	for _, path := range []struct {
		name  string
		setup func(n *topo.Net, httpPort int)
		turn  bool
	}{
		{"UDPThroughNAT", func(*topo.Net, int) {}, false},
		{"ICETCPBehindUDPFirewall", func(n *topo.Net, _ int) { n.DropUDP(b) }, false},
		{"TURNOverTCP", func(n *topo.Net, port int) { n.AllowOnlyTCP(b, port, 3478) }, true},
	} {
		b.Run(path.name, func(b *testing.B) {
			for range b.N {
				n := topo.Build(b)
				var opts rtcstream.Options
				if path.turn {
					ts, err := turn.NewServer(turn.ServerOptions{Addr: net.JoinHostPort(topo.ServerIP, "3478")})
					if err != nil {
						b.Fatal(err)
					}
					defer ts.Close()
					opts.RTCConfigurationFunc = ts.RTCConfiguration
					opts.Network.TCPPort = -1
				}
				s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &opts)
				if err != nil {
					b.Fatal(err)
				}
				url, port := streamtest.ServeOn(b, s, topo.ServerIP)
				path.setup(n, port)
				out, err := n.RunClient(b, "TestTopologyClient", "RTCSTREAM_TOPO_URL="+url, "RTCSTREAM_TOPO_BENCH=10s")
				m := regexp.MustCompile(`TOPO bench (\{.*\})`).FindStringSubmatch(out)
				if err != nil || m == nil {
					b.Fatalf("the client: %v\n%s", err, out)
				}
				var raw map[string]any
				if err := json.Unmarshal([]byte(m[1]), &raw); err != nil {
					b.Fatal(err)
				}
				ms := func(k, p string) float64 {
					m, _ := raw[k].(map[string]any)
					v, _ := m[p].(float64)
					return v
				}
				b.ReportMetric(ms("connect", "p50_ms"), "connect-ms")
				b.ReportMetric(ms("first_frame", "p50_ms"), "first-frame-ms")
				b.ReportMetric(ms("latency", "p50_ms"), "p50-ms")
				b.ReportMetric(ms("latency", "p95_ms"), "p95-ms")
				b.ReportMetric(ms("latency", "p99_ms"), "p99-ms")
				ratio, _ := raw["returned_ratio"].(float64)
				b.ReportMetric(ratio, "returned")
			}
		})
	}
}

// A server whose machine gains an address while sessions run serves new
// sessions on it: the one UDP port, opened when the machine had loopback
// only and held open by a session, is opened on the new address for the
// next session, which a client behind the router reaches over UDP alone
// (ICE-TCP is off, so nothing else gets through). Before, the port's
// addresses were those of its first session's time until every session
// had ended.
func TestTopologyNewAddressWhileSessionsRun(t *testing.T) {
	checkLeaks(t)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{
		Network: rtcstream.Network{IncludeLoopback: true, TCPPort: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, port := streamtest.ServeOn(t, s, "0.0.0.0")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	first, err := client.Dial(ctx, fmt.Sprintf("http://127.0.0.1:%d", port), &client.Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	// The first session streams throughout, holding the port open.
	const w, h = 320, 240
	firstCtx, stopFirst := context.WithCancel(ctx)
	sent := sendFrames(t, firstCtx, first, w, h, 3000, 15)
	checkInverted(t, ctx, first, 5)

	n := topo.Build(t) // the server's namespace gains 10.0.1.1
	out, err := n.RunClient(t, "TestTopologyClient", fmt.Sprintf("RTCSTREAM_TOPO_URL=http://%s:%d", topo.ServerIP, port))
	udp, tcp := n.Forwarded(t)
	m := regexp.MustCompile(`TOPO frames=(\d+)`).FindStringSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("the client behind the router, on the new address: %v\n%s", err, out)
	}
	frames, _ := strconv.Atoi(m[1])
	t.Logf("frames back %d; the router forwarded %d UDP and %d TCP packets to the server", frames, udp, tcp)
	if frames < 30 {
		t.Errorf("%d frames came back to the client on the new address, want the stream's (60 sent)", frames)
	}
	if udp < 60 { // one a frame at least; ICE-TCP is off, so it could be nothing else
		t.Errorf("%d UDP packets went to the server's new address: the media did not flow over it", udp)
	}
	// The first session held the port the whole time: it still streams.
	checkInverted(t, ctx, first, 5)
	stopFirst()
	<-sent
}
