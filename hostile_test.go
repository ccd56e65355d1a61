package rtcstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/media"
)

// hostile is one request a stranger might send to the signalling routes,
// and the refusal it must get.
type hostile struct {
	name   string
	method string // default POST
	path   string // default /webrtc/offer
	// body may hold placeholders: {id} and {token} of the case's own
	// session (session), {vp8}, a quoted VP8 offer the server takes until
	// negotiation, and {port}, the server's.
	body   string
	header map[string]string // set on the request; "" deletes (Content-Type, Authorization)
	host   string            // the Host header; default the server's
	// session dials a session of the attacker's own for the case (its id
	// and token fill the body) and checks it survives the case.
	session bool
	// before are requests sent first (floods); their status is checked
	// when they have one.
	before []hostile
	status int
	code   string
	// retryAfter: the reply must say when to come back.
	retryAfter bool
}

// A VP8 offer that passes the server's checks and fails at negotiation
// (no ICE credentials): it reaches admission, and leaves no session.
var admissibleOffer = strings.Replace(h264Offer, "H264/90000", "VP8/90000", 1)

func candidateBody(c string) string {
	return `{"type": "ice-candidate", "webrtc_id": "{id}", "token": "{token}", "candidate": {"candidate": ` + quote(c) +
		`, "sdpMid": "0", "sdpMLineIndex": 0}}`
}

