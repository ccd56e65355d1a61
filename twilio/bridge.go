// Package twilio puts a Stream's audio handler on the telephone: a bridge
// for Twilio's Media Streams runs the same handler (an AudioStreamFunc,
// voice.ReplyOnPause, an agent) for each phone call as the Stream runs for
// each browser.
//
// Twilio calls the bridge's TwiML endpoint when a call comes in; the answer
// connects the call to the bridge's WebSocket, over which Twilio sends the
// caller's audio (μ-law at 8 kHz, base64 in JSON "media" messages) and the
// bridge sends the handler's audio back, paced in real time. Barge-in
// (Session.FlushAudio) also sends "clear", so Twilio drops what it has
// buffered. Requests are checked against Twilio's signature
// (X-Twilio-Signature) with the account's auth token.
//
//	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, handler, &rtcstream.Options{AudioInputRate: 16000})
//	b, err := twilio.NewBridge(s, twilio.Options{AuthToken: os.Getenv("TWILIO_AUTH_TOKEN")})
//	mux.Handle("/phone/", http.StripPrefix("/phone", b)) // voice webhook: https://host/phone/twiml
package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/g711"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/server"
	"github.com/rtcstream/rtcstream/internal/streamlink"
)

// Options configure a Bridge.
type Options struct {
	// AuthToken is the Twilio account's auth token: every request (the
	// TwiML webhook and the WebSocket) must carry Twilio's signature made
	// with it. Required unless AllowUnsigned.
	AuthToken string
	// AllowUnsigned accepts requests without a valid signature: for
	// development and tests only, since anyone who finds the URL can then
	// place calls into the handler.
	AllowUnsigned bool
	// PublicURL is the bridge's URL as Twilio reaches it
	// ("https://voice.example.com/phone"), for the WebSocket URL in the
	// TwiML and for checking signatures. Default: from each request (its
	// Host, and X-Forwarded-Proto's scheme behind a proxy).
	PublicURL string
	// MaxCalls caps concurrent calls; a call over it is refused (the
	// TwiML says so, and hangs up). Default: the Stream's
	// ConcurrencyLimit, or 32.
	MaxCalls int
	// Logger receives the bridge's log; nil means slog.Default().
	Logger *slog.Logger
}

// Bridge is an http.Handler serving Twilio: POST /twiml (the voice
// webhook) and GET /media (the Media Streams WebSocket), under any prefix
// (http.StripPrefix).
type Bridge struct {
	cfg  server.Config
	opts Options
	log  *slog.Logger
	up   websocket.Upgrader

	mu        sync.Mutex
	calls     map[*call]struct{}
	upgrading int // calls between the cap's check and their upgrade
	wg        sync.WaitGroup
}

// NewBridge returns a Bridge running stream's handler, an audio stream in
// send-receive mode, for each call. The Stream's TimeLimit ends each call
// as it does a browser's session.
func NewBridge(stream *rtcstream.Stream, opts Options) (*Bridge, error) {
	cfg, ok := streamlink.Config(stream)
	if !ok {
		return nil, errors.New("twilio: NewBridge needs a Stream made by rtcstream")
	}
	if cfg.Modality != server.Audio || cfg.Mode != server.SendReceive {
		return nil, errors.New("twilio: a phone call is audio both ways: the Stream must be Audio and SendReceive")
	}
	if opts.AuthToken == "" && !opts.AllowUnsigned {
		return nil, errors.New("twilio: Options.AuthToken is required to check Twilio's signatures (or set AllowUnsigned, for development)")
	}
	if opts.PublicURL != "" {
		u, err := url.Parse(opts.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("twilio: Options.PublicURL %q is not an http(s) URL", opts.PublicURL)
		}
	}
	if opts.MaxCalls <= 0 {
		opts.MaxCalls = cfg.ConcurrencyLimit
		if opts.MaxCalls <= 0 {
			opts.MaxCalls = 32
		}
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	// The caller's audio is μ-law at 8 kHz both ways.
	cfg.AudioCodec = func() (codec.AudioEncoder, codec.AudioDecoder, int, error) {
		enc, err := g711.NewEncoder(pipeline.OpusRate)
		if err != nil {
			return nil, nil, 0, err
		}
		return enc, g711.NewDecoder(), g711.Rate, nil
	}
	b := &Bridge{cfg: cfg, opts: opts, log: log, calls: map[*call]struct{}{}}
	b.up = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		CheckOrigin:      func(*http.Request) bool { return true }, // Twilio sends none; the signature vouches
	}
	return b, nil
}

// ServeHTTP serves /twiml and /media.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/twiml":
		b.serveTwiML(w, r)
	case "/media":
		b.serveMedia(w, r)
	default:
		http.NotFound(w, r)
	}
}

// Calls returns the number of calls in progress.
func (b *Bridge) Calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.calls)
}

// Close hangs up every call and waits for their handlers to return.
func (b *Bridge) Close() error {
	b.mu.Lock()
	calls := slices.Collect(func(yield func(*call) bool) {
		for c := range b.calls {
			if !yield(c) {
				return
			}
		}
	})
	b.mu.Unlock()
	for _, c := range calls {
		c.hangUp("the server is shutting down")
	}
	b.wg.Wait()
	return nil
}

