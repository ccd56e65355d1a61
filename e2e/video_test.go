package e2e_test

// The default video stream in the browser: camera -> page -> server ->
// handler -> page, and what the page shows when things go wrong. The fake
// camera plays a clip of four coloured quadrants, so the pixels of both
// videos are known.

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// The fake camera's clip.
const camW, camH, camFPS = 640, 480, 15

// Limited-range BT.601 YCbCr of the clip's colours.
var (
	ycRed   = [3]uint8{81, 90, 240}
	ycGreen = [3]uint8{145, 54, 34}
	ycBlue  = [3]uint8{41, 240, 110}
	ycWhite = [3]uint8{235, 128, 128}
)

// camQuadrant is one quarter of the clip: its colour and where to sample it, as
// fractions of the frame size.
type camQuadrant struct {
	name   string
	fx, fy float64
	yc     [3]uint8
}

var camQuadrants = []camQuadrant{
	{"top left (red)", 0.25, 0.25, ycRed},
	{"top right (green)", 0.75, 0.25, ycGreen},
	{"bottom left (blue)", 0.25, 0.75, ycBlue},
	{"bottom right (white)", 0.75, 0.75, ycWhite},
}

// writeCameraClip writes a short 640x480 clip of four coloured camQuadrants
// (red, green / blue, white) for the fake camera and returns its path.
func writeCameraClip(t *testing.T) string {
	t.Helper()
	img := image.NewYCbCr(image.Rect(0, 0, camW, camH), image.YCbCrSubsampleRatio420)
	for y := range camH {
		for x := range camW {
			q := camQuadrants[0]
			for _, c := range camQuadrants {
				if (x < camW/2) == (c.fx < 0.5) && (y < camH/2) == (c.fy < 0.5) {
					q = c
				}
			}
			img.Y[img.YOffset(x, y)] = q.yc[0]
			ci := img.COffset(x, y)
			img.Cb[ci], img.Cr[ci] = q.yc[1], q.yc[2]
		}
	}
	path := filepath.Join(t.TempDir(), "camQuadrants.y4m")
	if err := browsertest.WriteY4M(path, camW, camH, camFPS, camFPS, func(int) *image.YCbCr { return img }); err != nil {
		t.Fatal(err)
	}
	return path
}

// negative is the photographic negative: the invert helper turns luma
// around, and this turns the chroma around too, so every colour becomes its
// opposite (red -> cyan, white -> black), unmistakable in RGB.
func negative(img image.Image) image.Image {
	yc := invert(img).(*image.YCbCr)
	for i := range yc.Cb {
		yc.Cb[i] = 255 - yc.Cb[i]
		yc.Cr[i] = 255 - yc.Cr[i]
	}
	return yc
}

func negativeYCbCr(c [3]uint8) [3]uint8 { return [3]uint8{255 - c[0], 255 - c[1], 255 - c[2]} }

// rgbOf converts limited-range BT.601 YCbCr, as browsers show WebRTC video
// and the fake camera, to RGB.
func rgbOf(c [3]uint8) [3]int {
	y := 1.164 * (float64(c[0]) - 16)
	cb, cr := float64(c[1])-128, float64(c[2])-128
	clamp := func(v float64) int { return int(min(255, max(0, v+0.5))) }
	return [3]int{clamp(y + 1.596*cr), clamp(y - 0.392*cb - 0.813*cr), clamp(y + 2.017*cb)}
}

// camColors is what the fake camera shows; negColors what negative makes of it.
func camColors(q camQuadrant) [3]int { return rgbOf(q.yc) }
func negColors(q camQuadrant) [3]int { return rgbOf(negativeYCbCr(q.yc)) }

// --- tests ------------------------------------------------------------------

