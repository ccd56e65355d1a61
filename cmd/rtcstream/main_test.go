package main

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/metrics"
)

func TestDemoList(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"demo", "-list"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, d := range demos {
		if !strings.Contains(out.String(), d.name) {
			t.Errorf("-list does not show %s:\n%s", d.name, out.String())
		}
	}
	if demos[0].name != "faces" {
		t.Errorf("the default demo is %s, want faces", demos[0].name)
	}
}

func TestUnknownDemoAndCommand(t *testing.T) {
	if err := run(t.Context(), []string{"demo", "nope"}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown demo: %v", err)
	}
	if err := run(t.Context(), []string{"frobnicate"}, io.Discard, io.Discard); err == nil {
		t.Error("unknown command accepted")
	}
	if err := run(t.Context(), nil, io.Discard, io.Discard); err == nil {
		t.Error("no command accepted")
	}
}

// Every demo builds and serves its page (the browser end-to-end tests
// stream through them).
func TestDemosServeTheirPage(t *testing.T) {
	for _, d := range demos {
		t.Run(d.name, func(t *testing.T) {
			built, err := d.build(rtcstream.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer built.close()
			if built.stream == nil {
				t.Error("the demo gives no Stream for `rtcstream worker`")
			}
			rec := httptest.NewRecorder()
			built.page.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), "<rtc-stream") {
				t.Fatalf("GET /: %d\n%s", rec.Code, rec.Body.String())
			}
		})
	}
}

// demo -stats -metrics: every demo's page asks for the stats overlay, its
// streams report to the metrics, and they are served at /metrics.
func TestDemosStatsAndMetrics(t *testing.T) {
	for _, d := range demos {
		t.Run(d.name, func(t *testing.T) {
			m, err := metrics.New(nil)
			if err != nil {
				t.Fatal(err)
			}
			built, err := d.build(rtcstream.Options{ShowStats: true, Observer: m})
			if err != nil {
				t.Fatal(err)
			}
			defer built.close()
			h := withMetricsRoute(built.page, m)
			get := func(path string) *httptest.ResponseRecorder {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				return rec
			}
			if body := get("/").Body.String(); !strings.Contains(body, "show-stats") {
				t.Errorf("the page does not ask for the stats overlay:\n%s", body)
			}
			if r := get("/metrics"); r.Code != 200 || !strings.Contains(r.Body.String(), "rtcstream_sessions_active") {
				t.Errorf("no metrics at /metrics: %d\n%s", r.Code, r.Body.String())
			}
		})
	}
	// Without the flags, neither.
	built, err := demos[0].build(rtcstream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer built.close()
	rec := httptest.NewRecorder()
	built.page.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if strings.Contains(rec.Body.String(), "show-stats") {
		t.Error("the page asks for the stats overlay without -stats")
	}
}
