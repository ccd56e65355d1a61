package rtcstream_test

// End-to-end tests in a real Chromium (internal/browsertest) of three things a
// gradio_webrtc user relies on:
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
// and any mirroring show in two pixels.
//
// Everything runs on 127.0.0.1 inside the loopback-only network namespace of
// TestMain. Identifiers here start with "bb" to stay clear of the package's
// other test files.
//
// Defects are reported with bbBugs: the subtest logs each with its evidence
// and fails at its end.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"iter"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/turntest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/turn"
	"github.com/rtcstream/rtcstream/ui"
)

const (
	// The fake camera's clip: pattern() frames.
	bbCamW, bbCamH, bbCamFPS = 640, 480, 30

	// bbLife is the hard limit on each browser (browsertest.Options.Timeout).
	bbLife = 180 * time.Second

	// Waits, generous for -race on a 2-core machine; a browser round trip
	// takes about 2 s on an idle one.
	bbWaitStart  = 30 * time.Second
	bbWaitState  = 15 * time.Second
	bbWaitPixels = 15 * time.Second
	bbWaitFree   = 10 * time.Second
)

// --- browser and page -------------------------------------------------------

// bbInitScript runs in every document before the page's own scripts. The
// element keeps its RTCPeerConnection private, so the tests keep a reference
// to every one the page makes (for getStats and getConfiguration) and count
// getUserMedia calls. Neither changes what the page does.
const bbInitScript = `(() => {
	window.__bb = { pcs: [], gum: 0 };
	const PC = window.RTCPeerConnection;
	if (PC) {
		window.RTCPeerConnection = class extends PC {
			constructor(...args) { super(...args); window.__bb.pcs.push(this); }
		};
	}
	const md = navigator.mediaDevices;
	if (md && md.getUserMedia) {
		const gum = md.getUserMedia.bind(md);
		md.getUserMedia = (...args) => { window.__bb.gum++; return gum(...args); };
	}
})()`

// bbWriteClip writes the fake camera's clip and returns its path.
func bbWriteClip(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pattern.y4m")
	if err := browsertest.WriteY4M(path, bbCamW, bbCamH, bbCamFPS, bbCamFPS, func(i int) *image.YCbCr {
		return pattern(bbCamW, bbCamH, i)
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// bbBrowser starts a Chromium whose camera plays clip, with bbInitScript
// installed in its tab.
func bbBrowser(t *testing.T, clip string) context.Context {
	t.Helper()
	ctx := browsertest.New(t, browsertest.Options{FakeVideo: clip, Timeout: bbLife})
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: bbInitScript})
		return err
	})); err != nil {
		t.Fatalf("installing the page hooks: %v", err)
	}
	return ctx
}

// bbNavigate loads url; for a Blocks page it waits for the runtime.
func bbNavigate(t *testing.T, ctx context.Context, url string, blocks bool) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigating to %s: %v", url, err)
	}
	if blocks {
		if err := browsertest.WaitAttr(ctx, "html", "data-blocks", "ready", bbWaitState); err != nil {
			t.Fatal(err)
		}
	}
}

func bbEval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := browsertest.Eval[T](ctx, js)
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// bbPage is one <rtc-stream> element in a tab.
type bbPage struct {
	t    *testing.T
	ctx  context.Context
	root string // CSS selector of the element
}

// bbStreamPage returns the element of a NewStream page.
func bbStreamPage(t *testing.T, ctx context.Context) bbPage {
	return bbPage{t, ctx, "rtc-stream"}
}

// bbComponent returns the element of the WebRTC component with page id id.
func bbComponent(t *testing.T, ctx context.Context, id string) bbPage {
	return bbPage{t, ctx, fmt.Sprintf("[data-component=%q] rtc-stream", id)}
}

func (p bbPage) sel(part string) string {
	if part == "" {
		return p.root
	}
	return p.root + " " + part
}

// js evaluates expr with `el` bound to the element.
func (p bbPage) js(expr string) string {
	return fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) throw new Error("no element %s"); return %s; })()`,
		p.root, strings.ReplaceAll(p.root, `"`, `'`), expr)
}

func (p bbPage) state() string {
	p.t.Helper()
	return bbEval[string](p.t, p.ctx, p.js(`el.dataset.state`))
}

func (p bbPage) text(part string) string {
	p.t.Helper()
	return bbEval[string](p.t, p.ctx, p.js(fmt.Sprintf(`el.querySelector(%q)?.textContent ?? ""`, part)))
}

func (p bbPage) attr(name string) string {
	p.t.Helper()
	return bbEval[string](p.t, p.ctx, p.js(fmt.Sprintf(`el.getAttribute(%q) ?? ""`, name)))
}

func (p bbPage) hasAttr(name string) bool {
	p.t.Helper()
	return bbEval[bool](p.t, p.ctx, p.js(fmt.Sprintf(`el.hasAttribute(%q)`, name)))
}

func (p bbPage) click(part string) {
	p.t.Helper()
	if err := browsertest.Click(p.ctx, p.sel(part)); err != nil {
		p.t.Fatal(err)
	}
}

func (p bbPage) waitState(state string, d time.Duration) {
	p.t.Helper()
	if err := browsertest.WaitAttr(p.ctx, p.root, "data-state", state, d); err != nil {
		p.t.Fatalf("%v (status %q, error box %q)", err, p.text(".status"), p.text(".error"))
	}
}