// TestBrowserStreamsProcessedVideo is the whole path: camera -> browser ->
// server -> handler -> browser, and Stop ending the session on the server.
func TestBrowserStreamsProcessedVideo(t *testing.T) {
	checkLeaks(t)
	var sizes sync.Map // frame sizes the handler saw
	handler := func(img image.Image) image.Image {
		sizes.Store(img.Bounds().Size(), true)
		return negative(img)
	}
	s := startLiveServer(t, handler, rtcstream.Options{})
	p := newBrowser(t, writeCameraClip(t), 0)
	p.open(s.url)

	p.start()
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("ActiveSessions = %d while streaming, want 1", n)
	}

	// The preview is mirrored on the page; the output is not.
	transform := func(sel string) string {
		return evalOn[string](p, fmt.Sprintf("getComputedStyle(document.querySelector(%q)).transform", p.sel(sel)))
	}
	if got := transform(selPreview); !strings.HasPrefix(got, "matrix(-1, 0, 0, 1") {
		t.Errorf("preview transform %q, want a mirroring matrix(-1, 0, 0, 1, ...)", got)
	}
	if got := transform(selOutput); got != "none" {
		t.Errorf("output transform %q, want none", got)
	}

	// The preview shows the camera as it is; the output shows the handler's
	// negative of it, at the camera's size.
	if w, h := p.videoSize(selPreview); w != camW || h != camH {
		t.Errorf("preview %dx%d, want the camera's %dx%d", w, h, camW, camH)
	}
	p.waitColors(selPreview, 24, camColors)
	p.waitColors(selOutput, 48, negColors)
	if err := browsertest.Poll(p.ctx, waitPixels, func(ctx context.Context) (bool, error) {
		w, h, err := browsertest.WaitVideo(ctx, p.sel(selOutput), waitState)
		return w == camW && h == camH, err
	}); err != nil {
		var seen []string
		sizes.Range(func(k, _ any) bool { seen = append(seen, fmt.Sprint(k)); return true })
		w, h := p.videoSize(selOutput)
		t.Errorf("output video %dx%d, want the camera's %dx%d (the handler saw %v): %v", w, h, camW, camH, seen, err)
	}
	if n, err := p.presentedFrames(selOutput, time.Second); err != nil || n < 3 {
		t.Errorf("the output presented %d frames in a second (%v); want it playing", n, err)
	}

	// Signalling as the server saw it: the element holds the id and token
	// of the answer, and every trickled candidate carried both and was taken.
	answer := s.answered(t)
	if got := evalOn[string](p, `document.querySelector("rtc-stream").webrtcID`); got == "" || got != answer["webrtc_id"] {
		t.Errorf("element webrtcID %q, server answered %v", got, answer["webrtc_id"])
	}
	if got := evalOn[string](p, `document.querySelector("rtc-stream").token`); got == "" || got != answer["token"] {
		t.Errorf("element token %q, server issued %v", got, answer["token"])
	}
	cands := s.rec.candidates()
	if len(cands) == 0 {
		t.Error("the browser trickled no ICE candidates")
	}
	for _, c := range cands {
		cand, _ := c.req["candidate"].(map[string]any)
		if c.req["webrtc_id"] != answer["webrtc_id"] || c.req["token"] != answer["token"] {
			t.Errorf("candidate sent with id %v token %v, want the answer's", c.req["webrtc_id"], c.req["token"])
		}
		if _, ok := cand["sdpMid"]; !ok {
			t.Errorf("trickled candidate without sdpMid: %v", c.req)
		}
		if c.status != http.StatusOK || c.reply["status"] != "success" {
			t.Errorf("server answered a trickled candidate %d %v", c.status, c.reply)
		}
	}

	// Stop ends the session in the page and on the server.
	p.stop()
	s.waitActive(t, 0, waitRelease)
	stops := s.rec.stops()
	if len(stops) != 1 {
		t.Fatalf("%d stop requests, want 1", len(stops))
	}
	if st := stops[0]; st.req["webrtc_id"] != answer["webrtc_id"] || st.req["token"] != answer["token"] ||
		st.status != http.StatusOK || st.reply["status"] != "stopped" {
		t.Errorf("stop %v answered %d %v; want the session's id and token, 200 stopped", st.req, st.status, st.reply)
	}
	if !evalOn[bool](p, `(() => { const q = (s) => document.querySelector("rtc-stream " + s);
		return q("video.preview").srcObject === null && q("video.output").srcObject === null; })()`) {
		t.Error("the videos still hold streams after Stop")
	}
	if got := p.text(selError); got != "" {
		t.Errorf("error box %q after a clean stop", got)
	}
}

