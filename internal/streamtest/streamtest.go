// Package streamtest holds what the networked tests of several packages
// share: loopback-only server set-up, goroutine-leak checks and bounded
// contexts.
package streamtest

import (
	"context"
	"errors"
	"image"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/rtcstream/rtcstream"
)

// Loopback keeps a server's ICE candidates on the loopback interface.
var Loopback = rtcstream.Network{Interfaces: []string{"lo"}, IncludeLoopback: true, DisableMDNS: true}

// Serve starts s on a loopback HTTP server, closes both when the test
// ends, and returns the server's URL.
func Serve(t testing.TB, s *rtcstream.Stream) string {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(func() {
		s.Close()
		srv.Close()
	})
	return srv.URL
}

// ServeOn serves s with rtcstream.NewHTTPServer (ICE-TCP on the page's
// port) on ip, on a free port, until the test ends, and returns its URL
// and port: a server at an address of a test's topology.
func ServeOn(t testing.TB, s *rtcstream.Stream, ip string) (url string, port int) {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := rtcstream.NewHTTPServer(l.Addr().String(), s)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + l.Addr().String(), l.Addr().(*net.TCPAddr).Port
}

// ServeWithMetrics starts s on a loopback HTTP server with m at /metrics,
// and cleans both up.
func ServeWithMetrics(t testing.TB, s *rtcstream.Stream, m http.Handler) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/", s)
	mux.Handle("GET /metrics", m)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		s.Close()
		srv.Close()
	})
	return srv.URL
}

// IdentityServer serves a send-receive video Stream whose handler returns
// its input, on loopback (opts may be nil; its Network is replaced).
func IdentityServer(t testing.TB, opts *rtcstream.Options) string {
	t.Helper()
	var o rtcstream.Options
	if opts != nil {
		o = *opts
	}
	o.Network = Loopback
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive,
		func(img image.Image) image.Image { return img }, &o)
	if err != nil {
		t.Fatal(err)
	}
	return Serve(t, s)
}

// CheckLeaks fails the test if goroutines it started outlive it.
func CheckLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		goleak.VerifyNone(t,
			goleak.IgnoreCurrent(),
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
		)
	})
}

// Context bounds a networked test: it ends after d or with the test.
func Context(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
