package rtcstream_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
)

// An ICE restart is the session's own: a wrong token or webrtc_id is an
// unknown session, an offer that keeps the ICE credentials is not a
// restart, restarts in a row are refused with Retry-After, and none of it
// touches the session, which streams on.
func TestRestartRefusals(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	rec := &answers{}
	c, err := client.Dial(ctx, url, &client.Options{Loopback: true, HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	echoes(t, ctx, c, "before")
	rec.mu.Lock()
	offer := rec.offers[0]
	rec.mu.Unlock()
	body := func(id, token string) string {
		return `{"type":"offer","sdp":` + quote(offer) + `,"webrtc_id":` + quote(id) + `,"token":` + quote(token) + `}`
	}
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"a wrong token", body(c.ID(), "0123456789abcdef0123456789abcdef"), 404, "unknown_session"},
		{"another session's id", body("someone-else", c.Token()), 404, "unknown_session"},
		{"the same ICE credentials", body(c.ID(), c.Token()), 400, "not_restart"},
		{"a second restart at once", body(c.ID(), c.Token()), 429, "rate_limited"},
	} {
		r := postJSON(t, url+"/webrtc/offer", tc.body)
		if r.status != tc.status || r.code != tc.code {
			t.Errorf("%s: %d %s (%s), want %d %s", tc.name, r.status, r.code, r.msg, tc.status, tc.code)
		}
		if tc.status == 429 && r.retryAfter == "" {
			t.Errorf("%s: no Retry-After", tc.name)
		}
	}
	echoes(t, ctx, c, "after the refused restarts")
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("%d sessions, want the one", n)
	}
}
