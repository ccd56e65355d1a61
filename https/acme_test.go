package https_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/https"
	"github.com/rtcstream/rtcstream/internal/acmetest"
	"github.com/rtcstream/rtcstream/internal/netns"
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// TestACMEWithPebble serves a Stream over HTTPS with a certificate from a
// real ACME CA (Pebble), which validates the domain by connecting to the
// server: over TLS on the page's port (tls-alpn-01) or over HTTP on the
// redirecting port (http-01). The page is then served with a certificate
// that chains to the CA, the certificate is cached, plain HTTP redirects,
// and a client whose UDP is blocked streams over ICE-TCP through the same
// HTTPS port.
func TestACMEWithPebble(t *testing.T) {
	if !netns.Inside() {
		t.Skip("Pebble listens on fixed ports: only inside the test's network namespace")
	}
	const domain = "demo.rtcstream.test"
	const tlsPort, httpPort = 5001, 5002
	ca := acmetest.Start(t, acmetest.Options{TLSPort: tlsPort, HTTPPort: httpPort})
	ctx := streamtest.Context(t, 2*time.Minute)

	cache := t.TempDir()
	cfg, http80, err := https.ACME(https.ACMEOptions{
		Domains: []string{domain}, CacheDir: cache, DirectoryURL: ca.DirectoryURL, HTTPClient: ca.Client,
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, streamtest.Invert,
		&rtcstream.Options{Network: streamtest.Loopback, AllowedHosts: []string{domain}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := rtcstream.NewHTTPServer("127.0.0.1:5001", s)
	srv.TLSConfig = cfg
	plain := rtcstream.NewHTTPServer("127.0.0.1:5002", http80)
	served := make(chan error, 2)
	go func() { served <- srv.ListenAndServeTLS("", "") }()
	go func() { served <- plain.ListenAndServe() }()
	defer func() {
		srv.Close()
		plain.Close()
		for range 2 {
			if err := <-served; !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("serve: %v", err)
			}
		}
	}()

	// The first handshake gets the certificate.
	roots := ca.Roots(t)
	browser := &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{
			DialContext:     acmetest.Dialer(),
			TLSClientConfig: &tls.Config{RootCAs: roots},
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	page := "https://" + domain + ":5001/"
	resp, err := browser.Get(page)
	if err != nil {
		t.Fatalf("the page over HTTPS: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<html") {
		t.Fatalf("the page over HTTPS: %s %.200q", resp.Status, body)
	}
	leaf := resp.TLS.PeerCertificates[0]
	t.Logf("certificate for %v from %q, valid until %v", leaf.DNSNames, leaf.Issuer.CommonName, leaf.NotAfter.Format(time.DateOnly))
	if err := leaf.VerifyHostname(domain); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(cache, domain)); err != nil {
		t.Errorf("the certificate is not cached: %v", err)
	}

	// Plain HTTP redirects to HTTPS.
	resp, err = browser.Get("http://" + domain + ":5002/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != "https://"+domain+"/x" {
		t.Errorf("plain HTTP: %s to %q", resp.Status, resp.Header.Get("Location"))
	}

	// Media over ICE-TCP on the HTTPS port, for a client without UDP.
	c, err := client.Dial(ctx, page, &client.Options{Loopback: true, TCPOnly: true, HTTPClient: browser})
	if err != nil {
		t.Fatalf("ICE-TCP through the HTTPS port: %v", err)
	}
	defer c.Close()
	const w, h = 320, 240
	go func() {
		start := time.Now() // stamped in real time, as a camera does
		for i := range 90 {
			if c.WriteFrame(streamtest.Pattern(w, h, i), time.Since(start)) != nil {
				return
			}
			time.Sleep(time.Second / 30)
		}
	}()
	for got := 0; got < 5; {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		f, err := c.ReadFrame(rctx)
		cancel()
		if err != nil {
			t.Fatalf("%d frames back over ICE-TCP, then %v", got, err)
		}
		if streamtest.LumaAt(f.Image, w/4, h/2) > 150 {
			got++
		}
	}
}