// publicURL is the bridge's base URL for r: Options.PublicURL, or the
// request's own.
func (b *Bridge) publicURL(r *http.Request) *url.URL {
	if b.opts.PublicURL != "" {
		u, _ := url.Parse(strings.TrimRight(b.opts.PublicURL, "/"))
		return u
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	// The path the request came in on, less what the bridge serves.
	prefix := strings.TrimSuffix(strings.TrimSuffix(r.RequestURI, "?"+r.URL.RawQuery), r.URL.Path)
	return &url.URL{Scheme: scheme, Host: r.Host, Path: prefix}
}

// signed checks r's X-Twilio-Signature: base64 HMAC-SHA1, keyed with the
// auth token, of the URL Twilio requested (wss:// for the media stream)
// and, for a form POST, each parameter's name and value in name order.
func (b *Bridge) signed(r *http.Request, path string) bool {
	if b.opts.AuthToken == "" {
		return b.opts.AllowUnsigned
	}
	got, err := base64.StdEncoding.DecodeString(r.Header.Get("X-Twilio-Signature"))
	if err != nil || len(got) == 0 {
		return false
	}
	u := b.publicURL(r)
	if path == "/media" { // the WebSocket's URL, as Twilio connects to it
		u.Scheme = map[string]string{"https": "wss", "http": "ws"}[u.Scheme]
	}
	u.Path += path
	u.RawQuery = r.URL.RawQuery
	return hmac.Equal(got, Signature(b.opts.AuthToken, u.String(), r.PostForm))
}

// Signature is what Twilio signs a request with: HMAC-SHA1, keyed with
// authToken, of fullURL followed by each POST parameter's name and value,
// sorted by name. (A client that plays Twilio, as the tests do, signs with
// it.)
func Signature(authToken, fullURL string, form url.Values) []byte {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range form {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range form[k] {
			mac.Write([]byte(k + v))
		}
	}
	return mac.Sum(nil)
}

// twiml is Twilio's answer document.
type twiml struct {
	XMLName xml.Name  `xml:"Response"`
	Say     string    `xml:"Say,omitempty"`
	Connect *connect  `xml:"Connect,omitempty"`
	Hangup  *struct{} `xml:"Hangup,omitempty"`
}

type connect struct {
	Stream struct {
		URL        string      `xml:"url,attr"`
		Parameters []parameter `xml:"Parameter"`
	} `xml:"Stream"`
}

// parameter is a Stream's custom parameter: Twilio hands it back in the
// start message.
type parameter struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// serveTwiML answers Twilio's voice webhook: connect the call to the
// bridge's WebSocket, or, when the bridge is full, say so and hang up.
func (b *Bridge) serveTwiML(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if !b.signed(r, "/twiml") {
		b.log.Warn("twilio: a webhook request without a valid signature: refused", "remote", r.RemoteAddr)
		http.Error(w, "invalid Twilio signature", http.StatusForbidden)
		return
	}
	var doc twiml
	if b.Calls() >= b.opts.MaxCalls {
		b.log.Warn("twilio: a call over the limit: refused", "calls", b.Calls(), "max", b.opts.MaxCalls, "call", r.PostForm.Get("CallSid"))
		doc.Say = "Sorry, all lines are busy. Please call again later."
		doc.Hangup = &struct{}{}
	} else {
		u := b.publicURL(r)
		u.Scheme = map[string]string{"https": "wss", "http": "ws"}[u.Scheme]
		u.Path += "/media"
		doc.Connect = &connect{}
		doc.Connect.Stream.URL = u.String()
		// Who calls whom, for the handler's Session.Identity.
		for _, k := range []string{"From", "To"} {
			if v := r.PostForm.Get(k); v != "" {
				doc.Connect.Stream.Parameters = append(doc.Connect.Stream.Parameters, parameter{k, v})
			}
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(doc)
}

// serveMedia takes one call's Media Streams WebSocket.
func (b *Bridge) serveMedia(w http.ResponseWriter, r *http.Request) {
	if !b.signed(r, "/media") {
		b.log.Warn("twilio: a media stream without a valid signature: refused", "remote", r.RemoteAddr)
		http.Error(w, "invalid Twilio signature", http.StatusForbidden)
		return
	}
	// A place is held through the upgrade, so calls racing in cannot
	// pass MaxCalls together.
	b.mu.Lock()
	full := len(b.calls)+b.upgrading >= b.opts.MaxCalls
	if !full {
		b.upgrading++
	}
	b.mu.Unlock()
	if full {
		http.Error(w, "too many calls", http.StatusServiceUnavailable)
		return
	}
	ws, err := b.up.Upgrade(w, r, nil)
	b.mu.Lock()
	b.upgrading--
	var c *call
	if err == nil {
		c = newCall(b, ws)
		b.calls[c] = struct{}{}
		b.wg.Add(1)
	}
	b.mu.Unlock()
	if err != nil {
		return // the upgrader has answered
	}
	go func() {
		defer b.wg.Done()
		c.run()
		b.mu.Lock()
		delete(b.calls, c)
		b.mu.Unlock()
	}()
}