func hostileCases() []hostile {
	offer := func(extra string) string { return `{"type": "offer", "sdp": {vp8}` + extra + `}` }
	hostCand := func(i int) string {
		return candidateBody(fmt.Sprintf("candidate:%d 1 udp 2130706431 127.0.0.1 %d typ host", i, 9000+i))
	}
	var flood []hostile
	for i := range 20 {
		flood = append(flood, hostile{body: hostCand(i), status: 200})
	}
	var sdpCands strings.Builder
	for i := range 61 {
		fmt.Fprintf(&sdpCands, "a=candidate:%d 1 udp 2130706431 127.0.0.1 %d typ host\r\n", i, 9000+i)
	}
	manyCands := quote(admissibleOffer + sdpCands.String())
	badCand := quote(admissibleOffer + "a=candidate:1 1 udp 2130706431 224.0.0.251 5353 typ host\r\n")
	rateClient := map[string]string{"X-Client": "offer-flood"}
	queueClient := map[string]string{"X-Client": "queue-flood"}
	hog := map[string]string{"X-Client": "ticket-hog"}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)

	return []hostile{
		// Bodies that are not signalling.
		{name: "malformed JSON", body: `{"sdp": `, status: 400, code: "bad_json"},
		{name: "empty body", body: ``, status: 400, code: "bad_json"},
		{name: "JSON array", body: `[]`, status: 400, code: "bad_json"},
		{name: "JSON string", body: `"offer"`, status: 400, code: "bad_json"},
		{name: "JSON null", body: `null`, status: 400, code: "not_offer"},
		{name: "type is a number", body: `{"type": 1}`, status: 400, code: "bad_json"},
		{name: "sdp is an object", body: `{"type": "offer", "sdp": {}}`, status: 400, code: "bad_json"},
		{name: "nesting beyond the decoder's depth", body: `{"x": ` + deep + `}`, status: 400, code: "bad_json"},
		{name: "trailing garbage", body: `{"type": "offer"} {"type": "offer"}`, status: 400, code: "bad_json"},
		{name: "answer instead of offer", body: `{"type": "answer", "sdp": "x"}`, status: 400, code: "not_offer"},
		{name: "a long unknown type", body: `{"type": "` + strings.Repeat("x", 20000) + `"}`, status: 400, code: "not_offer"},
		{name: "offer without sdp", body: `{"type": "offer"}`, status: 400, code: "invalid_sdp"},
		{name: "sdp that is not SDP", body: `{"type": "offer", "sdp": "hello"}`, status: 400, code: "invalid_sdp"},
		{name: "sdp of binary junk", body: `{"type": "offer", "sdp": "\u0000\u0001\ufffd"}`, status: 400, code: "invalid_sdp"},
		{name: "H.264 only", body: `{"type": "offer", "sdp": ` + quote(h264Offer) + `}`, status: 400, code: "unsupported_codec"},
		{name: "audio only", body: `{"type": "offer", "sdp": ` + quote(audioOnlyOffer) + `}`, status: 400, code: "no_video"},
		{name: "body over the limit", body: `{"type": "offer", "sdp": "` + strings.Repeat("a", 100<<10) + `"}`, status: 413, code: "body_too_large"},
		{name: "body over the limit, chunked", header: map[string]string{"Transfer-Encoding": "chunked"},
			body: `{"type": "offer", "sdp": "` + strings.Repeat("a", 100<<10) + `"}`, status: 413, code: "body_too_large"},
		{name: "offer with 61 candidates", body: `{"type": "offer", "sdp": ` + manyCands + `}`, status: 400, code: "too_many_candidates"},
		{name: "offer with a multicast candidate", body: `{"type": "offer", "sdp": ` + badCand + `}`, status: 400, code: "invalid_candidate"},

		// webrtc_id.
		{name: "webrtc_id too long", body: offer(`, "webrtc_id": "` + strings.Repeat("a", 129) + `"`), status: 400, code: "invalid_webrtc_id"},
		{name: "webrtc_id with a newline", body: offer(`, "webrtc_id": "a\nlevel=ERROR msg=forged"`), status: 400, code: "invalid_webrtc_id"},
		{name: "webrtc_id with a path", body: offer(`, "webrtc_id": "../../etc/passwd"`), status: 400, code: "invalid_webrtc_id"},
		{name: "webrtc_id not ASCII", body: offer(`, "webrtc_id": "séance"`), status: 400, code: "invalid_webrtc_id"},
		{name: "webrtc_id with HTML", body: offer(`, "webrtc_id": "<script>"`), status: 400, code: "invalid_webrtc_id"},
		{name: "webrtc_id of a running session", session: true, body: offer(`, "webrtc_id": "{id}", "x": 1`), header: map[string]string{"X-Client": "dup"},
			status: 409, code: "duplicate_session"},
		{name: "stop with a bad webrtc_id", path: "/webrtc/stop", body: `{"webrtc_id": "a b", "token": "x"}`, status: 400, code: "invalid_webrtc_id"},
		{name: "queue with a bad webrtc_id", path: "/webrtc/queue", body: `{"webrtc_id": "` + strings.Repeat("z", 500) + `"}`, status: 400, code: "invalid_webrtc_id"},

		// Tokens and trickled candidates.
		{name: "candidate for an unknown token", body: `{"type": "ice-candidate", "webrtc_id": "zz", "token": "nope", "candidate": {"candidate": ""}}`, status: 404, code: "unknown_session"},
		{name: "candidate without a token", session: true, body: `{"type": "ice-candidate", "webrtc_id": "{id}", "candidate": {"candidate": ""}}`, status: 404, code: "unknown_session"},
		{name: "candidate with another id", session: true, body: `{"type": "ice-candidate", "webrtc_id": "other", "token": "{token}", "candidate": {"candidate": ""}}`, status: 404, code: "unknown_session"},
		{name: "candidate with an invalid id", session: true, body: `{"type": "ice-candidate", "webrtc_id": "{id}!", "token": "{token}", "candidate": {"candidate": ""}}`, status: 400, code: "invalid_webrtc_id"},
		{name: "candidate missing", session: true, body: `{"type": "ice-candidate", "webrtc_id": "{id}", "token": "{token}"}`, status: 400, code: "invalid_candidate"},
		{name: "candidate not a candidate", session: true, body: candidateBody("hello"), status: 400, code: "invalid_candidate"},
		{name: "candidate unspecified address", session: true, body: candidateBody("candidate:1 1 udp 2130706431 0.0.0.0 9 typ host"), status: 400, code: "invalid_candidate"},
		{name: "candidate IPv6 unspecified", session: true, body: candidateBody("candidate:1 1 udp 2130706431 :: 9 typ host"), status: 400, code: "invalid_candidate"},
		{name: "candidate multicast", session: true, body: candidateBody("candidate:1 1 udp 2130706431 239.1.2.3 9 typ host"), status: 400, code: "invalid_candidate"},
		{name: "candidate IPv6 multicast", session: true, body: candidateBody("candidate:1 1 udp 2130706431 ff02::1 9 typ host"), status: 400, code: "invalid_candidate"},
		{name: "candidate broadcast", session: true, body: candidateBody("candidate:1 1 udp 2130706431 255.255.255.255 9 typ host"), status: 400, code: "invalid_candidate"},
		{name: "candidate DNS name", session: true, body: candidateBody("candidate:1 1 udp 2130706431 attacker.example 9 typ host"), status: 400, code: "invalid_candidate"},
		{name: "candidate port 0", session: true, body: candidateBody("candidate:1 1 udp 2130706431 127.0.0.1 0 typ host"), status: 400, code: "invalid_candidate"},
		{name: "candidate port too big", session: true, body: candidateBody("candidate:1 1 udp 2130706431 127.0.0.1 70000 typ host"), status: 400, code: "invalid_candidate"},
		{name: "candidate unknown transport", session: true, body: candidateBody("candidate:1 1 sctp 2130706431 127.0.0.1 9 typ host"), status: 400, code: "invalid_candidate"},
		{name: "candidate unknown type", session: true, body: candidateBody("candidate:1 1 udp 2130706431 127.0.0.1 9 typ evil"), status: 400, code: "invalid_candidate"},
		{name: "candidate too long", session: true, body: candidateBody("candidate:1 1 udp 2130706431 127.0.0.1 9 typ host" + strings.Repeat(" x y", 200)), status: 400, code: "invalid_candidate"},
		{name: "candidate flood", session: true, before: flood, body: hostCand(20), status: 400, code: "too_many_candidates"},
		{name: "stop an unknown token", path: "/webrtc/stop", body: `{"webrtc_id": "zz", "token": "nope"}`, status: 404, code: "unknown_session"},
		{name: "stop without a token", path: "/webrtc/stop", session: true, body: `{"webrtc_id": "{id}"}`, status: 404, code: "unknown_session"},
		{name: "stop with a guessed token", path: "/webrtc/stop", session: true, body: `{"webrtc_id": "{id}", "token": "0123456789abcdef0123456789abcdef"}`, status: 404, code: "unknown_session"},
		{name: "stop with malformed JSON", path: "/webrtc/stop", body: `{"webrtc_id":`, status: 400, code: "bad_json"},

		// Content types.
		{name: "text/plain", header: map[string]string{"Content-Type": "text/plain"}, body: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "no content type", header: map[string]string{"Content-Type": ""}, body: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "a form", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: `a=b`, status: 415, code: "unsupported_media_type"},
		{name: "multipart", path: "/webrtc/stop", header: map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, body: `--x--`, status: 415, code: "unsupported_media_type"},
		{name: "application/jsonp", path: "/webrtc/queue", header: map[string]string{"Content-Type": "application/jsonp"}, body: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "malformed content type", header: map[string]string{"Content-Type": "application/json; ;;="}, body: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "JSON with a charset passes", header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, body: `{`, status: 400, code: "bad_json"},

		// Origins.
		{name: "cross-site origin", header: map[string]string{"Origin": "https://evil.example"}, body: `{}`, status: 403, code: "cross_origin"},
		{name: "null origin", header: map[string]string{"Origin": "null"}, body: `{}`, status: 403, code: "cross_origin"},
		{name: "cross-site stop", path: "/webrtc/stop", session: true, header: map[string]string{"Origin": "http://evil.example"},
			body: `{"webrtc_id": "{id}", "token": "{token}"}`, status: 403, code: "cross_origin"},
		{name: "cross-site queue", path: "/webrtc/queue", header: map[string]string{"Origin": "https://evil.example"}, body: `{}`, status: 403, code: "cross_origin"},
		{name: "cross-site with text/plain", header: map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}, body: `{}`, status: 403, code: "cross_origin"},
		{name: "origin with our host as a prefix", header: map[string]string{"Origin": "http://127.0.0.1.evil.example:{port}"}, body: `{}`, status: 403, code: "cross_origin"},
		{name: "origin on another port", header: map[string]string{"Origin": "http://127.0.0.1:1"}, body: `{}`, status: 403, code: "cross_origin"},
		{name: "origin with a path", header: map[string]string{"Origin": "https://app.example/evil"}, body: `{}`, status: 403, code: "cross_origin"},
		{name: "same origin passes", header: map[string]string{"Origin": "http://127.0.0.1:{port}"}, body: `{`, status: 400, code: "bad_json"},
		{name: "allowed origin passes", header: map[string]string{"Origin": "https://app.example"}, body: `{`, status: 400, code: "bad_json"},

		// Hosts (the listener is loopback: DNS rebinding).
		{name: "rebound host", host: "evil.example:{port}", body: `{}`, status: 403, code: "bad_host"},
		{name: "rebound host, same origin", host: "evil.example:{port}", header: map[string]string{"Origin": "http://evil.example:{port}"}, body: `{}`, status: 403, code: "bad_host"},
		{name: "host under localhost's name", host: "localhost.evil.example", body: `{}`, status: 403, code: "bad_host"},
		{name: "rebound host asks for config", method: "GET", path: "/webrtc/config", host: "evil.example", status: 403, code: "bad_host"},
		{name: "localhost passes", host: "localhost:{port}", body: `{`, status: 400, code: "bad_json"},
		{name: "allowed host passes", host: "stream.example", body: `{`, status: 400, code: "bad_json"},

		// Authorization.
		{name: "no credentials", header: map[string]string{"Authorization": ""}, body: `{}`, status: 401, code: "unauthorized"},
		{name: "wrong credentials", header: map[string]string{"Authorization": "Bearer guess"}, body: `{}`, status: 401, code: "unauthorized"},
		{name: "config without credentials", method: "GET", path: "/webrtc/config", header: map[string]string{"Authorization": ""}, status: 401, code: "unauthorized"},
		{name: "stop a session without credentials", path: "/webrtc/stop", session: true, header: map[string]string{"Authorization": ""},
			body: `{"webrtc_id": "{id}", "token": "{token}"}`, status: 401, code: "unauthorized"},
		{name: "candidate without credentials", session: true, header: map[string]string{"Authorization": ""}, body: hostCand(1), status: 401, code: "unauthorized"},
		{name: "queue without credentials", path: "/webrtc/queue", header: map[string]string{"Authorization": ""}, body: `{}`, status: 401, code: "unauthorized"},

		// The waiting line and the rate of offers.
		{name: "poll an unknown ticket", path: "/webrtc/queue", body: `{"ticket": "nope"}`, status: 404, code: "unknown_ticket"},
		{name: "ticket is a number", path: "/webrtc/queue", body: `{"ticket": 7}`, status: 400, code: "bad_json"},
		{name: "offer with an unknown ticket", body: offer(`, "ticket": "nope"`), status: 404, code: "unknown_ticket"},
		{name: "more places in line than allowed", path: "/webrtc/queue", header: hog,
			before: []hostile{{path: "/webrtc/queue", header: hog, body: `{}`, status: 200}, {path: "/webrtc/queue", header: hog, body: `{}`, status: 200}},
			body:   `{}`, status: 429, code: "too_many_tickets"},
		{name: "offer flood", header: rateClient, before: slices.Repeat([]hostile{{header: rateClient, body: offer(""), status: 400, code: "invalid_sdp"}}, 3),
			body: offer(""), status: 429, code: "rate_limited", retryAfter: true},
		{name: "queue joins after an offer flood", path: "/webrtc/queue", header: queueClient,
			before: slices.Repeat([]hostile{{header: queueClient, body: offer(""), status: 400, code: "invalid_sdp"}}, 3),
			body:   `{}`, status: 429, code: "rate_limited", retryAfter: true},

		// Methods and routes.
		{name: "GET offer", method: "GET", status: 405, code: "method_not_allowed"},
		{name: "PUT stop", method: "PUT", path: "/webrtc/stop", body: `{}`, status: 405, code: "method_not_allowed"},
		{name: "DELETE queue", method: "DELETE", path: "/webrtc/queue", status: 405, code: "method_not_allowed"},
		{name: "POST config", path: "/webrtc/config", body: `{}`, status: 405, code: "method_not_allowed"},
		{name: "CORS preflight", method: "OPTIONS", header: map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
			status: 405, code: "method_not_allowed"},
		{name: "unknown route", path: "/webrtc/nothing", body: `{}`, status: 404, code: "not_found"},
		{name: "route below offer", path: "/webrtc/offer/x", body: `{}`, status: 404, code: "not_found"},
		{name: "a very long route", path: "/webrtc/" + strings.Repeat("a", 4000), status: 404, code: "not_found"},
	}
}

