package e2e_test

import (
	"errors"
	"image"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
)

// whipPage publishes the camera to a WHIP endpoint with nothing but the
// browser's WebRTC and fetch: a publisher that is not rtcstream's page.
const whipPage = `<!doctype html><title>WHIP publisher</title><script>
window.publish = async (endpoint, token) => {
  const cam = await navigator.mediaDevices.getUserMedia({video: true});
  const pc = new RTCPeerConnection();
  pc.addTransceiver(cam.getVideoTracks()[0], {direction: "sendonly"});
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === "complete") return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done();
    setTimeout(done, 2000);
  });
  const res = await fetch(endpoint, {method: "POST", body: pc.localDescription.sdp,
    headers: {"Content-Type": "application/sdp", "Authorization": "Bearer " + token}});
  const body = await res.text();
  if (res.status !== 201) return res.status + " " + body;
  window.resource = new URL(res.headers.get("Location"), endpoint).href;
  window.etag = res.headers.get("ETag");
  await pc.setRemoteDescription({type: "answer", sdp: body});
  window.pc = pc;
  return "201";
};
window.watch = async (endpoint) => {
  const pc = new RTCPeerConnection();
  pc.addTransceiver("video", {direction: "recvonly"});
  const video = document.createElement("video");
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.append(video);
  pc.ontrack = (e) => { video.srcObject = new MediaStream([e.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === "complete") return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done();
    setTimeout(done, 2000);
  });
  const res = await fetch(endpoint, {method: "POST", body: pc.localDescription.sdp, headers: {"Content-Type": "application/sdp"}});
  const body = await res.text();
  if (res.status !== 201) return res.status + " " + body;
  await pc.setRemoteDescription({type: "answer", sdp: body});
  window.viewer = {pc, video, resource: new URL(res.headers.get("Location"), endpoint).href};
  return "201";
};
// seen is the luma of the watched video at a quarter and three quarters
// of its width, half way down; [] until it plays.
window.seen = () => {
  const v = window.viewer && window.viewer.video;
  if (!v || v.videoWidth === 0) return [];
  const c = document.createElement("canvas");
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext("2d", {willReadFrequently: true});
  g.drawImage(v, 0, 0);
  const at = (x) => { const p = g.getImageData(x, c.height >> 1, 1, 1).data; return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]; };
  return [at(c.width >> 2), at(3 * c.width >> 2)];
};
window.unpublish = async (token) => {
  const res = await fetch(window.resource, {method: "DELETE", headers: {"Authorization": "Bearer " + token}});
  window.pc.close();
  return res.status;
};
</script>`

// TestBrowserPublishesWithWHIP: Chromium publishes its camera with WHIP
// from a page of another origin (the stream allows it: CORS preflights
// for the bearer token and the DELETE), and the stream's handler sees its
// frames: the pattern's dark left half and bright right half.
func TestBrowserPublishesWithWHIP(t *testing.T) {
	checkLeaks(t)
	const token = "publisher-token"
	var frames, pattern atomic.Int64
	consume := func(img image.Image) error {
		frames.Add(1)
		yc := img.(*image.YCbCr)
		b := yc.Bounds()
		if lumaAt(yc, b.Dx()/4, b.Dy()/2) < 90 && lumaAt(yc, b.Dx()*3/4, b.Dy()/2) > 150 {
			pattern.Add(1)
		}
		return nil
	}
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(whipPage))
	}))
	defer pages.Close()
	s := startStream(t, rtcstream.Video, rtcstream.Send, consume, rtcstream.Options{
		AllowedOrigins: []string{pages.URL},
		Authorize: func(r *http.Request) (any, error) {
			if r.Header.Get("Authorization") != "Bearer "+token {
				return nil, errors.New("wrong token")
			}
			return "publisher", nil
		},
	})
	p := openBrowser(t, browsertest.Options{FakeVideo: writePatternClip(t)})
	if err := chromedp.Do(p.ctx, chromedp.Navigate(pages.URL)); err != nil {
		t.Fatal(err)
	}
	if got := evalOn[string](p, `publish(`+strconv.Quote(s.url+"/webrtc/whip")+`, "wrong")`); !strings.HasPrefix(got, "401") {
		t.Errorf("a publisher with the wrong token: %s, want 401", got)
	}
	started := time.Now()
	if got := evalOn[string](p, `publish(`+strconv.Quote(s.url+"/webrtc/whip")+`, `+strconv.Quote(token)+`)`); got != "201" {
		t.Fatalf("publishing: %s", got)
	}
	deadline := time.Now().Add(waitStart)
	for pattern.Load() < 30 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("the handler saw %d frames in %v, %d of them the camera's pattern", frames.Load(), time.Since(started).Round(time.Millisecond), pattern.Load())
	if pattern.Load() < 30 || pattern.Load() < frames.Load()*8/10 {
		t.Errorf("the handler saw %d frames, %d of them the camera's pattern: want 30, and 80%% of them", frames.Load(), pattern.Load())
	}
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("%d sessions while the browser publishes, want 1", n)
	}
	if got := evalOn[int](p, `unpublish(`+strconv.Quote(token)+`)`); got != 200 {
		t.Errorf("DELETE from the page: %d, want 200", got)
	}
	waitSessions(t, s.Stream, 0, waitRelease)
}

// TestBrowserWatchesWithWHEP: Chromium publishes its camera with WHIP in
// one tab, and another tab, a plain WebRTC+fetch WHEP player, plays the
// handler's output: the camera's pattern inverted (the left half bright,
// the right dark), read back from the played video's pixels.
func TestBrowserWatchesWithWHEP(t *testing.T) {
	checkLeaks(t)
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte(whipPage))
	}))
	defer pages.Close()
	s := startStream(t, rtcstream.Video, rtcstream.SendReceive, invert, rtcstream.Options{AllowedOrigins: []string{pages.URL}})
	pub := openBrowser(t, browsertest.Options{FakeVideo: writePatternClip(t)})
	player := pub.newTab()
	for _, p := range []tab{pub, player} {
		if err := chromedp.Do(p.ctx, chromedp.Navigate(pages.URL)); err != nil {
			t.Fatal(err)
		}
	}
	if got := evalOn[string](pub, `publish(`+strconv.Quote(s.url+"/webrtc/whip")+`, "")`); got != "201" {
		t.Fatalf("publishing: %s", got)
	}
	started := time.Now()
	if got := evalOn[string](player, `watch(`+strconv.Quote(s.url+"/webrtc/whep")+`)`); got != "201" {
		t.Fatalf("watching: %s", got)
	}
	var luma []float64
	for deadline := time.Now().Add(waitStart); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		luma = evalOn[[]float64](player, `seen()`)
		if len(luma) == 2 && luma[0] > 150 && luma[1] < 90 {
			break
		}
	}
	t.Logf("the player's picture %v after %v (luma left, right)", luma, time.Since(started).Round(time.Millisecond))
	if len(luma) != 2 || luma[0] <= 150 || luma[1] >= 90 {
		t.Fatalf("the WHEP player shows luma %v at a quarter and three quarters across: want the inverted pattern (bright, dark)", luma)
	}
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("%d sessions with a publisher and a viewer, want 1", n)
	}
}
