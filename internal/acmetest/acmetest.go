// Package acmetest runs a real ACME CA for tests: Let's Encrypt's Pebble,
// with pebble-challtestsrv as its DNS server (every name resolves to
// 127.0.0.1), as child processes of the test that stop with it. Pebble
// validates challenges for real, by connecting to the test's server on the
// ports Options give.
//
// Install both with scripts/install-deps.sh (go install
// github.com/letsencrypt/pebble/v2/cmd/...@v2.10.3 into
// ~/.cache/rtcstream/bin). Without them, Start skips the test, or fails it
// when RTCSTREAM_REQUIRE_ACME=1.
//
// Pebble listens on fixed ports (14000, 15000, DNS 8053): run tests that
// use it inside a loopback-only network namespace (internal/netns).
package acmetest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/https"
)

// RequireEnv set to "1" makes Start fail rather than skip when Pebble is
// not installed.
const RequireEnv = "RTCSTREAM_REQUIRE_ACME"

// The CA's fixed addresses, inside the test's namespace.
const (
	apiAddr  = "127.0.0.1:14000"
	mgmtAddr = "127.0.0.1:15000"
	dnsAddr  = "127.0.0.1:8053"
)

// Options are the ports Pebble validates challenges on: where the test
// serves TLS (tls-alpn-01) and plain HTTP (http-01).
type Options struct {
	TLSPort, HTTPPort int
}

// CA is a running Pebble.
type CA struct {
	// DirectoryURL is the ACME directory.
	DirectoryURL string
	// Client talks to the CA's API (its certificate is the test's own).
	Client *http.Client
}

// Start runs Pebble and its DNS server for t, and returns once the ACME
// directory answers.
func Start(t testing.TB, o Options) *CA {
	t.Helper()
	pebble, err1 := find("pebble")
	chall, err2 := find("pebble-challtestsrv")
	if err1 != nil || err2 != nil {
		msg := "acmetest: Pebble is not installed (scripts/install-deps.sh)"
		if os.Getenv(RequireEnv) == "1" {
			t.Fatal(msg + "; " + RequireEnv + "=1 requires it")
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	cfg, _, err := https.SelfSigned("127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, cert, "CERTIFICATE", cfg.Certificates[0].Certificate[0])
	der, err := x509.MarshalECPrivateKey(cfg.Certificates[0].PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, key, "EC PRIVATE KEY", der)
	conf, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress": apiAddr, "managementListenAddress": mgmtAddr,
		"certificate": cert, "privateKey": key,
		"httpPort": o.HTTPPort, "tlsPort": o.TLSPort,
		"retryAfter":   map[string]int{"authz": 1, "order": 1},
		"keyAlgorithm": "ecdsa",
	}})
	confPath := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(confPath, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	run(t, logs, chall, nil, "-dnsserver", dnsAddr, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
		"-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", "", "-management", "127.0.0.1:8055")
	run(t, logs, pebble, []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"},
		"-config", confPath, "-dnsserver", dnsAddr)

	pool := x509.NewCertPool()
	pool.AddCert(cfg.Certificates[0].Leaf)
	ca := &CA{
		DirectoryURL: "https://" + apiAddr + "/dir",
		Client:       &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := ca.Client.Get(ca.DirectoryURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("acmetest: Pebble did not answer in 20 s (%v); its log:\n%s", err, logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("Pebble's log:\n%s", logs)
		}
	})
	return ca
}

// Roots returns the pool of the CA's root, which the certificates it
// issues chain to.
func (ca *CA) Roots(t testing.TB) *x509.CertPool {
	t.Helper()
	resp, err := ca.Client.Get("https://" + mgmtAddr + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("acmetest: the CA's root: %s %v", resp.Status, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("acmetest: the CA's root is not PEM: %q", b)
	}
	return pool
}

// find looks for a binary on PATH, then where install-deps.sh puts it.
func find(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(home, ".cache", "rtcstream", "bin", name)
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return p, nil
}

// run starts bin for the rest of t.
func run(t testing.TB, logs io.Writer, bin string, env []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("acmetest: %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Dialer returns a DialContext that sends every connection to 127.0.0.1,
// on the port asked for: names the CA certified resolve there, as they do
// for Pebble.
func Dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if _, err := strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("acmetest: port %q", port)
		}
		return (&net.Dialer{}).DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
