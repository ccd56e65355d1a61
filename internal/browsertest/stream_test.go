package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"
)

// startStreaming clicks Start and waits for the processed video.
func startStreaming(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "streaming", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustText(t, ctx, "rtc-stream button.start-stop"); got != "Stop" {
		t.Errorf("button %q while streaming, want Stop", got)
	}
}

// TestStreamingProtocol runs the element's whole protocol against a pion echo
// server: offer and answer with token, trickled candidates with the token,
// media both ways, data channel messages, stop, and a server-side end.
func TestStreamingProtocol(t *testing.T) {
	const w, h = 320, 240
	echo := newEchoServer(t)
	s := newSiteWithStop(t, echo.handleOffer, echo.handleStop)
	ctx := New(t, Options{FakeVideo: writeQuadrantsY4M(t, w, h)})
	loadComponent(t, ctx, s, "")

	// 1. Start: the output shows the camera's frames after a VP8 round trip.
	startStreaming(t, ctx)
	if gw, gh, err := WaitVideo(ctx, "rtc-stream video.output", 10*time.Second); err != nil || gw != w || gh != h {
		t.Fatalf("output video %dx%d, %v; want %dx%d", gw, gh, err, w, h)
	}
	checkQuadrants(t, ctx, "rtc-stream video.output", w, h, 40)
	sess := echo.last()
	if dc := sess.channel(t); dc.Label() != "rtcstream" || !dc.Ordered() {
		t.Errorf("data channel %q ordered=%v, want \"rtcstream\" ordered", dc.Label(), dc.Ordered())
	}
	if got := mustEval[string](t, ctx, `document.querySelector("rtc-stream").webrtcID`); got != sess.id {
		t.Errorf("element webrtcID %q, server saw %q", got, sess.id)
	}
	if got := mustEval[string](t, ctx, `document.querySelector("rtc-stream").token`); got != sess.token {
		t.Errorf("element token %q, server issued %q", got, sess.token)
	}

	// 2. Candidates were trickled after the answer, each with the token.
	echo.mu.Lock()
	nCand, bad := len(echo.candidates), echo.badTokens
	for _, c := range echo.candidates {
		cand, _ := c["candidate"].(map[string]any)
		if _, ok := cand["candidate"].(string); !ok {
			t.Errorf("trickled body without candidate.candidate: %v", c)
		}
		if _, ok := cand["sdpMid"]; !ok {
			t.Errorf("trickled candidate without sdpMid (not toJSON()?): %v", c)
		}
	}
	echo.mu.Unlock()
	if nCand == 0 || bad != 0 {
		t.Errorf("%d candidates trickled, %d with a bad token", nCand, bad)
	}

	// 3. Server messages: warning and error are shown, the stream goes on.
	sess.send(t, map[string]any{"type": "warning", "message": "the handler is slow"})
	sess.send(t, map[string]any{"type": "log", "message": "ignored"})
	sess.send(t, map[string]any{"type": "error", "message": "the handler failed on one frame"})
	if err := poll(ctx, 5*time.Second, func(ctx context.Context) (bool, error) {
		s, err := Text(ctx, "rtc-stream .error")
		return s == "the handler failed on one frame", err
	}); err != nil {
		t.Fatalf("error box: %v", err)
	}
	if got := mustText(t, ctx, "rtc-stream .warning"); got != "the handler is slow" {
		t.Errorf("warning box %q", got)
	}
	if got := mustEval[string](t, ctx, `document.querySelector("rtc-stream").dataset.state`); got != "streaming" {
		t.Errorf("state %q after a server error message, want streaming", got)
	}

	// 4. Stop: the server hears it with id and token; all is released.
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "idle", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustText(t, ctx, "rtc-stream button.start-stop"); got != "Start" {
		t.Errorf("button %q after Stop", got)
	}
	if err := poll(ctx, 5*time.Second, func(context.Context) (bool, error) {
		echo.mu.Lock()
		defer echo.mu.Unlock()
		return len(echo.stops) == 1, nil
	}); err != nil {
		t.Fatalf("stop requests: %v", err)
	}
	echo.mu.Lock()
	if stop := echo.stops[0]; stop["webrtc_id"] != sess.id || stop["token"] != sess.token || echo.badTokens != 0 {
		t.Errorf("stop body %v (bad tokens %d), want id %s token %s", stop, echo.badTokens, sess.id, sess.token)
	}
	echo.mu.Unlock()
	if !mustEval[bool](t, ctx, `(() => { const q = (s) => document.querySelector("rtc-stream " + s);
		return q("video.preview").srcObject === null && q("video.output").srcObject === null; })()`) {
		t.Error("videos still hold streams after Stop")
	}

	// 5. The server ends a session normally: idle, with the reason shown.
	startStreaming(t, ctx)
	echo.last().send(t, map[string]any{"type": "end", "reason": "time limit reached"})
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "idle", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustText(t, ctx, "rtc-stream .status"); !strings.Contains(got, "time limit reached") {
		t.Errorf("status %q after end, want the reason", got)
	}

	// 6. The server ends a session with an error: error state and message.
	startStreaming(t, ctx)
	echo.last().send(t, map[string]any{"type": "end", "reason": "the handler panicked", "error": true})
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustText(t, ctx, "rtc-stream .error"); got != "the handler panicked" {
		t.Errorf("error box %q after an error end", got)
	}
	echo.mu.Lock()
	if len(echo.stops) != 1 {
		t.Errorf("%d stop requests; a server-side end should send none", len(echo.stops))
	}
	echo.mu.Unlock()
}

