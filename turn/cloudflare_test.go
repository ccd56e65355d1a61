package turn_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/turn"
)

const (
	cfUser = "bc91b63e2b5d759f8eb9f3b58062439e0a0e15893d76317d833265ad08d6631099ce7c7087caabb31ad3e1c386424e3e"
	cfPass = "ebd71f1d3edbc2b0edae3cd5a6d82284aeb5c3b8fdaa9b8e3bf9cec683e0d45fe9f5b44e5145db3300f06c250a15b4a0"
)

// cloudflareICEServers is the 201 answer in Cloudflare's "Generate
// Credentials" page for .../credentials/generate-ice-servers, in the
// version that still listed the alternate port 53.
const cloudflareICEServers = `{
  "iceServers": [
    {"urls": ["stun:stun.cloudflare.com:3478", "stun:stun.cloudflare.com:53"]},
    {
      "urls": [
        "turn:turn.cloudflare.com:3478?transport=udp",
        "turn:turn.cloudflare.com:53?transport=udp",
        "turn:turn.cloudflare.com:3478?transport=tcp",
        "turn:turn.cloudflare.com:80?transport=tcp",
        "turns:turn.cloudflare.com:5349?transport=tcp",
        "turns:turn.cloudflare.com:443?transport=tcp"
      ],
      "username": "` + cfUser + `",
      "credential": "` + cfPass + `"
    }
  ]
}`