// TestBrowserStreamsH264: a stream that prefers H.264 gets it from
// Chromium both ways (its own statistics say so), decodes the camera with
// OpenH264, and the page shows the handler's negative at the camera's size;
// a stream that names VP8 first keeps VP8. Both record the session: ffmpeg
// plays the camera's input and the negative's output from the files
// (Matroska for H.264, WebM for VP8).
func TestBrowserStreamsH264(t *testing.T) {
	checkLeaks(t)
	for _, c := range []struct {
		prefer      []rtcstream.VideoCodec
		want        string
		ext, probed string
	}{
		{[]rtcstream.VideoCodec{rtcstream.H264, rtcstream.VP8}, "video/H264", ".mkv", "h264"},
		{[]rtcstream.VideoCodec{rtcstream.VP8, rtcstream.H264}, "video/VP8", ".webm", "vp8"},
	} {
		t.Run(string(c.prefer[0]), func(t *testing.T) {
			dir := t.TempDir()
			s := startLiveServer(t, negative, rtcstream.Options{VideoCodecs: c.prefer,
				Record: &rtcstream.Record{Input: true, Output: true, Path: func(id, what string) string {
					return filepath.Join(dir, what+".webm")
				}}})
			p := newBrowser(t, writeCameraClip(t), 0)
			if err := browsertest.TrackPeerConnections(p.ctx); err != nil {
				t.Fatal(err)
			}
			p.open(s.url)
			p.start()
			p.waitColors(selOutput, 48, negColors)
			if err := browsertest.Poll(p.ctx, waitPixels, func(ctx context.Context) (bool, error) {
				w, h, err := browsertest.WaitVideo(ctx, p.sel(selOutput), waitState)
				return w == camW && h == camH, err
			}); err != nil {
				w, h := p.videoSize(selOutput)
				t.Errorf("output video %dx%d, want the camera's %dx%d: %v", w, h, camW, camH, err)
			}
			sent, got, err := browsertest.VideoCodecs(p.ctx)
			if err != nil || !strings.EqualFold(sent, c.want) || !strings.EqualFold(got, c.want) {
				t.Errorf("the page sends %q and receives %q (%v); want %s both ways", sent, got, err, c.want)
			}
			if n, err := p.presentedFrames(selOutput, time.Second); err != nil || n < 3 {
				t.Errorf("the output presented %d frames in a second (%v); want it playing", n, err)
			}
			p.stop()
			s.waitActive(t, 0, waitRelease)
			// The recordings: the camera as sent, and its negative
			// (luma 255 - y), so their mean lumas add up to 255.
			var mean [2]float64
			for i, what := range []string{rtcstream.RecordInput, rtcstream.RecordOutput} {
				path := filepath.Join(dir, what+c.ext)
				v := streamtest.Probe(t, path)["video"]
				frames := streamtest.Luma(t, path, camW, camH)
				t.Logf("%s: %+v, %d frames decoded", what, v, len(frames))
				if v.Codec != c.probed || v.Frames < 10 || len(frames) != v.Frames {
					t.Errorf("the %s recording: %+v, %d frames decoded; want %s, 10 frames or more, all decoded", what, v, len(frames), c.probed)
					continue
				}
				sum := 0
				for _, f := range frames {
					for _, y := range f {
						sum += int(y)
					}
				}
				mean[i] = float64(sum) / float64(len(frames)*camW*camH)
			}
			t.Logf("mean luma %.1f in, %.1f out", mean[0], mean[1])
			if sum := mean[0] + mean[1]; sum < 240 || sum > 270 {
				t.Errorf("mean luma %.1f in, %.1f out; want the output the input's negative (a sum of about 255)", mean[0], mean[1])
			}
		})
	}
}

