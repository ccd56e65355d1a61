package turn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rtcstream/rtcstream"
)

// CloudflareBaseURL is Cloudflare Realtime's API.
const CloudflareBaseURL = "https://rtc.live.cloudflare.com"

// DefaultCloudflareTTL is the credentials' lifetime when
// CloudflareOptions.TTL is zero: the value in Cloudflare's documentation.
const DefaultCloudflareTTL = 24 * time.Hour

// CloudflareOptions configure Cloudflare. KeyID and APIToken are required;
// every other field's comment gives its default.
type CloudflareOptions struct {
	// KeyID is the TURN key's ID ("Turn Token ID" in the dashboard).
	KeyID string
	// APIToken is the TURN key's API token, sent as a bearer token. It is
	// a long-lived secret: keep it on the server.
	APIToken string
	// TTL is how long the credentials stay valid, in whole seconds; at
	// most 48 hours. Default DefaultCloudflareTTL.
	TTL time.Duration
	// BaseURL replaces CloudflareBaseURL (a proxy, or a test server).
	BaseURL string
	// HTTPClient sends the request. Default http.DefaultClient.
	HTTPClient *http.Client
	// KeepPort53 keeps the TURN URLs on port 53. Cloudflare lists them as
	// alternates but notes that browsers block the port, so a peer that
	// gathers every candidate before answering (as rtcstream's server
	// does) waits for them to time out. They are dropped by default.
	KeepPort53 bool
}

// Cloudflare asks Cloudflare Realtime TURN for short-lived credentials:
//
//	POST {BaseURL}/v1/turn/keys/{KeyID}/credentials/generate-ice-servers
//	Authorization: Bearer {APIToken}
//	{"ttl": seconds}
//
// and returns the iceServers of the answer (201 Created). ctx bounds the
// request; without a deadline, DefaultTimeout does. A refusal is an *Error
// with Cloudflare's status and message.
func Cloudflare(ctx context.Context, opts CloudflareOptions) (*rtcstream.RTCConfiguration, error) {
	if opts.KeyID == "" || opts.APIToken == "" {
		return nil, fmt.Errorf("%w: Cloudflare needs a TURN key ID and its API token", ErrNoCredentials)
	}
	ttl := opts.TTL
	if ttl == 0 {
		ttl = DefaultCloudflareTTL
	}
	secs, err := ttlSeconds("Cloudflare", ttl)
	if err != nil {
		return nil, err
	}
	reqBody, _ := json.Marshal(struct {
		TTL int64 `json:"ttl"`
	}{secs}) // never fails
	base := opts.BaseURL
	if base == "" {
		base = CloudflareBaseURL
	}
	endpoint := strings.TrimRight(base, "/") + "/v1/turn/keys/" + url.PathEscape(opts.KeyID) + "/credentials/generate-ice-servers"
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(reqBody))
	if err != nil {
		return nil, fmt.Errorf("rtcstream turn: Cloudflare request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+opts.APIToken)
	req.Header.Set("Content-Type", "application/json")
	body, err := do(ctx, opts.HTTPClient, req, "cloudflare", cloudflareRefusal)
	if err != nil {
		return nil, err
	}
	servers, err := cloudflareServers(body)
	if err != nil {
		return nil, err
	}
	cfg := &rtcstream.RTCConfiguration{}
	for _, s := range servers {
		ice := s.convert()
		if !opts.KeepPort53 {
			ice.URLs = dropPort53(ice.URLs)
			if len(ice.URLs) == 0 {
				continue
			}
		}
		cfg.ICEServers = append(cfg.ICEServers, ice)
	}
	if len(cfg.ICEServers) == 0 {
		return nil, fmt.Errorf("rtcstream turn: Cloudflare's answer has no ICE servers: %s", bodyText(body))
	}
	return cfg, nil
}

// cloudflareServers reads {"iceServers": [...]}. The older
// .../credentials/generate endpoint answered one object in place of the
// array; both are read.
func cloudflareServers(body []byte) ([]iceServer, error) {
	var resp struct {
		ICEServers json.RawMessage `json:"iceServers"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("rtcstream turn: Cloudflare's answer is not JSON: %w", err)
	}
	raw := bytes.TrimSpace(resp.ICEServers)
	var servers []iceServer
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
		return nil, fmt.Errorf("rtcstream turn: Cloudflare's answer has no iceServers: %s", bodyText(body))
	case raw[0] == '{':
		var one iceServer
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("rtcstream turn: Cloudflare's iceServers: %w", err)
		}
		servers = []iceServer{one}
	default:
		if err := json.Unmarshal(raw, &servers); err != nil {
			return nil, fmt.Errorf("rtcstream turn: Cloudflare's iceServers: %w", err)
		}
	}
	return servers, nil
}

// dropPort53 removes URLs whose port is 53.
func dropPort53(urls []string) []string {
	var kept []string
	for _, u := range urls {
		hostPort, _, _ := strings.Cut(u, "?")
		if strings.HasSuffix(hostPort, ":53") {
			continue
		}
		kept = append(kept, u)
	}
	return kept
}

// cloudflareRefusal reads Cloudflare's error body. The credentials API does
// not document one; JSON with a message ({"error": ...}, {"message": ...},
// {"errors": [{"message": ...}]}) is read, anything else (such as the edge's
// "error code: 1010") is quoted.
func cloudflareRefusal(status int, body []byte) *Error {
	e := &Error{Provider: "cloudflare", Status: status}
	var cf struct {
		Error            any    `json:"error"`
		Message          string `json:"message"`
		ErrorDescription string `json:"errorDescription"`
		Errors           []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &cf) == nil {
		switch {
		case len(cf.Errors) > 0 && cf.Errors[0].Message != "":
			e.Code, e.Message = cf.Errors[0].Code, cf.Errors[0].Message
		case cf.ErrorDescription != "":
			e.Message = cf.ErrorDescription
		case cf.Message != "":
			e.Message = cf.Message
		case cf.Error != nil:
			if s, ok := cf.Error.(string); ok {
				e.Message = s
			}
		}
	}
	if e.Message == "" {
		e.Message = bodyText(body)
	}
	return e
}

// CloudflareFromEnv calls Cloudflare with the TURN key in the environment
// variables CLOUDFLARE_TURN_KEY_ID and CLOUDFLARE_TURN_KEY_API_TOKEN (the
// names fastrtc reads) and the default TTL. It returns an error wrapping
// ErrNoCredentials when either is unset.
func CloudflareFromEnv(ctx context.Context) (*rtcstream.RTCConfiguration, error) {
	id, token := os.Getenv("CLOUDFLARE_TURN_KEY_ID"), os.Getenv("CLOUDFLARE_TURN_KEY_API_TOKEN")
	if id == "" || token == "" {
		return nil, fmt.Errorf("%w: set CLOUDFLARE_TURN_KEY_ID and CLOUDFLARE_TURN_KEY_API_TOKEN", ErrNoCredentials)
	}
	return Cloudflare(ctx, CloudflareOptions{KeyID: id, APIToken: token})
}