// cloudflareServer stands in for rtc.live.cloudflare.com.
func cloudflareServer(t *testing.T, wantTTL int64, status int, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/turn/keys/key-id/credentials/generate-ice-servers" {
			t.Errorf("request %s %s, want POST /v1/turn/keys/key-id/credentials/generate-ice-servers", r.Method, r.URL.Path)
		}
		if a := r.Header.Get("Authorization"); a != "Bearer api-token" {
			t.Errorf("Authorization %q, want the bearer API token", a)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if ua := r.Header.Get("User-Agent"); ua == "" || strings.HasPrefix(ua, "Go-http-client") {
			t.Errorf("User-Agent %q: Cloudflare's edge refuses some default agents", ua)
		}
		var req map[string]any
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("body: %v", err)
		}
		if ttl, ok := req["ttl"].(float64); !ok || int64(ttl) != wantTTL || len(req) != 1 {
			t.Errorf("body %v, want {\"ttl\": %d}", req, wantTTL)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestCloudflare(t *testing.T) {
	srv := cloudflareServer(t, 600, http.StatusCreated, cloudflareICEServers)
	cfg, err := turn.Cloudflare(context.Background(), turn.CloudflareOptions{
		KeyID: "key-id", APIToken: "api-token", TTL: 10 * time.Minute, BaseURL: srv.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Port 53 is dropped: browsers block it (Cloudflare's note).
	want := &rtcstream.RTCConfiguration{ICEServers: []rtcstream.ICEServer{
		{URLs: []string{"stun:stun.cloudflare.com:3478"}},
		{URLs: []string{
			"turn:turn.cloudflare.com:3478?transport=udp",
			"turn:turn.cloudflare.com:3478?transport=tcp",
			"turn:turn.cloudflare.com:80?transport=tcp",
			"turns:turn.cloudflare.com:5349?transport=tcp",
			"turns:turn.cloudflare.com:443?transport=tcp",
		}, Username: cfUser, Credential: cfPass},
	}}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("configuration\n got %+v\nwant %+v", cfg, want)
	}
}

func TestCloudflareKeepPort53(t *testing.T) {
	srv := cloudflareServer(t, 86400, http.StatusCreated, cloudflareICEServers)
	cfg, err := turn.Cloudflare(context.Background(), turn.CloudflareOptions{
		KeyID: "key-id", APIToken: "api-token", BaseURL: srv.URL, KeepPort53: true, // default TTL: one day
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.ICEServers) != 2 || len(cfg.ICEServers[0].URLs) != 2 || len(cfg.ICEServers[1].URLs) != 6 {
		t.Fatalf("KeepPort53 dropped URLs: %+v", cfg)
	}
}

// The older .../credentials/generate endpoint answered one object in
// place of the array.
func TestCloudflareSingleObject(t *testing.T) {
	body := `{"iceServers": {"urls": ["stun:stun.cloudflare.com:3478", "turn:turn.cloudflare.com:3478?transport=udp"],
	  "username": "` + cfUser + `", "credential": "` + cfPass + `"}}`
	srv := cloudflareServer(t, 60, http.StatusCreated, body)
	cfg, err := turn.Cloudflare(context.Background(), turn.CloudflareOptions{
		KeyID: "key-id", APIToken: "api-token", TTL: time.Minute, BaseURL: srv.URL,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := &rtcstream.RTCConfiguration{ICEServers: []rtcstream.ICEServer{{
		URLs:     []string{"stun:stun.cloudflare.com:3478", "turn:turn.cloudflare.com:3478?transport=udp"},
		Username: cfUser, Credential: cfPass,
	}}}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("configuration\n got %+v\nwant %+v", cfg, want)
	}
}

func TestCloudflareRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     int
		want       turn.Error
	}{
		{
			name:   "edge refusal",
			status: http.StatusForbidden,
			body:   "error code: 1010",
			want:   turn.Error{Provider: "cloudflare", Status: 403, Message: "error code: 1010"},
		},
		{
			name:   "JSON message",
			status: http.StatusBadRequest,
			body:   `{"error": "ttl must be at most 172800"}`,
			want:   turn.Error{Provider: "cloudflare", Status: 400, Message: "ttl must be at most 172800"},
		},
		{
			name:   "API envelope",
			status: http.StatusUnauthorized,
			body:   `{"success": false, "errors": [{"code": 10000, "message": "Authentication error"}]}`,
			want:   turn.Error{Provider: "cloudflare", Status: 401, Code: 10000, Message: "Authentication error"},
		},
		{
			name:   "empty",
			status: http.StatusNotFound,
			want:   turn.Error{Provider: "cloudflare", Status: 404},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := cloudflareServer(t, 60, tc.status, tc.body)
			_, err := turn.Cloudflare(context.Background(), turn.CloudflareOptions{
				KeyID: "key-id", APIToken: "api-token", TTL: time.Minute, BaseURL: srv.URL,
			})
			var e *turn.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *turn.Error", err, err)
			}
			if *e != tc.want {
				t.Fatalf("error %+v, want %+v", *e, tc.want)
			}
			if msg := err.Error(); !strings.Contains(msg, "cloudflare") || !strings.Contains(msg, http.StatusText(tc.status)) {
				t.Fatalf("message %q lacks the provider or the status", msg)
			}
		})
	}
}

func TestCloudflareBadAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":      "created",
		"no iceServers": `{}`,
		"only port 53":  `{"iceServers": [{"urls": ["turn:turn.cloudflare.com:53?transport=udp"], "username": "u", "credential": "c"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := cloudflareServer(t, 60, http.StatusCreated, body)
			_, err := turn.Cloudflare(context.Background(), turn.CloudflareOptions{
				KeyID: "key-id", APIToken: "api-token", TTL: time.Minute, BaseURL: srv.URL,
			})
			if err == nil || !strings.Contains(err.Error(), "Cloudflare") {
				t.Fatalf("error %v, want one naming Cloudflare", err)
			}
		})
	}
}

func TestCloudflareNeedsCredentials(t *testing.T) {
	for _, o := range []turn.CloudflareOptions{{}, {KeyID: "key-id"}, {APIToken: "api-token"}} {
		if _, err := turn.Cloudflare(context.Background(), o); !errors.Is(err, turn.ErrNoCredentials) {
			t.Errorf("Cloudflare(%+v) = %v, want ErrNoCredentials", o, err)
		}
	}
	if _, err := turn.Cloudflare(context.Background(), turn.CloudflareOptions{KeyID: "k", APIToken: "t", TTL: -time.Hour}); err == nil {
		t.Error("a negative TTL was accepted")
	}
	t.Setenv("CLOUDFLARE_TURN_KEY_ID", "")
	t.Setenv("CLOUDFLARE_TURN_KEY_API_TOKEN", "api-token")
	_, err := turn.CloudflareFromEnv(context.Background())
	if !errors.Is(err, turn.ErrNoCredentials) || !strings.Contains(err.Error(), "CLOUDFLARE_TURN_KEY_ID") {
		t.Fatalf("CloudflareFromEnv without a key ID = %v, want ErrNoCredentials naming CLOUDFLARE_TURN_KEY_ID", err)
	}
}
