package e2e_test

// End-to-end tests of three things a gradio_webrtc user relies on:
//
//   - TURN: a stream whose RTC configuration allows relayed candidates only
//     connects through a real coturn (internal/turntest), with the page
//     fetching the configuration per connection; static and shared-secret
//     credentials.
//   - The waiting line: with a session limit of 1 a second browser waits with
//     its place shown and starts by itself when the slot frees, whether the
//     first browser stops or dies.
//   - Every parameter of gradio_webrtc's WebRTC component, on a Blocks page.
//
// The fake camera plays pattern() from helpers_test.go: a dark left half
// (luma 40) and a bright right half (luma 200), so the invert handler's effect
// and any mirroring show in two pixels (tab.waitSplit).
//
// Defects are reported with defects: the subtest logs each with its
// evidence and fails at its end.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"iter"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/impair"
	"github.com/rtcstream/rtcstream/internal/turntest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/turn"
	"github.com/rtcstream/rtcstream/ui"
)

// patternFPS is the frame rate of the fake camera's pattern() clip, camW x
// camH.
const patternFPS = 30

// writePatternClip writes the fake camera's clip and returns its path.
func writePatternClip(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pattern.y4m")
	if err := browsertest.WriteY4M(path, camW, camH, patternFPS, patternFPS, func(i int) *image.YCbCr {
		return pattern(camW, camH, i)
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// defects collects defects outside this package that a subtest found.
type defects struct {
	t     *testing.T
	found []string
}

// report logs a defect; the subtest goes on.
func (b *defects) report(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	b.t.Logf("DEFECT: %s", msg)
	b.found = append(b.found, msg)
}

// settle ends the subtest: the defects reported are failures (they were
// fixed; a skip would hide their return). Call it last.
func (b *defects) settle() {
	b.t.Helper()
	if len(b.found) > 0 {
		b.t.Errorf("defects:\n%s", strings.Join(b.found, "\n"))
	}
}

// --- 1. TURN ----------------------------------------------------------------

// iceReport is what the page's connected RTCPeerConnection reports: its
// configuration and its selected candidate pair.
type iceReport struct {
	Local, Remote   string   // candidate types of the selected pair
	LocalAddress    string   // ip:port of the local candidate
	RemoteAddress   string   // ip:port of the remote candidate
	RelayProtocol   string   // of the local candidate
	URL             string   // the ICE server the local candidate came from
	LocalTypes      []string // types of every local candidate gathered
	BytesSent       float64
	BytesReceived   float64
	Policy          string    // iceTransportPolicy
	ICEURLs         []string  // iceServers' urls
	Username        string    // the first ICE server's username
	PeerConnections int       // connected peer connections in the page
	Protocol        string    // the local candidate's: "udp" or "tcp"
	Pairs           []icePair // every candidate pair with traffic or nominated
}

// icePair is one candidate pair of the page's transport.
type icePair struct {
	Local, Remote string // candidate types
	RelayProtocol string // of the local candidate, when relayed
	State         string
	Nominated     bool
	BytesSent     float64
	BytesReceived float64
}

// String is the pair as a log line.
func (c icePair) String() string {
	return fmt.Sprintf("%s(%s)->%s %s nominated=%v out=%.0f in=%.0f", c.Local, c.RelayProtocol, c.Remote, c.State, c.Nominated, c.BytesSent, c.BytesReceived)
}

// Relayed sums the bytes of the pairs whose local candidate is relayed.
// It is what went through a TURN server both ways: the selected pair's
// counters alone can miss the incoming half, for the two ends can
// settle on different pairs (CI read a selected pair over the TURN
// server's UDP allocation with 33 kB out and 0 in while the video
// played: the server's half came on another pair, presumably the one
// over the page's TCP allocation).
func (r iceReport) Relayed() (sent, received float64) {
	for _, c := range r.Pairs {
		if c.Local == "relay" {
			sent += c.BytesSent
			received += c.BytesReceived
		}
	}
	return sent, received
}

// waitRelayedTraffic reads p's ICE report until its relayed pairs have
// carried at least min bytes each way, for up to 3 s (their counters lag
// the video a little), and returns the last report; it logs every pair
// when the selected one did not carry both ways itself.
func waitRelayedTraffic(t *testing.T, p tab, min float64) iceReport {
	t.Helper()
	ice := evalOn[iceReport](p, iceReportJS)
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		if sent, received := ice.Relayed(); sent >= min && received >= min {
			break
		}
		time.Sleep(250 * time.Millisecond)
		ice = evalOn[iceReport](p, iceReportJS)
	}
	if ice.BytesSent < min || ice.BytesReceived < min {
		t.Logf("the selected pair carried %.0f bytes out and %.0f in; every pair: %v", ice.BytesSent, ice.BytesReceived, ice.Pairs)
	}
	return ice
}

const iceReportJS = `(async () => {
	const pcs = window.__hooks.pcs.filter((pc) => pc.connectionState === "connected");
	if (pcs.length === 0) throw new Error("no connected RTCPeerConnection");
	const pc = pcs[pcs.length - 1];
	const stats = await pc.getStats();
	let pair = null;
	const localTypes = [], pairs = [];
	stats.forEach((r) => {
		if (r.type === "transport" && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
		if (r.type === "local-candidate") localTypes.push(r.candidateType);
		if (r.type === "candidate-pair" && (r.nominated || r.bytesSent || r.bytesReceived)) pairs.push(r);
	});
	if (!pair) throw new Error("no selected candidate pair");
	const l = stats.get(pair.localCandidateId), r = stats.get(pair.remoteCandidateId);
	const cfg = pc.getConfiguration();
	return {
		Local: l.candidateType, Remote: r.candidateType,
		LocalAddress: l.address + ":" + l.port, RemoteAddress: r.address + ":" + r.port,
		RelayProtocol: l.relayProtocol ?? "", URL: l.url ?? "", LocalTypes: localTypes,
		BytesSent: pair.bytesSent ?? 0, BytesReceived: pair.bytesReceived ?? 0,
		Policy: cfg.iceTransportPolicy ?? "", ICEURLs: (cfg.iceServers ?? []).flatMap((s) => [].concat(s.urls)),
		Username: (cfg.iceServers ?? [])[0]?.username ?? "", PeerConnections: pcs.length,
		Protocol: l.protocol ?? "",
		Pairs: pairs.map((c) => {
			const cl = stats.get(c.localCandidateId), cr = stats.get(c.remoteCandidateId);
			return {
				Local: cl?.candidateType ?? "", Remote: cr?.candidateType ?? "", RelayProtocol: cl?.relayProtocol ?? "",
				State: c.state ?? "", Nominated: !!c.nominated, BytesSent: c.bytesSent ?? 0, BytesReceived: c.bytesReceived ?? 0,
			};
		}),
	};
})()`

// checkRelayed checks that the page's connection goes through srv: a
// relay-only configuration naming it, and a selected pair of relayed
// candidates on its relay address.
func checkRelayed(t *testing.T, p tab, srv *turntest.Server) iceReport {
	t.Helper()
	// Let video flow both ways for a while first.
	if n, err := p.presentedFrames(selOutput, 1500*time.Millisecond); err != nil || n < 15 {
		t.Errorf("the output presented %d frames in 1.5 s (%v), want it playing", n, err)
	}
	ice := waitRelayedTraffic(t, p, 5_000)
	t.Logf("browser's selected pair: %s %s -> %s %s (%s via %s); %0.f bytes sent, %0.f received",
		ice.Local, ice.LocalAddress, ice.Remote, ice.RemoteAddress, ice.RelayProtocol, ice.URL, ice.BytesSent, ice.BytesReceived)
	if ice.PeerConnections != 1 {
		t.Errorf("%d connected peer connections in the page, want 1", ice.PeerConnections)
	}
	if ice.Policy != "relay" {
		t.Errorf("the page's RTCPeerConnection has iceTransportPolicy %q, want relay (from GET config)", ice.Policy)
	}
	if len(ice.ICEURLs) != 1 || ice.ICEURLs[0] != srv.URL() {
		t.Errorf("the page's ICE servers %q, want [%s]", ice.ICEURLs, srv.URL())
	}
	if ice.Local != "relay" || ice.Remote != "relay" {
		t.Errorf("selected candidate pair %s -> %s, want relay -> relay", ice.Local, ice.Remote)
	}
	if !strings.HasPrefix(ice.LocalAddress, srv.Host+":") || !strings.HasPrefix(ice.RemoteAddress, srv.Host+":") {
		t.Errorf("selected pair %s -> %s, want both on coturn's relay address %s", ice.LocalAddress, ice.RemoteAddress, srv.Host)
	}
	checkRelayedOnly(t, ice)
	return ice
}

// checkRelayedOnly checks that the page gathered relayed candidates only
// and that video went both ways through them: pattern() compresses to a
// few hundred bytes a frame.
func checkRelayedOnly(t *testing.T, ice iceReport) {
	t.Helper()
	for _, typ := range ice.LocalTypes {
		if typ != "relay" {
			t.Errorf("the page gathered a %s candidate under the relay policy (all: %q)", typ, ice.LocalTypes)
			break
		}
	}
	if sent, received := ice.Relayed(); sent < 5_000 || received < 5_000 {
		t.Errorf("the relayed pairs carried %.0f bytes out and %.0f in, want video both ways", sent, received)
	}
}

// checkRelayTraffic waits for coturn to log the end of the allocations of both
// ends of every connection (it logs their traffic then) and checks that
// media went through them both ways.
func checkRelayTraffic(t *testing.T, srv *turntest.Server, allocations int) turntest.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// coturn may log a retransmitted ALLOCATE twice, so wait for the
	// allocations expected to close rather than for every one logged.
	st, err := srv.Await(ctx, func(st turntest.Stats) bool {
		return st.Allocations >= allocations && st.Closed >= allocations
	})
	if err != nil {
		t.Fatalf("coturn logged %+v, want %d allocations, closed: %v", st, allocations, err)
	}
	t.Logf("coturn: %d allocations for %q, %d permissions, %d channel binds, %d refused; relayed %d packets (%d bytes) in, %d (%d bytes) out",
		st.Allocations, st.Usernames, st.Permissions, st.ChannelBinds, st.Refused, st.PeerPacketsIn, st.PeerBytesIn, st.PeerPacketsOut, st.PeerBytesOut)
	// Each connection streamed 640x480 at 30 fps for over 1.5 s, and the
	// page played 15 frames or more: at least 15 packets of camera video
	// to the server and 15 of processed video back, each counted once in
	// (at one end's relay) and once out. One connection on a busy machine
	// relayed 149 in and 100 out; at a load of 4 on 2 cores, 125 and 79.
	if want := 30 * int64(allocations/2); st.PeerPacketsIn < want || st.PeerPacketsOut < want {
		t.Errorf("coturn relayed %d packets in and %d out: the media did not go through it", st.PeerPacketsIn, st.PeerPacketsOut)
	}
	if st.Refused != 0 {
		t.Errorf("coturn refused %d requests with credentials", st.Refused)
	}
	return st
}

// TestBrowserRelayOnlyThroughCoturn: a Stream whose RTC configuration is a
// coturn on 127.0.0.1 with the "relay" policy. The page fetches the
// configuration (rtc-config="fetch" -> GET webrtc/config) for every
// connection, Chromium and the server both allocate on coturn, the selected
// candidate pair is relayed at both ends, and the inverted pattern comes
// back: the only path there is goes through coturn, which logs the relayed
// packets.
func TestBrowserRelayOnlyThroughCoturn(t *testing.T) {
	checkLeaks(t)
	browser := newHookedBrowser(t, writePatternClip(t))

	t.Run("Static", func(t *testing.T) {
		srv := turntest.Start(t, nil)
		cfg := turn.Static([]string{srv.URL()}, srv.Username, srv.Password)
		cfg.ICETransportPolicy = "relay"
		s := startLiveServer(t, invert, rtcstream.Options{RTCConfiguration: cfg})
		p := browser.withTest(t)
		p.open(s.url)
		if got := p.attr("rtc-config"); got != "fetch" {
			t.Fatalf(`rtc-config=%q, want "fetch"`, got)
		}

		took := p.start()
		t.Logf("relay-only connect: Start -> streaming in %v", took.Round(time.Millisecond))
		p.waitSplit(selOutput, true)
		if n := s.rec.count("GET /webrtc/config"); n != 1 {
			t.Errorf("the page fetched the configuration %d times for one connection, want 1", n)
		}
		checkRelayed(t, p, srv)
		st, err := srv.Await(t.Context(), func(st turntest.Stats) bool { return st.Allocations >= 2 && st.Permissions >= 2 })
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Usernames) != 1 || st.Usernames[0] != srv.Username {
			t.Errorf("allocations for %q, want the static user %q", st.Usernames, srv.Username)
		}

		p.stop()
		s.waitActive(t, 0, waitRelease)
		checkRelayTraffic(t, srv, 2)
	})

	t.Run("SharedSecretPerConnection", func(t *testing.T) {
		srv := turntest.Start(t, &turntest.Options{Secret: "bb-browser-shared-secret"})
		var calls atomic.Int64
		fresh := func(context.Context) (*rtcstream.RTCConfiguration, error) {
			n := calls.Add(1)
			cfg := turn.SharedSecret([]string{srv.URL()}, srv.Secret, fmt.Sprintf("bb-call-%d", n), 10*time.Minute)
			cfg.ICETransportPolicy = "relay"
			return cfg, nil
		}
		s := startLiveServer(t, invert, rtcstream.Options{RTCConfigurationFunc: fresh})
		p := browser.withTest(t)
		p.open(s.url)
		if got := p.attr("rtc-config"); got != "fetch" {
			t.Fatalf(`rtc-config=%q, want "fetch"`, got)
		}

		// Two connections, one after the other.
		var browserUsers []string
		for i := range 2 {
			took := p.start()
			t.Logf("connection %d: relay-only connect in %v", i+1, took.Round(time.Millisecond))
			p.waitSplit(selOutput, true)
			ice := checkRelayed(t, p, srv)
			browserUsers = append(browserUsers, ice.Username)
			p.stop()
			s.waitActive(t, 0, waitRelease)
		}
		if n := s.rec.count("GET /webrtc/config"); n != 2 {
			t.Errorf("the page fetched the configuration %d times for two connections, want 2", n)
		}
		// Once for the page and once for the server, per connection.
		if n := calls.Load(); n != 4 {
			t.Errorf("RTCConfigurationFunc called %d times for two connections, want 4", n)
		}
		if browserUsers[0] == "" || browserUsers[0] == browserUsers[1] {
			t.Errorf("the page's two connections used TURN usernames %q: want fresh credentials each", browserUsers)
		}
		st := checkRelayTraffic(t, srv, 4)
		// Four distinct usernames, every one accepted: both ends of both
		// connections had credentials of their own.
		if len(st.Usernames) != 4 {
			t.Errorf("coturn granted allocations to %q, want 4 distinct usernames", st.Usernames)
		}
		for _, u := range browserUsers {
			found := false
			for _, v := range st.Usernames {
				found = found || u == v
			}
			if !found {
				t.Errorf("the page's username %q has no allocation on coturn (%q)", u, st.Usernames)
			}
		}
	})
}

