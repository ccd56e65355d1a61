package browsertest

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// loadComponent opens the component page of s with the query and waits until
// the element has upgraded and is idle.
func loadComponent(t *testing.T, ctx context.Context, s *site, query string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/?"+query)); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "idle", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func mustText(t *testing.T, ctx context.Context, selector string) string {
	t.Helper()
	s, err := Text(ctx, selector)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := Eval[T](ctx, expr)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func TestComponentUpgrades(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{})
	loadComponent(t, ctx, s, "label=Webcam+demo")

	if !mustEval[bool](t, ctx, `customElements.get("rtc-stream") !== undefined &&
		document.querySelector("rtc-stream") instanceof customElements.get("rtc-stream")`) {
		t.Fatal("<rtc-stream> did not upgrade")
	}
	if got := mustText(t, ctx, "rtc-stream button.start-stop"); got != "Start" {
		t.Errorf("button text %q, want Start", got)
	}
	if got := mustText(t, ctx, "rtc-stream .label"); got != "Webcam demo" {
		t.Errorf("label %q", got)
	}
	if got := mustText(t, ctx, "rtc-stream .status"); got != "Ready" {
		t.Errorf("status %q, want Ready", got)
	}
	if !mustEval[bool](t, ctx, `document.querySelector("rtc-stream .error").hidden &&
		document.querySelector("rtc-stream .error").getAttribute("role") === "alert"`) {
		t.Error("the error box should be hidden, with role=alert")
	}
	// The videos are set up to autoplay inline, muted.
	for _, sel := range []string{"video.preview", "video.output"} {
		ok := mustEval[bool](t, ctx, `(() => { const v = document.querySelector("rtc-stream `+sel+`");
			return v.muted && v.autoplay && v.playsInline; })()`)
		if !ok {
			t.Errorf("%s is not muted autoplay playsinline", sel)
		}
	}
	// The stylesheet was not added twice (the page links it already).
	if n := mustEval[int](t, ctx, `document.querySelectorAll('link[href$="rtc-stream.css"]').length`); n != 1 {
		t.Errorf("%d rtc-stream.css links, want 1", n)
	}
}

const previewTransform = `getComputedStyle(document.querySelector("rtc-stream video.preview")).transform`

func TestPreviewMirror(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{})

	loadComponent(t, ctx, s, "")
	if got := mustEval[string](t, ctx, previewTransform); !strings.HasPrefix(got, "matrix(-1, 0, 0, 1") {
		t.Errorf("default preview transform %q, want a negative x scale", got)
	}
	loadComponent(t, ctx, s, "mirror=false")
	if got := mustEval[string](t, ctx, previewTransform); got != "none" {
		t.Errorf("mirror-webcam=false: preview transform %q, want none", got)
	}
	// The attribute is live.
	mustEval[bool](t, ctx, `document.querySelector("rtc-stream").setAttribute("mirror-webcam", "true"), true`)
	if got := mustEval[string](t, ctx, previewTransform); !strings.HasPrefix(got, "matrix(-1, 0, 0, 1") {
		t.Errorf("after setting mirror-webcam=true: transform %q", got)
	}
	// The output is never mirrored.
	if got := mustEval[string](t, ctx, `getComputedStyle(document.querySelector("rtc-stream video.output")).transform`); got != "none" {
		t.Errorf("output transform %q, want none", got)
	}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestOfferRejected(t *testing.T) {
	leakCheck(t)
	s := newSite(t, func(w http.ResponseWriter, body map[string]any) {
		writeError(w, http.StatusBadRequest, "invalid_sdp", "bad offer")
	})
	ctx := New(t, Options{})
	loadComponent(t, ctx, s, "")

	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustText(t, ctx, "rtc-stream .error"); got != "bad offer" {
		t.Errorf("error box %q, want %q", got, "bad offer")
	}
	if !mustEval[bool](t, ctx, `!document.querySelector("rtc-stream .error").hidden`) {
		t.Error("the error box is hidden")
	}
	if got := mustText(t, ctx, "rtc-stream button.start-stop"); got != "Start" {
		t.Errorf("button %q after the error, want Start", got)
	}
	// The camera is released with the peer connection.
	if !mustEval[bool](t, ctx, `document.querySelector("rtc-stream video.preview").srcObject === null`) {
		t.Error("the preview still holds the camera after the error")
	}

	offers, stops := s.posted()
	if len(offers) != 1 {
		t.Fatalf("%d requests to /webrtc/offer, want 1 (no candidates before an answer): %v", len(offers), offers)
	}
	o := offers[0]
	if o["type"] != "offer" {
		t.Errorf("type %v, want offer", o["type"])
	}
	if id, _ := o["webrtc_id"].(string); !hexID.MatchString(id) {
		t.Errorf("webrtc_id %q is not 32 hex digits", id)
	}
	sdp, _ := o["sdp"].(string)
	for _, want := range []string{"m=video", "a=sendrecv", "m=application", "webrtc-datachannel"} {
		if !strings.Contains(sdp, want) {
			t.Errorf("offer SDP lacks %q:\n%s", want, sdp)
		}
	}
	if len(stops) != 0 {
		t.Errorf("stop sent for a session the server refused: %v", stops)
	}
}

func TestOfferBusy(t *testing.T) {
	leakCheck(t)
	s := newSite(t, func(w http.ResponseWriter, body map[string]any) {
		w.Header().Set("Retry-After", "7")
		writeError(w, http.StatusServiceUnavailable, "busy", "The server is at capacity.")
	})
	ctx := New(t, Options{})
	loadComponent(t, ctx, s, "")
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustText(t, ctx, "rtc-stream .error"); got != "The server is at capacity. Try again in 7 s." {
		t.Errorf("error box %q", got)
	}
	// Start again works and clears the old error first.
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if offers, _ := s.posted(); len(offers) != 2 || offers[0]["webrtc_id"] == offers[1]["webrtc_id"] {
		t.Errorf("want two offers with fresh ids, got %v", offers)
	}
}

