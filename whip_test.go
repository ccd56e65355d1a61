package rtcstream_test

import (
	"context"
	"errors"
	"image"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
)

// A WHIP publisher (the Go client's PublishWHIP) sends its camera through
// the stream's handler like a page: the handler sees its frames (their
// pixels), the session counts against the stream's, and Close's DELETE
// ends it.
// A WHIP publisher's camera reaches the handler, in VP8 and in H.264
// (OBS publishes H.264).
func TestWHIPPublishRunsTheHandler(t *testing.T) {
	checkLeaks(t)
	var seen, bright atomic.Int64
	consume := func(img image.Image) image.Image {
		seen.Add(1)
		if lumaAt(img.(*image.YCbCr), 240, 120) > 150 {
			bright.Add(1)
		}
		return img
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, consume, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	for _, vc := range []rtcstream.VideoCodec{rtcstream.VP8, rtcstream.H264} {
		t.Run(string(vc), func(t *testing.T) {
			ctx := testContext(t, 30*time.Second)
			seen.Store(0)
			bright.Store(0)
			c, err := client.PublishWHIP(ctx, url+"/webrtc/whip", &client.Options{Loopback: true, VideoCodec: vc})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if n := s.ActiveSessions(); n != 1 {
				t.Errorf("%d sessions while publishing, want 1", n)
			}
			<-sendFrames(t, ctx, c, 320, 240, 45, 30)
			deadline := time.Now().Add(5 * time.Second)
			for seen.Load() < 30 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if seen.Load() < 30 || bright.Load() < seen.Load()*9/10 {
				t.Errorf("the handler saw %d of 45 frames published, %d with the pattern's bright right half", seen.Load(), bright.Load())
			}
			if err := c.Close(); err != nil {
				t.Errorf("DELETE: %v", err)
			}
			waitSessions(t, s, 0, 5*time.Second)
		})
	}
}

// An audio stream takes a WHIP publisher's microphone.
func TestWHIPPublishAudio(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	probe := &audioProbe{}
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.Send, probe.Add, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	c, err := client.PublishWHIP(ctx, url+"/webrtc/whip", &client.Options{Loopback: true, Audio: true, VideoOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	pcm := make([]int16, client.AudioFrameSamples)
	for i := range pcm {
		pcm[i] = int16(8000 * ((i/24)%2*2 - 1)) // a loud 1 kHz square wave
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := range 50 {
		if err := c.WriteAudio(pcm, time.Duration(i)*20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		<-tick.C
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, peak := probe.Since(start)
		if n >= 30 && peak > 0.15 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the handler got %d frames (RMS peak %.0f) of 50 sent, want 30 and the tone", n, peak)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// whipPost posts body to a WHIP endpoint with a content type and headers.
func whipPost(t *testing.T, url, ctype, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// What a WHIP endpoint says to what it cannot take: the RFC's statuses,
// with the signalling's JSON bodies, and nothing left running.
func TestWHIPRefusals(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 60*time.Second)
	const secret = "s3cret"
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{
		Network: loopback, ConcurrencyLimit: 1,
		Authorize: func(r *http.Request) (any, error) {
			if r.Header.Get("Authorization") != "Bearer "+secret {
				return nil, errors.New("a WHIP publisher needs the stream's token")
			}
			return "publisher", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	endpoint := url + "/webrtc/whip"
	auth := map[string]string{"Authorization": "Bearer " + secret}

	// An audio-only offer to a video stream.
	audioOnly := "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\na=sendonly\r\na=mid:0\r\n"
	h264 := strings.ReplaceAll(strings.ReplaceAll(audioOnly, "m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=video 9 UDP/TLS/RTP/SAVPF 96"), "opus/48000/2", "H264/90000")
	for _, tc := range []struct {
		name, ctype, body string
		header            map[string]string
		status            int
		code              string
	}{
		{"no token", "application/sdp", audioOnly, nil, 401, "unauthorized"},
		{"wrong token", "application/sdp", audioOnly, map[string]string{"Authorization": "Bearer guess"}, 401, "unauthorized"},
		{"JSON", "application/json", `{}`, auth, 415, "unsupported_media_type"},
		{"not SDP", "application/sdp", "hello", auth, 400, "invalid_sdp"},
		{"no video", "application/sdp", audioOnly, auth, 422, "no_video"},
		{"H.264 only", "application/sdp", h264, auth, 422, "unsupported_codec"},
		{"another site's page", "application/sdp", audioOnly, map[string]string{"Authorization": "Bearer " + secret, "Origin": "https://evil.example"}, 403, "cross_origin"},
	} {
		resp, body := whipPost(t, endpoint, tc.ctype, tc.body, tc.header)
		if resp.StatusCode != tc.status || !strings.Contains(body, `"error":"`+tc.code+`"`) {
			t.Errorf("%s: %d %s; want %d %s", tc.name, resp.StatusCode, body, tc.status, tc.code)
		}
	}
	if n := s.ActiveSessions(); n != 0 {
		t.Fatalf("%d sessions after refused offers", n)
	}

	// The first publisher takes the only slot; the second is told to come
	// back later (a publisher has no page to wait in line on).
	first, err := client.PublishWHIP(ctx, endpoint, &client.Options{Loopback: true, BearerToken: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = client.PublishWHIP(ctx, endpoint, &client.Options{Loopback: true, BearerToken: secret})
	var cerr *client.Error
	if !errors.As(err, &cerr) || cerr.Status != 503 || cerr.Code != "too_many_sessions" {
		t.Errorf("a second publisher over the limit: %v; want 503 too_many_sessions", err)
	}

	// A session's URL: PATCH and DELETE of one that does not exist are 404;
	// GET is not a WHIP method.
	for _, tc := range []struct {
		method, path, ctype string
		status              int
	}{
		{http.MethodPatch, "/webrtc/whip/0123456789abcdef", "application/trickle-ice-sdpfrag", 404},
		{http.MethodDelete, "/webrtc/whip/0123456789abcdef", "", 404},
		{http.MethodPatch, "/webrtc/whip/0123456789abcdef", "text/plain", 415},
		{http.MethodGet, "/webrtc/whip", "", 405},
		{http.MethodGet, "/webrtc/whip/0123456789abcdef", "", 405},
	} {
		req, _ := http.NewRequest(tc.method, url+tc.path, strings.NewReader("a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n"))
		if tc.ctype != "" {
			req.Header.Set("Content-Type", tc.ctype)
		}
		req.Header.Set("Authorization", "Bearer "+secret)
		if resp, body := do(t, req); resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d %s; want %d", tc.method, tc.path, resp.StatusCode, body, tc.status)
		}
	}
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("%d sessions after the refusals, want the first publisher's alone", n)
	}
}

// The WHIP resource protocol by hand, as OBS or GStreamer speak it: 201
// with Location and ETag, OPTIONS for CORS, a trickle PATCH (204), a
// PATCH with a stale ETag (412), an ICE restart by PATCH (200 with the
// server's new credentials), and DELETE.
func TestWHIPResource(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{
		Network: loopback, AllowedOrigins: []string{"https://studio.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	req, _ := http.NewRequest(http.MethodOptions, url+"/webrtc/whip", nil)
	req.Header.Set("Origin", "https://studio.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, _ := do(t, req)
	if resp.StatusCode != 204 || resp.Header.Get("Accept-Post") != "application/sdp" ||
		resp.Header.Get("Access-Control-Allow-Origin") != "https://studio.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("OPTIONS from an allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	req.Header.Set("Origin", "https://evil.example")
	if resp, _ := do(t, req); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("OPTIONS from another site allowed it: %v", resp.Header)
	}

	c, err := client.PublishWHIP(ctx, url+"/webrtc/whip", &client.Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resource, etag := c.WHIPResource()
	if !strings.HasPrefix(resource, url+"/webrtc/whip/") || etag == "" {
		t.Fatalf("the session's resource %q, ETag %q", resource, etag)
	}
	patch := func(frag, ifMatch string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodPatch, resource, strings.NewReader(frag))
		req.Header.Set("Content-Type", "application/trickle-ice-sdpfrag")
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		return do(t, req)
	}
	cand := "a=mid:0\r\na=candidate:9 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
	if resp, body := patch(cand, etag); resp.StatusCode != 204 {
		t.Errorf("trickle PATCH: %d %s, want 204", resp.StatusCode, body)
	}
	if resp, body := patch(cand, `"stale"`); resp.StatusCode != 412 {
		t.Errorf("trickle PATCH with a stale ETag: %d %s, want 412", resp.StatusCode, body)
	}
	restart := "a=ice-ufrag:abcd1234\r\na=ice-pwd:0123456789abcdefghijklmn\r\na=mid:0\r\n"
	if resp, body := patch(restart, ""); resp.StatusCode != 428 {
		t.Errorf("ICE restart without If-Match: %d %s, want 428", resp.StatusCode, body)
	}
	resp, body := patch(restart, "*")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/trickle-ice-sdpfrag" ||
		!strings.Contains(body, "a=ice-ufrag:") || !strings.Contains(body, "a=candidate:") || resp.Header.Get("ETag") == etag {
		t.Errorf("ICE restart: %d %v\n%s", resp.StatusCode, resp.Header, body)
	}
	if resp, body := patch(cand, etag); resp.StatusCode != 412 {
		t.Errorf("trickle PATCH with the ETag from before the restart: %d %s, want 412", resp.StatusCode, body)
	}
	req, _ = http.NewRequest(http.MethodDelete, resource, nil)
	if resp, body := do(t, req); resp.StatusCode != 200 {
		t.Errorf("DELETE: %d %s", resp.StatusCode, body)
	}
	waitSessions(t, s, 0, 5*time.Second)
	if resp, _ := do(t, req); resp.StatusCode != 404 {
		t.Errorf("DELETE again: %d, want 404", resp.StatusCode)
	}
	_ = context.Background
}
