// Package https serves rtcstream pages over HTTPS. Browsers give the
// camera and the microphone (getUserMedia) to secure origins only: a page
// served over plain HTTP from anywhere but localhost shows no camera.
// Serve HTTPS with a certificate from files
// (rtcstream.HTTPServer.ListenAndServeTLS), from an ACME CA such as Let's
// Encrypt (ACME), or, on a LAN, self-signed (SelfSigned); redirect plain
// HTTP to it with Redirect.
package https

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// selfSignedLife is how long a SelfSigned certificate is valid.
const selfSignedLife = 365 * 24 * time.Hour

// SelfSigned returns a TLS configuration with a new self-signed
// certificate for hosts (names or IP addresses; none means "localhost",
// 127.0.0.1 and ::1), valid for a year, and the certificate's SHA-256
// fingerprint, colon-separated as browsers show it. A browser warns about
// the certificate once; compare the fingerprint it shows with this one
// before you trust it. For a LAN demo: on the Internet, use a CA's
// certificate.
//
//	cfg, fp, err := https.SelfSigned("192.168.1.20")
//	srv := rtcstream.NewHTTPServer(":7860", s)
//	srv.TLSConfig = cfg
//	log.Printf("certificate SHA-256 %s", fp)
//	log.Fatal(srv.ListenAndServeTLS("", ""))
func SelfSigned(hosts ...string) (cfg *tls.Config, fingerprint string, err error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, "", err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: hosts[0], Organization: []string{"rtcstream self-signed"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, "", err
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, Fingerprint(der), nil
}

// Fingerprint is the SHA-256 fingerprint of a DER certificate, as
// browsers show it: upper-case hex bytes joined by colons.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// Redirect returns a handler that sends every request to the same
// host and path over HTTPS (308, which keeps the method), on httpsPort
// when it is not 443: serve it on port 80 beside the HTTPS server, with
// rtcstream.NewHTTPServer's timeouts, so that http:// links still reach
// the page.
func Redirect(httpsPort int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if host == "" {
			http.Error(w, "no Host", http.StatusBadRequest)
			return
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]" // IPv6
		}
		if httpsPort != 0 && httpsPort != 443 {
			host = fmt.Sprintf("%s:%d", host, httpsPort)
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// ACMEOptions configure ACME.
type ACMEOptions struct {
	// Domains are the names the certificates are for, which browsers
	// use and whose DNS points at this server. Required.
	Domains []string
	// CacheDir keeps the account key and the certificates across
	// restarts (a CA limits how often it issues). Default: rtcstream/acme
	// in the user's cache directory.
	CacheDir string
	// Email is given to the CA for notices about the certificates.
	// Optional.
	Email string
	// DirectoryURL is the CA's ACME directory. Default: Let's Encrypt.
	DirectoryURL string
	// HTTPClient talks to the CA. Default: http.DefaultClient.
	HTTPClient *http.Client
}

// ACME returns a TLS configuration whose certificates come from an ACME
// CA (Let's Encrypt unless DirectoryURL says otherwise): one is obtained
// on the first TLS handshake for a domain and renewed before it expires.
// The CA checks that the server holds the domain over the TLS port itself
// (the tls-alpn-01 challenge), so the server must be reachable under the
// domain on port 443; http80, served on port 80, answers the http-01
// challenge too and redirects everything else to HTTPS. By using it you
// accept the CA's terms of service.
//
//	cfg, http80, err := https.ACME(https.ACMEOptions{Domains: []string{"demo.example.com"}})
//	srv := rtcstream.NewHTTPServer(":443", s)
//	srv.TLSConfig = cfg
//	go rtcstream.NewHTTPServer(":80", http80).ListenAndServe()
//	log.Fatal(srv.ListenAndServeTLS("", ""))
func ACME(o ACMEOptions) (cfg *tls.Config, http80 http.Handler, err error) {
	if len(o.Domains) == 0 {
		return nil, nil, errors.New("https: ACME needs the domains to get certificates for")
	}
	for _, d := range o.Domains {
		if d == "" || net.ParseIP(d) != nil || strings.ContainsAny(d, "/: ") {
			return nil, nil, fmt.Errorf("https: ACME certificates are for domain names, not %q", d)
		}
	}
	dir := o.CacheDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, nil, fmt.Errorf("https: no cache directory for ACME (set ACMEOptions.CacheDir): %w", err)
		}
		dir = filepath.Join(base, "rtcstream", "acme")
	}
	m := &autocert.Manager{
		Prompt:     autocert.AcceptTOS,
		Cache:      autocert.DirCache(dir),
		HostPolicy: autocert.HostWhitelist(o.Domains...),
		Email:      o.Email,
		Client:     &acme.Client{DirectoryURL: o.DirectoryURL, HTTPClient: o.HTTPClient},
	}
	cfg = m.TLSConfig()
	cfg.MinVersion = tls.VersionTLS12
	return cfg, m.HTTPHandler(Redirect(443)), nil
}