// hostileEnv is the server the cases are sent to.
type hostileEnv struct {
	t        *testing.T
	ctx      context.Context
	s        *rtcstream.Stream
	url      string
	port     string
	identity atomic.Value // what the handler's session says, as a string
	health   int          // health checks so far: each its own client
}

// do sends h (with the case's session, if any) and returns its reply.
func (e *hostileEnv) do(h hostile, ss *client.Conn) (*http.Response, []byte) {
	e.t.Helper()
	fill := func(s string) string {
		s = strings.ReplaceAll(s, "{port}", e.port)
		s = strings.ReplaceAll(s, "{vp8}", quote(admissibleOffer))
		if ss != nil {
			s = strings.ReplaceAll(s, "{id}", ss.ID())
			s = strings.ReplaceAll(s, "{token}", ss.Token())
		}
		return s
	}
	method, path := h.method, h.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = "/webrtc/offer"
	}
	var body io.Reader
	if h.body != "" || method == http.MethodPost {
		body = strings.NewReader(fill(h.body))
	}
	req, err := http.NewRequestWithContext(e.ctx, method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer good")
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range h.header {
		switch {
		case k == "Transfer-Encoding":
			req.ContentLength = -1 // chunked
			req.Body = io.NopCloser(io.MultiReader(strings.NewReader(fill(h.body))))
		case v == "":
			req.Header.Del(k)
		default:
			req.Header.Set(k, fill(v))
		}
	}
	if h.host != "" {
		req.Host = fill(h.host)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading the reply: %v", method, path, err)
	}
	return resp, data
}