// TestBrowserRelayOnlyThroughBuiltInTURN: the same through rtcstream's own
// TURN server (turn.Server) with its RelayOnly option. The page gets a
// credential of its own and the server's URLs on the page's host; the
// server's side gets none, so the browser's relay candidate pairs with
// the server's host candidate; the relay closes when the page stops:
// Chromium releases it, or, where its release is lost (CI once kept one of
// three relays 10 s on), the server closes it once it idles for RelayIdle.
func TestBrowserRelayOnlyThroughBuiltInTURN(t *testing.T) {
	checkLeaks(t)
	const relayIdle = 3 * time.Second
	ts, err := turn.NewServer(turn.ServerOptions{Addr: "127.0.0.1:0", RelayOnly: true, RelayIdle: relayIdle})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	browser := newHookedBrowser(t, writePatternClip(t))
	s := startLiveServer(t, invert, rtcstream.Options{RTCConfigurationFunc: ts.RTCConfiguration})
	p := browser.withTest(t)
	p.open(s.url)
	took := p.start()
	t.Logf("relay-only connect through the built-in TURN server: Start -> streaming in %v", took.Round(time.Millisecond))
	p.waitSplit(selOutput, true)
	if n, err := p.presentedFrames(selOutput, 1500*time.Millisecond); err != nil || n < 15 {
		t.Errorf("the output presented %d frames in 1.5 s (%v), want it playing", n, err)
	}
	ice := waitRelayedTraffic(t, p, 5_000)
	t.Logf("browser's selected pair: %s %s -> %s %s (%s via %s); %0.f bytes sent, %0.f received; %d relays open",
		ice.Local, ice.LocalAddress, ice.Remote, ice.RemoteAddress, ice.RelayProtocol, ice.URL, ice.BytesSent, ice.BytesReceived, ts.Allocations())
	port := ts.UDPAddr().(*net.UDPAddr).Port
	wantURLs := []string{fmt.Sprintf("turn:127.0.0.1:%d?transport=udp", port), fmt.Sprintf("turn:127.0.0.1:%d?transport=tcp", port)}
	if ice.Policy != "relay" || !slices.Equal(ice.ICEURLs, wantURLs) {
		t.Errorf("the page's configuration: policy %q, URLs %q; want relay and %q", ice.Policy, ice.ICEURLs, wantURLs)
	}
	if ice.Local != "relay" || ice.Remote != "host" {
		t.Errorf("selected candidate pair %s -> %s, want the browser's relay -> the server's host", ice.Local, ice.Remote)
	}
	checkRelayedOnly(t, ice)
	if n := ts.Allocations(); n < 1 {
		t.Errorf("%d relays open on the TURN server while streaming", n)
	}
	p.stop()
	stopped := time.Now()
	s.waitActive(t, 0, waitRelease)
	deadline := stopped.Add(3 * relayIdle)
	for ts.Allocations() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := ts.Allocations(); n != 0 {
		t.Errorf("%d relays still open %v after the page stopped", n, 3*relayIdle)
	} else {
		t.Logf("relays closed %v after the page stopped", time.Since(stopped).Round(50*time.Millisecond))
	}
}

