package server

import (
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Every signalling request passes these checks, in this order, before its
// body is read; the first that fails answers it:
//
//  1. Host (every route, DNS rebinding): on a loopback listener, Host must
//     be an IP address, localhost or a name under .localhost, or one of
//     Config.AllowedHosts or the hosts of Config.AllowedOrigins
//     -> 403 bad_host.
//  2. Origin (POST routes): absent (not a browser), the request's own host
//     (Host, or X-Forwarded-Host from a proxy), or one of
//     Config.AllowedOrigins -> 403 cross_origin.
//  3. Content-Type (POST routes): application/json, which a cross-site
//     page cannot send without a CORS preflight the server never grants
//     -> 415 unsupported_media_type.
//  4. Config.Authorize, when set (every route) -> 401 unauthorized.
//
// GET /config passes 1 and 4: it hands out TURN credentials.

// access is a Stream's request policy, made once from its Config.
type access struct {
	anyOrigin bool
	origins   map[string]bool // normalized "scheme://host:port"
	hosts     map[string]bool // lower-case host names, no port
	rates     *rateTable
	// configs bounds GET /config per client when it hands out TURN
	// credentials: twice the offers' rate (a connection's fetch, and its
	// ICE restarts'), so a stranger cannot collect credentials.
	configs *rateTable
}

func newAccess(cfg *Config) *access {
	twice := cfg.Clients
	twice.OffersPerMinute, twice.Burst = 2*twice.OffersPerMinute, 2*twice.Burst
	a := &access{origins: map[string]bool{}, hosts: map[string]bool{}, rates: newRateTable(cfg.Clients), configs: newRateTable(twice)}
	for _, o := range cfg.AllowedOrigins {
		if o == "*" {
			a.anyOrigin = true
			continue
		}
		if n, host, ok := normalizeOrigin(o); ok {
			a.origins[n] = true
			a.hosts[host] = true
		}
	}
	for _, h := range cfg.AllowedHosts {
		a.hosts[strings.ToLower(strings.TrimSuffix(h, "."))] = true
	}
	return a
}

// caller is what the checks learnt of a request that passed them.
type caller struct {
	identity any    // Config.Authorize's
	client   string // the client's address, for ClientLimits
}

// guarded runs h for requests that pass the checks; post says whether the
// route takes a JSON body.
func (s *Stream) guarded(post bool, h func(http.ResponseWriter, *http.Request, *caller)) http.HandlerFunc {
	body := ""
	if post {
		body = "application/json"
	}
	return s.guardedBody(body, h)
}

// guardedBody runs h for requests that pass the checks; body is the media
// type the route's body must have, "" for a route without one.
func (s *Stream) guardedBody(body string, h func(http.ResponseWriter, *http.Request, *caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, aerr := s.check(r, body)
		if aerr != nil {
			writeError(w, aerr)
			return
		}
		h(w, r, c)
	}
}

// check runs the checks every signalling request passes: its Host, its
// Origin and media type when it has a body, and Config.Authorize.
func (s *Stream) check(r *http.Request, body string) (*caller, *apiError) {
	if aerr := s.access.checkHost(r); aerr != nil {
		return nil, aerr
	}
	if body != "" {
		if aerr := s.access.checkOrigin(r); aerr != nil {
			return nil, aerr
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != body {
			return nil, refuse(http.StatusUnsupportedMediaType, "unsupported_media_type", "this request's body is "+body+": send Content-Type: "+body)
		}
	}
	c := &caller{client: s.clientOf(r)}
	if f := s.cfg.Authorize; f != nil {
		id, err := f(r)
		if err != nil {
			return nil, refuse(http.StatusUnauthorized, "unauthorized", clip(err.Error(), 300))
		}
		c.identity = id
	}
	return c, nil
}

// checkHost refuses, on a server listening on a loopback address, a Host
// that names anything but this machine: a page whose DNS name was rebound
// to 127.0.0.1 after it loaded is same-origin with its own name, and only
// its Host gives it away.
func (a *access) checkHost(r *http.Request) *apiError {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return nil
	}
	ap, err := netip.ParseAddrPort(local.String())
	if err != nil || !ap.Addr().Unmap().IsLoopback() {
		return nil
	}
	host := hostOnly(r.Host)
	if _, err := netip.ParseAddr(host); err == nil {
		return nil // an address: no name to rebind
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || a.hosts[host] {
		return nil
	}
	return refuse(http.StatusForbidden, "bad_host", "this server listens on loopback and answers only for localhost; a reverse proxy that passes its public Host on must list it in Options.AllowedHosts")
}

// checkOrigin refuses a browser's request from another site's page.
func (a *access) checkOrigin(r *http.Request) *apiError {
	values := r.Header.Values("Origin")
	if len(values) == 0 || a.anyOrigin {
		return nil
	}
	if len(values) == 1 {
		if n, _, ok := normalizeOrigin(values[0]); ok {
			if a.origins[n] {
				return nil
			}
			scheme := n[:strings.Index(n, "://")]
			forwarded, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Host"), ",")
			for _, h := range []string{r.Host, strings.TrimSpace(forwarded)} {
				if h != "" && scheme+"://"+withPort(scheme, strings.ToLower(h)) == n {
					return nil
				}
			}
		}
	}
	return refuse(http.StatusForbidden, "cross_origin", "the request comes from another site's page; the server takes signalling from its own pages and Options.AllowedOrigins")
}

// normalizeOrigin returns an origin as "scheme://host:port" with the
// default port filled in, and its host name; ok is false for anything but
// an http(s) origin ("null" included).
func normalizeOrigin(o string) (norm, host string, ok bool) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(o), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", "", false
	}
	scheme := strings.ToLower(u.Scheme)
	hp := withPort(scheme, strings.ToLower(u.Host))
	return scheme + "://" + hp, hostOnly(hp), true
}

// withPort adds scheme's default port to a host[:port] without one.
func withPort(scheme, hostport string) string {
	if _, _, err := net.SplitHostPort(hostport); err == nil {
		return hostport
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(strings.Trim(hostport, "[]"), port)
}

// hostOnly returns the lower-case host name of a Host header, without
// port, brackets or trailing dot.
func hostOnly(hostport string) string {
	h := strings.ToLower(hostport)
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return strings.TrimSuffix(strings.Trim(h, "[]"), ".")
}
