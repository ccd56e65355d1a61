package rtcstream_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
)

func TestHTTPServerLimits(t *testing.T) {
	srv := rtcstream.NewHTTPServer(":7860", http.NotFoundHandler())
	if srv.Addr != ":7860" || srv.Handler == nil {
		t.Fatalf("addr %q, handler %v", srv.Addr, srv.Handler)
	}
	for name, d := range map[string]time.Duration{
		"ReadHeaderTimeout": srv.ReadHeaderTimeout, "ReadTimeout": srv.ReadTimeout,
		"WriteTimeout": srv.WriteTimeout, "IdleTimeout": srv.IdleTimeout,
	} {
		if d <= 0 || d > 2*time.Minute {
			t.Errorf("%s = %v", name, d)
		}
	}
	if srv.ReadHeaderTimeout > srv.ReadTimeout || srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 1<<20 {
		t.Errorf("ReadHeaderTimeout %v, ReadTimeout %v, MaxHeaderBytes %d", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.MaxHeaderBytes)
	}
}

// serveHTTPServer serves a Stream with NewHTTPServer on loopback, its
// timeouts shortened by tune, and returns the address.
func serveHTTPServer(t *testing.T, tune func(*rtcstream.HTTPServer)) string {
	t.Helper()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	srv := rtcstream.NewHTTPServer("127.0.0.1:0", s)
	tune(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		s.Close()
		<-done
	})
	return ln.Addr().String()
}

// A client that sends its offer's body a byte a second (slowloris) is cut
// off at the server's ReadTimeout, with a reply saying so.
func TestHTTPServerCutsSlowBody(t *testing.T) {
	checkLeaks(t)
	addr := serveHTTPServer(t, func(srv *rtcstream.HTTPServer) { srv.ReadTimeout = time.Second })
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	_, err = io.WriteString(conn, "POST /webrtc/offer HTTP/1.1\r\nHost: "+addr+
		"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	if err != nil {
		t.Fatal(err)
	}
	replied := make(chan *http.Response, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			close(replied)
			return
		}
		resp.Body.Close()
		replied <- resp
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case resp := <-replied:
			if resp == nil || resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("reply %v, want 408", resp)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("cut off after %v, want about 1 s", d)
			}
			return
		case <-tick.C:
			if time.Since(start) > 10*time.Second {
				t.Fatal("a body trickled at 1 byte/s is still being read after 10 s")
			}
			_, _ = io.WriteString(conn, " ") // may fail once cut off
		}
	}
}

// An idle keep-alive connection is closed at the server's IdleTimeout.
func TestHTTPServerClosesIdleConnections(t *testing.T) {
	checkLeaks(t)
	addr := serveHTTPServer(t, func(srv *rtcstream.HTTPServer) { srv.IdleTimeout = 500 * time.Millisecond })
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	if _, err := io.WriteString(conn, "GET /webrtc/config HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("status %d, close %v: want a kept-alive 200", resp.StatusCode, resp.Close)
	}
	idle := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = br.ReadByte()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("an idle keep-alive connection is still open after 5 s")
	}
	if err == nil || !(errors.Is(err, io.EOF) || strings.Contains(err.Error(), "reset")) {
		t.Fatalf("read on the idle connection: %v, want EOF", err)
	}
	if d := time.Since(idle); d < 400*time.Millisecond {
		t.Fatalf("closed after %v, before the IdleTimeout", d)
	}
}