// headers adds the test's credentials and client name to a client's
// signalling requests.
type headerTransport struct {
	h    map[string]string
	next http.RoundTripper
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.h {
		r.Header.Set(k, v)
	}
	return h.next.RoundTrip(r)
}

func (e *hostileEnv) dial(clientName string) *client.Conn {
	e.t.Helper()
	hc := &http.Client{Transport: headerTransport{map[string]string{"Authorization": "Bearer good", "X-Client": clientName}, http.DefaultTransport}}
	c, err := client.Dial(e.ctx, e.url, &client.Options{Loopback: true, HTTPClient: hc})
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	return c
}

// healthy checks that a new client still gets a session that streams
// processed frames, and that the server holds no session once it ends.
func (e *hostileEnv) healthy() {
	e.t.Helper()
	e.health++
	c := e.dial("health-" + strconv.Itoa(e.health))
	ctx, stop := context.WithCancel(e.ctx)
	sent := sendFrames(e.t, ctx, c, 160, 120, 90, 30)
	for {
		f, err := c.ReadFrame(e.ctx)
		if err != nil {
			e.t.Fatalf("health check: %v", err)
		}
		// The handler inverts: the dark left half (40) comes back bright.
		if lumaAt(f.Image, 40, 60) > 195 && lumaAt(f.Image, 130, 60) < 75 {
			break
		}
	}
	stop()
	<-sent
	if err := c.Close(); err != nil {
		e.t.Fatalf("health check: close: %v", err)
	}
	if id, _ := e.identity.Load().(string); id != "alice" {
		e.t.Fatalf("the session's Identity is %q, want alice (from Authorize)", id)
	}
	waitSessions(e.t, e.s, 0, 5*time.Second)
}