// TestBrowserServerTricklesLateCandidates: a Stream whose own candidates
// are relayed through a coturn 300 ms away (each way) and nothing else
// answers before they exist, says more are coming, and the page fetches
// them ("server-candidates") and connects over them: the server's
// relayed candidate is the only one it has.
func TestBrowserServerTricklesLateCandidates(t *testing.T) {
	checkLeaks(t)
	srv := turntest.Start(t, nil)
	far, err := impair.NewRelay(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: srv.Port}, impair.Config{Delay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	serverSide := &rtcstream.RTCConfiguration{
		ICEServers:         []rtcstream.ICEServer{{URLs: []string{"turn:" + far.Addr().String() + "?transport=udp"}, Username: srv.Username, Credential: srv.Password}},
		ICETransportPolicy: "relay",
	}
	cfg := func(ctx context.Context) (*rtcstream.RTCConfiguration, error) {
		if _, page := rtcstream.ConfigRequest(ctx); page {
			return nil, nil // the page: its own addresses
		}
		return serverSide, nil
	}
	browser := newHookedBrowser(t, writePatternClip(t))
	s := startLiveServer(t, invert, rtcstream.Options{RTCConfigurationFunc: cfg})
	p := browser.withTest(t)
	p.open(s.url)
	took := p.start()
	p.waitSplit(selOutput, true)
	ice := evalOn[iceReport](p, iceReportJS)
	late := s.rec.find("/webrtc/offer", "server-candidates")
	t.Logf("Start -> streaming in %v; pair %s -> %s; %d server-candidates requests", took.Round(time.Millisecond), ice.Local, ice.Remote, len(late))
	offers := s.rec.offers()
	if len(offers) != 1 || offers[0].reply["candidates_pending"] != true {
		t.Errorf("the answer did not say candidates were pending: %v", offers)
	}
	if len(late) == 0 {
		t.Error("the page never asked for the server's late candidates")
	}
	if ice.Remote != "relay" {
		t.Errorf("the selected pair's remote candidate is %s, want the server's relayed one", ice.Remote)
	}
	p.stop()
	s.waitActive(t, 0, waitRelease)
}

// --- 2. The waiting line ----------------------------------------------------

const waitingText = "Waiting for a free slot: you are number 1 in line"

// waitInLine clicks Start on p while another session holds the only slot
// and checks that p waits with its place shown.
func waitInLine(t *testing.T, p tab, s *rtcstream.Stream, button string) {
	t.Helper()
	p.click(selButton)
	p.waitText(selStatus, waitState, func(s string) bool { return strings.Contains(s, waitingText) })
	if st := p.state(); st != "connecting" {
		t.Errorf("data-state %q while waiting in line, want connecting", st)
	}
	if got := p.text(selButton); got != button {
		t.Errorf("button %q while waiting in line, want %q", got, button)
	}
	// It stays in line, polling, while the slot is taken.
	time.Sleep(1500 * time.Millisecond)
	if st, status := p.state(), p.text(selStatus); st != "connecting" || !strings.Contains(status, waitingText) {
		t.Errorf("after 1.5 s in line: data-state %q, status %q", st, status)
	}
	if w, a := s.Waiting(), s.ActiveSessions(); w != 1 || a != 1 {
		t.Errorf("server: %d waiting, %d active; want 1 and 1", w, a)
	}
}

// TestBrowserQueueWaitsAndStarts: a Blocks page whose stream has
// StreamEvent.ConcurrencyLimit 1. The first browser streams; the second
// waits in line with its place shown; when the first presses Stop, the
// second starts by itself and shows processed video.
func TestBrowserQueueWaitsAndStarts(t *testing.T) {
	checkLeaks(t)
	video := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{
		Props: ui.Props{Label: "One at a time"}, Options: rtcstream.Options{Network: loopback},
	})
	demo := ui.NewBlocks(&ui.BlocksOptions{Title: "Queue"})
	demo.Add(video)
	if err := video.Stream(invert, rtcstream.StreamEvent{
		Inputs: []ui.Component{video}, Outputs: []ui.Component{video}, ConcurrencyLimit: 1,
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { video.Close() })
	if err := demo.Build(); err != nil {
		t.Fatal(err)
	}
	id, _ := demo.ID(video)
	url, _ := serveRecorded(t, demo)
	s := video.Server()

	clip := writePatternClip(t)
	first := newHookedBrowser(t, clip).component(id)
	second := newHookedBrowser(t, clip).component(id)
	for _, p := range []tab{first, second} {
		p.open(url)
		if got := p.attr("concurrency-limit"); got != "1" {
			t.Fatalf("concurrency-limit=%q, want 1", got)
		}
	}

	first.start()
	first.waitSplit(selOutput, true)
	waitInLine(t, second, s, "Stop") // no ButtonLabels.Waiting: the button stops waiting

	stopped := time.Now()
	first.stop()
	second.waitState("streaming", waitStart)
	t.Logf("the second browser started streaming %v after the first pressed Stop", time.Since(stopped).Round(time.Millisecond))
	if time.Since(stopped) > 10*time.Second {
		t.Errorf("the second browser took %v to start after the slot freed", time.Since(stopped))
	}
	second.waitSplit(selOutput, true)
	if got := second.text(selStatus); strings.Contains(got, "Waiting") {
		t.Errorf("status %q while streaming", got)
	}
	if w, a := s.Waiting(), s.ActiveSessions(); w != 0 || a != 1 {
		t.Errorf("server: %d waiting, %d active; want 0 and 1", w, a)
	}
	second.stop()
	waitSessions(t, s, 0, waitRelease)
}

// TestBrowserQueueSlotFreedWhenBrowserKilled: NewStream with
// ConcurrencyLimit 1. The first browser streams, the second waits in line;
// the first browser's process is killed (SIGKILL: no Stop, no pagehide, no
// DTLS close). The server notices the dead connection and frees the slot,
// and the second browser starts by itself within 10 s of the kill. (With
// the default ReconnectGrace the slot is held 15 s longer, for a browser
// that only lost its network to come back; this test turns it off.)
func TestBrowserQueueSlotFreedWhenBrowserKilled(t *testing.T) {
	checkLeaks(t)
	s := startLiveServer(t, invert, rtcstream.Options{
		ConcurrencyLimit: 1, ButtonLabels: rtcstream.ButtonLabels{Waiting: "In line…"},
		ReconnectGrace: -1,
	})
	clip := writePatternClip(t)
	first := newHookedBrowser(t, clip)
	second := newHookedBrowser(t, clip)
	for _, p := range []tab{first, second} {
		p.open(s.url)
	}

	first.start()
	first.waitSplit(selOutput, true)
	waitInLine(t, second, s.Stream, "In line…")

	proc := chromedp.FromContext(first.ctx).Browser.Process()
	if proc == nil {
		t.Fatal("no process for the first browser")
	}
	if err := proc.Kill(); err != nil {
		t.Fatalf("killing the first browser (pid %d): %v", proc.Pid, err)
	}
	killed := time.Now()
	freed := s.waitActive(t, 0, 20*time.Second)
	t.Logf("the server freed the dead browser's session %v after the kill", freed.Round(time.Millisecond))
	second.waitState("streaming", waitStart)
	took := time.Since(killed)
	t.Logf("the waiting browser started streaming %v after the first browser was killed", took.Round(time.Millisecond))
	// The target is 10 s; beyond 15 s something besides the known ICE
	// timeouts below is wrong.
	if took > 15*time.Second {
		t.Errorf("the waiting browser started %v after the kill, want within 10 s", took)
	}
	second.waitSplit(selOutput, true)
	bugs := &defects{t: t}
	// internal/peer documents failure 2 x 3 s after the last packet: the
	// slot should be free after about 6 s (plus pion's 1 s check interval).
	if took > 10*time.Second || freed > 7500*time.Millisecond {
		bugs.report("the server held the killed browser's slot for %v and the waiting browser started %v after the kill (target 10 s): "+
			"internal/peer/api.go:131 calls SetICETimeouts(disc, 2*disc, time.Second) as if failure came 2 x 3 s after the last packet "+
			"(its comment at api.go:51-54), but pion/ice adds the failed timeout to the disconnected one (agent.go validateSelectedPair: "+
			"totalTimeToFailure = failedTimeout + disconnectedTimeout), so a vanished browser's session ends 9-10 s after its last packet; "+
			"with the page's 1 s queue poll the next in line starts 9.5-11.5 s after. SetICETimeouts(disc, disc, ...) gives the documented 6 s",
			freed.Round(time.Millisecond), took.Round(time.Millisecond))
	}
	if a := s.ActiveSessions(); a != 1 {
		t.Errorf("ActiveSessions = %d, want 1", a)
	}
	second.stop()
	s.waitActive(t, 0, waitRelease)
	bugs.settle()
}

// --- 3. The WebRTC component's parameters -----------------------------------

// generatorFrame is what the receive-mode generator sends: bright top half,
// dark bottom half, unlike anything the camera shows.
func generatorFrame() *image.YCbCr {
	img := media.NewI420(320, 240)
	for y := range 240 {
		v := uint8(220)
		if y >= 120 {
			v = 30
		}
		for x := range 320 {
			img.Y[y*img.YStride+x] = v
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return img
}

// seenFrames records what a handler saw.
type seenFrames struct {
	mu     sync.Mutex
	n      int
	sizes  map[image.Point]int
	normal int // frames with the camera's dark left and bright right half
}

func (f *seenFrames) see(img image.Image) {
	yc := img.(*image.YCbCr)
	b := yc.Bounds()
	left, right := lumaAt(yc, b.Dx()/4, b.Dy()/2), lumaAt(yc, 3*b.Dx()/4, b.Dy()/2)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.sizes == nil {
		f.sizes = map[image.Point]int{}
	}
	f.sizes[b.Size()]++
	if left < 90 && right > 150 {
		f.normal++
	}
}

func (f *seenFrames) snapshot() (n int, sizes map[image.Point]int, normal int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sizes = map[image.Point]int{}
	for k, v := range f.sizes {
		sizes[k] = v
	}
	return f.n, sizes, f.normal
}

// paramsPage is the page of TestBrowserWebRTCParameters, one WebRTC
// component per parameter, and the browser tab showing it.
type paramsPage struct {
	demo *ui.Blocks
	url  string
	rec  *signalRecorder
	tab  tab // of the test; see page and comp for a subtest's

	labeled, hiddenLabel, sized, bare, scaled, minWidth, hidden *rtcstream.WebRTC
	static, interactive, noMirror, rtcConfig, timed             *rtcstream.WebRTC
	receive, send, constrained, labels, later, never            *rtcstream.WebRTC
	besideScaled, besideMin                                     *ui.Textbox

	sendFrames, constrainedFrames seenFrames
}

// openParamsPage serves the parameters page and opens it in a browser.
func openParamsPage(t *testing.T) *paramsPage {
	t.Helper()
	pp := buildParamsPage(t)
	pp.tab = newHookedBrowser(t, writePatternClip(t))
	pp.comp(t, pp.labeled).open(pp.url)
	for _, w := range []*rtcstream.WebRTC{pp.sized, pp.receive, pp.send} {
		pp.comp(t, w).waitState("idle", waitState)
	}
	return pp
}

func buildParamsPage(t *testing.T) *paramsPage {
	t.Helper()
	pp := &paramsPage{}
	demo := ui.NewBlocks(&ui.BlocksOptions{Title: "WebRTC parameters"})
	var all []*rtcstream.WebRTC
	newWebRTC := func(o rtcstream.WebRTCOptions) *rtcstream.WebRTC {
		o.Options.Network = loopback
		w := rtcstream.NewWebRTC(&o)
		all = append(all, w)
		return w
	}
	pp.labeled = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{
		Label: "Webcam stream", ElemID: "bb-main-cam", ElemClasses: []string{"cam", "big-cam"}, Key: "main-cam",
	}})
	pp.hiddenLabel = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Unseen label", HideLabel: true}})
	pp.sized = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Sized", Height: "360", Width: "480"}})
	pp.bare = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Bare", NoContainer: true}})
	pp.scaled = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Scale 2", Scale: 2}})
	pp.besideScaled = &ui.Textbox{Props: ui.Props{Label: "Scale 1", Scale: 1}}
	pp.minWidth = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Min width 700", MinWidth: 700}})
	pp.besideMin = &ui.Textbox{Props: ui.Props{Label: "Scale 3", Scale: 3}}
	pp.hidden = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Hidden", Hidden: true}})
	pp.static = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Static", Interactive: ui.Static}})
	pp.interactive = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Interactive", Interactive: ui.Interactive}})
	pp.noMirror = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Not mirrored"}, Options: rtcstream.Options{NoMirror: true}})
	pp.rtcConfig = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "RTC configuration"},
		Options: rtcstream.Options{RTCConfiguration: &rtcstream.RTCConfiguration{ICETransportPolicy: "all"}}})
	pp.timed = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Two seconds"}, Options: rtcstream.Options{TimeLimit: 2 * time.Second}})
	pp.receive = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Receive"}, Mode: rtcstream.Receive})
	pp.send = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Send"}, Mode: rtcstream.Send})
	pp.constrained = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "320x240"},
		Options: rtcstream.Options{TrackConstraints: &rtcstream.TrackConstraints{Width: 320, Height: 240}}})
	pp.labels = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Go/Halt", Key: "go-halt"},
		Options: rtcstream.Options{ButtonLabels: rtcstream.ButtonLabels{Start: "Go", Stop: "Halt"}}})
	pp.later = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Rendered later", Key: "later-cam", NoRender: true}})
	pp.never = newWebRTC(rtcstream.WebRTCOptions{Props: ui.Props{Label: "Never rendered", Key: "never-cam", NoRender: true}})

	// The layout. NoRender components are added first, where they do not
	// appear; later-cam is placed at the end with Render.
	demo.Add(pp.later, pp.never)
	demo.Add(pp.labeled, pp.hiddenLabel, pp.sized, pp.bare)
	demo.Row(ui.Props{ElemID: "bb-row-scale"}, func(r *ui.Layout) { r.Add(pp.scaled, pp.besideScaled) })
	demo.Row(ui.Props{ElemID: "bb-row-min"}, func(r *ui.Layout) { r.Add(pp.minWidth, pp.besideMin) })
	demo.Add(pp.hidden, pp.static, pp.interactive, pp.noMirror, pp.rtcConfig, pp.timed, pp.receive, pp.send, pp.constrained, pp.labels)
	demo.Column(ui.Props{ElemID: "bb-later-column"}, func(c *ui.Layout) {
		c.Add(&ui.Markdown{Value: "Placed with Render:"})
		c.Render(pp.later)
	})

	frame := func(w *rtcstream.WebRTC) rtcstream.StreamEvent {
		return rtcstream.StreamEvent{Inputs: []ui.Component{w}, Outputs: []ui.Component{w}}
	}
	for _, w := range all {
		var err error
		switch w {
		case pp.receive:
			gen := func(ctx context.Context) iter.Seq[*image.YCbCr] {
				return func(yield func(*image.YCbCr) bool) {
					for yield(generatorFrame()) {
					}
				}
			}
			err = w.Stream(gen, rtcstream.StreamEvent{Outputs: []ui.Component{w}})
		case pp.send:
			err = w.Stream(func(img image.Image) error {
				pp.sendFrames.see(img)
				return nil
			}, rtcstream.StreamEvent{Inputs: []ui.Component{w}})
		case pp.constrained:
			err = w.Stream(func(img image.Image) image.Image {
				pp.constrainedFrames.see(img)
				return invert(img)
			}, frame(w))
		default:
			err = w.Stream(invert, frame(w))
		}
		if err != nil {
			t.Fatalf("Stream: %v", err)
		}
		t.Cleanup(func() { w.Close() })
	}
	if err := demo.Build(); err != nil {
		t.Fatal(err)
	}
	pp.demo = demo
	pp.url, pp.rec = serveRecorded(t, demo)
	return pp
}

