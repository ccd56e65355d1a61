package turn_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/turn"
)

const testSID = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

// twilioToken is the 201 answer in Twilio's API reference for
// POST /2010-04-01/Accounts/{AccountSid}/Tokens.json: "urls" is a string,
// "ttl" a string of seconds, and real answers repeat each URL in "url".
const twilioToken = `{
  "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "date_created": "Fri, 01 May 2020 01:42:57 +0000",
  "date_updated": "Fri, 01 May 2020 01:42:57 +0000",
  "ice_servers": [
    {"url": "stun:global.stun.twilio.com:3478", "urls": "stun:global.stun.twilio.com:3478"},
    {"url": "turn:global.turn.twilio.com:3478?transport=udp", "urls": "turn:global.turn.twilio.com:3478?transport=udp",
     "username": "dc2d2894d5a9023620c467b0e71cfa6a35457e6679785ed6ae9856fe5bdfa269", "credential": "tE2DajzSJwnsSbc123"},
    {"url": "turn:global.turn.twilio.com:3478?transport=tcp", "urls": "turn:global.turn.twilio.com:3478?transport=tcp",
     "username": "dc2d2894d5a9023620c467b0e71cfa6a35457e6679785ed6ae9856fe5bdfa269", "credential": "tE2DajzSJwnsSbc123"},
    {"url": "turn:global.turn.twilio.com:443?transport=tcp",
     "username": "dc2d2894d5a9023620c467b0e71cfa6a35457e6679785ed6ae9856fe5bdfa269", "credential": "tE2DajzSJwnsSbc123"}
  ],
  "password": "tE2DajzSJwnsSbc123",
  "ttl": "86400",
  "username": "dc2d2894d5a9023620c467b0e71cfa6a35457e6679785ed6ae9856fe5bdfa269"
}`

// twilioServer stands in for api.twilio.com: it checks the request against
// the documented form and answers status and body.
func twilioServer(t *testing.T, wantTTL string, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+testSID+"/Tokens.json" {
			t.Errorf("request %s %s, want POST /2010-04-01/Accounts/%s/Tokens.json", r.Method, r.URL.Path, testSID)
		}
		if u, p, ok := r.BasicAuth(); !ok || u != testSID || p != "auth-token" {
			t.Errorf("basic auth %q %q %v, want the account SID and auth token", u, p, ok)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type %q", ct)
		}
		b, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(b))
		if err != nil {
			t.Errorf("body %q is not a form: %v", b, err)
		}
		if got := form.Get("Ttl"); got != wantTTL {
			t.Errorf("Ttl = %q, want %q (body %q)", got, wantTTL, b)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestTwilio(t *testing.T) {
	srv := twilioServer(t, "3600", http.StatusCreated, twilioToken)
	cfg, err := turn.Twilio(context.Background(), turn.TwilioOptions{
		AccountSID: testSID, AuthToken: "auth-token", TTL: time.Hour, BaseURL: srv.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	const user, pass = "dc2d2894d5a9023620c467b0e71cfa6a35457e6679785ed6ae9856fe5bdfa269", "tE2DajzSJwnsSbc123"
	want := &rtcstream.RTCConfiguration{ICEServers: []rtcstream.ICEServer{
		{URLs: []string{"stun:global.stun.twilio.com:3478"}},
		{URLs: []string{"turn:global.turn.twilio.com:3478?transport=udp"}, Username: user, Credential: pass},
		{URLs: []string{"turn:global.turn.twilio.com:3478?transport=tcp"}, Username: user, Credential: pass},
		{URLs: []string{"turn:global.turn.twilio.com:443?transport=tcp"}, Username: user, Credential: pass},
	}}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("configuration\n got %+v\nwant %+v", cfg, want)
	}
}

func TestTwilioDefaultTTLSendsNone(t *testing.T) {
	srv := twilioServer(t, "", http.StatusCreated, twilioToken)
	if _, err := turn.Twilio(context.Background(), turn.TwilioOptions{
		AccountSID: testSID, AuthToken: "auth-token", BaseURL: srv.URL + "/",
	}); err != nil {
		t.Fatal(err)
	}
}

// Twilio's 2010 API answers errors as {"code", "message", "more_info", "status"}.
func TestTwilioRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		want       turn.Error
	}{
		{
			name:   "bad credentials",
			status: http.StatusUnauthorized,
			body:   `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`,
			want: turn.Error{Provider: "twilio", Status: 401, Code: 20003, Message: "Authenticate",
				MoreInfo: "https://www.twilio.com/docs/errors/20003"},
		},
		{
			name:   "unknown account",
			status: http.StatusNotFound,
			body:   `{"code": 20404, "message": "The requested resource was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}`,
			want: turn.Error{Provider: "twilio", Status: 404, Code: 20404, Message: "The requested resource was not found",
				MoreInfo: "https://www.twilio.com/docs/errors/20404"},
		},
		{
			name:   "not JSON",
			status: http.StatusBadGateway,
			body:   "<html>upstream failed</html>\n",
			want:   turn.Error{Provider: "twilio", Status: 502, Message: "<html>upstream failed</html>"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := twilioServer(t, "60", tc.status, tc.body)
			_, err := turn.Twilio(context.Background(), turn.TwilioOptions{
				AccountSID: testSID, AuthToken: "auth-token", TTL: time.Minute, BaseURL: srv.URL,
			})
			var e *turn.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *turn.Error", err, err)
			}
			if *e != tc.want {
				t.Fatalf("error %+v, want %+v", *e, tc.want)
			}
			if msg := err.Error(); !strings.Contains(msg, "twilio") || !strings.Contains(msg, tc.want.Message) ||
				!strings.Contains(msg, http.StatusText(tc.status)) {
				t.Fatalf("message %q lacks the provider, status or Twilio's message", msg)
			}
		})
	}
}

func TestTwilioBadAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":       "ok",
		"no ice_servers": `{"username": "u", "password": "p", "ttl": "86400"}`,
		"bad urls":       `{"ice_servers": [{"urls": 7}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := twilioServer(t, "", http.StatusCreated, body)
			_, err := turn.Twilio(context.Background(), turn.TwilioOptions{AccountSID: testSID, AuthToken: "auth-token", BaseURL: srv.URL})
			if err == nil || !strings.Contains(err.Error(), "Twilio") {
				t.Fatalf("error %v, want one naming Twilio", err)
			}
		})
	}
}

func TestTwilioNeedsCredentials(t *testing.T) {
	for _, o := range []turn.TwilioOptions{{}, {AccountSID: testSID}, {AuthToken: "x"}} {
		if _, err := turn.Twilio(context.Background(), o); !errors.Is(err, turn.ErrNoCredentials) {
			t.Errorf("Twilio(%+v) = %v, want ErrNoCredentials", o, err)
		}
	}
	if _, err := turn.Twilio(context.Background(), turn.TwilioOptions{AccountSID: testSID, AuthToken: "x", TTL: time.Millisecond}); err == nil {
		t.Error("a TTL under a second was accepted")
	}
	t.Setenv("TWILIO_ACCOUNT_SID", testSID)
	t.Setenv("TWILIO_AUTH_TOKEN", "")
	_, err := turn.TwilioFromEnv(context.Background())
	if !errors.Is(err, turn.ErrNoCredentials) || !strings.Contains(err.Error(), "TWILIO_AUTH_TOKEN") {
		t.Fatalf("TwilioFromEnv without a token = %v, want ErrNoCredentials naming TWILIO_AUTH_TOKEN", err)
	}
}

// A provider that never answers costs no more than ctx allows.
func TestTwilioContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := turn.Twilio(ctx, turn.TwilioOptions{AccountSID: testSID, AuthToken: "x", BaseURL: srv.URL})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("took %v with a 200 ms deadline", d)
	}
}
