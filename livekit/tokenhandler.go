package livekit

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/rtcstream/rtcstream/internal/httpjson"
)

// TokenHandlerOptions configure TokenHandler. URL, APIKey and APISecret
// are required.
type TokenHandlerOptions struct {
	// URL is the LiveKit server's as browsers reach it (wss://...).
	URL string
	// APIKey and APISecret sign the tokens.
	APIKey, APISecret string
	// AgentName is dispatched to each room (Options.AgentName of the
	// workers); empty leaves rooms to workers without a name.
	AgentName string
	// Authorize, when set, vets each request and names its participant;
	// an error refuses it (403, its text shown on the page). Default:
	// whoever loads the page gets a room of their own as "user-<random>".
	Authorize func(r *http.Request) (identity string, err error)
	// TTL is how long a token admits its bearer; 0 means 10 minutes.
	TTL time.Duration
	// PerMinute bounds the tokens one client address gets a minute; 0
	// means 20, negative no bound.
	PerMinute int
}

// TokenHandler serves the page's LiveKit tokens (rtcstream's
// Options.LiveKitTokenURL): a POST from the page's own origin gets
// {"url", "token", "room", "identity"} for a new room of its own, with the
// agent dispatched to it. Other methods get 405, other origins and
// refusals 403, a client over its rate 429; errors are JSON
// {"error", "message"}, as the signalling's.
func TokenHandler(o TokenHandlerOptions) (http.Handler, error) {
	if o.URL == "" || o.APIKey == "" || o.APISecret == "" {
		return nil, errors.New("livekit: TokenHandler needs the server's URL (as browsers reach it), key and secret")
	}
	if _, _, err := serverURLs(o.URL); err != nil {
		return nil, err
	}
	if o.TTL <= 0 {
		o.TTL = 10 * time.Minute
	}
	if o.PerMinute == 0 {
		o.PerMinute = 20
	}
	return &tokenHandler{o: o, clients: map[string]*visitor{}}, nil
}

type tokenHandler struct {
	o       TokenHandlerOptions
	mu      sync.Mutex
	clients map[string]*visitor
	pruned  time.Time
}

// visitor is one client address's rate.
type visitor struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxClients bounds the addresses remembered for rate limiting.
const maxClients = 10000

func (h *tokenHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		httpjson.WriteError(w, http.StatusMethodNotAllowed, "method_not_allowed", "ask for a token with POST")
		return
	}
	if !sameOrigin(r) {
		httpjson.WriteError(w, http.StatusForbidden, "cross_origin", "tokens are for the page's own origin")
		return
	}
	if !h.allow(r) {
		httpjson.WriteError(w, http.StatusTooManyRequests, "rate_limited", "too many tokens asked for: wait a minute")
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 4096))
	identity := "user-" + randomHex(6)
	if h.o.Authorize != nil {
		id, err := h.o.Authorize(r)
		if err != nil {
			httpjson.WriteError(w, http.StatusForbidden, "forbidden", err.Error())
			return
		}
		if id != "" {
			identity = id
		}
	}
	room := "rtcstream-" + randomHex(8)
	tok, err := Token(h.o.APIKey, h.o.APISecret, room, identity, TokenOptions{AgentName: h.o.AgentName, TTL: h.o.TTL})
	if err != nil {
		httpjson.WriteError(w, http.StatusInternalServerError, "token", "the server could not make a token")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpjson.Write(w, http.StatusOK, map[string]string{"url": h.o.URL, "token": tok, "room": room, "identity": identity})
}

// allow takes one token from the client's bucket.
func (h *tokenHandler) allow(r *http.Request) bool {
	if h.o.PerMinute < 0 {
		return true
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Sub(h.pruned) > time.Minute || len(h.clients) >= maxClients {
		for k, c := range h.clients {
			if now.Sub(c.seen) > time.Minute {
				delete(h.clients, k)
			}
		}
		h.pruned = now
		if len(h.clients) >= maxClients {
			return false // a flood from many addresses: refuse until it passes
		}
	}
	c := h.clients[ip]
	if c == nil {
		c = &visitor{lim: rate.NewLimiter(rate.Limit(float64(h.o.PerMinute)/60), h.o.PerMinute)}
		h.clients[ip] = c
	}
	c.seen = now
	return c.lim.AllowN(now, 1)
}

// sameOrigin says whether a browser's request comes from the page's own
// origin: no Origin header (not a cross-origin fetch), or one naming the
// request's host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return r.Header.Get("Sec-Fetch-Site") != "cross-site"
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
