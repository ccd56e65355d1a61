package rtcstream_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
)

type apiReply struct {
	status     int
	code, msg  string
	retryAfter string
}

func postJSON(t *testing.T, url, body string) apiReply {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct{ Error, Message string }
	if resp.StatusCode != 200 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("error reply has Content-Type %q: %s", ct, data)
		}
		if err := json.Unmarshal(data, &e); err != nil || e.Error == "" || e.Message == "" {
			t.Fatalf("error reply is not {error, message}: %s", data)
		}
	}
	return apiReply{resp.StatusCode, e.Error, e.Message, resp.Header.Get("Retry-After")}
}

// An offer from a browser that only speaks H.264.
const h264Offer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:102 H264/90000\r\na=sendrecv\r\n"

const audioOnlyOffer = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\na=sendrecv\r\n"

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

func TestSignallingErrors(t *testing.T) {
	checkLeaks(t)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, MaxBodyBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	offer := url + "/webrtc/offer"
	for _, tc := range []struct {
		name, url, body string
		status          int
		code            string
	}{
		{"malformed JSON", offer, `{"sdp": `, 400, "bad_json"},
		{"not an offer", offer, `{"sdp": "x", "type": "answer"}`, 400, "not_offer"},
		{"no type", offer, `{"sdp": "x"}`, 400, "not_offer"},
		{"no sdp", offer, `{"type": "offer"}`, 400, "invalid_sdp"},
		{"invalid SDP", offer, `{"sdp": "hello", "type": "offer", "webrtc_id": "a"}`, 400, "invalid_sdp"},
		{"no VP8", offer, `{"sdp": ` + quote(h264Offer) + `, "type": "offer", "webrtc_id": "b"}`, 400, "unsupported_codec"},
		{"no video", offer, `{"sdp": ` + quote(audioOnlyOffer) + `, "type": "offer", "webrtc_id": "c"}`, 400, "no_video"},
		{"too large", offer, `{"sdp": "` + strings.Repeat("a", 5000) + `", "type": "offer"}`, 413, "body_too_large"},
		{"candidate for unknown session", offer, `{"type": "ice-candidate", "webrtc_id": "zz", "token": "nope", "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}}`, 404, "unknown_session"},
		{"stop unknown session", url + "/webrtc/stop", `{"webrtc_id": "zz", "token": "nope"}`, 404, "unknown_session"},
		{"stop without token", url + "/webrtc/stop", `{"webrtc_id": "zz"}`, 404, "unknown_session"},
		{"unknown route", url + "/webrtc/nothing", `{}`, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := postJSON(t, tc.url, tc.body)
			if r.status != tc.status || r.code != tc.code {
				t.Fatalf("got %d %s (%s), want %d %s", r.status, r.code, r.msg, tc.status, tc.code)
			}
		})
	}
	resp, err := http.Get(offer)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET %s: %d, Allow %q; want 405, POST", offer, resp.StatusCode, resp.Header.Get("Allow"))
	}
	if n := s.ActiveSessions(); n != 0 {
		t.Fatalf("failed offers left %d sessions", n)
	}
}

func TestSignallingSessionRules(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, ConcurrencyLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	first := dial(t, ctx, url)

	// The cap: a second client is told to come back, with Retry-After.
	_, err = client.Dial(ctx, url, &client.Options{Loopback: true})
	var cerr *client.Error
	if !errors.As(err, &cerr) || cerr.Status != 503 || cerr.Code != "too_many_sessions" {
		t.Fatalf("second session: %v, want 503 too_many_sessions", err)
	}

	// The token, not the client-chosen id, identifies the session.
	r := postJSON(t, url+"/webrtc/stop", `{"webrtc_id": `+quote(first.ID())+`, "token": "guess"}`)
	if r.status != 404 || s.ActiveSessions() != 1 {
		t.Fatalf("stop with a wrong token: %d, %d sessions", r.status, s.ActiveSessions())
	}
	// A candidate for the live session is taken.
	r = postJSON(t, url+"/webrtc/offer", `{"type": "ice-candidate", "webrtc_id": `+quote(first.ID())+
		`, "token": `+quote(first.Token())+`, "candidate": {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9999 typ host", "sdpMid": "0", "sdpMLineIndex": 0}}`)
	if r.status != 200 {
		t.Fatalf("candidate: %d %s %s", r.status, r.code, r.msg)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if n := s.ActiveSessions(); n != 0 {
		t.Fatalf("%d sessions after stop", n)
	}
	// The slot is free again.
	dial(t, ctx, url)
	if n := s.ActiveSessions(); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
}

func TestSignallingDuplicateID(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	c := dial(t, ctx, url)
	r := postJSON(t, url+"/webrtc/offer", `{"sdp": `+quote(h264Offer)+`, "type": "offer", "webrtc_id": `+quote(c.ID())+`}`)
	// The codec check comes first; use a VP8 offer to reach the id check.
	if r.status != 400 {
		t.Fatalf("got %d", r.status)
	}
	vp8Offer := strings.Replace(h264Offer, "H264/90000", "VP8/90000", 1)
	r = postJSON(t, url+"/webrtc/offer", `{"sdp": `+quote(vp8Offer)+`, "type": "offer", "webrtc_id": `+quote(c.ID())+`}`)
	if r.status != 409 || r.code != "duplicate_session" {
		t.Fatalf("duplicate id: %d %s, want 409 duplicate_session", r.status, r.code)
	}
	if n := s.ActiveSessions(); n != 1 {
		t.Fatalf("%d sessions, want 1", n)
	}
}

func TestStreamClosedRejectsOffers(t *testing.T) {
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	s.Close()
	vp8Offer := strings.Replace(h264Offer, "H264/90000", "VP8/90000", 1)
	r := postJSON(t, url+"/webrtc/offer", `{"sdp": `+quote(vp8Offer)+`, "type": "offer"}`)
	if r.status != 503 || r.retryAfter == "" {
		t.Fatalf("offer after Close: %d (Retry-After %q), want 503 with Retry-After", r.status, r.retryAfter)
	}
}

func TestNewStreamRejectsBadHandlers(t *testing.T) {
	for _, h := range []any{nil, 42, func(int) int { return 0 }, func(image string) {}} {
		_, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, h, nil)
		if !errors.Is(err, rtcstream.ErrBadHandler) {
			t.Errorf("handler %T: err %v, want ErrBadHandler", h, err)
		}
	}
	// A video handler for an audio stream is named in the error.
	if _, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, invert, nil); !errors.Is(err, rtcstream.ErrBadHandler) ||
		!strings.Contains(err.Error(), "func(image.Image) image.Image") {
		t.Errorf("audio with a video handler: %v", err)
	}
	if _, err := rtcstream.NewStream(rtcstream.Modality(0), rtcstream.SendReceive, invert, nil); !errors.Is(err, rtcstream.ErrUnsupported) {
		t.Errorf("unknown modality: %v", err)
	}
}
