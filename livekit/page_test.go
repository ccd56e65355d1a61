package livekit_test

import (
	"context"
	"image"
	"image/color"
	"iter"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/lktest"
	"github.com/rtcstream/rtcstream/livekit"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/voice"
)

// TestBrowserPageOverLiveKit: a Stream's own page, with LiveKitTokenURL,
// joins a LiveKit room instead of the server: Chromium's camera goes to the
// room, the worker running the same Stream's handler sends it back
// inverted, and the page shows it with its usual states and countdown.
// Stop leaves the room, and the worker's job ends.
func TestBrowserPageOverLiveKit(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{
		LiveKit: rtcstream.LiveKitPage{TokenURL: "livekit/token", ServerURL: node.URL}, TimeLimit: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	origin, w := pageOverLiveKit(t, node, s, s, "page")

	ctx := startPage(t, origin, flatCamera(t, camY, camU, camV))
	if got, err := browsertest.Eval[string](ctx, `document.querySelector("rtc-stream").getAttribute("livekit-token")`); err != nil || got != "livekit/token" {
		t.Fatalf("the page's element has livekit-token %q (%v), want livekit/token", got, err)
	}

	checkInvertedOutput(t, ctx)
	// The countdown runs, as for a session with the server.
	if txt, err := browsertest.WaitText(ctx, "rtc-stream .countdown", 5*time.Second, func(s string) bool { return strings.Contains(s, ":") }); err != nil {
		t.Errorf("no countdown while streaming through LiveKit: %v (%q)", err, txt)
	}
	if n := w.Jobs(); n != 1 {
		t.Errorf("the worker holds %d jobs, want 1", n)
	}

	// Stop leaves the room; LiveKit closes it and the job ends.
	if err := browsertest.Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(ctx, "rtc-stream", "data-state", "idle", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the job ends after Stop", func() bool { return w.Jobs() == 0 })
}

// TestBrowserBlocksPageOverLiveKit: a Blocks page like the seed's (the
// stream, a slider in, a textbox out) over LiveKit: the slider's value
// reaches the worker's handler live, and its additional output reaches
// the page's textbox.
func TestBrowserBlocksPageOverLiveKit(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	demo := ui.NewBlocks(nil)
	video := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Options: rtcstream.Options{
		LiveKit: rtcstream.LiveKitPage{TokenURL: "livekit/token", ServerURL: node.URL}}})
	conf := &ui.Slider{Props: ui.Props{Label: "Level"}, Minimum: 0, Maximum: 1, Step: 0.05, Value: 0.2}
	text := &ui.Textbox{Props: ui.Props{Label: "Said"}}
	demo.Add(video, conf, text)
	if err := video.Stream(level, rtcstream.StreamEvent{Inputs: []ui.Component{video, conf}, Outputs: []ui.Component{video, text}}); err != nil {
		t.Fatal(err)
	}
	if err := demo.Build(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { video.Close() })
	origin, _ := pageOverLiveKit(t, node, demo, video.Server(), "blocks")

	ctx := startPage(t, origin, flatCamera(t, 100, 128, 128))
	// luma waits until the output's centre has about the luma of level v.
	luma := func(v float64, within time.Duration) time.Duration {
		t.Helper()
		want := 16 + v*219
		start := time.Now()
		for {
			r, g, b, err := browsertest.VideoPixel(ctx, "rtc-stream video.output", 80, 60)
			y := 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b) // of the full-range RGB the page shows
			y = 16 + y*219/255
			if err == nil && abs(int(y-want)) <= 16 {
				return time.Since(start)
			}
			if time.Since(start) > within {
				t.Fatalf("the output's luma is %.0f (%v), want about %.0f (level %.2f)", y, err, want, v)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	luma(0.2, 10*time.Second)
	if _, err := browsertest.Eval[string](ctx, `(() => { const r = document.querySelector("input[type=range]");
		r.value = "0.8"; r.dispatchEvent(new Event("input", {bubbles: true})); return r.value; })()`); err != nil {
		t.Fatal(err)
	}
	took := luma(0.8, 5*time.Second)
	t.Logf("the slider's new level showed %v after the move, through LiveKit", took.Round(time.Millisecond))
	textValue := func() string {
		v, _ := browsertest.Eval[string](ctx, `[...document.querySelectorAll("textarea, input[type=text]")].map(e => e.value).join("|")`)
		return v
	}
	deadline := time.Now().Add(5 * time.Second)
	for textValue() != "level 0.80" {
		if time.Now().After(deadline) {
			t.Fatalf("the textbox shows %q, want the additional output %q", textValue(), "level 0.80")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pageOverLiveKit serves page (a Stream's, or a Blocks page holding
// stream) with a token endpoint for agent at /livekit/token, runs a worker
// of stream as agent until the test ends, and returns the page's origin
// and the worker.
func pageOverLiveKit(t *testing.T, node *lktest.Node, page http.Handler, stream *rtcstream.Stream, agent string) (string, *livekit.Worker) {
	t.Helper()
	tokens, err := livekit.TokenHandler(livekit.TokenHandlerOptions{URL: node.URL, APIKey: lktest.APIKey, APISecret: lktest.APISecret, AgentName: agent})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", page)
	mux.Handle("/livekit/token", tokens)
	origin := serveOn(t, mux)
	w, err := livekit.NewWorker(stream, livekit.Options{URL: node.URL, APIKey: lktest.APIKey, APISecret: lktest.APISecret, AgentName: agent})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, w)
	waitFor(t, 10*time.Second, "the worker registered", w.Registered)
	return origin, w
}

// serveOn serves h on the rig's address until t ends and returns its
// origin.
func serveOn(t *testing.T, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp4", net.JoinHostPort(lktest.Interface(t), "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return "http://" + l.Addr().String()
}

// flatCamera writes a Y4M of one flat colour for Chromium's fake camera.
func flatCamera(t *testing.T, y, cb, cr uint8) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "flat.y4m")
	if err := browsertest.WriteY4M(path, 320, 240, 30, 30, func(int) *image.YCbCr {
		img := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
		for i := range img.Y {
			img.Y[i] = y
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = cb, cr
		}
		return img
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkInvertedOutput waits until the page's output shows the flat camera
// (camY, camU, camV) inverted, every plane 255-v.
func checkInvertedOutput(t *testing.T, ctx context.Context) {
	t.Helper()
	wr, wg, wb := color.YCbCrToRGB(255-camY, 255-camU, 255-camV)
	near := func(a int, w uint8) bool { return abs(a-int(w)) <= 24 }
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, g, b, err := browsertest.VideoPixel(ctx, "rtc-stream video.output", 160, 120)
		if err == nil && near(r, wr) && near(g, wg) && near(b, wb) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the output's centre is rgb(%d, %d, %d) (%v), want about rgb(%d, %d, %d): the camera inverted", r, g, b, err, wr, wg, wb)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startPage opens origin's page in Chromium, its fake camera playing
// camera, presses Start and waits until the stream is streaming.
func startPage(t *testing.T, origin, camera string) context.Context {
	t.Helper()
	ctx := browsertest.New(t, browsertest.Options{FakeVideo: camera, SecureOrigins: []string{origin}, Timeout: 2 * time.Minute})
	if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/")); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(ctx, "rtc-stream", "data-state", "idle", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := browsertest.Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(ctx, "rtc-stream", "data-state", "streaming", 30*time.Second); err != nil {
		errText, _ := browsertest.Text(ctx, "rtc-stream .error")
		t.Fatalf("%v (error box: %q)", err, errText)
	}
	t.Logf("streaming %v after Start", time.Since(start).Round(time.Millisecond))
	return ctx
}

// TestBrowserVoicePageOverLiveKit: an audio Stream's own page, with
// voice.ReplyOnPause in a worker, over LiveKit: Chromium's microphone says
// "hello" into the room, the page's turn chip follows the turns the worker
// sends (Listening, Thinking, Speaking, Listening), and the reply reaches
// the page's output meter.
func TestBrowserVoicePageOverLiveKit(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	sayBack := func(ctx context.Context, u media.AudioFrame) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) { yield(u) }
	}
	handler := voice.ReplyOnPause(sayBack, &voice.ReplyOnPauseOptions{
		Detector: func() (vad.Detector, error) { return vad.NewEnergyDetector(), nil },
	})
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, handler, &rtcstream.Options{
		AudioInputRate: vad.SampleRate, LiveKit: rtcstream.LiveKitPage{TokenURL: "livekit/token", ServerURL: node.URL}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	origin, _ := pageOverLiveKit(t, node, s, s, "voice")

	// The microphone: half a second of silence, "hello", four seconds of
	// silence (the reply ends before the clip speaks again).
	wav := filepath.Join(t.TempDir(), "hello.wav")
	clip := append(append(make([]int16, 24000), speechAt48k(t, "../vad/testdata/hello.wav")...), make([]int16, 4*48000)...)
	if err := browsertest.WriteWAV(wav, 48000, clip); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t, browsertest.Options{FakeAudio: wav, SecureOrigins: []string{origin}, Timeout: 2 * time.Minute})
	if err := chromedp.Do(ctx, chromedp.Navigate(origin+"/")); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(ctx, "rtc-stream", "data-state", "idle", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.Eval[bool](ctx, `(() => {
		window.__vad = [];
		window.__chip = [];
		const e = document.querySelector("rtc-stream");
		e.addEventListener("servermessage", (ev) => { if (ev.detail.type === "vad") window.__vad.push(ev.detail.event); });
		const chip = e.querySelector(".vad-chip");
		new MutationObserver(() => {
			const last = window.__chip[window.__chip.length - 1];
			if (!chip.hidden && chip.textContent !== last) window.__chip.push(chip.textContent);
		}).observe(chip, { childList: true, characterData: true, subtree: true, attributes: true });
		return true; })()`); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(ctx, "rtc-stream", "data-state", "streaming", 30*time.Second); err != nil {
		errText, _ := browsertest.Text(ctx, "rtc-stream .error")
		t.Fatalf("%v (error box: %q)", err, errText)
	}
	// The reply is heard: the output meter reads speech.
	if _, err := browsertest.WaitLevel(ctx, "rtc-stream .level-out", 30*time.Second, func(v float64) bool { return v > 0.3 }); err != nil {
		events, _ := browsertest.Eval[[]string](ctx, `window.__vad`)
		t.Fatalf("the reply never reached the output meter: %v (turn events %v)", err, events)
	}
	if err := browsertest.Poll(ctx, 20*time.Second, func(ctx context.Context) (bool, error) {
		chips, err := browsertest.Eval[[]string](ctx, `window.__chip`)
		return len(chips) >= 4, err
	}); err != nil {
		t.Logf("the chip: %v", err)
	}
	events, _ := browsertest.Eval[[]string](ctx, `window.__vad`)
	chips, _ := browsertest.Eval[[]string](ctx, `window.__chip`)
	t.Logf("vad events %v; chip %q", events, chips)
	want := []string{"started_talking", "pause_detected", "reply_started", "reply_ended"}
	if len(events) < len(want) || !slices.Equal(events[:len(want)], want) {
		t.Errorf("vad events %v, want them to begin %v", events, want)
	}
	wantChips := []string{"Listening…", "Thinking…", "Speaking…", "Listening…"}
	if len(chips) < len(wantChips) || !slices.Equal(chips[:len(wantChips)], wantChips) {
		t.Errorf("chip showed %q, want it to begin %q", chips, wantChips)
	}
}
