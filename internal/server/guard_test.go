package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newTestStream is a Stream whose sessions cannot start (NewSession
// fails), for the checks that come before a session: no peer connection
// is ever made.
func newTestStream(t *testing.T, cfg Config) *Stream {
	t.Helper()
	cfg.Modality, cfg.Mode = Video, SendReceive
	cfg.NewSession = func(Hooks) (Handlers, error) { return Handlers{}, errors.New("test: no sessions") }
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 4 << 10
	}
	cfg.NegotiationTimeout = time.Second
	cfg.Logger = slog.New(slog.DiscardHandler)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// serveTest sends r to s's routes and returns the status and error code.
func serveTest(t *testing.T, s *Stream, r *http.Request) (int, string) {
	t.Helper()
	mux := http.NewServeMux()
	s.Mount(mux, "/webrtc")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	var e struct{ Error string }
	_ = json.Unmarshal(w.Body.Bytes(), &e)
	return w.Code, e.Error
}

// on makes r arrive on a listener at local.
func on(r *http.Request, local string) *http.Request {
	addr, err := net.ResolveTCPAddr("tcp", local)
	if err != nil {
		panic(err)
	}
	return r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, net.Addr(addr)))
}

func TestGuard(t *testing.T) {
	s := newTestStream(t, Config{
		AllowedOrigins: []string{"https://App.Example", "http://dev.example:8080/", "not an origin"},
		AllowedHosts:   []string{"proxy.example"},
		Authorize: func(r *http.Request) (any, error) {
			if r.Header.Get("X-Key") == "no" {
				return nil, errors.New("key refused")
			}
			return "ok", nil
		},
	})
	post := func(host, origin, ctype string) *http.Request {
		r := httptest.NewRequest("POST", "/webrtc/stop", strings.NewReader(`{"token": "x"}`))
		r.Host = host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		}
		return r
	}
	const js = "application/json"
	forwarded := post("127.0.0.1:7860", "https://public.example", js)
	forwarded.Header.Set("X-Forwarded-Host", "public.example, proxy.internal")
	refused := post("localhost", "", js)
	refused.Header.Set("X-Key", "no")
	twoOrigins := post("localhost", "http://localhost", js)
	twoOrigins.Header.Add("Origin", "http://localhost")
	for _, tc := range []struct {
		name   string
		r      *http.Request
		status int
		code   string
	}{
		// Passing every check, a stop for no session is 404.
		{"no origin", post("example.com", "", js), 404, "unknown_session"},
		{"same origin", post("example.com", "https://example.com", js), 404, "unknown_session"},
		{"same origin, default port", post("example.com:443", "https://example.com", js), 404, "unknown_session"},
		{"same origin, case", post("Example.COM", "https://example.com", js), 404, "unknown_session"},
		{"same origin, IPv6", post("[::1]:8080", "http://[::1]:8080", js), 404, "unknown_session"},
		{"allowed origin", post("example.com", "https://app.example", js), 404, "unknown_session"},
		{"allowed origin with a port", post("example.com", "http://dev.example:8080", js), 404, "unknown_session"},
		{"forwarded host", forwarded, 404, "unknown_session"},
		{"JSON with charset", post("example.com", "", "application/json; charset=UTF-8"), 404, "unknown_session"},
		{"other port", post("example.com", "https://example.com:8443", js), 403, "cross_origin"},
		{"allowed host, wrong port", post("example.com", "http://dev.example:8081", js), 403, "cross_origin"},
		{"other site", post("example.com", "https://evil.example", js), 403, "cross_origin"},
		{"null", post("example.com", "null", js), 403, "cross_origin"},
		{"file", post("example.com", "file://", js), 403, "cross_origin"},
		{"two origins", twoOrigins, 403, "cross_origin"},
		{"text/plain", post("example.com", "", "text/plain"), 415, "unsupported_media_type"},
		{"no content type", post("example.com", "", ""), 415, "unsupported_media_type"},
		{"refused by Authorize", refused, 401, "unauthorized"},
		// On a loopback listener, the Host counts.
		{"loopback: localhost", on(post("localhost:7860", "", js), "127.0.0.1:7860"), 404, "unknown_session"},
		{"loopback: sub.localhost", on(post("app.localhost", "", js), "127.0.0.1:7860"), 404, "unknown_session"},
		{"loopback: an address", on(post("127.0.0.2:7860", "", js), "127.0.0.1:7860"), 404, "unknown_session"},
		{"loopback: IPv6", on(post("[::1]:7860", "", js), "[::1]:7860"), 404, "unknown_session"},
		{"loopback: allowed host", on(post("proxy.example", "", js), "127.0.0.1:7860"), 404, "unknown_session"},
		{"loopback: allowed origin's host", on(post("app.example.", "", js), "127.0.0.1:7860"), 404, "unknown_session"},
		{"loopback: rebound name", on(post("rebound.example:7860", "", js), "127.0.0.1:7860"), 403, "bad_host"},
		{"loopback: rebound name, IPv6", on(post("rebound.example", "", js), "[::1]:7860"), 403, "bad_host"},
		{"loopback: localhost as a prefix", on(post("localhost.rebound.example", "", js), "127.0.0.1:7860"), 403, "bad_host"},
		{"other listener: any name", on(post("rebound.example", "", js), "10.0.0.1:7860"), 404, "unknown_session"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, code := serveTest(t, s, tc.r); status != tc.status || code != tc.code {
				t.Fatalf("%d %s, want %d %s", status, code, tc.status, tc.code)
			}
		})
	}

	// GET /config checks the Host and Authorize, not the Origin.
	cfg := httptest.NewRequest("GET", "/webrtc/config", nil)
	cfg.Header.Set("Origin", "https://evil.example")
	if status, code := serveTest(t, s, cfg); status != 200 {
		t.Errorf("config from another origin: %d %s", status, code)
	}
	cfg.Header.Set("X-Key", "no")
	if status, code := serveTest(t, s, cfg); status != 401 || code != "unauthorized" {
		t.Errorf("config refused by Authorize: %d %s", status, code)
	}
	rebound := on(httptest.NewRequest("GET", "/webrtc/config", nil), "127.0.0.1:80")
	rebound.Host = "rebound.example"
	if status, code := serveTest(t, s, rebound); status != 403 || code != "bad_host" {
		t.Errorf("config for a rebound name: %d %s", status, code)
	}

	// "*" allows every origin.
	open := newTestStream(t, Config{AllowedOrigins: []string{"*"}})
	if status, code := serveTest(t, open, post("example.com", "https://evil.example", js)); status != 404 {
		t.Errorf(`AllowedOrigins "*": %d %s`, status, code)
	}
}

