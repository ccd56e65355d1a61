package impair

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Proxy serves a Stream's routes (page, assets, signalling) from another
// address and routes each session's media through a Relay: it removes the
// candidates from the browser's offer, so the server learns the client
// only from the relayed checks, and replaces each of the server's UDP
// candidates in the answer with a relay of it (on the loopback address of
// the candidate's family: a client whose candidates are IPv4 pairs only
// with an IPv4 one). Every datagram of the session then crosses the
// impairment, both ways.
type Proxy struct {
	cfg   Config
	proxy *httputil.ReverseProxy

	mu     sync.Mutex
	relays map[string]*Relay // by the server candidate they relay to
}

// NewProxy returns a proxy to the server at base (e.g. "http://127.0.0.1:8080").
func NewProxy(base string, cfg Config) (*Proxy, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	p := &Proxy{cfg: cfg, relays: map[string]*Relay{}}
	p.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = u.Host
		},
		ModifyResponse: p.rewriteAnswer,
	}
	return p, nil
}

// ServeHTTP forwards r, with the candidates of an offer removed.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/offer") {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = rewriteSDP(body, func(sdp string) string { return dropCandidates(sdp) })
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	p.proxy.ServeHTTP(w, r)
}

// Stats sums the proxy's relays.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	var s Stats
	for _, r := range p.relays {
		st := r.Stats()
		s.Forwarded += st.Forwarded
		s.Dropped += st.Dropped
	}
	return s
}

// Close closes the relays.
func (p *Proxy) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.relays {
		r.Close()
	}
	p.relays = map[string]*Relay{}
	return nil
}

// rewriteAnswer points an answer's candidates at a relay.
func (p *Proxy) rewriteAnswer(resp *http.Response) error {
	if resp.Request.Method != http.MethodPost || !strings.HasSuffix(resp.Request.URL.Path, "/offer") || resp.StatusCode != http.StatusOK {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	var rerr error
	body = rewriteSDP(body, func(sdp string) string {
		out, err := p.relayCandidates(sdp)
		if err != nil {
			rerr = err
			return sdp
		}
		return out
	})
	if rerr != nil {
		return rerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// rewriteSDP applies f to the "sdp" field of a JSON body; other bodies
// pass as they are.
func rewriteSDP(body []byte, f func(string) string) []byte {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return body
	}
	sdp, ok := m["sdp"].(string)
	if !ok {
		return body
	}
	m["sdp"] = f(sdp)
	out, err := json.Marshal(m)
	if err != nil {
		return body
	}
	return out
}

func dropCandidates(sdp string) string {
	var b strings.Builder
	for line := range strings.Lines(sdp) {
		if strings.HasPrefix(line, "a=candidate:") {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// relayCandidates replaces each UDP candidate with a relay of it, and
// drops the others.
func (p *Proxy) relayCandidates(sdp string) (string, error) {
	var b strings.Builder
	relayed := 0
	for line := range strings.Lines(sdp) {
		if !strings.HasPrefix(line, "a=candidate:") {
			b.WriteString(line)
			continue
		}
		// a=candidate:foundation component transport priority address port typ ...
		f := strings.Fields(strings.TrimSpace(line))
		if len(f) < 8 || !strings.EqualFold(f[2], "udp") {
			continue
		}
		port, err := strconv.Atoi(f[5])
		ip := net.ParseIP(f[4])
		if err != nil || ip == nil {
			continue
		}
		r, err := p.relay(&net.UDPAddr{IP: ip, Port: port})
		if err != nil {
			return "", err
		}
		f[4], f[5] = r.Addr().IP.String(), strconv.Itoa(r.Addr().Port)
		b.WriteString(strings.Join(f, " ") + "\r\n")
		relayed++
	}
	if relayed == 0 {
		return "", fmt.Errorf("impair: the answer has no UDP candidate")
	}
	return b.String(), nil
}

func (p *Proxy) relay(target *net.UDPAddr) (*Relay, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := p.relays[target.String()]; r != nil {
		return r, nil
	}
	r, err := NewRelay(target, p.cfg)
	if err != nil {
		return nil, err
	}
	p.relays[target.String()] = r
	return r, nil
}
