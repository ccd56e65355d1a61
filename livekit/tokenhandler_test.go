package livekit_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/livekit/protocol/auth"

	"github.com/rtcstream/rtcstream/livekit"
)

// TestTokenHandler: a same-origin POST gets a token for a room of its own
// with the agent dispatched; other methods, other origins, refusals and a
// client over its rate get clear JSON errors.
func TestTokenHandler(t *testing.T) {
	const key, secret = "key", "secret-secret-secret-secret-secret-secret"
	h, err := livekit.TokenHandler(livekit.TokenHandlerOptions{URL: "wss://lk.example.com", APIKey: key, APISecret: secret,
		AgentName: "invert", PerMinute: 3,
		Authorize: func(r *http.Request) (string, error) {
			if r.Header.Get("Cookie") == "user=mallory" {
				return "", errors.New("not you")
			}
			return strings.TrimPrefix(r.Header.Get("Cookie"), "user="), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, origin, cookie, addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, "http://app.example.com/livekit/token", strings.NewReader("{}"))
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		r.RemoteAddr = addr + ":1234"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	res := do("POST", "http://app.example.com", "user=alice", "192.0.2.1")
	var body struct{ URL, Token, Room, Identity string }
	if res.Code != 200 || json.Unmarshal(res.Body.Bytes(), &body) != nil {
		t.Fatalf("POST: %d %s", res.Code, res.Body)
	}
	if body.URL != "wss://lk.example.com" || body.Identity != "alice" || !strings.HasPrefix(body.Room, "rtcstream-") {
		t.Errorf("reply %+v", body)
	}
	v, err := auth.ParseAPIToken(body.Token)
	if err != nil {
		t.Fatal(err)
	}
	_, grants, err := v.Verify(secret)
	if err != nil {
		t.Fatal(err)
	}
	if grants.Identity != "alice" || grants.Video == nil || !grants.Video.RoomJoin || grants.Video.Room != body.Room ||
		grants.RoomConfig == nil || len(grants.RoomConfig.Agents) != 1 || grants.RoomConfig.Agents[0].AgentName != "invert" {
		t.Errorf("token grants %+v", grants)
	}
	if again := do("POST", "", "user=alice", "192.0.2.1"); again.Code != 200 || strings.Contains(again.Body.String(), body.Room) {
		t.Errorf("a second token (no Origin: same-origin navigation): %d %s, want another room", again.Code, again.Body)
	}
	for _, c := range []struct {
		name, method, origin, cookie, addr string
		status                             int
		code                               string
	}{
		{"GET", "GET", "http://app.example.com", "user=alice", "192.0.2.2", 405, "method_not_allowed"},
		{"another origin", "POST", "https://evil.example", "user=alice", "192.0.2.2", 403, "cross_origin"},
		{"refused", "POST", "http://app.example.com", "user=mallory", "192.0.2.2", 403, "forbidden"},
		{"over the rate", "POST", "http://app.example.com", "user=alice", "192.0.2.1", 200, ""}, // the third of 3 a minute
		{"over the rate", "POST", "http://app.example.com", "user=alice", "192.0.2.1", 429, "rate_limited"},
	} {
		res := do(c.method, c.origin, c.cookie, c.addr)
		var e struct{ Error, Message string }
		_ = json.Unmarshal(res.Body.Bytes(), &e)
		if res.Code != c.status || e.Error != c.code || (c.code != "" && e.Message == "") {
			t.Errorf("%s: %d %s, want %d %q with a message", c.name, res.Code, res.Body, c.status, c.code)
		}
	}
	if _, err := livekit.TokenHandler(livekit.TokenHandlerOptions{URL: "wss://x"}); err == nil {
		t.Error("TokenHandler without a key pair accepted")
	}
}
