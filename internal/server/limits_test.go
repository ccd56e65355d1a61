package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestClientAddress(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:4000":              "192.0.2.7",
		"[::ffff:192.0.2.7]:4000":     "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:4000": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:1":    "2001:db8:1:2::/64",
		"[fe80::1%eth0]:1":            "fe80::/64",
		"not an address":              "not an address",
		"":                            "",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if got := ClientAddress(r); got != want {
			t.Errorf("ClientAddress(%q) = %q, want %q", remote, got, want)
		}
	}
}

func TestRateTable(t *testing.T) {
	rt := newRateTable(ClientLimits{OffersPerMinute: 60, Burst: 3})
	now := time.Now()
	for i := range 3 {
		if ok, _ := rt.take("a", now); !ok {
			t.Fatalf("take %d of the burst refused", i)
		}
	}
	ok, retry := rt.take("a", now)
	if ok || retry <= 0 || retry > time.Second {
		t.Fatalf("past the burst: ok %v, retry %v; want refused, retry within 1 s", ok, retry)
	}
	if ok, _ := rt.take("b", now); !ok {
		t.Fatal("another client was refused")
	}
	if ok, _ := rt.take("a", now.Add(1100*time.Millisecond)); !ok {
		t.Fatal("no token a second later at 60 a minute")
	}
	if ok, _ := rt.take("a", now.Add(1200*time.Millisecond)); ok {
		t.Fatal("two tokens a second later")
	}

	// No limit.
	free := newRateTable(ClientLimits{OffersPerMinute: -1})
	for range 1000 {
		if ok, _ := free.take("a", now); !ok {
			t.Fatal("refused without a limit")
		}
	}
}

// A flood from many addresses keeps the table bounded, and refilled
// buckets are forgotten.
func TestRateTableBounded(t *testing.T) {
	rt := newRateTable(ClientLimits{OffersPerMinute: 60, Burst: 2})
	now := time.Now()
	for i := range 3 * maxClients {
		rt.take(strconv.Itoa(i), now)
		if n := rt.size(); n > maxClients {
			t.Fatalf("%d clients in the table", n)
		}
	}
	// Two seconds later every bucket has refilled; the next sweep (a
	// minute on) drops them all but the newcomer's.
	rt.take("late", now.Add(2*time.Minute))
	if n := rt.size(); n != 1 {
		t.Fatalf("%d clients after every bucket refilled, want 1", n)
	}
}

// A Stream that hands out TURN credentials gives each client GET /config
// at twice its offer rate: a stranger cannot collect credentials. One
// without an ICE configuration is not limited.
func TestConfigIsRateLimitedWithCredentials(t *testing.T) {
	get := func(s *Stream, from string) (int, string) {
		r := httptest.NewRequest(http.MethodGet, "/webrtc/config", nil)
		r.RemoteAddr = from + ":1234"
		return serveTest(t, s, r)
	}
	ice := func(context.Context, *http.Request) (*ICEConfig, error) {
		return &ICEConfig{ICEServers: []ICEServer{{URLs: []string{"turn:127.0.0.1:3478"}, Username: "u", Credential: "c"}}}, nil
	}
	s := newTestStream(t, Config{ICE: ice, Clients: ClientLimits{OffersPerMinute: 6, Burst: 2}})
	for i := range 4 {
		if code, e := get(s, "192.0.2.1"); code != http.StatusOK {
			t.Fatalf("fetch %d: %d %s, want 200 (burst of twice 2)", i+1, code, e)
		}
	}
	if code, e := get(s, "192.0.2.1"); code != http.StatusTooManyRequests || e != "rate_limited" {
		t.Errorf("fetch 5: %d %s, want 429 rate_limited", code, e)
	}
	if code, e := get(s, "192.0.2.2"); code != http.StatusOK {
		t.Errorf("another client: %d %s", code, e)
	}
	plain := newTestStream(t, Config{Clients: ClientLimits{OffersPerMinute: 6, Burst: 2}})
	for i := range 10 {
		if code, e := get(plain, "192.0.2.1"); code != http.StatusOK {
			t.Fatalf("without credentials, fetch %d: %d %s", i+1, code, e)
		}
	}
}
