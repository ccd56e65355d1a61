package turn

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rtcstream/rtcstream"
)

// TwilioBaseURL is the Twilio REST API.
const TwilioBaseURL = "https://api.twilio.com"

// TwilioOptions configure Twilio. AccountSID and AuthToken are required;
// every other field's comment gives its default.
type TwilioOptions struct {
	// AccountSID is the account ("AC" and 32 hex digits).
	AccountSID string
	// AuthToken is the account's auth token, sent with AccountSID as HTTP
	// basic authentication.
	AuthToken string
	// TTL is how long the credentials stay valid, in whole seconds; at
	// most 24 hours. Default: Twilio's, 24 hours.
	TTL time.Duration
	// BaseURL replaces TwilioBaseURL (a proxy, or a test server).
	BaseURL string
	// HTTPClient sends the request. Default http.DefaultClient.
	HTTPClient *http.Client
}

// Twilio asks Twilio's Network Traversal Service for short-lived STUN and
// TURN credentials: it creates a Token resource with
//
//	POST {BaseURL}/2010-04-01/Accounts/{AccountSid}/Tokens.json
//
// (form field Ttl, basic authentication) and returns the token's
// ice_servers. ctx bounds the request; without a deadline, DefaultTimeout
// does. A refusal is an *Error with Twilio's status, code and message.
func Twilio(ctx context.Context, opts TwilioOptions) (*rtcstream.RTCConfiguration, error) {
	if opts.AccountSID == "" || opts.AuthToken == "" {
		return nil, fmt.Errorf("%w: Twilio needs an account SID and an auth token", ErrNoCredentials)
	}
	form := url.Values{}
	if opts.TTL != 0 {
		s, err := ttlSeconds("Twilio", opts.TTL)
		if err != nil {
			return nil, err
		}
		form.Set("Ttl", strconv.FormatInt(s, 10))
	}
	base := opts.BaseURL
	if base == "" {
		base = TwilioBaseURL
	}
	endpoint := strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(opts.AccountSID) + "/Tokens.json"
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("rtcstream turn: Twilio request: %w", err)
	}
	req.SetBasicAuth(opts.AccountSID, opts.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	body, err := do(ctx, opts.HTTPClient, req, "twilio", twilioRefusal)
	if err != nil {
		return nil, err
	}
	// The Token resource also carries username, password, ttl (a string
	// of seconds), account_sid and dates; ice_servers holds all we need.
	var token struct {
		ICEServers []iceServer `json:"ice_servers"`
	}
	if err := json.Unmarshal(body, &token); err != nil {
		return nil, fmt.Errorf("rtcstream turn: Twilio's answer is not a Token: %w", err)
	}
	if len(token.ICEServers) == 0 {
		return nil, fmt.Errorf("rtcstream turn: Twilio's Token has no ice_servers: %s", bodyText(body))
	}
	cfg := &rtcstream.RTCConfiguration{}
	for _, s := range token.ICEServers {
		cfg.ICEServers = append(cfg.ICEServers, s.convert())
	}
	return cfg, nil
}

// twilioRefusal reads Twilio's error body:
// {"code": 20003, "message": "Authenticate", "more_info": "...", "status": 401}.
func twilioRefusal(status int, body []byte) *Error {
	e := &Error{Provider: "twilio", Status: status}
	var tw struct {
		Code     int    `json:"code"`
		Message  string `json:"message"`
		MoreInfo string `json:"more_info"`
	}
	if json.Unmarshal(body, &tw) == nil && tw.Message != "" {
		e.Code, e.Message, e.MoreInfo = tw.Code, tw.Message, tw.MoreInfo
	} else {
		e.Message = bodyText(body)
	}
	return e
}

// TwilioFromEnv calls Twilio with the account in the environment variables
// TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (the names fastrtc and Twilio's
// own libraries read) and the default TTL. It returns an error wrapping
// ErrNoCredentials when either is unset.
func TwilioFromEnv(ctx context.Context) (*rtcstream.RTCConfiguration, error) {
	sid, token := os.Getenv("TWILIO_ACCOUNT_SID"), os.Getenv("TWILIO_AUTH_TOKEN")
	if sid == "" || token == "" {
		return nil, fmt.Errorf("%w: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN", ErrNoCredentials)
	}
	return Twilio(ctx, TwilioOptions{AccountSID: sid, AuthToken: token})
}
