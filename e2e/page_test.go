package e2e_test

// The page driver: every test drives the page through a tab, one browser
// tab and the <rtc-stream> element in it that the test works with (the
// element of a NewStream page, or of one WebRTC component of a Blocks page).

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rtcstream/rtcstream/internal/browsertest"
)

const (
	// browserLife is the hard limit on each test's browser: it is killed, and
	// every browser action fails, once it passes. hookedBrowserLife is the
	// limit for the browsers of newHookedBrowser, which run several sessions
	// (the Blocks tests).
	browserLife       = 120 * time.Second
	hookedBrowserLife = 180 * time.Second

	// Generous waits for a noisy 2-core CI machine running -race: a browser
	// round trip takes about 3 s on an idle machine.
	waitStart   = 30 * time.Second // Start clicked -> streaming
	waitState   = 15 * time.Second // other state changes
	waitPixels  = 15 * time.Second // the expected colours show up
	waitRelease = 10 * time.Second // the server frees a session
)

// Selectors of the element's parts, inside the element (tab.sel makes them
// selectors of the page).
const (
	selButton  = "button.start-stop"
	selPreview = "video.preview"
	selOutput  = "video.output"
	selError   = ".error"
	selStatus  = ".status"

	selLevelIn  = ".level-in"
	selLevelOut = ".level-out"
	selAudioOut = "audio.output"
	selMute     = "button.mute"
	selPulse    = ".pulse"
	selChip     = ".vad-chip"
)

// tab is one browser tab and the <rtc-stream> element the test drives in
// it. Its methods fail t when the browser does.
type tab struct {
	t    *testing.T
	ctx  context.Context
	root string // CSS selector of the element

	// What the start-stop button says when it starts and when it stops
	// (Options.ButtonLabels).
	startLabel, stopLabel string
}

// openBrowser starts a browser with opts (Timeout: browserLife unless set)
// and returns its first tab, driving the page's first <rtc-stream>.
func openBrowser(t *testing.T, opts browsertest.Options) tab {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = browserLife
	}
	return tab{t: t, ctx: browsertest.New(t, opts), root: "rtc-stream", startLabel: "Start", stopLabel: "Stop"}
}

// newBrowser starts a browser whose fake camera plays clip ("" for
// Chromium's own pattern; cameras of them) and returns its first tab.
func newBrowser(t *testing.T, clip string, cameras int) tab {
	t.Helper()
	return openBrowser(t, browsertest.Options{FakeVideo: clip, FakeCameras: cameras})
}

// hooksJS runs in every document of a newHookedBrowser before the page's
// own scripts. The element keeps its RTCPeerConnection private, so the tests
// keep a reference to every one the page makes (for getStats and
// getConfiguration) and count getUserMedia calls. Neither changes what the
// page does.
const hooksJS = `(() => {
	// marks: a timeline of a start, in ms since the page loaded (clicks,
	// getUserMedia, signalling requests, connection states).
	window.__hooks = { pcs: [], gum: 0, marks: [] };
	const mark = (name) => window.__hooks.marks.push({ name, t: Math.round(performance.now()) });
	document.addEventListener("click", () => mark("click"), true);
	const PC = window.RTCPeerConnection;
	if (PC) {
		window.RTCPeerConnection = class extends PC {
			constructor(...args) {
				super(...args);
				window.__hooks.pcs.push(this);
				mark("pc");
				this.addEventListener("connectionstatechange", () => mark("pc " + this.connectionState));
				this.addEventListener("icegatheringstatechange", () => mark("gathering " + this.iceGatheringState));
				this.addEventListener("track", () => mark("track"));
			}
		};
	}
	const md = navigator.mediaDevices;
	if (md && md.getUserMedia) {
		const gum = md.getUserMedia.bind(md);
		md.getUserMedia = (...args) => {
			window.__hooks.gum++;
			mark("getUserMedia");
			return gum(...args).then((s) => { mark("getUserMedia done"); return s; });
		};
	}
	const f = window.fetch.bind(window);
	window.fetch = (input, init) => {
		const path = String(input instanceof Request ? input.url : input).replace(/^https?:\/\/[^/]+/, "");
		mark("fetch " + path);
		return f(input, init).then((r) => { mark("fetched " + path); return r; });
	};
})()`