// panicMessage is what failingHandler panics with: distinctive, so the page
// can only show it because it came from this handler.
const panicMessage = "the lens cap is on (test panic 7f3a)"

func failingHandler(image.Image) image.Image { panic(panicMessage) }

// TestBrowserShowsHandlerError: a handler that panics on every frame. By
// default (ContinueOnError) the page shows the error and the video goes on
// with the unprocessed frames; with EndOnError the server ends the session,
// the page shows why, and the session is freed.
func TestBrowserShowsHandlerError(t *testing.T) {
	checkLeaks(t)
	browser := newBrowser(t, writeCameraClip(t), 0)
	hasPanic := func(s string) bool { return strings.Contains(s, panicMessage) }

	t.Run("ContinueOnError", func(t *testing.T) {
		p := browser.withTest(t)
		s := startLiveServer(t, failingHandler, rtcstream.Options{Logger: quietLogger()})
		p.open(s.url)
		p.start() // frames pass through unprocessed: it streams
		p.waitText(selError, waitState, hasPanic)
		if !evalOn[bool](p, `!document.querySelector("rtc-stream .error").hidden`) {
			t.Error("the error box is hidden")
		}
		// The input comes back as it is, and keeps coming.
		p.waitColors(selOutput, 48, camColors)
		if n, err := p.presentedFrames(selOutput, time.Second); err != nil || n < 3 {
			t.Errorf("the output presented %d frames in a second (%v); want it playing on errors", n, err)
		}
		if got := p.state(); got != "streaming" {
			t.Errorf("state %q with a failing handler under ContinueOnError, want streaming", got)
		}
		if n := s.ActiveSessions(); n != 1 {
			t.Errorf("ActiveSessions = %d, want 1", n)
		}
		p.stop()
		s.waitActive(t, 0, waitRelease)
	})

	t.Run("EndOnError", func(t *testing.T) {
		p := browser.withTest(t)
		s := startLiveServer(t, failingHandler, rtcstream.Options{OnHandlerError: rtcstream.EndOnError, Logger: quietLogger()})
		p.open(s.url)
		p.click(selButton)
		p.waitState("error", waitStart)
		if got := p.text(selError); !hasPanic(got) {
			t.Errorf("error box %q, want the handler's panic %q", got, panicMessage)
		}
		if got := p.text(selButton); got != "Start" {
			t.Errorf("button %q after the server ended the session, want Start", got)
		}
		s.waitActive(t, 0, waitRelease)
		// The server ended it, so the page sent no stop.
		if n := len(s.rec.stops()); n != 0 {
			t.Errorf("%d stop requests for a session the server ended", n)
		}
	})
}

// retryHint is what the component adds to a 503's message.
var retryHint = regexp.MustCompile(` Try again in (\d+) s\.$`)