// id returns c's id on the page.
func (pp *paramsPage) id(t *testing.T, c ui.Component) string {
	t.Helper()
	id, ok := pp.demo.ID(c)
	if !ok {
		t.Fatalf("%T %q is not on the page", c, c.Common().Label)
	}
	return id
}

// page is the page's tab for subtest t.
func (pp *paramsPage) page(t *testing.T) tab { return pp.tab.withTest(t) }

// comp is the tab driving w's element, for subtest t.
func (pp *paramsPage) comp(t *testing.T, w *rtcstream.WebRTC) tab {
	t.Helper()
	return pp.page(t).component(pp.id(t, w))
}

// box is an element's box on the page and the parts of its style the
// tests read.
type box struct {
	X, Y, W, H                                  float64
	ContentW                                    float64 // W less padding and borders
	Display, Border, Padding, Shadow, Transform string
	Classes                                     []string
	Exists                                      bool
}

// boxJS measures the first element matching a selector.
const boxJS = `((sel) => {
	const e = document.querySelector(sel);
	if (!e) return { Exists: false };
	const r = e.getBoundingClientRect(), s = getComputedStyle(e);
	const px = (v) => parseFloat(v) || 0;
	const cw = r.width - px(s.paddingLeft) - px(s.paddingRight) - px(s.borderLeftWidth) - px(s.borderRightWidth);
	return { Exists: true, X: r.x, Y: r.y, W: r.width, H: r.height, ContentW: cw, Display: s.display,
		Border: s.borderTopWidth + " " + s.borderTopStyle, Padding: s.paddingTop, Shadow: s.boxShadow,
		Transform: s.transform, Classes: [...e.classList] };
})(%q)`