// TestStreamingReceiveMode checks a receive-only session negotiates and
// hears the server with no camera.
func TestStreamingReceiveMode(t *testing.T) {
	echo := newEchoServer(t)
	s := newSiteWithStop(t, echo.handleOffer, echo.handleStop)
	ctx := New(t, Options{})
	loadComponent(t, ctx, s, "mode=receive")
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	// The echo server has nothing to send back in receive mode, so the
	// element stays connecting; the data channel still opens.
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "connecting", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	echo.waitSession(t).send(t, map[string]any{"type": "warning", "message": "no source yet"})
	if err := poll(ctx, 5*time.Second, func(ctx context.Context) (bool, error) {
		s, err := Text(ctx, "rtc-stream .warning")
		return s == "no source yet", err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestConnectionLost: the server vanishes without a word; the element
// reports "Connection lost." within a few seconds of ICE noticing.
func TestConnectionLost(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for ICE to notice a dead peer")
	}
	echo := newEchoServer(t)
	s := newSiteWithStop(t, echo.handleOffer, echo.handleStop)
	ctx := New(t, Options{})
	loadComponent(t, ctx, s, "")
	startStreaming(t, ctx)
	echo.last().pc.Close()
	start := time.Now()
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 40*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("connection loss reported after %v", time.Since(start).Round(100*time.Millisecond))
	if got := mustText(t, ctx, "rtc-stream .error"); got != "Connection lost." {
		t.Errorf("error box %q", got)
	}
}

// TestSwitchCameraWhileStreaming: choosing another camera swaps the sent
// track in place (replaceTrack), with no new offer.
func TestSwitchCameraWhileStreaming(t *testing.T) {
	echo := newEchoServer(t)
	s := newSiteWithStop(t, echo.handleOffer, echo.handleStop)
	ctx := New(t, Options{FakeCameras: 3})
	loadComponent(t, ctx, s, "")
	startStreaming(t, ctx)

	// fake_device_1 is a depth camera WebRTC does not send; use fake_device_2.
	cams := mustEval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll(
		"rtc-stream select.camera-select option")].map((o) => [o.textContent, o.value]))`)
	first, other := cams["fake_device_0"], cams["fake_device_2"]
	if first == "" || other == "" {
		t.Fatalf("camera options %v, want fake_device_0..2", cams)
	}
	const previewDevice = `document.querySelector("rtc-stream video.preview").srcObject.getVideoTracks()[0].getSettings().deviceId`
	if got := mustEval[string](t, ctx, previewDevice); got != first {
		t.Fatalf("streaming from %s, want fake_device_0 (%s)", got, first)
	}
	mustEval[bool](t, ctx, `(() => { const s = document.querySelector("rtc-stream select.camera-select");
		s.value = `+jsString(other)+`; s.dispatchEvent(new Event("change")); return true; })()`)
	if err := poll(ctx, 5*time.Second, func(ctx context.Context) (bool, error) {
		got, err := Eval[string](ctx, previewDevice)
		return got == other, err
	}); err != nil {
		t.Fatalf("preview did not switch to %s: %v", other, err)
	}
	time.Sleep(300 * time.Millisecond)
	if got := mustEval[string](t, ctx, `document.querySelector("rtc-stream").dataset.state`); got != "streaming" {
		t.Errorf("state %q after switching cameras", got)
	}
	offers, _ := s.posted()
	n := 0
	for _, o := range offers {
		if o["type"] == "offer" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d offers; switching cameras must not renegotiate", n)
	}
	// The old camera is stopped, so frames that still arrive come from the
	// new track: count them for a second.
	frames := mustEval[int](t, ctx, countFramesJS)
	if frames < 5 {
		t.Errorf("%d output frames in the second after switching cameras", frames)
	}
}

// countFramesJS counts the frames the output video presents in one second.
const countFramesJS = `new Promise((resolve) => {
	const v = document.querySelector("rtc-stream video.output");
	let n = 0;
	const count = () => { n++; v.requestVideoFrameCallback(count); };
	v.requestVideoFrameCallback(count);
	setTimeout(() => resolve(n), 1000);
})`