// slowBody is a request body that never arrives until its reader's
// deadline passes, as a connection's would.
type slowBody struct{ deadline chan time.Time }

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func (b *slowBody) Read([]byte) (int, error) {
	d := <-b.deadline
	time.Sleep(time.Until(d))
	return 0, timeoutError{}
}

// deadlineWriter is a ResponseWriter that can set read deadlines, as a
// server connection's can.
type deadlineWriter struct {
	*httptest.ResponseRecorder
	set chan time.Time
}

func (w deadlineWriter) SetReadDeadline(d time.Time) error {
	if !d.IsZero() {
		w.set <- d
	}
	return nil
}

// A body trickled slower than bodyReadTimeout is cut off with 408, and
// the connection is closed after the reply.
func TestBodyDeadline(t *testing.T) {
	defer func(d time.Duration) { bodyReadTimeout = d }(bodyReadTimeout)
	bodyReadTimeout = 50 * time.Millisecond
	s := newTestStream(t, Config{})
	mux := http.NewServeMux()
	s.Mount(mux, "/webrtc")
	set := make(chan time.Time, 1)
	r := httptest.NewRequest("POST", "/webrtc/offer", io.NopCloser(&slowBody{set}))
	r.Header.Set("Content-Type", "application/json")
	w := deadlineWriter{httptest.NewRecorder(), set}
	start := time.Now()
	mux.ServeHTTP(w, r)
	var e struct{ Error string }
	_ = json.Unmarshal(w.Body.Bytes(), &e)
	if w.Code != http.StatusRequestTimeout || e.Error != "body_timeout" || w.Header().Get("Connection") != "close" {
		t.Fatalf("%d %s (Connection %q), want 408 body_timeout and Connection: close", w.Code, e.Error, w.Header().Get("Connection"))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cut off after %v", d)
	}
}

// The server's ReadTimeout, when shorter, bounds the body instead.
func TestBodyTimeoutFollowsServer(t *testing.T) {
	r := httptest.NewRequest("POST", "/", nil)
	if d := bodyTimeout(r); d != bodyReadTimeout {
		t.Errorf("no server: %v", d)
	}
	short := r.WithContext(context.WithValue(r.Context(), http.ServerContextKey, &http.Server{ReadTimeout: time.Second}))
	if d := bodyTimeout(short); d != time.Second {
		t.Errorf("ReadTimeout 1 s: %v", d)
	}
	long := r.WithContext(context.WithValue(r.Context(), http.ServerContextKey, &http.Server{ReadTimeout: time.Hour}))
	if d := bodyTimeout(long); d != bodyReadTimeout {
		t.Errorf("ReadTimeout 1 h: %v", d)
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"a": true, "go-0123abcd": true, "A_b-9": true, strings.Repeat("x", maxIDLen): true,
		"": false, strings.Repeat("x", maxIDLen+1): false, "a b": false, "a\n": false, "é": false,
		"../x": false, "a.b": false, "<x>": false, "a\x00": false,
	} {
		if validID(id) != want {
			t.Errorf("validID(%q) = %v", id, !want)
		}
	}
}