// measure measures the first element of p's page matching sel.
func measure(p tab, sel string) box {
	p.t.Helper()
	return evalOn[box](p, fmt.Sprintf(boxJS, sel))
}

// blockSel is the selector of the block of the component with page id id.
func blockSel(id string) string { return fmt.Sprintf("[data-component=%q]", id) }

func near(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }

// boxed reports whether a box draws a border or a shadow.
func boxed(b box) bool {
	return !strings.HasPrefix(b.Border, "0px") && !strings.HasSuffix(b.Border, "none") || b.Shadow != "none"
}

func atoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}

// parameterCase is one check of TestBrowserWebRTCParameters, named after the
// parameter of gradio_webrtc's WebRTC it checks. A case onPage checks it on
// the parameters page in the browser (paramsPage); the others make the
// streams they check themselves, without a browser, and get no page.
type parameterCase struct {
	name   string
	onPage bool
	check  func(t *testing.T, pp *paramsPage)
}

// TestBrowserWebRTCParameters checks that every parameter of gradio_webrtc's
// WebRTC (the seed's table) has its effect in the page or the stream: on
// one Blocks page with one WebRTC component per parameter, opened once for
// the cases that need it.
func TestBrowserWebRTCParameters(t *testing.T) {
	checkLeaks(t)
	var pp *paramsPage
	for _, c := range parameterCases {
		if c.onPage && pp == nil {
			pp = openParamsPage(t)
		}
		t.Run(c.name, func(t *testing.T) { c.check(t, pp) })
	}
}