// TestBrowserTooManySessions: with ConcurrencyLimit 1, a second tab's Start
// is refused with the server's 503 message (data-state error) while the
// first streams, and it can start once the first stops.
//
// A page that waits in the server's line (its element has the
// concurrency-limit attribute) is tested too: its Start waits, with no
// error, and streams by itself when the first tab stops. The 503 part then
// removes the attribute first, as a page embedding the element without it.
func TestBrowserTooManySessions(t *testing.T) {
	checkLeaks(t)
	s := startLiveServer(t, negative, rtcstream.Options{ConcurrencyLimit: 1})
	first := newBrowser(t, writeCameraClip(t), 0)
	second := first.newTab()
	first.open(s.url)
	second.open(s.url)
	queues := evalOn[bool](second, `document.querySelector("rtc-stream").hasAttribute("concurrency-limit")`)
	t.Logf("the page waits in the server's line: %v", queues)

	first.start()
	evalOn[bool](second, `document.querySelector("rtc-stream").removeAttribute("concurrency-limit"), true`)
	second.click(selButton)
	second.waitState("error", waitStart)
	var refused []signalExchange
	for _, ex := range s.rec.offers() {
		if ex.status != http.StatusOK {
			refused = append(refused, ex)
		}
	}
	if len(refused) != 1 || refused[0].status != http.StatusServiceUnavailable || refused[0].reply["error"] != "too_many_sessions" {
		t.Fatalf("refused offers %+v, want one 503 too_many_sessions", refused)
	}
	msg, _ := refused[0].reply["message"].(string)
	want := fmt.Sprintf("%s Try again in %s s.", msg, refused[0].header.Get("Retry-After"))
	if got := second.text(selError); msg == "" || got != want {
		t.Errorf("second tab's error box %q, want the server's message with the retry hint %q", got, want)
	}
	if got := second.text(selButton); got != "Start" {
		t.Errorf("second tab's button %q after the refusal, want Start", got)
	}
	if got := first.state(); got != "streaming" {
		t.Errorf("first tab %q after the second was refused, want streaming", got)
	}
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("ActiveSessions = %d, want 1", n)
	}

	if !queues {
		first.stop()
		s.waitActive(t, 0, waitRelease)
		second.startFrom("error") // a fresh Start clears the old error
	} else {
		second.open(s.url) // the attribute is back
		second.click(selButton)
		waiting := func() bool {
			for _, ex := range s.rec.find("/webrtc/queue", "") {
				if ex.status == http.StatusOK && ex.reply["status"] == "waiting" && ex.reply["position"] == 1.0 {
					return true
				}
			}
			return false
		}
		deadline := time.Now().Add(waitStart)
		for !waiting() {
			if time.Now().After(deadline) {
				t.Fatalf("the second tab is not first in the server's line after %v: %v", waitStart, s.rec.find("/webrtc/queue", ""))
			}
			time.Sleep(20 * time.Millisecond)
		}
		if got := second.state(); got != "connecting" {
			t.Errorf("second tab %q while waiting in line, want connecting", got)
		}
		if got := second.text(selError); got != "" {
			t.Errorf("second tab's error box %q while waiting in line, want none", got)
		}
		first.stop()
		second.waitState("streaming", waitStart) // by itself, no click
	}
	if got := second.text(selError); got != "" {
		t.Errorf("second tab's error box %q while streaming", got)
	}
	second.waitColors(selOutput, 48, negColors)
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("ActiveSessions = %d, want 1", n)
	}
	second.stop()
	s.waitActive(t, 0, waitRelease)
}

// TestBrowserClosedTabFreesSession: closing the tab without pressing Stop
// frees the session on the server: pagehide sends the stop, and if it did
// not, the server would notice the dead connection.
func TestBrowserClosedTabFreesSession(t *testing.T) {
	checkLeaks(t)
	s := startLiveServer(t, negative, rtcstream.Options{})
	browser := newBrowser(t, writeCameraClip(t), 0)
	tab := browser.newTab()
	tab.open(s.url)
	tab.start()
	if n := s.ActiveSessions(); n != 1 {
		t.Fatalf("ActiveSessions = %d while streaming, want 1", n)
	}

	closed := time.Now()
	if err := browsertest.CloseTab(tab.ctx); err != nil {
		t.Fatal(err)
	}
	s.waitActive(t, 0, 20*time.Second) // ICE failure alone takes up to 15 s
	t.Logf("session freed %v after the tab closed; %d stop requests", time.Since(closed).Round(10*time.Millisecond), len(s.rec.stops()))
}