// TestHostileRequests sends the signalling routes what a stranger might:
// each request gets its refusal (status and JSON code), and after each a
// new client still streams and no session is left behind.
func TestHostileRequests(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 4*time.Minute)
	e := &hostileEnv{t: t, ctx: ctx}
	handler := func(ctx context.Context, img image.Image) (image.Image, error) {
		e.identity.Store(fmt.Sprint(rtcstream.SessionFrom(ctx).Identity()))
		return invert(img), nil
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, handler, &rtcstream.Options{
		Network:          loopback,
		ConcurrencyLimit: 6,
		AllowedOrigins:   []string{"https://app.example"},
		AllowedHosts:     []string{"stream.example"},
		Authorize: func(r *http.Request) (any, error) {
			if r.Header.Get("Authorization") != "Bearer good" {
				return nil, errors.New("no valid bearer token")
			}
			return "alice", nil
		},
		// A client is named by X-Client here, as a proxy's header would:
		// each case's floods have a bucket of their own, and the health
		// checks never run out.
		ClientLimits: rtcstream.ClientLimits{OffersPerMinute: 6, Burst: 3, Tickets: 2,
			Address: func(r *http.Request) string {
				if c := r.Header.Get("X-Client"); c != "" {
					return c
				}
				return r.RemoteAddr[:strings.LastIndex(r.RemoteAddr, ":")]
			}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.s, e.url = s, serve(t, s)
	e.port = e.url[strings.LastIndex(e.url, ":")+1:]
	e.healthy()

	cases := hostileCases()
	if len(cases) < 60 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, h := range cases {
		t.Run(h.name, func(t *testing.T) {
			e.t = t
			var own *client.Conn
			if h.session {
				own = e.dial("attacker-" + h.name)
			}
			for i, b := range h.before {
				resp, data := e.do(b, own)
				var reply struct{ Error string }
				_ = json.Unmarshal(data, &reply)
				if b.status != 0 && (resp.StatusCode != b.status || reply.Error != b.code) {
					t.Fatalf("request %d before: %d %.200s, want %d %q", i, resp.StatusCode, data, b.status, b.code)
				}
			}
			resp, data := e.do(h, own)
			var reply struct{ Error, Message string }
			if err := json.Unmarshal(data, &reply); err != nil || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("%d reply is not JSON (%s): %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), data)
			}
			if resp.StatusCode != h.status || reply.Error != h.code || reply.Message == "" {
				t.Fatalf("got %d %q (%.200s), want %d %q", resp.StatusCode, reply.Error, reply.Message, h.status, h.code)
			}
			if len(reply.Message) > 400 {
				t.Errorf("the message echoes %d bytes", len(reply.Message))
			}
			if ra := resp.Header.Get("Retry-After"); h.retryAfter && ra == "" {
				t.Errorf("no Retry-After")
			}
			if acao := resp.Header.Get("Access-Control-Allow-Origin"); acao != "" {
				t.Errorf("Access-Control-Allow-Origin: %s", acao)
			}
			if own != nil {
				if s.ActiveSessions() != 1 {
					t.Fatalf("the attacker's own session ended: %d sessions", s.ActiveSessions())
				}
				if err := own.Close(); err != nil {
					t.Fatalf("closing the case's session: %v", err)
				}
			}
			e.healthy()
		})
	}
}

// TestAuthorizeIdentity: the identity Authorize returns for the offer is
// the session's, as its handler sees it.
func TestAuthorizeIdentity(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	seen := make(chan any, 1)
	type user struct{ name string }
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive,
		func(ctx context.Context, img image.Image) (image.Image, error) {
			select {
			case seen <- rtcstream.SessionFrom(ctx).Identity():
			default:
			}
			return img, nil
		},
		&rtcstream.Options{Network: loopback, Authorize: func(r *http.Request) (any, error) {
			if u := r.Header.Get("X-User"); u != "" {
				return &user{u}, nil
			}
			return nil, errors.New("who are you?")
		}})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	_, err = client.Dial(ctx, url, &client.Options{Loopback: true})
	var cerr *client.Error
	if !errors.As(err, &cerr) || cerr.Status != 401 || cerr.Code != "unauthorized" || cerr.Message != "who are you?" {
		t.Fatalf("dial without credentials: %v, want 401 unauthorized: who are you?", err)
	}
	hc := &http.Client{Transport: headerTransport{map[string]string{"X-User": "bob"}, http.DefaultTransport}}
	c, err := client.Dial(ctx, url, &client.Options{Loopback: true, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sendFrames(t, ctx, c, 160, 120, 30, 30)
	select {
	case id := <-seen:
		if u, ok := id.(*user); !ok || u.name != "bob" {
			t.Fatalf("the handler's session has identity %#v, want bob", id)
		}
	case <-ctx.Done():
		t.Fatal("the handler never ran")
	}
}

// TestDefaultSessionCap: without a ConcurrencyLimit, the cap follows the
// machine's cores (the page is told, so it waits in line past it); -1
// lifts it.
func TestDefaultSessionCap(t *testing.T) {
	echo := func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
		for range in {
		}
		return nil
	}
	cores := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		modality rtcstream.Modality
		handler  any
		limit    int
		want     string
	}{
		{rtcstream.Video, invert, 0, ` concurrency-limit="` + strconv.Itoa(4*cores) + `"`},
		{rtcstream.Audio, rtcstream.AudioStreamFunc(echo), 0, ` concurrency-limit="` + strconv.Itoa(32*cores) + `"`},
		{rtcstream.Video, invert, 3, ` concurrency-limit="3"`},
		{rtcstream.Video, invert, -1, ""},
	} {
		s, err := rtcstream.NewStream(tc.modality, rtcstream.SendReceive, tc.handler, &rtcstream.Options{ConcurrencyLimit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		_, page := get(t, s, "/")
		s.Close()
		if got := strings.Contains(page, "concurrency-limit"); got != (tc.want != "") || !strings.Contains(page, tc.want) {
			t.Errorf("%v, ConcurrencyLimit %d: the page lacks %q", tc.modality, tc.limit, tc.want)
		}
	}
}
