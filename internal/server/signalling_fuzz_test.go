package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/internal/peer"
)

// chromeOffer is the shape of a Chromium offer for camera and microphone
// with the control channel (trimmed), the seed the fuzzer mutates.
const chromeOffer = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" +
	"a=group:BUNDLE 0 1 2\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n" +
	"m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n" +
	"a=ice-ufrag:Gx3k\r\na=ice-pwd:9aVhZ1qg5XK0H0B5a5hI6yGv\r\na=ice-options:trickle\r\n" +
	"a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CC:87:32:BE:DD:8C:66:A5:8E:50:55:EA:4C:A7:E8:8B:5F:30:67:A5\r\n" +
	"a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtcp-rsize\r\n" +
	"a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 transport-cc\r\n" +
	"a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\na=ssrc:1234 cname:fuzz\r\n" +
	"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:Gx3k\r\na=ice-pwd:9aVhZ1qg5XK0H0B5a5hI6yGv\r\n" +
	"a=setup:actpass\r\na=mid:1\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n" +
	"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:Gx3k\r\n" +
	"a=ice-pwd:9aVhZ1qg5XK0H0B5a5hI6yGv\r\na=setup:actpass\r\na=mid:2\r\na=sctp-port:5000\r\n" +
	"a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0\r\n"

// fuzzStreams are closed Streams of each modality, and one in send mode: an offer that passes
// every check reaches the session table and is refused there with 503
// shutting_down, so nothing a fuzzer sends makes a peer connection, and
// no test traffic leaves the process.
func fuzzStreams(f *testing.F) []*Stream {
	var streams []*Stream
	for _, c := range []struct {
		modality Modality
		mode     Mode
	}{{Video, SendReceive}, {Audio, SendReceive}, {AudioVideo, SendReceive}, {Video, Send}} {
		s, err := New(Config{
			Modality: c.modality,
			Mode:     c.mode,
			NewSession: func(Hooks) (Handlers, error) {
				return Handlers{}, errors.New("fuzz: a closed stream makes no session")
			},
			MaxBodyBytes:       16 << 10,
			NegotiationTimeout: time.Second,
			Logger:             slog.New(slog.DiscardHandler),
		})
		if err != nil {
			f.Fatal(err)
		}
		if err := s.Close(); err != nil {
			f.Fatal(err)
		}
		streams = append(streams, s)
	}
	return streams
}

// routes are the requests the fuzzer picks from.
var fuzzRoutes = []struct{ method, path string }{
	{http.MethodPost, "/webrtc/offer"},
	{http.MethodPost, "/webrtc/stop"},
	{http.MethodPost, "/webrtc/queue"},
	{http.MethodGet, "/webrtc/config"},
	{http.MethodGet, "/webrtc/offer"},
	{http.MethodPost, "/webrtc/nope"},
}

