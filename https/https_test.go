package https_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rtcstream/rtcstream/https"
)

// serveTLS serves a "hello" handler over TLS with cfg on loopback.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// A self-signed certificate verifies for the names it was made for, once
// a client trusts it, and its fingerprint is the served certificate's.
func TestSelfSigned(t *testing.T) {
	cfg, fp, err := https.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, cfg)
	_, port, _ := net.SplitHostPort(addr)
	pool := x509.NewCertPool()
	pool.AddCert(cfg.Certificates[0].Leaf)
	for _, host := range []string{"127.0.0.1", "localhost", "[::1]"} {
		c := &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			},
		}}
		resp, err := c.Get("https://" + host + ":" + port + "/")
		if err != nil {
			t.Errorf("%s: %v", host, err)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "hello" {
			t.Errorf("%s: got %q", host, b)
		}
		if got := https.Fingerprint(resp.TLS.PeerCertificates[0].Raw); got != fp {
			t.Errorf("%s: served certificate's fingerprint %s, SelfSigned said %s", host, got, fp)
		}
	}
	if len(fp) != 32*3-1 || strings.ToUpper(fp) != fp {
		t.Errorf("fingerprint %q: want 32 upper-case hex bytes joined by colons", fp)
	}

	// A name it was not made for does not verify.
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "example.com"}}}
	if resp, err := c.Get("https://" + addr + "/"); err == nil {
		resp.Body.Close()
		t.Error("the certificate verified for example.com")
	}
}

func TestSelfSignedForNamedHosts(t *testing.T) {
	cfg, _, err := https.SelfSigned("demo.lan", "192.168.7.9")
	if err != nil {
		t.Fatal(err)
	}
	leaf := cfg.Certificates[0].Leaf
	for _, h := range []string{"demo.lan", "192.168.7.9"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	if err := leaf.VerifyHostname("localhost"); err == nil {
		t.Error("made for demo.lan, it verified for localhost")
	}
}

func TestRedirect(t *testing.T) {
	for _, c := range []struct {
		port       int
		host, path string
		want       string
	}{
		{443, "demo.example.com", "/a?b=c", "https://demo.example.com/a?b=c"},
		{443, "demo.example.com:80", "/", "https://demo.example.com/"},
		{7860, "10.0.0.5:7861", "/webrtc/offer", "https://10.0.0.5:7860/webrtc/offer"},
		{8443, "[::1]:80", "/", "https://[::1]:8443/"},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://"+c.host+c.path, nil)
		r.Host = c.host
		w := httptest.NewRecorder()
		https.Redirect(c.port).ServeHTTP(w, r)
		if w.Code != http.StatusPermanentRedirect || w.Header().Get("Location") != c.want {
			t.Errorf("%s%s to port %d: %d %q, want 308 %q", c.host, c.path, c.port, w.Code, w.Header().Get("Location"), c.want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Host = ""
	w := httptest.NewRecorder()
	https.Redirect(443).ServeHTTP(w, r)
	if w.Code != http.StatusBadRequest {
		t.Errorf("no Host: %d, want 400", w.Code)
	}
}

func TestACMERefusesWhatItCannotCertify(t *testing.T) {
	for _, domains := range [][]string{nil, {""}, {"192.168.1.2"}, {"a.example.com", "http://b.example.com"}} {
		if _, _, err := https.ACME(https.ACMEOptions{Domains: domains, CacheDir: t.TempDir()}); err == nil {
			t.Errorf("ACME for %q: no error", domains)
		}
	}
}