func TestNonJSONError(t *testing.T) {
	leakCheck(t)
	s := newSite(t, func(w http.ResponseWriter, body map[string]any) {
		http.Error(w, "upstream exploded", http.StatusBadGateway)
	})
	ctx := New(t, Options{})
	loadComponent(t, ctx, s, "")
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustText(t, ctx, "rtc-stream .error"); got != "upstream exploded" {
		t.Errorf("error box %q", got)
	}
}

func TestCameraSelectListsFakeDevice(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{})
	loadComponent(t, ctx, s, "")

	// Before permission only the placeholder is there.
	if n := mustEval[int](t, ctx, `document.querySelector("rtc-stream select.camera-select").options.length`); n != 1 {
		t.Errorf("%d options before permission, want the placeholder", n)
	}
	if err := Click(ctx, "rtc-stream button.enable-camera"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := WaitVideo(ctx, "rtc-stream video.preview", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var labels []string
	err := poll(ctx, 5*time.Second, func(ctx context.Context) (bool, error) {
		var err error
		labels, err = Eval[[]string](ctx, `[...document.querySelectorAll("rtc-stream select.camera-select option")].map((o) => o.textContent)`)
		return err == nil && len(labels) > 0 && strings.Contains(strings.Join(labels, ","), "fake"), err
	})
	if err != nil {
		t.Fatalf("camera options %q: %v", labels, err)
	}
	selected := mustEval[string](t, ctx, `document.querySelector("rtc-stream select.camera-select").value`)
	track := mustEval[string](t, ctx, `document.querySelector("rtc-stream video.preview").srcObject.getVideoTracks()[0].getSettings().deviceId`)
	if selected == "" || selected != track {
		t.Errorf("selected camera %q, preview track from %q", selected, track)
	}
	if !mustEval[bool](t, ctx, `document.querySelector("rtc-stream button.enable-camera").hidden`) {
		t.Error("the enable-camera button is still shown with the camera on")
	}
	if got := mustEval[string](t, ctx, `document.querySelector("rtc-stream").dataset.state`); got != "idle" {
		t.Errorf("state %q after enabling the camera, want idle", got)
	}
}

func TestReceiveModeOffersRecvOnly(t *testing.T) {
	leakCheck(t)
	s := newSite(t, func(w http.ResponseWriter, body map[string]any) {
		writeError(w, http.StatusBadRequest, "invalid_sdp", "bad offer")
	})
	ctx := New(t, Options{})
	loadComponent(t, ctx, s, "mode=receive")
	if !mustEval[bool](t, ctx, `(() => { const q = (s) => document.querySelector("rtc-stream " + s);
		return q(".pane-input").hidden && q("select.camera-select").hidden && !q(".pane-output").hidden; })()`) {
		t.Error("receive mode shows the webcam parts")
	}
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	offers, _ := s.posted()
	if len(offers) != 1 {
		t.Fatalf("%d offers", len(offers))
	}
	sdp, _ := offers[0]["sdp"].(string)
	if !strings.Contains(sdp, "a=recvonly") || strings.Contains(sdp, "a=sendrecv") || !strings.Contains(sdp, "m=application") {
		t.Errorf("receive-mode offer is not recvonly video plus data:\n%s", sdp)
	}
	if !mustEval[bool](t, ctx, `document.querySelector("rtc-stream video.preview").srcObject === null`) {
		t.Error("receive mode opened the camera")
	}
}

func TestStopWhileConnecting(t *testing.T) {
	leakCheck(t)
	release := make(chan struct{})
	s := newSite(t, func(w http.ResponseWriter, body map[string]any) {
		select { // hold the offer until the test ends
		case <-release:
		case <-time.After(10 * time.Second):
		}
		writeError(w, http.StatusServiceUnavailable, "busy", "late")
	})
	t.Cleanup(func() { close(release) })
	ctx := New(t, Options{})
	loadComponent(t, ctx, s, "")
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "connecting", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustText(t, ctx, "rtc-stream .status"); got != "Connecting…" {
		t.Errorf("status %q while connecting", got)
	}
	if got := mustText(t, ctx, "rtc-stream button.start-stop"); got != "Stop" {
		t.Errorf("button %q while connecting, want Stop", got)
	}
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "idle", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustText(t, ctx, "rtc-stream button.start-stop"); got != "Start" {
		t.Errorf("button %q after stop, want Start", got)
	}
	if !mustEval[bool](t, ctx, `document.querySelector("rtc-stream .error").hidden`) {
		t.Error("stopping while connecting showed an error")
	}
}

func TestCameraErrorsAreClear(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{})
	for _, tt := range []struct{ name, want string }{
		{"NotAllowedError", "Camera access was denied. Allow the camera for this page and press Start again."},
		{"NotFoundError", "No camera was found. Connect a camera and press Start again."},
		{"NotReadableError", "The camera could not be started. Another application may be using it."},
	} {
		loadComponent(t, ctx, s, "")
		// Make the browser refuse the camera the way it would for a person.
		mustEval[bool](t, ctx, `navigator.mediaDevices.getUserMedia = () =>
			Promise.reject(new DOMException("refused", `+jsString(tt.name)+`)), true`)
		if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
			t.Fatal(err)
		}
		if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := mustText(t, ctx, "rtc-stream .error"); got != tt.want {
			t.Errorf("%s: error box %q, want %q", tt.name, got, tt.want)
		}
	}
	if offers, _ := s.posted(); len(offers) != 0 {
		t.Errorf("an offer was sent without a camera: %v", offers)
	}
}
