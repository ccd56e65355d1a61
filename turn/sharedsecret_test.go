package turn_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/turn"
)

// Vectors computed outside Go, with OpenSSL:
//
//	printf '%s' "$username" | openssl dgst -sha1 -hmac "$secret" -binary | base64
//
// The first is also the example in an eturnal issue (processone/eturnal#34).
func TestSharedSecretCredentialVectors(t *testing.T) {
	for _, v := range []struct {
		secret, user         string
		expires              int64
		username, credential string
	}{
		{"inventis", "", 1735686000, "1735686000", "6rj3WhfZzhmc8DjnI2aHs8cyd5o="},
		{"north-sea-secret", "alice", 1700000000, "1700000000:alice", "Or2+y4pClBAA8mU3e93KEtAPsJs="},
	} {
		u, c := turn.SharedSecretCredential(v.secret, v.user, time.Unix(v.expires, 0))
		if u != v.username || c != v.credential {
			t.Errorf("SharedSecretCredential(%q, %q, %d) = %q, %q; want %q, %q",
				v.secret, v.user, v.expires, u, c, v.username, v.credential)
		}
	}
}

func TestSharedSecret(t *testing.T) {
	urls := []string{"turn:127.0.0.1:3478?transport=udp"}
	for _, tc := range []struct {
		ttl, want time.Duration
	}{
		{10 * time.Minute, 10 * time.Minute},
		{0, turn.DefaultSharedSecretTTL},
	} {
		before := time.Now()
		cfg := turn.SharedSecret(urls, "s3cret", "bob", tc.ttl)
		after := time.Now()
		if len(cfg.ICEServers) != 1 || !reflect.DeepEqual(cfg.ICEServers[0].URLs, urls) || cfg.ICETransportPolicy != "" {
			t.Fatalf("configuration %+v", cfg)
		}
		s := cfg.ICEServers[0]
		ts, user, ok := strings.Cut(s.Username, ":")
		if !ok || user != "bob" {
			t.Fatalf("username %q, want EXPIRY:bob", s.Username)
		}
		exp, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			t.Fatalf("username %q: %v", s.Username, err)
		}
		if lo, hi := before.Add(tc.want).Unix(), after.Add(tc.want).Unix(); exp < lo || exp > hi {
			t.Fatalf("ttl %v: expiry %d, want within [%d, %d]", tc.ttl, exp, lo, hi)
		}
		if _, c := turn.SharedSecretCredential("s3cret", "bob", time.Unix(exp, 0)); s.Credential != c {
			t.Fatalf("credential %q, want %q", s.Credential, c)
		}
	}
}

func TestStatic(t *testing.T) {
	urls := []string{"turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"}
	cfg := turn.Static(urls, "user", "pass")
	urls[0] = "changed"
	want := &rtcstream.RTCConfiguration{ICEServers: []rtcstream.ICEServer{{
		URLs:     []string{"turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"},
		Username: "user", Credential: "pass",
	}}}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("Static = %+v, want %+v (and not sharing the caller's slice)", cfg, want)
	}
}