// errorCodeRE is the shape of every failure's code.
var errorCodeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// FuzzSignalling sends any request to the signalling routes of a closed
// Stream of each modality: any route, Host, Origin, Content-Type and body,
// on a loopback listener or none. Invariants: no panic; the status is a
// 2xx or a 4xx, or 503 (never another 5xx); every reply is JSON, a failure
// {"error": code, "message": text} with a snake_case code and a message;
// an offer whose SDP peer.CheckOffer refuses is refused before it reaches
// the session table (so before any peer connection or ICE), and one that
// reaches it is refused there (503 shutting_down); no session or place in
// line is left behind.
func FuzzSignalling(f *testing.F) {
	offer := func(sdp string) []byte {
		b, _ := json.Marshal(map[string]string{"type": "offer", "sdp": sdp, "webrtc_id": "fuzz"})
		return b
	}
	const js = "application/json"
	for _, seed := range []struct {
		route              uint8
		host, origin, ctyp string
		body               []byte
	}{
		{0, "localhost:7860", "", js, offer(chromeOffer)},
		{1, "localhost:7860", "", js, offer(chromeOffer)},
		{2, "localhost:7860", "", js, offer(chromeOffer)},
		{0, "127.0.0.1", "http://127.0.0.1", js, offer("v=0\r\n")},
		{0, "localhost", "", js, offer(strings.Replace(chromeOffer, "VP8", "H264", 1))},
		{0, "localhost", "", js, offer(strings.Replace(chromeOffer, "m=video", "m=vidoe", 1))},
		{0, "localhost", "", js, []byte(`{"type":"ice-candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"},"webrtc_id":"x","token":"y"}`)},
		{0, "localhost", "", js, []byte(`{"type":"offer","sdp":"v=0","webrtc_id":"` + strings.Repeat("a", 200) + `"}`)},
		{0, "localhost", "", js, []byte(`{"type":"offer","sdp":"v=0","webrtc_id":"../../x"}`)},
		{0, "localhost", "", js, []byte(`{"type":"` + strings.Repeat("x", 100) + `"}`)},
		{1, "localhost", "", js, []byte(`{"webrtc_id":"x","token":""}`)},
		{2, "localhost", "", js, []byte(`{"ticket":"nope"}`)},
		{0, "localhost", "", js, []byte(`[`)},
		{0, "localhost", "", js, []byte(`null`)},
		{0, "localhost", "", "text/plain", offer(chromeOffer)},
		{0, "localhost", "https://evil.example", js, offer(chromeOffer)},
		{0, "rebound.example", "", js, offer(chromeOffer)},
		{3, "localhost", "", "", nil},
		{4, "localhost", "", "", nil},
		{5, "localhost", "", js, []byte(`{}`)},
		{0 | 0x10, "localhost", "", js, offer(chromeOffer)},
		{0 | 0x20, "localhost", "", js, offer(chromeOffer)},
		{0 | 0x80, "anything", "", js, offer(chromeOffer)},
	} {
		f.Add(seed.route, seed.host, seed.origin, seed.ctyp, seed.body)
	}
	streams := fuzzStreams(f)
	muxes := make([]*http.ServeMux, len(streams))
	for i, s := range streams {
		muxes[i] = http.NewServeMux()
		s.Mount(muxes[i], "/webrtc")
	}
	loopback := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7860}

	// route: bits 0-3 the route, bits 4-5 the stream (fuzzStreams), bit 7
	// served on a loopback listener (the Host check applies).
	f.Fuzz(func(t *testing.T, route uint8, host, origin, ctype string, body []byte) {
		rt := fuzzRoutes[int(route&0x0f)%len(fuzzRoutes)]
		si := int(route>>4&3) % len(streams)
		s := streams[si]
		r := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		if route&0x80 != 0 {
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, net.Addr(loopback)))
		}
		w := httptest.NewRecorder()
		muxes[si].ServeHTTP(w, r)

		res := w.Result()
		data, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable ||
			res.StatusCode < 200 || res.StatusCode >= 300 && res.StatusCode < 400 {
			t.Fatalf("%s %s: status %d: %s", rt.method, rt.path, res.StatusCode, data)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %s: Content-Type %q: %s", rt.method, rt.path, ct, data)
		}
		if !json.Valid(data) {
			t.Fatalf("%s %s: the reply is not JSON: %q", rt.method, rt.path, data)
		}
		var e struct{ Error, Message string }
		if res.StatusCode >= 400 {
			if err := json.Unmarshal(data, &e); err != nil || !errorCodeRE.MatchString(e.Error) || e.Message == "" {
				t.Fatalf("%s %s: status %d with %s, want {\"error\": code, \"message\": text}", rt.method, rt.path, res.StatusCode, data)
			}
		}

		// What reached the session table passed CheckOffer; garbage did not.
		if e.Error == "shutting_down" && rt.path == "/webrtc/offer" {
			var req signalRequest
			if err := json.Unmarshal(body, &req); err != nil || req.Type != "offer" {
				t.Fatalf("a body that is no offer (%v) reached the session table", err)
			}
			m := s.cfg.Modality
			if _, err := peer.CheckOffer(req.SDP, m != Audio, m != Video, nil); err != nil {
				t.Fatalf("an offer CheckOffer refuses (%v) reached the session table", err)
			}
		}
		if n, q := s.ActiveSessions(), s.Waiting(); n != 0 || q != 0 {
			t.Fatalf("%d sessions and %d waiting after a request to a closed stream", n, q)
		}
	})
}