// TestBrowserServerCloseEndsSession: Close sends {"type": "end"} on the data
// channel; the page returns to idle and says why, without an error, and a
// closed server refuses the next Start with 503.
func TestBrowserServerCloseEndsSession(t *testing.T) {
	checkLeaks(t)
	s := startLiveServer(t, negative, rtcstream.Options{})
	p := newBrowser(t, writeCameraClip(t), 0)
	p.open(s.url)
	p.start()

	s.Close()
	if n := s.ActiveSessions(); n != 0 {
		t.Errorf("ActiveSessions = %d after Close, want 0", n)
	}
	p.waitState("idle", waitState)
	if got := p.text(selStatus); !strings.HasPrefix(got, "Session ended: ") || len(got) == len("Session ended: ") {
		t.Errorf("status %q after the server closed, want the end reason", got)
	}
	if got := p.text(selError); got != "" {
		t.Errorf("error box %q after a normal end, want none", got)
	}
	if got := p.text(selButton); got != "Start" {
		t.Errorf("button %q after the end, want Start", got)
	}
	if n := len(s.rec.stops()); n != 0 {
		t.Errorf("%d stop requests for a session the server ended", n)
	}

	p.click(selButton)
	p.waitState("error", waitState)
	got := p.text(selError)
	if m := retryHint.FindStringSubmatch(got); m == nil || len(got) == len(m[0]) {
		t.Errorf("error box %q after Start on a closed server, want its message and a retry hint", got)
	}
}

// TestBrowserConnectionLost: the server process dies (SIGKILL: no end
// message, no DTLS close) while streaming; the page notices that the
// connection is gone and says "Connection lost.".
func TestBrowserConnectionLost(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for ICE to notice a dead peer")
	}
	checkLeaks(t)
	p := newBrowser(t, writeCameraClip(t), 0)
	srv := startServerProcess(t)
	p.open(srv.url)
	p.start()
	p.waitColors(selOutput, 48, negColors)

	srv.kill(t)
	killed := time.Now()
	p.waitState("error", 45*time.Second)
	t.Logf("connection loss shown %v after the server died", time.Since(killed).Round(100*time.Millisecond))
	if got := p.text(selError); got != "Connection lost." {
		t.Errorf("error box %q, want %q", got, "Connection lost.")
	}
	if got := p.text(selButton); got != "Start" {
		t.Errorf("button %q after the connection was lost, want Start", got)
	}
}