// newHookedBrowser starts a browser for several sessions whose camera plays
// clip, with hooksJS installed in its tab.
func newHookedBrowser(t *testing.T, clip string) tab {
	t.Helper()
	return newHookedBrowserWith(t, browsertest.Options{FakeVideo: clip})
}

// newHookedBrowserWith is newHookedBrowser with more options.
func newHookedBrowserWith(t *testing.T, opts browsertest.Options) tab {
	t.Helper()
	opts.Timeout = hookedBrowserLife
	p := openBrowser(t, opts)
	if err := chromedp.Do(p.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: hooksJS})
		return err
	})); err != nil {
		t.Fatalf("installing the page hooks: %v", err)
	}
	return p
}

// newTab opens another tab in p's browser.
func (p tab) newTab() tab {
	p.t.Helper()
	p.ctx = browsertest.NewTab(p.t, p.ctx)
	return p
}

// withTest is p failing t instead (a subtest's).
func (p tab) withTest(t *testing.T) tab {
	p.t = t
	return p
}

// withContext is p acting under ctx (a poll's).
func (p tab) withContext(ctx context.Context) tab {
	p.ctx = ctx
	return p
}

// component is p driving, on a Blocks page, the element of the WebRTC
// component with page id id.
func (p tab) component(id string) tab {
	p.root = fmt.Sprintf("[data-component=%q] rtc-stream", id)
	return p
}

// labelled is p with the button saying start and stop.
func (p tab) labelled(start, stop string) tab {
	p.startLabel, p.stopLabel = start, stop
	return p
}

// sel returns the selector of part of the element ("" for the element).
func (p tab) sel(part string) string {
	if part == "" {
		return p.root
	}
	return p.root + " " + part
}

// js makes expr an expression of the page with `el` bound to the element.
func (p tab) js(expr string) string {
	return fmt.Sprintf(`(() => { const el = document.querySelector(%q); if (!el) throw new Error("no element %s"); return %s; })()`,
		p.root, strings.ReplaceAll(p.root, `"`, `'`), expr)
}

