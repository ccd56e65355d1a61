// Package turn gets a Stream's browsers through firewalls: a TURN server
// built into the process (Server), short-lived TURN credentials fetched
// from Twilio or Cloudflare (as fastrtc's get_twilio_turn_credentials and
// get_cloudflare_turn_credentials do), credentials for a TURN server of
// your own that shares a secret with you (coturn's --use-auth-secret), or
// fixed credentials.
//
// Every function returns an *[rtcstream.RTCConfiguration] for
// [rtcstream.Options]. Short-lived credentials expire, so fetch them for
// each connection: TwilioFromEnv and CloudflareFromEnv fit
// Options.RTCConfigurationFunc as they are.
//
//	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
//		&rtcstream.Options{RTCConfigurationFunc: turn.CloudflareFromEnv})
//
// A fixed configuration goes in Options.RTCConfiguration:
//
//	cfg := turn.Static([]string{"turn:turn.example.com:3478"}, "user", "pass")
//	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
//		&rtcstream.Options{RTCConfiguration: cfg})
//
// The returned configuration leaves ICETransportPolicy empty ("all"): the
// relay is used when no direct path works. Set it to "relay" to force every
// session through the TURN server. A TURN allocation whose credentials
// expire is closed by the provider.
package turn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rtcstream/rtcstream"
)

// DefaultTimeout bounds a request to a provider when ctx has no deadline.
const DefaultTimeout = 10 * time.Second

// userAgent identifies the requests. Cloudflare's edge refuses some
// default agents with a 403 ("error code: 1010").
const userAgent = "rtcstream-turn"

// ErrNoCredentials: the account or key needed to ask a provider for TURN
// credentials was not given (or, for the FromEnv functions, its environment
// variables are not set).
var ErrNoCredentials = errors.New("rtcstream turn: missing provider credentials")

// Error is a provider's refusal: the HTTP status and what the provider said.
type Error struct {
	Provider string // "twilio" or "cloudflare"
	Status   int    // HTTP status
	// Code is the provider's own error code when it gives one (Twilio's
	// 20003 for bad credentials), else 0.
	Code int
	// Message is the provider's error message, or the start of the
	// response body when it is not in the provider's error format.
	Message string
	// MoreInfo is a link to the provider's description of Code, if given.
	MoreInfo string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rtcstream turn: %s answered %d %s", e.Provider, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, " (code %d", e.Code)
		if e.MoreInfo != "" {
			b.WriteString(", ")
			b.WriteString(e.MoreInfo)
		}
		b.WriteString(")")
	}
	return b.String()
}

// Static returns a configuration with one ICE server: urls (such as
// "turn:turn.example.com:3478?transport=udp") with a fixed username and
// credential. Both may be empty for STUN URLs.
func Static(urls []string, username, credential string) *rtcstream.RTCConfiguration {
	return &rtcstream.RTCConfiguration{ICEServers: []rtcstream.ICEServer{{
		URLs: append([]string(nil), urls...), Username: username, Credential: credential,
	}}}
}

// maxBody caps what is read of a provider's response.
const maxBody = 1 << 20

// do sends req with ctx (bounded by DefaultTimeout when it has no deadline)
// and returns the response body of a 2xx answer. Any other status becomes an
// *Error built by refusal from the body.
func do(ctx context.Context, hc *http.Client, req *http.Request, provider string, refusal func(status int, body []byte) *Error) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	req = req.WithContext(ctx)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("rtcstream turn: asking %s for credentials: %w", provider, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("rtcstream turn: reading %s's answer: %w", provider, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, refusal(resp.StatusCode, body)
	}
	return body, nil
}

// bodyText is the start of a body that is not in a known error format.
func bodyText(body []byte) string {
	s := strings.TrimSpace(string(body))
	const max = 300
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// urlList is an ICE server's "urls", which the WebRTC specification
// allows to be a string or an array of strings (Twilio sends a string,
// Cloudflare an array).
type urlList []string

func (u *urlList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*u = urlList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("urls is neither a string nor an array of strings: %s", b)
	}
	*u = many
	return nil
}

// iceServer is an RTCIceServer as providers send it.
type iceServer struct {
	URLs       urlList `json:"urls"`
	URL        string  `json:"url"` // the old, single-URL form (Twilio sends both)
	Username   string  `json:"username"`
	Credential string  `json:"credential"`
}

func (s iceServer) convert() rtcstream.ICEServer {
	urls := []string(s.URLs)
	if len(urls) == 0 && s.URL != "" {
		urls = []string{s.URL}
	}
	return rtcstream.ICEServer{URLs: urls, Username: s.Username, Credential: s.Credential}
}

// ttlSeconds converts a TTL to whole seconds, rejecting TTLs under one.
func ttlSeconds(provider string, ttl time.Duration) (int64, error) {
	s := int64(ttl / time.Second)
	if s < 1 {
		return 0, fmt.Errorf("rtcstream turn: %s TTL %v is under one second", provider, ttl)
	}
	return s, nil
}