// waitText waits until the text of part satisfies ok.
func (p bbPage) waitText(part string, d time.Duration, ok func(string) bool) string {
	p.t.Helper()
	s, err := browsertest.WaitText(p.ctx, p.sel(part), d, ok)
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// start clicks the button and waits for streaming; it returns how long that
// took.
func (p bbPage) start() time.Duration {
	p.t.Helper()
	if s := p.state(); s != "idle" {
		p.t.Fatalf("state %q before Start, want idle", s)
	}
	begin := time.Now()
	p.click("button.start-stop")
	p.waitState("streaming", bbWaitStart)
	return time.Since(begin)
}

// stop clicks the button and waits for idle.
func (p bbPage) stop() {
	p.t.Helper()
	p.click("button.start-stop")
	p.waitState("idle", bbWaitState)
}

// pixels reads the RGB of the current frame of video at the given points.
func (p bbPage) pixels(video string, points [][2]float64) ([][3]int, error) {
	w, h, err := browsertest.WaitVideo(p.ctx, p.sel(video), bbWaitState)
	if err != nil {
		return nil, err
	}
	out := make([][3]int, len(points))
	for i, pt := range points {
		r, g, b, err := browsertest.VideoPixel(p.ctx, p.sel(video), int(pt[0]*float64(w)), int(pt[1]*float64(h)))
		if err != nil {
			return nil, err
		}
		out[i] = [3]int{r, g, b}
	}
	return out, nil
}

// bbLevel is the brightness of an RGB pixel of grey video.
func bbLevel(c [3]int) int { return (c[0] + c[1] + c[2]) / 3 }

// waitSplit waits until video shows a bright left half and a dark right half
// (brightLeft) or the opposite, sampled at a quarter and three quarters of
// its width; the moving bar of pattern() can cover a point for a frame, so
// it polls.
func (p bbPage) waitSplit(video string, brightLeft bool) {
	p.t.Helper()
	var last [][3]int
	err := browsertest.Poll(p.ctx, bbWaitPixels, func(ctx context.Context) (bool, error) {
		px, err := bbPage{p.t, ctx, p.root}.pixels(video, [][2]float64{{0.25, 0.5}, {0.75, 0.5}})
		if err != nil {
			return false, err
		}
		last = px
		left, right := bbLevel(px[0]), bbLevel(px[1])
		if brightLeft {
			return left >= 170 && right <= 100, nil
		}
		return left <= 100 && right >= 170, nil
	})
	if err != nil {
		want := "bright left, dark right (inverted)"
		if !brightLeft {
			want = "dark left, bright right (as the camera)"
		}
		p.t.Fatalf("%s: want %s; last pixels left %v right %v: %v", p.sel(video), want, bbAt(last, 0), bbAt(last, 1), err)
	}
}

func bbAt(px [][3]int, i int) any {
	if i < len(px) {
		return px[i]
	}
	return "none"
}

// --- servers ----------------------------------------------------------------

// bbRecorder passes requests to the real handler and remembers their method
// and path.
type bbRecorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []string
}

func (r *bbRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	r.next.ServeHTTP(w, req)
}

// count returns how many requests were "method path".
func (r *bbRecorder) count(request string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if q == request {
			n++
		}
	}
	return n
}

// bbServe serves h on 127.0.0.1 through a recorder.
func bbServe(t *testing.T, h http.Handler) (string, *bbRecorder) {
	t.Helper()
	rec := &bbRecorder{next: h}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv.URL, rec
}

// bbNewStream serves a NewStream page for handler with opts on loopback.
func bbNewStream(t *testing.T, mode rtcstream.Mode, handler any, opts rtcstream.Options) (*rtcstream.Stream, string, *bbRecorder) {
	t.Helper()
	opts.Network = loopback
	s, err := rtcstream.NewStream(rtcstream.Video, mode, handler, &opts)
	if err != nil {
		t.Fatal(err)
	}
	url, rec := bbServe(t, s)
	t.Cleanup(func() { s.Close() })
	return s, url, rec
}