// TestBrowserSwitchCameraWhileStreaming: choosing another camera while
// streaming swaps the sent track in place (replaceTrack): no new offer, the
// same session, and frames from the new camera reach the handler.
func TestBrowserSwitchCameraWhileStreaming(t *testing.T) {
	checkLeaks(t)
	var frames atomic.Int64
	s := startLiveServer(t, func(img image.Image) image.Image {
		frames.Add(1)
		return img
	}, rtcstream.Options{})
	// Chromium's fake_device_1 is a depth camera WebRTC does not send; switch
	// from fake_device_0 to fake_device_2.
	p := newBrowser(t, "", 3)
	p.open(s.url)
	p.start()

	cams := evalOn[map[string]string](p, `Object.fromEntries([...document.querySelectorAll(
		"rtc-stream select.camera-select option")].map((o) => [o.textContent, o.value]))`)
	first, other := cams["fake_device_0"], cams["fake_device_2"]
	if first == "" || other == "" {
		t.Fatalf("camera options %v, want fake_device_0..2", cams)
	}
	const previewDevice = `document.querySelector("rtc-stream video.preview").srcObject.getVideoTracks()[0].getSettings().deviceId`
	if got := evalOn[string](p, previewDevice); got != first {
		t.Fatalf("streaming from %s, want fake_device_0 (%s)", got, first)
	}
	evalOn[bool](p, fmt.Sprintf(`(() => { const s = document.querySelector("rtc-stream select.camera-select");
		s.value = %q; s.dispatchEvent(new Event("change")); return true; })()`, other))
	if err := browsertest.Poll(p.ctx, waitState, func(ctx context.Context) (bool, error) {
		got, err := browsertest.Eval[string](ctx, previewDevice)
		return got == other, err
	}); err != nil {
		t.Fatalf("the preview did not switch to fake_device_2: %v", err)
	}
	// The old camera is stopped once the new track is in place, so frames
	// the handler gets from now on come from the new camera.
	before := frames.Load()
	deadline := time.Now().Add(waitState)
	for frames.Load() < before+15 {
		if time.Now().After(deadline) {
			t.Fatalf("the handler got %d frames in %v after the camera switch, want 15", frames.Load()-before, waitState)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, err := p.presentedFrames(selOutput, time.Second); err != nil || n < 3 {
		t.Errorf("the output presented %d frames in a second after the switch (%v)", n, err)
	}
	if got := p.state(); got != "streaming" {
		t.Errorf("state %q after switching cameras, want streaming", got)
	}
	if n := len(s.rec.offers()); n != 1 {
		t.Errorf("%d offers; switching cameras must not renegotiate", n)
	}
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("ActiveSessions = %d after switching cameras, want 1", n)
	}
	p.stop()
	s.waitActive(t, 0, waitRelease)
}

// TestBrowserScreenshot saves pictures of the page streaming from the real
// server for a person to look at, when RTCSTREAM_SCREENSHOT_DIR names a
// directory: page-streaming.png (the invert handler, wide window),
// page-narrow.png, and page-error.png (a handler that panics).
func TestBrowserScreenshot(t *testing.T) {
	dir := os.Getenv("RTCSTREAM_SCREENSHOT_DIR")
	if dir == "" {
		t.Skip("set RTCSTREAM_SCREENSHOT_DIR to save screenshots of the page")
	}
	checkLeaks(t)
	clip := writeCameraClip(t)
	s := startLiveServer(t, invert, rtcstream.Options{Title: "Webcam, luma inverted"})
	invColors := func(q camQuadrant) [3]int { return rgbOf([3]uint8{255 - q.yc[0], q.yc[1], q.yc[2]}) }

	p := newBrowser(t, clip, 0)
	p.open(s.url)
	p.start()
	p.waitColors(selOutput, 48, invColors)
	if err := browsertest.Screenshot(p.ctx, filepath.Join(dir, "page-streaming.png")); err != nil {
		t.Fatal(err)
	}
	p.stop()

	narrow := openBrowser(t, browsertest.Options{FakeVideo: clip, WindowWidth: 420, WindowHeight: 900})
	narrow.open(s.url)
	narrow.start()
	narrow.waitColors(selOutput, 48, invColors)
	if err := browsertest.Screenshot(narrow.ctx, filepath.Join(dir, "page-narrow.png")); err != nil {
		t.Fatal(err)
	}
	narrow.stop()

	failing := startLiveServer(t, failingHandler, rtcstream.Options{Title: "Webcam, failing handler", Logger: quietLogger()})
	p.open(failing.url)
	p.start()
	p.waitText(selError, waitState, func(s string) bool { return strings.Contains(s, panicMessage) })
	p.waitColors(selOutput, 48, camColors)
	if err := browsertest.Screenshot(p.ctx, filepath.Join(dir, "page-error.png")); err != nil {
		t.Fatal(err)
	}
}

// --- a server in another process, to kill -----------------------------------

// helperEnv marks the test binary run by startServerProcess.
const helperEnv = "RTCSTREAM_TEST_SERVER_PROCESS"

// serverProcess is this test binary running TestBrowserHelperServer: a real
// Stream with the negative handler, in the same network namespace.
type serverProcess struct {
	cmd *exec.Cmd
	url string
}

func startServerProcess(t *testing.T) *serverProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestBrowserHelperServer$", "-test.count=1", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe() // the helper exits when this closes
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sp := &serverProcess{cmd: cmd}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				urls <- u
				break
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case sp.url = <-urls:
	case <-time.After(30 * time.Second):
		t.Fatal("the server process did not start within 30 s")
	}
	return sp
}

// kill ends the server process with SIGKILL and waits for it.
func (sp *serverProcess) kill(t *testing.T) {
	t.Helper()
	if err := sp.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = sp.cmd.Wait()
}

// TestBrowserHelperServer is not a test: it is the server process of
// startServerProcess, and skips unless started by it.
func TestBrowserHelperServer(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("the server process of TestBrowserConnectionLost")
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, negative, &rtcstream.Options{Network: loopback, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	defer s.Close()
	fmt.Printf("listening on %s\n", srv.URL)
	_, _ = io.Copy(io.Discard, os.Stdin) // until the parent closes it or dies
}
