package ui_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/ui"
)

// cspWatchJS runs in every document before the page's own scripts and
// keeps what the page's Content-Security-Policy blocked.
const cspWatchJS = `(() => {
	window.__cspViolations = [];
	document.addEventListener("securitypolicyviolation", (e) => {
		window.__cspViolations.push(e.effectiveDirective + " blocked " + (e.blockedURI || "?") + " at " + e.sourceFile + ":" + e.lineNumber);
	}, true);
})()`

// cspViolations returns what the page's policy blocked so far, and forgets it.
func cspViolations(t *testing.T, ctx context.Context) []string {
	t.Helper()
	v, err := browsertest.Eval[[]string](ctx, `(() => { const v = window.__cspViolations ?? []; window.__cspViolations = []; return v; })()`)
	if err != nil {
		t.Errorf("reading the policy's violations: %v", err)
	}
	return v
}

// openPage serves b on loopback and opens it in a fresh browser, once the
// runtime has started. When the test ends, it fails the test if the page's
// Content-Security-Policy blocked anything it did not expect.
func openPage(t *testing.T, b *ui.Blocks, opts browsertest.Options) context.Context {
	t.Helper()
	srv := httptest.NewServer(b)
	t.Cleanup(srv.Close)
	ctx := browsertest.New(t, opts)
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: cspWatchJS})
		return err
	})); err != nil {
		t.Fatalf("installing the policy watch: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		if v := cspViolations(t, ctx); len(v) > 0 {
			t.Errorf("the Content-Security-Policy blocked:\n%s", strings.Join(v, "\n"))
		}
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatalf("opening the page: %v", err)
	}
	if err := browsertest.WaitAttr(ctx, "html", "data-blocks", "ready", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// screenshotDir is where screenshots go: $RTCSTREAM_UI_SCREENSHOTS, or the
// test's temporary directory.
func screenshotDir(t *testing.T) string {
	if d := os.Getenv("RTCSTREAM_UI_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func TestBrowserSeedLayoutScreenshot(t *testing.T) {
	demo, _ := seedPage()
	ctx := openPage(t, demo, browsertest.Options{WindowWidth: 1100, WindowHeight: 800})
	path := filepath.Join(screenshotDir(t), "seed-layout.png")
	if err := browsertest.Screenshot(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	// The group is centred and at most 600 pixels wide (the seed's CSS).
	box, err := browsertest.Eval[[]float64](ctx, `(() => { const r = document.querySelector(".my-group").getBoundingClientRect();
		return [r.left, r.width, document.documentElement.clientWidth]; })()`)
	if err != nil {
		t.Fatal(err)
	}
	if box[1] > 600.5 || box[1] < 500 {
		t.Errorf("group width %v, want at most 600 (the seed's CSS)", box[1])
	}
	if mid := box[0] + box[1]/2; mid < box[2]/2-20 || mid > box[2]/2+20 {
		t.Errorf("group centred at %v, page centre %v", mid, box[2]/2)
	}
}

func TestBrowserGalleryScreenshot(t *testing.T) {
	ctx := openPage(t, galleryPage(), browsertest.Options{WindowWidth: 1100, WindowHeight: 900})
	path := filepath.Join(screenshotDir(t), "gallery.png")
	if err := browsertest.Screenshot(ctx, path); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// blocksJS evaluates an async function body in the page with the runtime
// module as m, and returns its result.
func blocksJS[T any](t *testing.T, ctx context.Context, body string) T {
	t.Helper()
	v, err := browsertest.Eval[T](ctx, `(async () => { const m = await import(new URL("assets/blocks.js", document.baseURI).href); `+body+` })()`)
	if err != nil {
		t.Fatalf("evaluating %q: %v", body, err)
	}
	return v
}

// waitJS polls a JavaScript expression until it is true.
func waitJS(t *testing.T, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := browsertest.Eval[bool](ctx, expr)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out after %v (last error %v)", expr, timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// moveSlider sets a range input as a person dragging it does: the value,
// then an input event.
func moveSlider(t *testing.T, ctx context.Context, id string, v float64) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const r = document.querySelector('[data-component=%q] input.slider-range');
		r.value = %q; r.dispatchEvent(new Event("input", {bubbles: true})); return r.value; })()`, id, fmt.Sprint(v))
	if _, err := browsertest.Eval[string](ctx, js); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserSliderUpdatesRuntime(t *testing.T) {
	demo, _ := seedPage()
	ctx := openPage(t, demo, browsertest.Options{})
	if got := blocksJS[float64](t, ctx, `return m.getValue("conf");`); got != 0.3 {
		t.Fatalf("initial getValue = %v, want 0.3", got)
	}
	blocksJS[bool](t, ctx, `window.changes = []; m.onChange("conf", (v, id) => window.changes.push([id, v])); return true;`)
	moveSlider(t, ctx, "conf", 0.55)
	if got := blocksJS[float64](t, ctx, `return m.getValue("conf");`); got != 0.55 {
		t.Errorf("getValue after moving = %v, want 0.55", got)
	}
	changes, err := browsertest.Eval[[][]any](ctx, `window.changes`)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0][0] != "conf" || changes[0][1] != 0.55 {
		t.Errorf("onChange calls %v, want [[conf 0.55]]", changes)
	}
	if got, _ := browsertest.Eval[string](ctx, `document.querySelector("#conf-number").value`); got != "0.55" {
		t.Errorf("the number box shows %q, want 0.55", got)
	}
	// Typing in the number box moves the slider too; out of range is clamped.
	if _, err := browsertest.Eval[bool](ctx, `(() => { const n = document.querySelector("#conf-number");
		n.value = "7"; n.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`); err != nil {
		t.Fatal(err)
	}
	if got := blocksJS[float64](t, ctx, `return m.getValue("conf");`); got != 1 {
		t.Errorf("getValue after typing 7 = %v, want 1 (clamped)", got)
	}
	// setValue shows the value and fires onChange; the same value again does not.
	n := blocksJS[float64](t, ctx, `m.setValue("conf", 0.2); m.setValue("conf", 0.2); return window.changes.length;`)
	if n != 3 {
		t.Errorf("%v onChange calls, want 3", n)
	}
	if got, _ := browsertest.Eval[string](ctx, `document.querySelector("#conf-range").value`); got != "0.2" {
		t.Errorf("range shows %q after setValue, want 0.2", got)
	}
}

func TestBrowserValueFuncEvery(t *testing.T) {
	var n atomic.Int64
	clock := &ui.Textbox{Props: ui.Props{Key: "clock", Every: 50 * time.Millisecond,
		ValueFunc: func() string { return fmt.Sprintf("tick %d", n.Add(1)) }}}
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(clock)
	ctx := openPage(t, b, browsertest.Options{})
	waitJS(t, ctx, `(() => { const v = document.querySelector("#clock-input").value; return v.startsWith("tick ") && Number(v.slice(5)) >= 4; })()`, 10*time.Second)
	if !strings.Contains(rootTagIn(t, ctx, "clock"), "static") {
		t.Error("a ticking Textbox is editable")
	}
}

// rootTagIn returns the outer HTML start of a component in the page.
func rootTagIn(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := browsertest.Eval[string](ctx, fmt.Sprintf(`document.querySelector('[data-component=%q]').outerHTML.split(">")[0]`, id))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBrowserValueFuncInputs(t *testing.T) {
	speed := &ui.Slider{Props: ui.Props{Label: "Speed", Key: "speed"}, Maximum: 10, Value: 2}
	fast := &ui.Checkbox{Props: ui.Props{Label: "Fast", Key: "fast"}}
	summary := &ui.Textbox{Props: ui.Props{Key: "summary", Inputs: []ui.Component{speed, fast},
		ValueFunc: func(s int, f bool) (string, error) {
			if s == 9 {
				return "", errors.New("speed 9 is broken")
			}
			return fmt.Sprintf("speed=%d fast=%v", s, f), nil
		}}}
	b := ui.NewBlocks(&ui.BlocksOptions{Logger: quietLogger})
	b.Add(speed, fast, summary)
	ctx := openPage(t, b, browsertest.Options{})
	waitJS(t, ctx, `document.querySelector("#summary-input").value === "speed=2 fast=false"`, 5*time.Second)
	moveSlider(t, ctx, "speed", 7)
	waitJS(t, ctx, `document.querySelector("#summary-input").value === "speed=7 fast=false"`, 5*time.Second)
	if err := browsertest.Click(ctx, "#fast-input"); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `document.querySelector("#summary-input").value === "speed=7 fast=true"`, 5*time.Second)
	// Many quick moves: the last one wins.
	for _, v := range []float64{1, 2, 3, 4, 5, 6} {
		moveSlider(t, ctx, "speed", v)
	}
	waitJS(t, ctx, `document.querySelector("#summary-input").value === "speed=6 fast=true"`, 5*time.Second)
	// An error shows next to the component, and goes when the value is good again.
	moveSlider(t, ctx, "speed", 9)
	got, err := browsertest.WaitText(ctx, `[data-component="summary"] .block-error`, 5*time.Second, func(s string) bool { return s != "" })
	if err != nil {
		t.Fatal(err)
	}
	if got != "speed 9 is broken" {
		t.Errorf("error box %q", got)
	}
	moveSlider(t, ctx, "speed", 3)
	waitJS(t, ctx, `document.querySelector('[data-component="summary"] .block-error').hidden && document.querySelector("#summary-input").value === "speed=3 fast=true"`, 5*time.Second)
}

func TestBrowserButtonClickReachesGo(t *testing.T) {
	clicked := make(chan struct{}, 10)
	btn := &ui.Button{Props: ui.Props{Key: "go"}, Value: "Go", Variant: ui.VariantPrimary}
	btn.OnClick(func(ctx context.Context) error {
		clicked <- struct{}{}
		return nil
	})
	bad := &ui.Button{Props: ui.Props{Key: "bad"}, Value: "Bad"}
	bad.OnClick(func(context.Context) error { return errors.New("not today") })
	b := ui.NewBlocks(&ui.BlocksOptions{Logger: quietLogger})
	b.Add(btn, bad, &ui.HTML{Value: `<rtc-stream id="triggered" trigger="go"></rtc-stream><rtc-stream id="other" trigger="bad"></rtc-stream>`})
	ctx := openPage(t, b, browsertest.Options{})
	// Listen in the page: the DOM event, the runtime's listener, and a
	// stream started by the button (start() stubbed: this is not a real
	// <rtc-stream>).
	blocksJS[bool](t, ctx, `window.events = []; window.started = [];
		document.addEventListener("blocks:click", (e) => window.events.push("dom:" + e.detail.id));
		m.onClick("go", (id) => window.events.push("fn:" + id));
		for (const s of document.querySelectorAll("rtc-stream")) s.start = () => window.started.push(s.id);
		return true;`)
	if err := browsertest.Click(ctx, "#go-button"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-clicked:
	case <-time.After(5 * time.Second):
		t.Fatal("the click did not reach the OnClick handler")
	}
	events, _ := browsertest.Eval[[]string](ctx, `window.events`)
	if strings.Join(events, ",") != "dom:go,fn:go" {
		t.Errorf("page events %v, want [dom:go fn:go]", events)
	}
	started, _ := browsertest.Eval[[]string](ctx, `window.started`)
	if strings.Join(started, ",") != "triggered" {
		t.Errorf("started streams %v, want [triggered]", started)
	}
	if err := browsertest.Click(ctx, "#bad-button"); err != nil {
		t.Fatal(err)
	}
	if got, err := browsertest.WaitText(ctx, `[data-component="bad"] .block-error`, 5*time.Second, func(s string) bool { return s != "" }); err != nil || got != "not today" {
		t.Errorf("error box %q, %v; want the handler's error", got, err)
	}
}

func TestBrowserOutputMessages(t *testing.T) {
	text := &ui.Textbox{Props: ui.Props{Key: "text"}}
	label := &ui.Label{Props: ui.Props{Key: "label"}}
	data := &ui.JSON{Props: ui.Props{Key: "data"}}
	chat := &ui.Chatbot{Props: ui.Props{Key: "chat"}}
	md := &ui.Markdown{Props: ui.Props{Key: "md"}}
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(&ui.HTML{Value: `<rtc-stream id="fake"></rtc-stream>`}, text, label, data, chat, md)
	ctx := openPage(t, b, browsertest.Options{})

	// What a stream handler's outputs become on the server: Encode.
	values := map[string]json.RawMessage{}
	enc := func(id string, out ui.Output, v any) {
		raw, err := out.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		values[id] = raw
	}
	enc("text", text, "3 objects")
	enc("label", label, map[string]float64{"cat": 0.75, "dog": 0.25})
	enc("data", data, map[string]any{"n": 3, "ok": true})
	enc("chat", chat, []ui.Message{{Role: "user", Content: "hi"}, {Role: "assistant", Content: "**hello** <b>x</b>"}})
	enc("md", md, "# Done")
	msg, _ := json.Marshal(map[string]any{"type": "output", "values": values})
	if _, err := browsertest.Eval[bool](ctx, fmt.Sprintf(`document.querySelector("#fake").dispatchEvent(
		new CustomEvent("servermessage", {detail: %s}))`, msg)); err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		`document.querySelector("#text-input").value`:                                      "3 objects",
		`document.querySelector('[data-component=label] .label-top').textContent`:          "cat",
		`document.querySelector('[data-component=label] .label-confidences').innerText`:    "cat\n75%\ndog\n25%",
		`document.querySelector('[data-component=data] code').textContent`:                 "{\n  \"n\": 3,\n  \"ok\": true\n}",
		`document.querySelector('[data-component=data] .json-key').textContent`:            `"n"`,
		`document.querySelector('[data-component=chat] .message.user').textContent.trim()`: "hi",
		`document.querySelector('[data-component=chat] .message.assistant').innerHTML`:     `<div class="bubble prose"><p><strong>hello</strong> &lt;b&gt;x&lt;/b&gt;</p>` + "\n</div>",
		`document.querySelector('[data-component=md] .markdown-content').innerHTML.trim()`: "<h1>Done</h1>",
	}
	for expr, want := range checks {
		got, err := browsertest.Eval[string](ctx, expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
		} else if got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}
	if v := blocksJS[string](t, ctx, `return m.getValue("text");`); v != "3 objects" {
		t.Errorf("getValue(text) = %q", v)
	}
}

func TestBrowserStreamInputMessages(t *testing.T) {
	conf := &ui.Slider{Props: ui.Props{Key: "conf"}, Maximum: 1, Step: 0.01, Value: 0.3}
	flag := &ui.Checkbox{Props: ui.Props{Key: "flag"}}
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(&ui.HTML{Value: `<rtc-stream id="s" inputs="conf flag"></rtc-stream>`}, conf, flag)
	ctx := openPage(t, b, browsertest.Options{})
	// Record what the runtime sends; the first send fails, as while the data
	// channel opens, and must be retried.
	if _, err := browsertest.Eval[bool](ctx, `(() => { const s = document.querySelector("#s");
		window.sent = []; let first = true;
		s.send = (msg) => { if (first) { first = false; return false; } window.sent.push({t: performance.now(), msg: JSON.parse(JSON.stringify(msg))}); return true; };
		window.state = (state) => s.dispatchEvent(new CustomEvent("statechange", {detail: {state}}));
		window.server = (msg) => s.dispatchEvent(new CustomEvent("servermessage", {detail: msg}));
		return true; })()`); err != nil {
		t.Fatal(err)
	}
	type sent struct {
		T   float64
		Msg struct {
			Type   string         `json:"type"`
			Values map[string]any `json:"values"`
		}
	}
	messages := func() []sent {
		var out []sent
		raw, err := browsertest.Eval[json.RawMessage](ctx, `window.sent`)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Changes before streaming are not sent.
	moveSlider(t, ctx, "conf", 0.4)
	if n := len(messages()); n != 0 {
		t.Fatalf("%d messages before streaming", n)
	}
	// Streaming: every input, once.
	browsertest.Eval[bool](ctx, `window.state("connecting"), window.state("streaming"), true`)
	waitJS(t, ctx, `window.sent.length === 1`, 5*time.Second)
	m := messages()[0].Msg
	if m.Type != "input" || len(m.Values) != 2 || m.Values["conf"] != 0.4 || m.Values["flag"] != false {
		t.Errorf("first message %+v, want every input", m)
	}
	// A burst of changes: only the changed input, at most one message per
	// 30 ms, and the last value always arrives.
	start := len(messages())
	if _, err := browsertest.Eval[bool](ctx, `(async () => {
		const r = document.querySelector('[data-component=conf] input.slider-range');
		for (let i = 1; i <= 40; i++) {
			r.value = String(i / 100); r.dispatchEvent(new Event("input", {bubbles: true}));
			await new Promise((res) => setTimeout(res, 2));
		}
		return true; })()`); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, `window.sent.length > 0 && window.sent.at(-1).msg.values.conf === 0.4`, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	burst := messages()[start:]
	if len(burst) < 2 || len(burst) > 20 {
		t.Errorf("%d messages for 40 changes in about 100 ms; want them throttled to one per 30 ms", len(burst))
	}
	for i, s := range burst {
		if len(s.Msg.Values) != 1 || s.Msg.Values["conf"] == nil {
			t.Errorf("burst message %d carries %v, want only conf", i, s.Msg.Values)
		}
		if i > 0 && s.T-burst[i-1].T < 29 {
			t.Errorf("messages %d and %d are %.1f ms apart, want at least 30", i-1, i, s.T-burst[i-1].T)
		}
	}
	if last := burst[len(burst)-1].Msg.Values["conf"]; last != 0.4 {
		t.Errorf("last value sent %v, want 0.4", last)
	}
	// A checkbox change sends only the checkbox.
	n := len(messages())
	if err := browsertest.Click(ctx, "#flag-input"); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, fmt.Sprintf(`window.sent.length === %d`, n+1), 5*time.Second)
	if m := messages()[n].Msg; len(m.Values) != 1 || m.Values["flag"] != true {
		t.Errorf("after the click: %v", m.Values)
	}
	// A tick from the server: every input again.
	n = len(messages())
	browsertest.Eval[bool](ctx, `window.server({type: "tick"}), true`)
	waitJS(t, ctx, fmt.Sprintf(`window.sent.length === %d`, n+1), 5*time.Second)
	if m := messages()[n].Msg; len(m.Values) != 2 || m.Values["flag"] != true || m.Values["conf"] != 0.4 {
		t.Errorf("after a tick: %v", m.Values)
	}
	// Stopped: changes are not sent.
	n = len(messages())
	browsertest.Eval[bool](ctx, `window.state("idle"), true`)
	moveSlider(t, ctx, "conf", 0.9)
	time.Sleep(100 * time.Millisecond)
	if got := len(messages()); got != n {
		t.Errorf("%d messages sent while idle", got-n)
	}
}

// TestBrowserRealRTCStream runs the runtime with the real <rtc-stream>
// element (rtc-stream.js loaded by a component's Renderer.Module): input
// messages go through its send(), outputs come from its servermessage
// events, and a trigger Button calls its real start().
func TestBrowserRealRTCStream(t *testing.T) {
	conf := &ui.Slider{Props: ui.Props{Key: "conf"}, Maximum: 1, Step: 0.01, Value: 0.3}
	out := &ui.Textbox{Props: ui.Props{Key: "out"}}
	start := &ui.Button{Props: ui.Props{Key: "start"}, Value: "Start"}
	stream := &fakeStream{Props: ui.Props{Label: "Stream", Key: "cam"}, inputs: []ui.Component{conf}, outputs: []ui.Component{out}, trigger: start}
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(stream, conf, out, start)
	ctx := openPage(t, b, browsertest.Options{})
	waitJS(t, ctx, `customElements.get("rtc-stream") !== undefined && document.querySelector("rtc-stream button.start-stop") !== null`, 10*time.Second)
	if got, _ := browsertest.Text(ctx, "rtc-stream button.start-stop"); got != "Start" {
		t.Errorf("the element's button says %q", got)
	}
	browsertest.Eval[bool](ctx, `(() => { const s = document.querySelector("rtc-stream");
		window.sent = []; s.send = (msg) => { window.sent.push(JSON.parse(JSON.stringify(msg))); return true; };
		s.dispatchEvent(new CustomEvent("statechange", {detail: {state: "streaming"}}));
		s.dispatchEvent(new CustomEvent("servermessage", {detail: {type: "output", values: {out: "from the server"}}}));
		return true; })()`)
	waitJS(t, ctx, `window.sent.length === 1 && window.sent[0].values.conf === 0.3`, 5*time.Second)
	waitJS(t, ctx, `document.querySelector("#out-input").value === "from the server"`, 5*time.Second)
	moveSlider(t, ctx, "conf", 0.6)
	waitJS(t, ctx, `window.sent.length === 2 && window.sent[1].values.conf === 0.6`, 5*time.Second)

	// The trigger button starts the real element: it leaves idle (the fake
	// signalling route answers no SDP, so it ends in error).
	browsertest.Eval[bool](ctx, `document.querySelector("rtc-stream").dispatchEvent(new CustomEvent("statechange", {detail: {state: "idle"}})), true`)
	if err := browsertest.Click(ctx, "#start-button"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(ctx, "rtc-stream", "data-state", "error", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserLayout(t *testing.T) {
	b := ui.NewBlocks(&ui.BlocksOptions{FillWidth: true})
	b.Row(ui.Props{Key: "row"}, func(r *ui.Layout) {
		r.Add(
			&ui.Textbox{Props: ui.Props{Key: "wide", Scale: 2}},
			&ui.Textbox{Props: ui.Props{Key: "narrow"}},
			&ui.Button{Props: ui.Props{Key: "fixed", Scale: ui.NoGrow, MinWidth: 90}, Value: "Go"},
			&ui.Textbox{Props: ui.Props{Key: "gone", Hidden: true}},
		)
	})
	b.Row(ui.Props{Key: "wrap"}, func(r *ui.Layout) {
		r.Add(&ui.Textbox{Props: ui.Props{Key: "w1", MinWidth: 700}}, &ui.Textbox{Props: ui.Props{Key: "w2", MinWidth: 700}})
	})
	b.Group(ui.Props{Key: "g"}, func(g *ui.Layout) {
		g.Add(&ui.Textbox{Props: ui.Props{Key: "g1"}}, &ui.Textbox{Props: ui.Props{Key: "g2"}})
	})
	b.Add(&ui.Textbox{Props: ui.Props{Key: "sized", Width: "300", Height: "10em"}})
	ctx := openPage(t, b, browsertest.Options{WindowWidth: 1200, WindowHeight: 800})
	rect := func(id string) []float64 {
		v, err := browsertest.Eval[[]float64](ctx, fmt.Sprintf(`(() => { const r = document.querySelector('[data-component=%q]').getBoundingClientRect();
			return [r.left, r.top, r.width, r.height]; })()`, id))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	wide, narrow, fixed, gone := rect("wide"), rect("narrow"), rect("fixed"), rect("gone")
	if ratio := wide[2] / narrow[2]; ratio < 1.8 || ratio > 2.2 {
		t.Errorf("Scale 2 vs 1: widths %v and %v (ratio %.2f), want about 2", wide[2], narrow[2], ratio)
	}
	if fixed[2] < 89 || fixed[2] > 140 {
		t.Errorf("NoGrow button width %v, want about its MinWidth 90", fixed[2])
	}
	if wide[1] != narrow[1] || narrow[1] != fixed[1] {
		t.Errorf("a Row's children are not side by side: tops %v %v %v", wide[1], narrow[1], fixed[1])
	}
	if gone[2] != 0 || gone[3] != 0 {
		t.Errorf("a Hidden component takes %vx%v", gone[2], gone[3])
	}
	if w1, w2 := rect("w1"), rect("w2"); w2[1] <= w1[1] {
		t.Errorf("children too wide for the row did not wrap: tops %v, %v", w1[1], w2[1])
	}
	if g1, g2 := rect("g1"), rect("g2"); g2[1]-(g1[1]+g1[3]) > 1.5 {
		t.Errorf("a Group's children are %v pixels apart, want a hairline", g2[1]-(g1[1]+g1[3]))
	}
	if s := rect("sized"); s[2] != 300 || s[3] < 100 || s[3] > 200 {
		t.Errorf("Width 300, Height 10em: %vx%v", s[2], s[3])
	}
}

// TestBrowserContentSecurityPolicy: the page runs under its policy without
// a violation (every component, the <rtc-stream> element, the
// application's CSS, style attributes in its HTML, a Markdown picture from
// elsewhere), and the policy is really enforced: a script injected into the
// page does not run. (eval can't be tried from here: DevTools' own
// evaluation is exempt from the policy.)
func TestBrowserContentSecurityPolicy(t *testing.T) {
	b := galleryPage()
	b.Add(&ui.HTML{Value: `<h3 style="text-align: center">Styled by an attribute</h3>`})
	b.Add(&ui.Markdown{Value: "![a picture](https://example.com/logo.png)"})
	b.Add(&fakeStream{Props: ui.Props{Label: "Stream", Key: "cam"}})
	ctx := openPage(t, b, browsertest.Options{})
	waitJS(t, ctx, `customElements.get("rtc-stream") !== undefined && document.querySelector("rtc-stream button.start-stop") !== null`, 10*time.Second)
	if v := cspViolations(t, ctx); len(v) > 0 {
		t.Fatalf("the Content-Security-Policy blocked what the page uses:\n%s", strings.Join(v, "\n"))
	}

	ran, err := browsertest.Eval[bool](ctx, `(() => { const s = document.createElement("script");
		s.textContent = "window.__injected = true"; document.body.append(s); return window.__injected === true; })()`)
	if err != nil || ran {
		t.Errorf("an injected inline script ran: %v, %v", ran, err)
	}
	waitJS(t, ctx, `window.__cspViolations.length >= 1`, 5*time.Second)
	if v := strings.Join(cspViolations(t, ctx), "\n"); !strings.Contains(v, "script-src-elem blocked inline") {
		t.Errorf("violations %q, want the inline script's", v)
	}
}