// bbWaitSessions waits until s holds n sessions and returns how long it
// took.
func bbWaitSessions(t *testing.T, s *rtcstream.Stream, n int, d time.Duration) time.Duration {
	t.Helper()
	begin := time.Now()
	for s.ActiveSessions() != n {
		if time.Since(begin) > d {
			t.Fatalf("ActiveSessions = %d after %v, want %d", s.ActiveSessions(), d, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(begin)
}

// bbBugs collects defects outside this file that a subtest found.
type bbBugs struct {
	t     *testing.T
	found []string
}

// report logs a defect; the subtest goes on.
func (b *bbBugs) report(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	b.t.Logf("DEFECT: %s", msg)
	b.found = append(b.found, msg)
}

// settle ends the subtest: the defects reported are failures (they were
// fixed; a skip would hide their return). Call it last.
func (b *bbBugs) settle() {
	b.t.Helper()
	if len(b.found) > 0 {
		b.t.Errorf("defects:\n%s", strings.Join(b.found, "\n"))
	}
}

// --- 1. TURN ----------------------------------------------------------------

// bbICE is what the page's connected RTCPeerConnection reports: its
// configuration and its selected candidate pair.
type bbICE struct {
	Local, Remote   string   // candidate types of the selected pair
	LocalAddress    string   // ip:port of the local candidate
	RemoteAddress   string   // ip:port of the remote candidate
	RelayProtocol   string   // of the local candidate
	URL             string   // the ICE server the local candidate came from
	LocalTypes      []string // types of every local candidate gathered
	BytesSent       float64
	BytesReceived   float64
	Policy          string   // iceTransportPolicy
	ICEURLs         []string // iceServers' urls
	Username        string   // the first ICE server's username
	PeerConnections int      // connected peer connections in the page
}

const bbICEJS = `(async () => {
	const pcs = window.__bb.pcs.filter((pc) => pc.connectionState === "connected");
	if (pcs.length === 0) throw new Error("no connected RTCPeerConnection");
	const pc = pcs[pcs.length - 1];
	const stats = await pc.getStats();
	let pair = null;
	const localTypes = [];
	stats.forEach((r) => {
		if (r.type === "transport" && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
		if (r.type === "local-candidate") localTypes.push(r.candidateType);
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
	};
})()`

// bbCheckRelayed checks that the page's connection goes through srv: a
// relay-only configuration naming it, and a selected pair of relayed
// candidates on its relay address.
func bbCheckRelayed(t *testing.T, p bbPage, srv *turntest.Server) bbICE {
	t.Helper()
	// Let video flow both ways for a while first.
	if n, err := browsertest.PresentedFrames(p.ctx, p.sel("video.output"), 1500*time.Millisecond); err != nil || n < 15 {
		t.Errorf("the output presented %d frames in 1.5 s (%v), want it playing", n, err)
	}
	ice := bbEval[bbICE](t, p.ctx, bbICEJS)
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
	for _, typ := range ice.LocalTypes {
		if typ != "relay" {
			t.Errorf("the page gathered a %s candidate under the relay policy (all: %q)", typ, ice.LocalTypes)
			break
		}
	}
	// pattern() compresses to a few hundred bytes a frame.
	if ice.BytesSent < 5_000 || ice.BytesReceived < 5_000 {
		t.Errorf("the relayed pair carried %.0f bytes out and %.0f in, want video both ways", ice.BytesSent, ice.BytesReceived)
	}
	return ice
}

// bbRelayTraffic waits for coturn to log the end of the allocations of both
// ends of every connection (it logs their traffic then) and checks that
// media went through them both ways.
func bbRelayTraffic(t *testing.T, srv *turntest.Server, allocations int) turntest.Stats {
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
	// Each connection streamed 640x480 at 30 fps for over 1.5 s: at least
	// 40 packets of camera video to the server and 40 of processed video
	// back, each counted once in (at one end's relay) and once out.
	if want := 80 * int64(allocations/2); st.PeerPacketsIn < want || st.PeerPacketsOut < want {
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
	ctx := bbBrowser(t, bbWriteClip(t))

	t.Run("Static", func(t *testing.T) {
		srv := turntest.Start(t, nil)
		cfg := turn.Static([]string{srv.URL()}, srv.Username, srv.Password)
		cfg.ICETransportPolicy = "relay"
		s, url, rec := bbNewStream(t, rtcstream.SendReceive, invert, rtcstream.Options{RTCConfiguration: cfg})
		bbNavigate(t, ctx, url, false)
		p := bbStreamPage(t, ctx)
		p.waitState("idle", bbWaitState)
		if got := p.attr("rtc-config"); got != "fetch" {
			t.Fatalf(`rtc-config=%q, want "fetch"`, got)
		}

		took := p.start()
		t.Logf("relay-only connect: Start -> streaming in %v", took.Round(time.Millisecond))
		p.waitSplit("video.output", true)
		if n := rec.count("GET /webrtc/config"); n != 1 {
			t.Errorf("the page fetched the configuration %d times for one connection, want 1", n)
		}
		bbCheckRelayed(t, p, srv)
		st, err := srv.Await(t.Context(), func(st turntest.Stats) bool { return st.Allocations >= 2 && st.Permissions >= 2 })
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Usernames) != 1 || st.Usernames[0] != srv.Username {
			t.Errorf("allocations for %q, want the static user %q", st.Usernames, srv.Username)
		}

		p.stop()
		bbWaitSessions(t, s, 0, bbWaitFree)
		bbRelayTraffic(t, srv, 2)
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
		s, url, rec := bbNewStream(t, rtcstream.SendReceive, invert, rtcstream.Options{RTCConfigurationFunc: fresh})
		bbNavigate(t, ctx, url, false)
		p := bbStreamPage(t, ctx)
		p.waitState("idle", bbWaitState)
		if got := p.attr("rtc-config"); got != "fetch" {
			t.Fatalf(`rtc-config=%q, want "fetch"`, got)
		}

		// Two connections, one after the other.
		var browserUsers []string
		for i := range 2 {
			took := p.start()
			t.Logf("connection %d: relay-only connect in %v", i+1, took.Round(time.Millisecond))
			p.waitSplit("video.output", true)
			ice := bbCheckRelayed(t, p, srv)
			browserUsers = append(browserUsers, ice.Username)
			p.stop()
			bbWaitSessions(t, s, 0, bbWaitFree)
		}
		if n := rec.count("GET /webrtc/config"); n != 2 {
			t.Errorf("the page fetched the configuration %d times for two connections, want 2", n)
		}
		// Once for the page and once for the server, per connection.
		if n := calls.Load(); n != 4 {
			t.Errorf("RTCConfigurationFunc called %d times for two connections, want 4", n)
		}
		if browserUsers[0] == "" || browserUsers[0] == browserUsers[1] {
			t.Errorf("the page's two connections used TURN usernames %q: want fresh credentials each", browserUsers)
		}
		st := bbRelayTraffic(t, srv, 4)
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

// --- 2. The waiting line ----------------------------------------------------

const bbWaitingText = "Waiting for a free slot: you are number 1 in line"

// bbWaitInLine clicks Start on p while another session holds the only slot
// and checks that p waits with its place shown.
func bbWaitInLine(t *testing.T, p bbPage, s *rtcstream.Stream, button string) {
	t.Helper()
	p.click("button.start-stop")
	p.waitText(".status", bbWaitState, func(s string) bool { return strings.Contains(s, bbWaitingText) })
	if st := p.state(); st != "connecting" {
		t.Errorf("data-state %q while waiting in line, want connecting", st)
	}
	if got := p.text("button.start-stop"); got != button {
		t.Errorf("button %q while waiting in line, want %q", got, button)
	}
	// It stays in line, polling, while the slot is taken.
	time.Sleep(1500 * time.Millisecond)
	if st, status := p.state(), p.text(".status"); st != "connecting" || !strings.Contains(status, bbWaitingText) {
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
	url, _ := bbServe(t, demo)
	s := video.Server()

	clip := bbWriteClip(t)
	first := bbComponent(t, bbBrowser(t, clip), id)
	second := bbComponent(t, bbBrowser(t, clip), id)
	for _, p := range []bbPage{first, second} {
		bbNavigate(t, p.ctx, url, true)
		p.waitState("idle", bbWaitState)
		if got := p.attr("concurrency-limit"); got != "1" {
			t.Fatalf("concurrency-limit=%q, want 1", got)
		}
	}

	first.start()
	first.waitSplit("video.output", true)
	bbWaitInLine(t, second, s, "Stop") // no ButtonLabels.Waiting: the button stops waiting

	stopped := time.Now()
	first.stop()
	second.waitState("streaming", bbWaitStart)
	t.Logf("the second browser started streaming %v after the first pressed Stop", time.Since(stopped).Round(time.Millisecond))
	if time.Since(stopped) > 10*time.Second {
		t.Errorf("the second browser took %v to start after the slot freed", time.Since(stopped))
	}
	second.waitSplit("video.output", true)
	if got := second.text(".status"); strings.Contains(got, "Waiting") {
		t.Errorf("status %q while streaming", got)
	}
	if w, a := s.Waiting(), s.ActiveSessions(); w != 0 || a != 1 {
		t.Errorf("server: %d waiting, %d active; want 0 and 1", w, a)
	}
	second.stop()
	bbWaitSessions(t, s, 0, bbWaitFree)
}

// TestBrowserQueueSlotFreedWhenBrowserKilled: NewStream with MaxSessions 1.
// The first browser streams, the second waits in line; the first browser's
// process is killed (SIGKILL: no Stop, no pagehide, no DTLS close). The
// server notices the dead connection and frees the slot, and the second
// browser starts by itself within 10 s of the kill.
func TestBrowserQueueSlotFreedWhenBrowserKilled(t *testing.T) {
	checkLeaks(t)
	s, url, _ := bbNewStream(t, rtcstream.SendReceive, invert, rtcstream.Options{
		MaxSessions: 1, ButtonLabels: rtcstream.ButtonLabels{Waiting: "In line…"},
	})
	clip := bbWriteClip(t)
	first := bbStreamPage(t, bbBrowser(t, clip))
	second := bbStreamPage(t, bbBrowser(t, clip))
	for _, p := range []bbPage{first, second} {
		bbNavigate(t, p.ctx, url, false)
		p.waitState("idle", bbWaitState)
	}

	first.start()
	first.waitSplit("video.output", true)
	bbWaitInLine(t, second, s, "In line…")

	proc := chromedp.FromContext(first.ctx).Browser.Process()
	if proc == nil {
		t.Fatal("no process for the first browser")
	}
	if err := proc.Kill(); err != nil {
		t.Fatalf("killing the first browser (pid %d): %v", proc.Pid, err)
	}
	killed := time.Now()
	freed := bbWaitSessions(t, s, 0, 20*time.Second)
	t.Logf("the server freed the dead browser's session %v after the kill", freed.Round(time.Millisecond))
	second.waitState("streaming", bbWaitStart)
	took := time.Since(killed)
	t.Logf("the waiting browser started streaming %v after the first browser was killed", took.Round(time.Millisecond))
	// The target is 10 s; beyond 15 s something besides the known ICE
	// timeouts below is wrong.
	if took > 15*time.Second {
		t.Errorf("the waiting browser started %v after the kill, want within 10 s", took)
	}
	second.waitSplit("video.output", true)
	bugs := &bbBugs{t: t}
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
	bbWaitSessions(t, s, 0, bbWaitFree)
	bugs.settle()
}

// --- 3. The WebRTC component's parameters -----------------------------------

// bbGenFrame is what the receive-mode generator sends: bright top half, dark
// bottom half, unlike anything the camera shows.
func bbGenFrame() *image.YCbCr {
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

// bbFrames records what a handler saw.
type bbFrames struct {
	mu     sync.Mutex
	n      int
	sizes  map[image.Point]int
	normal int // frames with the camera's dark left and bright right half
}

func (f *bbFrames) see(img image.Image) {
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

func (f *bbFrames) snapshot() (n int, sizes map[image.Point]int, normal int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sizes = map[image.Point]int{}
	for k, v := range f.sizes {
		sizes[k] = v
	}
	return f.n, sizes, f.normal
}

// bbParams is the page of TestBrowserWebRTCParameters: one WebRTC component
// per parameter.
type bbParams struct {
	demo *ui.Blocks
	url  string
	rec  *bbRecorder

	labeled, hiddenLabel, sized, bare, scaled, minWidth, hidden *rtcstream.WebRTC
	static, interactive, noMirror, rtcConfig, timed             *rtcstream.WebRTC
	receive, send, constrained, labels, later, never            *rtcstream.WebRTC
	besideScaled, besideMin                                     *ui.Textbox

	sendFrames, constrainedFrames bbFrames
}

func bbBuildParams(t *testing.T) *bbParams {
	t.Helper()
	pp := &bbParams{}
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
					for yield(bbGenFrame()) {
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
	pp.url, pp.rec = bbServe(t, demo)
	return pp
}

// id returns c's id on the page.
func (pp *bbParams) id(t *testing.T, c ui.Component) string {
	t.Helper()
	id, ok := pp.demo.ID(c)
	if !ok {
		t.Fatalf("%T %q is not on the page", c, c.Common().Label)
	}
	return id
}

// bbBox is an element's box on the page and the parts of its style the
// tests read.
type bbBox struct {
	X, Y, W, H                                  float64
	ContentW                                    float64 // W less padding and borders
	Display, Border, Padding, Shadow, Transform string
	Classes                                     []string
	Exists                                      bool
}

// bbBoxJS measures the first element matching a selector.
const bbBoxJS = `((sel) => {
	const e = document.querySelector(sel);
	if (!e) return { Exists: false };
	const r = e.getBoundingClientRect(), s = getComputedStyle(e);
	const px = (v) => parseFloat(v) || 0;
	const cw = r.width - px(s.paddingLeft) - px(s.paddingRight) - px(s.borderLeftWidth) - px(s.borderRightWidth);
	return { Exists: true, X: r.x, Y: r.y, W: r.width, H: r.height, ContentW: cw, Display: s.display,
		Border: s.borderTopWidth + " " + s.borderTopStyle, Padding: s.paddingTop, Shadow: s.boxShadow,
		Transform: s.transform, Classes: [...e.classList] };
})(%q)`

func bbMeasure(t *testing.T, ctx context.Context, sel string) bbBox {
	t.Helper()
	return bbEval[bbBox](t, ctx, fmt.Sprintf(bbBoxJS, sel))
}

func bbBlockSel(id string) string { return fmt.Sprintf("[data-component=%q]", id) }

func bbHas(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func bbNear(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }

// bbBoxed reports whether a box draws a border or a shadow.
func bbBoxed(b bbBox) bool {
	return !strings.HasPrefix(b.Border, "0px") && !strings.HasSuffix(b.Border, "none") || b.Shadow != "none"
}

// TestBrowserWebRTCParameters checks, on one Blocks page with one WebRTC
// component per parameter, that every parameter of gradio_webrtc's WebRTC
// (the seed's table) has its effect in the page or the stream.
func TestBrowserWebRTCParameters(t *testing.T) {
	checkLeaks(t)

	// Parameters checked without a browser.
	t.Run("modality", func(t *testing.T) {
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
		// An audio handler is taken.
		a := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Modality: rtcstream.Audio})
		if err := a.Stream(func(f media.AudioFrame) media.AudioFrame { return f }, rtcstream.StreamEvent{
			Inputs: []ui.Component{a}, Outputs: []ui.Component{a},
		}); err != nil {
			t.Errorf("Audio with an echo handler: %v", err)
		} else {
			a.Close()
		}
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
	})

	t.Run("value_every_inputs", func(t *testing.T) {
		// value, every and inputs belong to value components; a WebRTC has
		// no value a function could set. Build refuses them with an error
		// naming the component.
		slider := &ui.Slider{Props: ui.Props{Label: "Level"}, Maximum: 1}
		for _, tc := range []struct {
			name  string
			props ui.Props
			want  string
		}{
			{"ValueFunc", ui.Props{Label: "Valued", ValueFunc: func() string { return "x.mp4" }}, "not a ui.Output"},
			{"ValueFunc with Every and Inputs", ui.Props{Label: "Valued", ValueFunc: func(float64) string { return "" },
				Every: time.Second, Inputs: []ui.Component{slider}}, "not a ui.Output"},
			{"Every alone", ui.Props{Label: "Valued", Every: time.Second}, "Every is set but ValueFunc is not"},
			{"Inputs alone", ui.Props{Label: "Valued", Inputs: []ui.Component{slider}}, "Inputs is set but ValueFunc is not"},
		} {
			w := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Props: tc.props})
			if err := w.Stream(invert, rtcstream.StreamEvent{Inputs: []ui.Component{w}, Outputs: []ui.Component{w}}); err != nil {
				t.Fatal(err)
			}
			demo := ui.NewBlocks(&ui.BlocksOptions{})
			demo.Add(w, slider)
			err := demo.Build()
			t.Logf("%s: Build: %v", tc.name, err)
			if !errors.Is(err, ui.ErrBuild) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `"Valued"`) {
				t.Errorf("%s: Build returned %v, want ErrBuild naming the component and saying %q", tc.name, err, tc.want)
			}
			w.Close()
		}
	})

	pp := bbBuildParams(t)
	ctx := bbBrowser(t, bbWriteClip(t))
	bbNavigate(t, ctx, pp.url, true)
	comp := func(t *testing.T, w *rtcstream.WebRTC) bbPage { return bbComponent(t, ctx, pp.id(t, w)) }
	for _, w := range []*rtcstream.WebRTC{pp.labeled, pp.sized, pp.receive, pp.send} {
		comp(t, w).waitState("idle", bbWaitState)
	}

	t.Run("label", func(t *testing.T) {
		id := pp.id(t, pp.labeled)
		label := bbMeasure(t, ctx, bbBlockSel(id)+" > .block-label")
		text := bbEval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).textContent`, bbBlockSel(id)+" > .block-label"))
		if !label.Exists || text != "Webcam stream" || label.W < 20 || label.H < 10 || bbHas(label.Classes, "sr-only") {
			t.Errorf("label %q %+v, want \"Webcam stream\" shown", text, label)
		}
		// Above the stream, and shown once (the element's own label stays
		// hidden).
		el := bbMeasure(t, ctx, bbBlockSel(id)+" rtc-stream")
		if label.Y+label.H > el.Y+1 {
			t.Errorf("label at y %.0f-%.0f is not above the stream at y %.0f", label.Y, label.Y+label.H, el.Y)
		}
		if n := bbEval[int](t, ctx, fmt.Sprintf(`[...document.querySelectorAll(%q)].filter((e) => e.offsetParent && e.textContent === "Webcam stream").length`,
			bbBlockSel(id)+" *")); n != 1 {
			t.Errorf("the label is shown %d times, want once", n)
		}
	})

	t.Run("show_label", func(t *testing.T) {
		sel := bbBlockSel(pp.id(t, pp.hiddenLabel)) + " > .block-label"
		label := bbMeasure(t, ctx, sel)
		text := bbEval[string](t, ctx, fmt.Sprintf(`document.querySelector(%q).textContent`, sel))
		// Kept for screen readers, not shown: visually hidden.
		if !label.Exists || text != "Unseen label" || !bbHas(label.Classes, "sr-only") || label.W > 1 || label.H > 1 {
			t.Errorf("hidden label %q %+v, want it in the DOM, visually hidden (sr-only, 1x1)", text, label)
		}
	})

	t.Run("height_width", func(t *testing.T) {
		id := pp.id(t, pp.sized)
		block := bbMeasure(t, ctx, bbBlockSel(id))
		p := comp(t, pp.sized)
		videos := bbMeasure(t, ctx, p.sel(".videos"))
		preview := bbMeasure(t, ctx, p.sel("video.preview"))
		output := bbMeasure(t, ctx, p.sel("video.output"))
		controls := bbMeasure(t, ctx, p.sel(".controls"))
		t.Logf("Height 360, Width 480: block %.0fx%.0f, videos %.0fx%.0f, preview %.0fx%.0f at y %.0f, output %.0fx%.0f at y %.0f, controls bottom %.0f (block bottom %.0f)",
			block.W, block.H, videos.W, videos.H, preview.W, preview.H, preview.Y, output.W, output.H, output.Y, controls.Y+controls.H, block.Y+block.H)
		// Height and width size the displayed video (gradio: they "will
		// affect the displayed video"): each video is 360 high within a
		// 480 wide area, and the component grows around it.
		if !bbNear(preview.H, 360, 1) || !bbNear(output.H, 360, 1) || videos.W > 481 {
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
		bugs := &bbBugs{t: t}
		if bottom := controls.Y + controls.H; bottom > block.Y+block.H+1 {
			bugs.report("ui.Props.Height %q on a WebRTC: the block is %.0f px tall but its contents end at %.0f px (%.0f px below it): "+
				"WebRTC.Render (webrtc.go) passes Props.Height to the element as height=, which rtc-stream.js/.css apply to each <video> "+
				"(--rtc-stream-height), so two %.0f px videos plus label and controls overflow the %.0f px block",
				"360", block.H, bottom-block.Y, bottom-(block.Y+block.H), preview.H, block.H)
		}
		bugs.settle()
	})

	t.Run("container", func(t *testing.T) {
		boxed := bbMeasure(t, ctx, bbBlockSel(pp.id(t, pp.labeled)))
		if !bbBoxed(boxed) {
			t.Errorf("a default WebRTC has no box: %+v", boxed)
		}
		block := bbMeasure(t, ctx, bbBlockSel(pp.id(t, pp.bare)))
		inner := bbMeasure(t, ctx, comp(t, pp.bare).sel(".rtc-stream"))
		t.Logf("NoContainer: block border %q padding %q shadow %q; inner .rtc-stream border %q padding %q shadow %q",
			block.Border, block.Padding, block.Shadow, inner.Border, inner.Padding, inner.Shadow)
		if !bbHas(block.Classes, "no-container") || bbBoxed(block) || block.Padding != "0px" {
			t.Errorf("NoContainer: the block still has a box: %+v", block)
		}
		bugs := &bbBugs{t: t}
		if bbBoxed(inner) || inner.Padding != "0px" {
			bugs.report("ui.Props.NoContainer on a WebRTC still draws a box: the block loses its box, but the element's own .rtc-stream "+
				"then shows one (border %q, padding %q, shadow %q): blocks.css removes it only under .block:not(.no-container)",
				inner.Border, inner.Padding, inner.Shadow)
		}
		bugs.settle()
	})

	t.Run("scale", func(t *testing.T) {
		a := bbMeasure(t, ctx, bbBlockSel(pp.id(t, pp.scaled)))
		b := bbMeasure(t, ctx, bbBlockSel(pp.id(t, pp.besideScaled)))
		t.Logf("Scale 2 beside Scale 1: %.0f and %.0f px wide, %.0f and %.0f inside their padding", a.W, b.W, a.ContentW, b.ContentW)
		// The free space is shared 2:1 (flex-grow); each box's padding
		// comes on top, as in Gradio.
		if !bbNear(a.Y, b.Y, 1) || !bbNear(a.ContentW/b.ContentW, 2, 0.03) || !bbNear(a.W/b.W, 2, 0.1) {
			t.Errorf("Scale 2 and 1 in a Row: widths %.0f and %.0f (%.0f and %.0f inside, ratio %.2f) at y %.0f and %.0f, want 2:1 side by side",
				a.W, b.W, a.ContentW, b.ContentW, a.ContentW/b.ContentW, a.Y, b.Y)
		}
	})

	t.Run("min_width", func(t *testing.T) {
		a := bbMeasure(t, ctx, bbBlockSel(pp.id(t, pp.minWidth)))
		b := bbMeasure(t, ctx, bbBlockSel(pp.id(t, pp.besideMin)))
		row := bbMeasure(t, ctx, "#bb-row-min")
		t.Logf("MinWidth 700 (scale 1) beside Scale 3 in a %.0f px row: %.0f and %.0f px wide", row.W, a.W, b.W)
		// Scale alone would give it about a quarter of the row (~300 px);
		// its minimum wins, and the other takes the rest.
		gap := b.X - (a.X + a.W)
		if !bbNear(a.W, 700, 1) || !bbNear(a.Y, b.Y, 1) || !bbNear(a.W+gap+b.W, row.W, 1) {
			t.Errorf("MinWidth 700: %.0f px wide at y %.0f beside %.0f px at y %.0f in a %.0f px row, want 700 side by side",
				a.W, a.Y, b.W, b.Y, row.W)
		}
	})

	t.Run("visible", func(t *testing.T) {
		id := pp.id(t, pp.hidden)
		b := bbMeasure(t, ctx, bbBlockSel(id))
		el := bbMeasure(t, ctx, bbBlockSel(id)+" rtc-stream")
		if !b.Exists || b.Display != "none" || el.W != 0 || el.H != 0 {
			t.Errorf("Hidden: block %+v, element %+v; want it on the page but not displayed", b, el)
		}
		// Shown components are displayed.
		if v := bbMeasure(t, ctx, bbBlockSel(pp.id(t, pp.labeled))); v.Display == "none" || v.H == 0 {
			t.Errorf("a visible WebRTC is not displayed: %+v", v)
		}
	})

	t.Run("elem_id", func(t *testing.T) {
		got := bbEval[string](t, ctx, `(() => { const e = document.getElementById("bb-main-cam");
			return e ? e.dataset.component + " " + e.dataset.kind + " " + !!e.querySelector(":scope > rtc-stream") : "none"; })()`)
		if want := pp.id(t, pp.labeled) + " webrtc true"; got != want {
			t.Errorf("#bb-main-cam is %q, want the component's root (%q)", got, want)
		}
	})

	t.Run("elem_classes", func(t *testing.T) {
		b := bbMeasure(t, ctx, "#bb-main-cam")
		if !bbHas(b.Classes, "cam") || !bbHas(b.Classes, "big-cam") || !bbHas(b.Classes, "block") {
			t.Errorf("classes %q, want cam and big-cam added to the block's", b.Classes)
		}
		if n := bbEval[int](t, ctx, `document.querySelectorAll(".cam.big-cam").length`); n != 1 {
			t.Errorf("%d elements have the classes, want 1", n)
		}
	})

	t.Run("key", func(t *testing.T) {
		if id := pp.id(t, pp.labeled); id != "main-cam" {
			t.Errorf("Blocks.ID of the keyed component %q, want main-cam", id)
		}
		if got := bbEval[string](t, ctx, `document.getElementById("bb-main-cam").dataset.component`); got != "main-cam" {
			t.Errorf("data-component %q, want the key main-cam", got)
		}
		// A keyed stream that is not the page's first has its routes under
		// its key.
		p := comp(t, pp.labels)
		if src := p.attr("src"); src != "webrtc/go-halt" {
			t.Errorf("src %q of the component keyed go-halt, want webrtc/go-halt", src)
		}
		if prefix, _ := pp.demo.MountPrefix(pp.labels); prefix != "/webrtc/go-halt" {
			t.Errorf("mount prefix %q, want /webrtc/go-halt", prefix)
		}
	})

	t.Run("render", func(t *testing.T) {
		// never-cam: NoRender and never placed: not on the page, though it
		// has an id and its routes.
		if n := bbEval[int](t, ctx, `document.querySelectorAll('[data-component="never-cam"]').length`); n != 0 {
			t.Errorf("a NoRender component that was never placed is on the page %d times", n)
		}
		if id, ok := pp.demo.ID(pp.never); !ok || id != "never-cam" {
			t.Errorf("Blocks.ID of the unplaced component: %q %v", id, ok)
		}
		// later-cam: NoRender where it was added (first), placed with
		// Render at the end, inside a column after a Markdown.
		got := bbEval[[]string](t, ctx, `(() => {
			const all = [...document.querySelectorAll('[data-kind="webrtc"]')].map((e) => e.dataset.component);
			const e = document.querySelector('[data-component="later-cam"]');
			const col = e?.parentElement;
			return [String(all.indexOf("later-cam")), String(all.length), col?.id ?? "",
				e?.previousElementSibling?.dataset.kind ?? "", e?.querySelector("rtc-stream")?.getAttribute("src") ?? ""];
		})()`)
		if got[0] != fmt.Sprint(bbAtoi(got[1])-1) || got[2] != "bb-later-column" || got[3] != "markdown" {
			t.Errorf("later-cam at index %s of %s streams, in #%s after a %s; want last, in #bb-later-column after the markdown",
				got[0], got[1], got[2], got[3])
		}
		// Its routes work where the page points.
		cfg := bbEval[int](t, ctx, fmt.Sprintf(`fetch(%q + "/config").then((r) => r.status)`, got[4]))
		if got[4] == "" || cfg != http.StatusOK {
			t.Errorf("later-cam's src %q: GET config answered %d", got[4], cfg)
		}
	})

	t.Run("interactive", func(t *testing.T) {
		bugs := &bbBugs{t: t}
		static := bbMeasure(t, ctx, bbBlockSel(pp.id(t, pp.static)))
		inter := bbMeasure(t, ctx, bbBlockSel(pp.id(t, pp.interactive)))
		auto := bbMeasure(t, ctx, bbBlockSel(pp.id(t, pp.labeled)))
		t.Logf("classes: Static %q, Interactive %q, default %q", static.Classes, inter.Classes, auto.Classes)
		if !bbHas(static.Classes, "static") || bbHas(inter.Classes, "static") {
			t.Errorf("Interactive: Static has classes %q, Interactive %q; want static only on the first", static.Classes, inter.Classes)
		}
		// gradio: interactive=False "can only be used to display videos";
		// inferred, a stream that takes the webcam is an input.
		if bbHas(auto.Classes, "static") {
			bugs.report("a send-receive WebRTC with the default InteractiveAuto is rendered static (class %q): ui's inference "+
				"(ui/build.go resolveInteractivity) counts only ui.Input components, and the WebRTC, which takes the webcam, is not one",
				auto.Classes)
		}
		p := comp(t, pp.static)
		camera := bbEval[[]bool](t, p.ctx, p.js(`[!el.querySelector(".pane-input").hidden, !el.querySelector("button.start-stop").disabled,
			!el.querySelector("button.enable-camera").hidden]`))
		if camera[0] || camera[1] || camera[2] {
			bugs.report("Props.Interactive = ui.Static on a send-receive WebRTC has no effect but the class: the webcam pane shown %v, "+
				"Start enabled %v, Enable camera shown %v; WebRTC.Render (webrtc.go) never passes it to <rtc-stream>, which has no "+
				"display-only state", camera[0], camera[1], camera[2])
		}
		bugs.settle()
	})

	t.Run("mirror_webcam", func(t *testing.T) {
		for _, tc := range []struct {
			w      *rtcstream.WebRTC
			mirror bool
		}{{pp.labeled, true}, {pp.noMirror, false}} {
			p := comp(t, tc.w)
			if got, want := p.hasAttr("mirror-webcam"), !tc.mirror; got != want {
				t.Errorf("%s: mirror-webcam attribute present %v, want %v", p.root, got, want)
			}
			p.click("button.enable-camera")
			if _, _, err := browsertest.WaitVideo(ctx, p.sel("video.preview"), bbWaitState); err != nil {
				t.Fatal(err)
			}
			tr := bbMeasure(t, ctx, p.sel("video.preview")).Transform
			if mirrored := strings.HasPrefix(tr, "matrix(-1, 0, 0, 1"); mirrored != tc.mirror {
				t.Errorf("%s: preview transform %q, want mirrored %v", p.root, tr, tc.mirror)
			}
			// The preview's pixels are the camera's either way; CSS mirrors.
			p.waitSplit("video.preview", false)
			bbEval[bool](t, ctx, p.js(`(el.stop(), true)`))
			p.waitState("idle", bbWaitState)
		}
	})

	t.Run("rtc_configuration", func(t *testing.T) {
		id := pp.id(t, pp.rtcConfig)
		p := comp(t, pp.rtcConfig)
		if got := p.attr("rtc-config"); got != "fetch" {
			t.Fatalf(`rtc-config=%q, want "fetch"`, got)
		}
		if other := comp(t, pp.labeled); other.hasAttr("rtc-config") {
			t.Errorf("a component without RTCConfiguration has rtc-config=%q", other.attr("rtc-config"))
		}
		path := "GET /webrtc/" + id + "/config"
		before := pp.rec.count(path)
		p.start()
		if n := pp.rec.count(path) - before; n != 1 {
			t.Errorf("%d requests %s on Start, want 1", n, path)
		}
		if pol := bbEval[string](t, ctx, `window.__bb.pcs.at(-1).getConfiguration().iceTransportPolicy`); pol != "all" {
			t.Errorf("the connection's iceTransportPolicy %q, want the configured all", pol)
		}
		p.waitSplit("video.output", true)
		p.stop()
		bbWaitSessions(t, pp.rtcConfig.Server(), 0, bbWaitFree)
	})

	t.Run("time_limit", func(t *testing.T) {
		p := comp(t, pp.timed)
		if got := p.attr("time-limit"); got != "2" {
			t.Errorf("time-limit=%q, want 2", got)
		}
		p.start()
		began := time.Now()
		cd := p.waitText(".countdown", bbWaitState, func(s string) bool { return strings.HasPrefix(s, "Time left: 0:0") })
		if vis := bbEval[bool](t, ctx, p.js(`!el.querySelector(".countdown").hidden`)); !vis || (cd != "Time left: 0:02" && cd != "Time left: 0:01") {
			t.Errorf("countdown %q shown %v, want 0:02 or 0:01", cd, vis)
		}
		p.waitState("idle", 10*time.Second)
		ended := time.Since(began)
		t.Logf("the 2 s session ended %v after streaming began", ended.Round(time.Millisecond))
		if ended > 5*time.Second {
			t.Errorf("a 2 s time limit ended the session after %v", ended)
		}
		if got := p.text(".status"); got != "Session ended: time limit reached" {
			t.Errorf("status %q after the limit", got)
		}
		if vis := bbEval[bool](t, ctx, p.js(`!el.querySelector(".countdown").hidden`)); vis {
			t.Error("the countdown is still shown after the session ended")
		}
		bbWaitSessions(t, pp.timed.Server(), 0, bbWaitFree)
	})

	t.Run("mode_receive", func(t *testing.T) {
		p := comp(t, pp.receive)
		if got := p.attr("mode"); got != "receive" {
			t.Errorf("mode=%q, want receive", got)
		}
		panes := bbEval[[]bool](t, ctx, p.js(`[el.querySelector(".pane-input").hidden, el.querySelector(".pane-output").hidden,
			el.querySelector("select.camera-select").hidden]`))
		if !panes[0] || panes[1] || !panes[2] {
			t.Errorf("receive mode: camera pane hidden %v, output pane hidden %v, camera select hidden %v; want only the output",
				panes[0], panes[1], panes[2])
		}
		gum := bbEval[int](t, ctx, `window.__bb.gum`)
		p.start()
		// The generator's frames: bright top, dark bottom, 320x240.
		var last [][3]int
		if err := browsertest.Poll(ctx, bbWaitPixels, func(ctx context.Context) (bool, error) {
			px, err := bbPage{t, ctx, p.root}.pixels("video.output", [][2]float64{{0.5, 0.25}, {0.5, 0.75}})
			last = px
			return err == nil && bbLevel(px[0]) > 180 && bbLevel(px[1]) < 70, err
		}); err != nil {
			t.Fatalf("output top/bottom %v %v, want the generator's bright top and dark bottom: %v", bbAt(last, 0), bbAt(last, 1), err)
		}
		if w, h, _ := browsertest.WaitVideo(ctx, p.sel("video.output"), bbWaitState); w != 320 || h != 240 {
			t.Errorf("output %dx%d, want the generator's 320x240", w, h)
		}
		if n := bbEval[int](t, ctx, `window.__bb.gum`) - gum; n != 0 {
			t.Errorf("receive mode asked for the camera %d times", n)
		}
		if has := bbEval[bool](t, ctx, p.js(`el.querySelector("video.preview").srcObject !== null`)); has {
			t.Error("receive mode shows a camera preview")
		}
		p.stop()
		bbWaitSessions(t, pp.receive.Server(), 0, bbWaitFree)
	})

	t.Run("mode_send", func(t *testing.T) {
		p := comp(t, pp.send)
		if got := p.attr("mode"); got != "send" {
			t.Errorf("mode=%q, want send", got)
		}
		p.start()
		panes := bbEval[[]bool](t, ctx, p.js(`[el.querySelector(".pane-input").hidden, el.querySelector(".pane-output").hidden]`))
		if panes[0] || !panes[1] {
			t.Errorf("send mode: camera pane hidden %v, output pane hidden %v; want the camera only", panes[0], panes[1])
		}
		p.waitSplit("video.preview", false)
		deadline := time.Now().Add(bbWaitPixels)
		for {
			n, _, _ := pp.sendFrames.snapshot()
			if n >= 30 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the send-mode handler saw %d frames in %v, want 30", n, bbWaitPixels)
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.stop()
		bbWaitSessions(t, pp.send.Server(), 0, bbWaitFree)
		// The handler got the camera unmirrored (the preview is mirrored
		// only on the page).
		n, sizes, normal := pp.sendFrames.snapshot()
		t.Logf("send-mode handler: %d frames, sizes %v, %d with the camera's dark left half", n, sizes, normal)
		if normal < n*9/10 {
			t.Errorf("only %d of %d frames the handler saw have the camera's dark left and bright right half", normal, n)
		}
		if sizes[image.Pt(bbCamW, bbCamH)] == 0 {
			t.Errorf("handler frame sizes %v, want the camera's %dx%d", sizes, bbCamW, bbCamH)
		}
	})

	t.Run("track_constraints", func(t *testing.T) {
		p := comp(t, pp.constrained)
		var tc map[string]map[string]int
		if err := json.Unmarshal([]byte(p.attr("track-constraints")), &tc); err != nil || tc["width"]["ideal"] != 320 || tc["height"]["ideal"] != 240 {
			t.Errorf("track-constraints=%q (%v), want ideal 320x240", p.attr("track-constraints"), err)
		}
		p.start()
		if w, h, err := browsertest.WaitVideo(ctx, p.sel("video.preview"), bbWaitState); err != nil || w != 320 || h != 240 {
			t.Errorf("preview %dx%d (%v), want the constrained 320x240", w, h, err)
		}
		deadline := time.Now().Add(bbWaitPixels)
		for {
			if n, _, _ := pp.constrainedFrames.snapshot(); n >= 20 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the handler saw too few frames in %v", bbWaitPixels)
			}
			time.Sleep(20 * time.Millisecond)
		}
		p.waitSplit("video.output", true)
		p.stop()
		bbWaitSessions(t, pp.constrained.Server(), 0, bbWaitFree)
		n, sizes, _ := pp.constrainedFrames.snapshot()
		t.Logf("handler frame sizes %v", sizes)
		if sizes[image.Pt(320, 240)] != n {
			t.Errorf("the handler saw frames of sizes %v, want all %d 320x240", sizes, n)
		}
	})

	t.Run("button_labels", func(t *testing.T) {
		p := comp(t, pp.labels)
		if got := p.text("button.start-stop"); got != "Go" {
			t.Errorf("button %q before Start, want Go", got)
		}
		p.start()
		if got := p.text("button.start-stop"); got != "Halt" {
			t.Errorf("button %q while streaming, want Halt", got)
		}
		p.waitSplit("video.output", true)
		p.stop()
		if got := p.text("button.start-stop"); got != "Go" {
			t.Errorf("button %q after Stop, want Go", got)
		}
		bbWaitSessions(t, pp.labels.Server(), 0, bbWaitFree)
		// Other components keep the defaults.
		if got := comp(t, pp.labeled).text("button.start-stop"); got != "Start" {
			t.Errorf("a component without ButtonLabels shows %q, want Start", got)
		}
	})
}

func bbAtoi(s string) int {
	var n int
	fmt.Sscan(s, &n)
	return n
}
