package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/https"
)

// serveFlags choose how the demo serves: plain HTTP, or HTTPS with a
// certificate from files, self-signed, or from an ACME CA; and a plain
// HTTP listener that redirects to it.
type serveFlags struct {
	cert, key  string
	selfSigned bool
	acme       string
	acmeDir    string
	acmeCache  string
	acmeEmail  string
	httpAddr   string
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.cert, "tls-cert", "", "serve HTTPS with this certificate (PEM; with -tls-key)")
	fs.StringVar(&f.key, "tls-key", "", "the private key of -tls-cert (PEM)")
	fs.BoolVar(&f.selfSigned, "self-signed", false, "serve HTTPS with a new self-signed certificate (a LAN demo; its fingerprint is printed)")
	fs.StringVar(&f.acme, "acme", "", "serve HTTPS with certificates from Let's Encrypt for these domains (comma-separated); needs port 443, and 80 for -http")
	fs.StringVar(&f.acmeDir, "acme-directory", "", "the ACME CA's directory URL (default: Let's Encrypt)")
	fs.StringVar(&f.acmeCache, "acme-cache", "", "where ACME certificates are kept (default: the user's cache directory)")
	fs.StringVar(&f.acmeEmail, "acme-email", "", "an email address for the CA's notices")
	fs.StringVar(&f.httpAddr, "http", "", "also listen here for plain HTTP, redirecting to HTTPS (and answering ACME's http-01), e.g. :80")
}

// tls returns the TLS configuration the flags ask for, nil for plain HTTP,
// and the handler for the redirecting HTTP listener.
func (f *serveFlags) tls(ln net.Listener) (*tls.Config, http.Handler, error) {
	n := 0
	for _, on := range []bool{f.cert != "" || f.key != "", f.selfSigned, f.acme != ""} {
		if on {
			n++
		}
	}
	port := ln.Addr().(*net.TCPAddr).Port
	switch {
	case n > 1:
		return nil, nil, errors.New("choose one of -tls-cert/-tls-key, -self-signed and -acme")
	case f.cert != "" || f.key != "":
		if f.cert == "" || f.key == "" {
			return nil, nil, errors.New("-tls-cert and -tls-key go together")
		}
		c, err := tls.LoadX509KeyPair(f.cert, f.key)
		if err != nil {
			return nil, nil, fmt.Errorf("-tls-cert/-tls-key: %w", err)
		}
		return &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12}, https.Redirect(port), nil
	case f.selfSigned:
		cfg, fp, err := https.SelfSigned(selfSignedHosts(ln.Addr())...)
		if err != nil {
			return nil, nil, err
		}
		slog.Info("self-signed certificate: the browser warns once; trust it only if it shows this fingerprint", "sha256", fp)
		return cfg, https.Redirect(port), nil
	case f.acme != "":
		cfg, http80, err := https.ACME(https.ACMEOptions{
			Domains: strings.Split(f.acme, ","), CacheDir: f.acmeCache, Email: f.acmeEmail, DirectoryURL: f.acmeDir,
		})
		return cfg, http80, err
	}
	if f.httpAddr != "" {
		return nil, nil, errors.New("-http redirects to HTTPS: use it with -tls-cert, -self-signed or -acme")
	}
	return nil, nil, nil
}

// selfSignedHosts are the names a self-signed certificate covers: the
// listening address, or, listening on every address, localhost and this
// machine's addresses.
func selfSignedHosts(a net.Addr) []string {
	tcp, ok := a.(*net.TCPAddr)
	if ok && !tcp.IP.IsUnspecified() {
		return []string{tcp.IP.String()}
	}
	hosts := []string{"localhost"}
	addrs, _ := net.InterfaceAddrs()
	for _, ad := range addrs {
		if n, ok := ad.(*net.IPNet); ok {
			hosts = append(hosts, n.IP.String())
		}
	}
	return hosts
}

// serve serves srv on ln, over HTTPS when cfg is set, and the redirecting
// listener beside it, until ctx ends.
func (f *serveFlags) serve(ctx context.Context, srv *rtcstream.HTTPServer, ln net.Listener, cfg *tls.Config, redirect http.Handler) error {
	var plain *rtcstream.HTTPServer
	if cfg != nil && f.httpAddr != "" {
		hl, err := net.Listen("tcp", f.httpAddr)
		if err != nil {
			return err
		}
		plain = rtcstream.NewHTTPServer(f.httpAddr, redirect)
		go func() { _ = plain.Server.Serve(hl) }()
	}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if plain != nil {
			_ = plain.Shutdown(shut)
		}
		_ = srv.Shutdown(shut)
	}()
	var err error
	if cfg != nil {
		srv.TLSConfig = cfg
		err = srv.ServeTLS(ln, "", "")
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
