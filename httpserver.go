package rtcstream

import (
	"cmp"
	"net"
	"net/http"
	"time"

	"github.com/rtcstream/rtcstream/internal/icemux"
)

// The timeouts of NewHTTPServer's server.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpReadTimeout       = 30 * time.Second
	httpWriteTimeout      = 60 * time.Second
	httpIdleTimeout       = 60 * time.Second
	httpMaxHeaderBytes    = 64 << 10
)

// NewHTTPServer returns an http.Server for h on addr with the limits a
// server open to the Internet needs, which the zero http.Server (and
// http.ListenAndServe) lacks:
//
//   - ReadHeaderTimeout 10 s and ReadTimeout 30 s: a client that sends
//     its request a byte at a time (slowloris) is cut off;
//   - WriteTimeout 60 s: a client that never reads its reply is too (an
//     offer's reply, which waits for the negotiation, gets at least
//     Options.NegotiationTimeout beyond it);
//   - IdleTimeout 60 s: an idle keep-alive connection is closed;
//   - MaxHeaderBytes 64 KiB (the default is 1 MiB).
//
// Its port also takes ICE-TCP: a browser whose UDP is blocked reaches the
// media of every Stream of the process (Network.TCPPort 0) through the
// same TCP port as the page, told apart by a connection's first bytes. So
// a server on :7860 needs TCP 7860 and UDP 7860 open, nothing else.
//
// A Stream's signalling routes bound their own bodies in size
// (Options.MaxBodyBytes) and in time (10 s), behind any server. The
// media, which flows over WebRTC, is not subject to these timeouts; a
// handler of h that streams long replies (server-sent events, downloads)
// needs a server of its own or a longer WriteTimeout. Change any field
// before serving:
//
//	srv := rtcstream.NewHTTPServer(":7860", s)
//	log.Fatal(srv.ListenAndServe())
func NewHTTPServer(addr string, h http.Handler) *HTTPServer {
	return &HTTPServer{&http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: httpReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
	}}
}

// HTTPServer is an http.Server whose listeners take ICE-TCP too (see
// NewHTTPServer). Its fields and its other methods (Shutdown, Close) are
// the http.Server's.
type HTTPServer struct {
	*http.Server
}

// ListenAndServe listens on the TCP address s.Addr (":http" when empty)
// and calls Serve.
func (s *HTTPServer) ListenAndServe() error {
	l, err := net.Listen("tcp", cmp.Or(s.Addr, ":http"))
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// ListenAndServeTLS listens on the TCP address s.Addr (":https" when
// empty) and calls ServeTLS.
func (s *HTTPServer) ListenAndServeTLS(certFile, keyFile string) error {
	l, err := net.Listen("tcp", cmp.Or(s.Addr, ":https"))
	if err != nil {
		return err
	}
	return s.ServeTLS(l, certFile, keyFile)
}

// Serve serves HTTP, and ICE-TCP for the process's Streams, on l, as
// http.Server.Serve does HTTP alone; it closes l when it returns.
func (s *HTTPServer) Serve(l net.Listener) error {
	web, stop := icemux.ServeSplit(l)
	defer stop()
	return s.Server.Serve(web)
}

// ServeTLS is Serve with HTTPS: the connections that are not ICE-TCP are
// served as http.Server.ServeTLS does.
func (s *HTTPServer) ServeTLS(l net.Listener, certFile, keyFile string) error {
	web, stop := icemux.ServeSplit(l)
	defer stop()
	return s.Server.ServeTLS(web, certFile, keyFile)
}