// evalOn evaluates a JavaScript expression in p's page.
func evalOn[T any](p tab, expr string) T {
	p.t.Helper()
	v, err := browsertest.Eval[T](p.ctx, expr)
	if err != nil {
		p.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// open loads url, waits for the page's runtime, and waits for the element
// to be idle.
func (p tab) open(url string) {
	p.t.Helper()
	if err := chromedp.Do(p.ctx, chromedp.Navigate(url)); err != nil {
		p.t.Fatalf("navigating to %s: %v", url, err)
	}
	if err := browsertest.WaitAttr(p.ctx, "html", "data-blocks", "ready", waitState); err != nil {
		p.t.Fatal(err)
	}
	p.waitState("idle", waitState)
}

// state is the element's data-state: idle, connecting, streaming or error.
func (p tab) state() string {
	p.t.Helper()
	return evalOn[string](p, p.js(`el.dataset.state`))
}

// text is the text shown in part of the element ("" when it is hidden).
func (p tab) text(part string) string {
	p.t.Helper()
	s, err := browsertest.Text(p.ctx, p.sel(part))
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

func (p tab) attr(name string) string {
	p.t.Helper()
	return evalOn[string](p, p.js(fmt.Sprintf(`el.getAttribute(%q) ?? ""`, name)))
}

func (p tab) hasAttr(name string) bool {
	p.t.Helper()
	return evalOn[bool](p, p.js(fmt.Sprintf(`el.hasAttribute(%q)`, name)))
}

func (p tab) click(part string) {
	p.t.Helper()
	if err := browsertest.Click(p.ctx, p.sel(part)); err != nil {
		p.t.Fatal(err)
	}
}

func (p tab) waitState(state string, d time.Duration) {
	p.t.Helper()
	if err := browsertest.WaitAttr(p.ctx, p.root, "data-state", state, d); err != nil {
		p.t.Fatalf("%v (error box %q, status %q)", err, p.text(selError), p.text(selStatus))
	}
}

// waitText waits until the text of part satisfies ok and returns it.
func (p tab) waitText(part string, d time.Duration, ok func(string) bool) string {
	p.t.Helper()
	s, err := browsertest.WaitText(p.ctx, p.sel(part), d, ok)
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// start clicks Start on the idle element and waits until it streams; it
// returns how long that took.
func (p tab) start() time.Duration {
	p.t.Helper()
	return p.startFrom("idle")
}

// startFrom is start from state, another state the button starts in
// (error).
func (p tab) startFrom(state string) time.Duration {
	p.t.Helper()
	if s := p.state(); s != state {
		p.t.Fatalf("state %q before Start, want %s", s, state)
	}
	if got := p.text(selButton); got != p.startLabel {
		p.t.Fatalf("button %q before starting, want %s", got, p.startLabel)
	}
	begin := time.Now()
	p.click(selButton)
	p.waitState("streaming", waitStart)
	took := time.Since(begin)
	if got := p.text(selButton); got != p.stopLabel {
		p.t.Errorf("button %q while streaming, want %s", got, p.stopLabel)
	}
	return took
}

// stop clicks Stop and waits for the idle state.
func (p tab) stop() {
	p.t.Helper()
	p.click(selButton)
	p.waitState("idle", waitState)
	if got := p.text(selButton); got != p.startLabel {
		p.t.Errorf("button %q after Stop, want %s", got, p.startLabel)
	}
}

// videoSize returns the intrinsic size of a video once it has a frame.
func (p tab) videoSize(video string) (w, h int) {
	p.t.Helper()
	w, h, err := browsertest.WaitVideo(p.ctx, p.sel(video), waitState)
	if err != nil {
		p.t.Fatal(err)
	}
	return w, h
}

// presentedFrames counts the frames video presents during d.
func (p tab) presentedFrames(video string, d time.Duration) (int, error) {
	return browsertest.PresentedFrames(p.ctx, p.sel(video), d)
}

// pixels reads the RGB of the current frame of video at the given points,
// as fractions of its size.
func (p tab) pixels(video string, points [][2]float64) ([][3]int, error) {
	w, h, err := browsertest.WaitVideo(p.ctx, p.sel(video), waitState)
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

// brightness is the brightness of an RGB pixel of grey video.
func brightness(c [3]int) int { return (c[0] + c[1] + c[2]) / 3 }

// waitSplit waits until video shows a bright left half and a dark right half
// (brightLeft) or the opposite, sampled at a quarter and three quarters of
// its width; the moving bar of pattern() can cover a point for a frame, so
// it polls.
func (p tab) waitSplit(video string, brightLeft bool) {
	p.t.Helper()
	var last [][3]int
	err := browsertest.Poll(p.ctx, waitPixels, func(ctx context.Context) (bool, error) {
		px, err := p.withContext(ctx).pixels(video, [][2]float64{{0.25, 0.5}, {0.75, 0.5}})
		if err != nil {
			return false, err
		}
		last = px
		left, right := brightness(px[0]), brightness(px[1])
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
		p.t.Fatalf("%s: want %s; last pixels left %v right %v: %v", p.sel(video), want, pixelAt(last, 0), pixelAt(last, 1), err)
	}
}

// pixelAt is px[i], or "none" if pixels were not read.
func pixelAt(px [][3]int, i int) any {
	if i < len(px) {
		return px[i]
	}
	return "none"
}

// waitColors waits until each camQuadrant of the video shows want(camQuadrant) in
// RGB, within tol per channel, and fails with the last colours seen
// otherwise. Points are taken at the same fractions of the video's size,
// whatever it is.
func (p tab) waitColors(video string, tol int, want func(camQuadrant) [3]int) {
	p.t.Helper()
	var last []string
	err := browsertest.Poll(p.ctx, waitPixels, func(ctx context.Context) (bool, error) {
		w, h, err := browsertest.WaitVideo(ctx, p.sel(video), waitState)
		if err != nil {
			return false, err
		}
		var seen []string
		ok := true
		defer func() { last = seen }()
		for _, q := range camQuadrants {
			x, y := int(q.fx*float64(w)), int(q.fy*float64(h))
			r, g, b, err := browsertest.VideoPixel(ctx, p.sel(video), x, y)
			if err != nil {
				return false, err
			}
			c := want(q)
			good := within(r, c[0], tol) && within(g, c[1], tol) && within(b, c[2], tol)
			ok = ok && good
			seen = append(seen, fmt.Sprintf("%s (%d,%d) rgb(%d,%d,%d), want rgb(%d,%d,%d)", q.name, x, y, r, g, b, c[0], c[1], c[2]))
		}
		return ok, nil
	})
	if err != nil {
		p.t.Fatalf("%s colours: %v; last seen:\n  %s", p.sel(video), err, strings.Join(last, "\n  "))
	}
}

func within(a, b, tol int) bool { return a-b <= tol && b-a <= tol }