// refusedByBuild is the check of a WebRTC with the props of a value
// component (props gets the slider the page also holds): value, every and
// inputs belong to value components; a WebRTC has no value a function could
// set. Build refuses them with an error naming the component and saying
// want.
func refusedByBuild(props func(slider *ui.Slider) ui.Props, want string) func(*testing.T, *paramsPage) {
	return func(t *testing.T, _ *paramsPage) {
		slider := &ui.Slider{Props: ui.Props{Label: "Level"}, Maximum: 1}
		w := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Props: props(slider)})
		if err := w.Stream(invert, rtcstream.StreamEvent{Inputs: []ui.Component{w}, Outputs: []ui.Component{w}}); err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		demo := ui.NewBlocks(&ui.BlocksOptions{})
		demo.Add(w, slider)
		err := demo.Build()
		t.Logf("Build: %v", err)
		if !errors.Is(err, ui.ErrBuild) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"Valued"`) {
			t.Errorf("Build returned %v, want ErrBuild naming the component and saying %q", err, want)
		}
	}
}

var parameterCases = []parameterCase{
	// Checked without a browser.
	{name: "modality_audio_refuses_video_handlers", check: func(t *testing.T, _ *paramsPage) {
		for _, mode := range []rtcstream.Mode{rtcstream.SendReceive, rtcstream.Receive, rtcstream.Send} {
			w := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Modality: rtcstream.Audio, Mode: mode})
			var fn any = invert
			ev := rtcstream.StreamEvent{Inputs: []ui.Component{w}, Outputs: []ui.Component{w}}
			switch mode {
			case rtcstream.Receive:
				fn = func() iter.Seq[image.Image] { return func(func(image.Image) bool) {} }
				ev = rtcstream.StreamEvent{Outputs: []ui.Component{w}}
			case rtcstream.Send:
				fn = func(image.Image) error { return nil }
				ev = rtcstream.StreamEvent{Inputs: []ui.Component{w}}
			}
			// A video handler on an audio stream is refused, naming audio.
			err := w.Stream(fn, ev)
			if !errors.Is(err, rtcstream.ErrBadHandler) || !strings.Contains(err.Error(), "audio") {
				t.Errorf("Audio %v with a video handler: Stream returned %v, want ErrBadHandler naming audio", mode, err)
			}
			if w.Server() != nil {
				t.Errorf("Audio %v: a stream was made despite the error", mode)
			}
		}
	}},
	{name: "modality_audio_takes_audio_handlers", check: func(t *testing.T, _ *paramsPage) {
		a := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Modality: rtcstream.Audio})
		if err := a.Stream(func(f media.AudioFrame) media.AudioFrame { return f }, rtcstream.StreamEvent{
			Inputs: []ui.Component{a}, Outputs: []ui.Component{a},
		}); err != nil {
			t.Errorf("Audio with an echo handler: %v", err)
		} else {
			a.Close()
		}
	}},
	{name: "modality_default_video_send_receive", check: func(t *testing.T, _ *paramsPage) {
		w := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{})
		if err := w.Stream(invert, rtcstream.StreamEvent{Inputs: []ui.Component{w}, Outputs: []ui.Component{w}}); err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if m := w.Server().Modality(); m != rtcstream.Video {
			t.Errorf("default modality %v, want video", m)
		}
		if m := w.Server().Mode(); m != rtcstream.SendReceive {
			t.Errorf("default mode %v, want send-receive", m)
		}
	}},
	{name: "value", check: refusedByBuild(func(*ui.Slider) ui.Props {
		return ui.Props{Label: "Valued", ValueFunc: func() string { return "x.mp4" }}
	}, "not a ui.Output")},
	{name: "value_every_inputs", check: refusedByBuild(func(slider *ui.Slider) ui.Props {
		return ui.Props{Label: "Valued", ValueFunc: func(float64) string { return "" }, Every: time.Second, Inputs: []ui.Component{slider}}
	}, "not a ui.Output")},
	{name: "every_alone", check: refusedByBuild(func(*ui.Slider) ui.Props {
		return ui.Props{Label: "Valued", Every: time.Second}
	}, "Every is set but ValueFunc is not")},
	{name: "inputs_alone", check: refusedByBuild(func(slider *ui.Slider) ui.Props {
		return ui.Props{Label: "Valued", Inputs: []ui.Component{slider}}
	}, "Inputs is set but ValueFunc is not")},

	// Checked on the page: how it looks.
	{name: "label", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		pg, id := pp.page(t), pp.id(t, pp.labeled)
		label := measure(pg, blockSel(id)+" > .block-label")
		text := evalOn[string](pg, fmt.Sprintf(`document.querySelector(%q).textContent`, blockSel(id)+" > .block-label"))
		if !label.Exists || text != "Webcam stream" || label.W < 20 || label.H < 10 || slices.Contains(label.Classes, "sr-only") {
			t.Errorf("label %q %+v, want \"Webcam stream\" shown", text, label)
		}
		// Above the stream, and shown once (the element's own label stays
		// hidden).
		el := measure(pg, blockSel(id)+" rtc-stream")
		if label.Y+label.H > el.Y+1 {
			t.Errorf("label at y %.0f-%.0f is not above the stream at y %.0f", label.Y, label.Y+label.H, el.Y)
		}
		if n := evalOn[int](pg, fmt.Sprintf(`[...document.querySelectorAll(%q)].filter((e) => e.offsetParent && e.textContent === "Webcam stream").length`,
			blockSel(id)+" *")); n != 1 {
			t.Errorf("the label is shown %d times, want once", n)
		}
	}},
	{name: "show_label", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		pg := pp.page(t)
		sel := blockSel(pp.id(t, pp.hiddenLabel)) + " > .block-label"
		label := measure(pg, sel)
		text := evalOn[string](pg, fmt.Sprintf(`document.querySelector(%q).textContent`, sel))
		// Kept for screen readers, not shown: visually hidden.
		if !label.Exists || text != "Unseen label" || !slices.Contains(label.Classes, "sr-only") || label.W > 1 || label.H > 1 {
			t.Errorf("hidden label %q %+v, want it in the DOM, visually hidden (sr-only, 1x1)", text, label)
		}
	}},
	{name: "height_width", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		pg, p := pp.page(t), pp.comp(t, pp.sized)
		block := measure(pg, blockSel(pp.id(t, pp.sized)))
		videos := measure(pg, p.sel(".videos"))
		preview := measure(pg, p.sel(selPreview))
		output := measure(pg, p.sel(selOutput))
		controls := measure(pg, p.sel(".controls"))
		t.Logf("Height 360, Width 480: block %.0fx%.0f, videos %.0fx%.0f, preview %.0fx%.0f at y %.0f, output %.0fx%.0f at y %.0f, controls bottom %.0f (block bottom %.0f)",
			block.W, block.H, videos.W, videos.H, preview.W, preview.H, preview.Y, output.W, output.H, output.Y, controls.Y+controls.H, block.Y+block.H)
		// Height and width size the displayed video (gradio: they "will
		// affect the displayed video"): each video is 360 high within a
		// 480 wide area, and the component grows around it.
		if !near(preview.H, 360, 1) || !near(output.H, 360, 1) || videos.W > 481 {
			t.Errorf("videos %.0f wide, preview %.0f and output %.0f high; want a 480 wide area of 360 high videos", videos.W, preview.H, output.H)
		}
		if controls.Y+controls.H > block.Y+block.H+1 {
			t.Errorf("the controls end at %.0f, below the component's bottom %.0f", controls.Y+controls.H, block.Y+block.H)
		}
		// Its videos honour the size: no wider than the component, and the
		// component's contents stay inside it.
		if videos.W > 480 || preview.W > 480 || output.W > 480 {
			t.Errorf("videos %.0f wide in a 480 wide component", videos.W)
		}
		bugs := &defects{t: t}
		if bottom := controls.Y + controls.H; bottom > block.Y+block.H+1 {
			bugs.report("ui.Props.Height %q on a WebRTC: the block is %.0f px tall but its contents end at %.0f px (%.0f px below it): "+
				"WebRTC.Render (webrtc.go) passes Props.Height to the element as height=, which rtc-stream.js/.css apply to each <video> "+
				"(--rtc-stream-height), so two %.0f px videos plus label and controls overflow the %.0f px block",
				"360", block.H, bottom-block.Y, bottom-(block.Y+block.H), preview.H, block.H)
		}
		bugs.settle()
	}},
	{name: "container", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		if b := measure(pp.page(t), blockSel(pp.id(t, pp.labeled))); !boxed(b) {
			t.Errorf("a default WebRTC has no box: %+v", b)
		}
	}},
	{name: "container_off", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		pg := pp.page(t)
		block := measure(pg, blockSel(pp.id(t, pp.bare)))
		inner := measure(pg, pp.comp(t, pp.bare).sel(".rtc-stream"))
		t.Logf("NoContainer: block border %q padding %q shadow %q; inner .rtc-stream border %q padding %q shadow %q",
			block.Border, block.Padding, block.Shadow, inner.Border, inner.Padding, inner.Shadow)
		if !slices.Contains(block.Classes, "no-container") || boxed(block) || block.Padding != "0px" {
			t.Errorf("NoContainer: the block still has a box: %+v", block)
		}
		bugs := &defects{t: t}
		if boxed(inner) || inner.Padding != "0px" {
			bugs.report("ui.Props.NoContainer on a WebRTC still draws a box: the block loses its box, but the element's own .rtc-stream "+
				"then shows one (border %q, padding %q, shadow %q): blocks.css removes it only under .block:not(.no-container)",
				inner.Border, inner.Padding, inner.Shadow)
		}
		bugs.settle()
	}},
	{name: "scale", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		pg := pp.page(t)
		a := measure(pg, blockSel(pp.id(t, pp.scaled)))
		b := measure(pg, blockSel(pp.id(t, pp.besideScaled)))
		t.Logf("Scale 2 beside Scale 1: %.0f and %.0f px wide, %.0f and %.0f inside their padding", a.W, b.W, a.ContentW, b.ContentW)
		// The free space is shared 2:1 (flex-grow); each box's padding
		// comes on top, as in Gradio.
		if !near(a.Y, b.Y, 1) || !near(a.ContentW/b.ContentW, 2, 0.03) || !near(a.W/b.W, 2, 0.1) {
			t.Errorf("Scale 2 and 1 in a Row: widths %.0f and %.0f (%.0f and %.0f inside, ratio %.2f) at y %.0f and %.0f, want 2:1 side by side",
				a.W, b.W, a.ContentW, b.ContentW, a.ContentW/b.ContentW, a.Y, b.Y)
		}
	}},
	{name: "min_width", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		pg := pp.page(t)
		a := measure(pg, blockSel(pp.id(t, pp.minWidth)))
		b := measure(pg, blockSel(pp.id(t, pp.besideMin)))
		row := measure(pg, "#bb-row-min")
		t.Logf("MinWidth 700 (scale 1) beside Scale 3 in a %.0f px row: %.0f and %.0f px wide", row.W, a.W, b.W)
		// Scale alone would give it about a quarter of the row (~300 px);
		// its minimum wins, and the other takes the rest.
		gap := b.X - (a.X + a.W)
		if !near(a.W, 700, 1) || !near(a.Y, b.Y, 1) || !near(a.W+gap+b.W, row.W, 1) {
			t.Errorf("MinWidth 700: %.0f px wide at y %.0f beside %.0f px at y %.0f in a %.0f px row, want 700 side by side",
				a.W, a.Y, b.W, b.Y, row.W)
		}
	}},
	{name: "visible", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		pg, id := pp.page(t), pp.id(t, pp.hidden)
		b := measure(pg, blockSel(id))
		el := measure(pg, blockSel(id)+" rtc-stream")
		if !b.Exists || b.Display != "none" || el.W != 0 || el.H != 0 {
			t.Errorf("Hidden: block %+v, element %+v; want it on the page but not displayed", b, el)
		}
		// Shown components are displayed.
		if v := measure(pg, blockSel(pp.id(t, pp.labeled))); v.Display == "none" || v.H == 0 {
			t.Errorf("a visible WebRTC is not displayed: %+v", v)
		}
	}},
	{name: "elem_id", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		got := evalOn[string](pp.page(t), `(() => { const e = document.getElementById("bb-main-cam");
			return e ? e.dataset.component + " " + e.dataset.kind + " " + !!e.querySelector(":scope > rtc-stream") : "none"; })()`)
		if want := pp.id(t, pp.labeled) + " webrtc true"; got != want {
			t.Errorf("#bb-main-cam is %q, want the component's root (%q)", got, want)
		}
	}},
	{name: "elem_classes", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		pg := pp.page(t)
		b := measure(pg, "#bb-main-cam")
		if !slices.Contains(b.Classes, "cam") || !slices.Contains(b.Classes, "big-cam") || !slices.Contains(b.Classes, "block") {
			t.Errorf("classes %q, want cam and big-cam added to the block's", b.Classes)
		}
		if n := evalOn[int](pg, `document.querySelectorAll(".cam.big-cam").length`); n != 1 {
			t.Errorf("%d elements have the classes, want 1", n)
		}
	}},
	{name: "key_names_the_component", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		if id := pp.id(t, pp.labeled); id != "main-cam" {
			t.Errorf("Blocks.ID of the keyed component %q, want main-cam", id)
		}
		if got := evalOn[string](pp.page(t), `document.getElementById("bb-main-cam").dataset.component`); got != "main-cam" {
			t.Errorf("data-component %q, want the key main-cam", got)
		}
	}},
	{name: "key_names_the_routes", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		// A keyed stream that is not the page's first has its routes under
		// its key.
		p := pp.comp(t, pp.labels)
		if src := p.attr("src"); src != "webrtc/go-halt" {
			t.Errorf("src %q of the component keyed go-halt, want webrtc/go-halt", src)
		}
		if prefix, _ := pp.demo.MountPrefix(pp.labels); prefix != "/webrtc/go-halt" {
			t.Errorf("mount prefix %q, want /webrtc/go-halt", prefix)
		}
	}},
	{name: "render_never_placed", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		// never-cam: NoRender and never placed: not on the page, though it
		// has an id and its routes.
		if n := evalOn[int](pp.page(t), `document.querySelectorAll('[data-component="never-cam"]').length`); n != 0 {
			t.Errorf("a NoRender component that was never placed is on the page %d times", n)
		}
		if id, ok := pp.demo.ID(pp.never); !ok || id != "never-cam" {
			t.Errorf("Blocks.ID of the unplaced component: %q %v", id, ok)
		}
	}},
	{name: "render_placed_later", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		// later-cam: NoRender where it was added (first), placed with
		// Render at the end, inside a column after a Markdown.
		pg := pp.page(t)
		got := evalOn[[]string](pg, `(() => {
			const all = [...document.querySelectorAll('[data-kind="webrtc"]')].map((e) => e.dataset.component);
			const e = document.querySelector('[data-component="later-cam"]');
			const col = e?.parentElement;
			return [String(all.indexOf("later-cam")), String(all.length), col?.id ?? "",
				e?.previousElementSibling?.dataset.kind ?? "", e?.querySelector("rtc-stream")?.getAttribute("src") ?? ""];
		})()`)
		if got[0] != fmt.Sprint(atoi(got[1])-1) || got[2] != "bb-later-column" || got[3] != "markdown" {
			t.Errorf("later-cam at index %s of %s streams, in #%s after a %s; want last, in #bb-later-column after the markdown",
				got[0], got[1], got[2], got[3])
		}
		// Its routes work where the page points.
		cfg := evalOn[int](pg, fmt.Sprintf(`fetch(%q + "/config").then((r) => r.status)`, got[4]))
		if got[4] == "" || cfg != http.StatusOK {
			t.Errorf("later-cam's src %q: GET config answered %d", got[4], cfg)
		}
	}},
	{name: "interactive", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		pg := pp.page(t)
		static := measure(pg, blockSel(pp.id(t, pp.static)))
		inter := measure(pg, blockSel(pp.id(t, pp.interactive)))
		t.Logf("classes: Static %q, Interactive %q", static.Classes, inter.Classes)
		if !slices.Contains(static.Classes, "static") || slices.Contains(inter.Classes, "static") {
			t.Errorf("Interactive: Static has classes %q, Interactive %q; want static only on the first", static.Classes, inter.Classes)
		}
	}},
	{name: "interactive_inferred", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		bugs := &defects{t: t}
		auto := measure(pp.page(t), blockSel(pp.id(t, pp.labeled)))
		t.Logf("classes: default %q", auto.Classes)
		// gradio: interactive=False "can only be used to display videos";
		// inferred, a stream that takes the webcam is an input.
		if slices.Contains(auto.Classes, "static") {
			bugs.report("a send-receive WebRTC with the default InteractiveAuto is rendered static (class %q): ui's inference "+
				"(ui/build.go resolveInteractivity) counts only ui.Input components, and the WebRTC, which takes the webcam, is not one",
				auto.Classes)
		}
		bugs.settle()
	}},
	{name: "interactive_static_displays_only", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		bugs := &defects{t: t}
		p := pp.comp(t, pp.static)
		camera := evalOn[[]bool](p, p.js(`[!el.querySelector(".pane-input").hidden, !el.querySelector("button.start-stop").disabled,
			!el.querySelector("button.enable-camera").hidden]`))
		if camera[0] || camera[1] || camera[2] {
			bugs.report("Props.Interactive = ui.Static on a send-receive WebRTC has no effect but the class: the webcam pane shown %v, "+
				"Start enabled %v, Enable camera shown %v; WebRTC.Render (webrtc.go) never passes it to <rtc-stream>, which has no "+
				"display-only state", camera[0], camera[1], camera[2])
		}
		bugs.settle()
	}},

	// Checked on the page: how it streams.
	{name: "mirror_webcam", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		for _, tc := range []struct {
			w      *rtcstream.WebRTC
			mirror bool
		}{{pp.labeled, true}, {pp.noMirror, false}} {
			p := pp.comp(t, tc.w)
			if got, want := p.hasAttr("mirror-webcam"), !tc.mirror; got != want {
				t.Errorf("%s: mirror-webcam attribute present %v, want %v", p.root, got, want)
			}
			p.click("button.enable-camera")
			if _, _, err := browsertest.WaitVideo(p.ctx, p.sel(selPreview), waitState); err != nil {
				t.Fatal(err)
			}
			tr := measure(p, p.sel(selPreview)).Transform
			if mirrored := strings.HasPrefix(tr, "matrix(-1, 0, 0, 1"); mirrored != tc.mirror {
				t.Errorf("%s: preview transform %q, want mirrored %v", p.root, tr, tc.mirror)
			}
			// The preview's pixels are the camera's either way; CSS mirrors.
			p.waitSplit(selPreview, false)
			evalOn[bool](p, p.js(`(el.stop(), true)`))
			p.waitState("idle", waitState)
		}
	}},
	{name: "rtc_configuration", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		id := pp.id(t, pp.rtcConfig)
		p := pp.comp(t, pp.rtcConfig)
		if got := p.attr("rtc-config"); got != "fetch" {
			t.Fatalf(`rtc-config=%q, want "fetch"`, got)
		}
		if other := pp.comp(t, pp.labeled); other.hasAttr("rtc-config") {
			t.Errorf("a component without RTCConfiguration has rtc-config=%q", other.attr("rtc-config"))
		}
		path := "GET /webrtc/" + id + "/config"
		before := pp.rec.count(path)
		p.start()
		if n := pp.rec.count(path) - before; n != 1 {
			t.Errorf("%d requests %s on Start, want 1", n, path)
		}
		if pol := evalOn[string](p, `window.__hooks.pcs.at(-1).getConfiguration().iceTransportPolicy`); pol != "all" {
			t.Errorf("the connection's iceTransportPolicy %q, want the configured all", pol)
		}
		p.waitSplit(selOutput, true)
		p.stop()
		waitSessions(t, pp.rtcConfig.Server(), 0, waitRelease)
	}},
	{name: "time_limit", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		p := pp.comp(t, pp.timed)
		if got := p.attr("time-limit"); got != "2" {
			t.Errorf("time-limit=%q, want 2", got)
		}
		p.start()
		began := time.Now()
		cd := p.waitText(".countdown", waitState, func(s string) bool { return strings.HasPrefix(s, "Time left: 0:0") })
		if vis := evalOn[bool](p, p.js(`!el.querySelector(".countdown").hidden`)); !vis || (cd != "Time left: 0:02" && cd != "Time left: 0:01") {
			t.Errorf("countdown %q shown %v, want 0:02 or 0:01", cd, vis)
		}
		p.waitState("idle", 10*time.Second)
		ended := time.Since(began)
		t.Logf("the 2 s session ended %v after streaming began", ended.Round(time.Millisecond))
		if ended > 5*time.Second {
			t.Errorf("a 2 s time limit ended the session after %v", ended)
		}
		if got := p.text(selStatus); got != "Session ended: time limit reached" {
			t.Errorf("status %q after the limit", got)
		}
		if vis := evalOn[bool](p, p.js(`!el.querySelector(".countdown").hidden`)); vis {
			t.Error("the countdown is still shown after the session ended")
		}
		waitSessions(t, pp.timed.Server(), 0, waitRelease)
	}},
	{name: "mode_receive", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		p := pp.comp(t, pp.receive)
		if got := p.attr("mode"); got != "receive" {
			t.Errorf("mode=%q, want receive", got)
		}
		panes := evalOn[[]bool](p, p.js(`[el.querySelector(".pane-input").hidden, el.querySelector(".pane-output").hidden,
			el.querySelector("select.camera-select").hidden]`))
		if !panes[0] || panes[1] || !panes[2] {
			t.Errorf("receive mode: camera pane hidden %v, output pane hidden %v, camera select hidden %v; want only the output",
				panes[0], panes[1], panes[2])
		}
		gum := evalOn[int](p, `window.__hooks.gum`)
		p.start()
		// The generator's frames: bright top, dark bottom, 320x240.
		var last [][3]int
		if err := browsertest.Poll(p.ctx, waitPixels, func(ctx context.Context) (bool, error) {
			px, err := p.withContext(ctx).pixels(selOutput, [][2]float64{{0.5, 0.25}, {0.5, 0.75}})
			last = px
			return err == nil && brightness(px[0]) > 180 && brightness(px[1]) < 70, err
		}); err != nil {
			t.Fatalf("output top/bottom %v %v, want the generator's bright top and dark bottom: %v", pixelAt(last, 0), pixelAt(last, 1), err)
		}
		if w, h, _ := browsertest.WaitVideo(p.ctx, p.sel(selOutput), waitState); w != 320 || h != 240 {
			t.Errorf("output %dx%d, want the generator's 320x240", w, h)
		}
		if n := evalOn[int](p, `window.__hooks.gum`) - gum; n != 0 {
			t.Errorf("receive mode asked for the camera %d times", n)
		}
		if has := evalOn[bool](p, p.js(`el.querySelector("video.preview").srcObject !== null`)); has {
			t.Error("receive mode shows a camera preview")
		}
		p.stop()
		waitSessions(t, pp.receive.Server(), 0, waitRelease)
	}},
	{name: "mode_send", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		p := pp.comp(t, pp.send)
		if got := p.attr("mode"); got != "send" {
			t.Errorf("mode=%q, want send", got)
		}
		p.start()
		panes := evalOn[[]bool](p, p.js(`[el.querySelector(".pane-input").hidden, el.querySelector(".pane-output").hidden]`))
		if panes[0] || !panes[1] {
			t.Errorf("send mode: camera pane hidden %v, output pane hidden %v; want the camera only", panes[0], panes[1])
		}
		p.waitSplit(selPreview, false)
		deadline := time.Now().Add(waitPixels)
		for {
			n, _, _ := pp.sendFrames.snapshot()
			if n >= 30 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the send-mode handler saw %d frames in %v, want 30", n, waitPixels)
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.stop()
		waitSessions(t, pp.send.Server(), 0, waitRelease)
		// The handler got the camera unmirrored (the preview is mirrored
		// only on the page).
		n, sizes, normal := pp.sendFrames.snapshot()
		t.Logf("send-mode handler: %d frames, sizes %v, %d with the camera's dark left half", n, sizes, normal)
		if normal < n*9/10 {
			t.Errorf("only %d of %d frames the handler saw have the camera's dark left and bright right half", normal, n)
		}
		if sizes[image.Pt(camW, camH)] == 0 {
			t.Errorf("handler frame sizes %v, want the camera's %dx%d", sizes, camW, camH)
		}
	}},
	{name: "track_constraints", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		p := pp.comp(t, pp.constrained)
		var tc map[string]map[string]int
		if err := json.Unmarshal([]byte(p.attr("track-constraints")), &tc); err != nil || tc["width"]["ideal"] != 320 || tc["height"]["ideal"] != 240 {
			t.Errorf("track-constraints=%q (%v), want ideal 320x240", p.attr("track-constraints"), err)
		}
		p.start()
		if w, h, err := browsertest.WaitVideo(p.ctx, p.sel(selPreview), waitState); err != nil || w != 320 || h != 240 {
			t.Errorf("preview %dx%d (%v), want the constrained 320x240", w, h, err)
		}
		deadline := time.Now().Add(waitPixels)
		for {
			if n, _, _ := pp.constrainedFrames.snapshot(); n >= 20 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the handler saw too few frames in %v", waitPixels)
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.waitSplit(selOutput, true)
		p.stop()
		waitSessions(t, pp.constrained.Server(), 0, waitRelease)
		n, sizes, _ := pp.constrainedFrames.snapshot()
		t.Logf("handler frame sizes %v", sizes)
		if sizes[image.Pt(320, 240)] != n {
			t.Errorf("the handler saw frames of sizes %v, want all %d 320x240", sizes, n)
		}
	}},
	{name: "button_labels", onPage: true, check: func(t *testing.T, pp *paramsPage) {
		p := pp.comp(t, pp.labels).labelled("Go", "Halt")
		if got := p.text(selButton); got != "Go" {
			t.Errorf("button %q before Start, want Go", got)
		}
		p.start()
		if got := p.text(selButton); got != "Halt" {
			t.Errorf("button %q while streaming, want Halt", got)
		}
		p.waitSplit(selOutput, true)
		p.stop()
		if got := p.text(selButton); got != "Go" {
			t.Errorf("button %q after Stop, want Go", got)
		}
		waitSessions(t, pp.labels.Server(), 0, waitRelease)
		// Other components keep the defaults.
		if got := pp.comp(t, pp.labeled).text(selButton); got != "Start" {
			t.Errorf("a component without ButtonLabels shows %q, want Start", got)
		}
	}},
}
