package rtcstream_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
)

// get serves one GET request to h and returns the response and its body.
func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	res := rec.Result()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func newPageStream(t *testing.T, o *rtcstream.Options) *rtcstream.Stream {
	t.Helper()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestStreamPage checks NewStream's page: a Blocks page with a heading and
// the one <rtc-stream>, every URL in it relative.
func TestStreamPage(t *testing.T) {
	res, page := get(t, newPageStream(t, nil), "/")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		"<!doctype html>",
		"<title>rtcstream</title>",
		"<h1>rtcstream</h1>",
		`<link rel="stylesheet" href="assets/rtc-stream.css">`,
		`<script type="module" src="assets/rtc-stream.js"></script>`,
		`<script type="module" src="assets/blocks.js"></script>`,
		// The default session cap: 4 a core (Options.ConcurrencyLimit).
		`<rtc-stream src="webrtc" mode="send-receive" modality="video" concurrency-limit="` + strconv.Itoa(4*runtime.GOMAXPROCS(0)) + `"></rtc-stream>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Count(page, "<rtc-stream") != 1 || strings.Contains(page, `class="description"`) {
		t.Errorf("want one element and no description:\n%s", page)
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Errorf("the page refers to an external URL:\n%s", page)
	}
}

func TestStreamPageEscapes(t *testing.T) {
	_, page := get(t, newPageStream(t, &rtcstream.Options{
		Title:        `<b>"x"</b>`,
		Description:  "a & b <i>",
		ButtonLabels: rtcstream.ButtonLabels{Start: `"><script>alert(1)</script>`},
	}), "/")
	if strings.Contains(page, "<b>") || strings.Contains(page, "<i>") || strings.Contains(page, "<script>alert") {
		t.Errorf("page is not escaped:\n%s", page)
	}
	for _, want := range []string{
		"<title>&lt;b&gt;&#34;x&#34;&lt;/b&gt;</title>",
		"<h1>&lt;b&gt;&#34;x&#34;&lt;/b&gt;</h1>",
		`<p class="description">a &amp; b &lt;i&gt;</p>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
}

// TestStreamPageElement checks that Options reach the element's attributes.
func TestStreamPageElement(t *testing.T) {
	_, page := get(t, newPageStream(t, &rtcstream.Options{
		NoMirror:         true,
		ButtonLabels:     rtcstream.ButtonLabels{Start: "Go", Stop: "Halt", Waiting: "Queued"},
		ShowStats:        true,
		TimeLimit:        90 * time.Second,
		ConcurrencyLimit: 2,
		RTCConfiguration: &rtcstream.RTCConfiguration{},
		TrackConstraints: &rtcstream.TrackConstraints{Width: 320, FacingMode: "user"},
	}), "/")
	want := `<rtc-stream src="webrtc" mode="send-receive" modality="video" mirror-webcam="false" button-start="Go" button-stop="Halt"` +
		` button-waiting="Queued" show-stats="true" time-limit="90" concurrency-limit="2" rtc-config="fetch"` +
		` track-constraints="{&#34;facingMode&#34;:&#34;user&#34;,&#34;width&#34;:{&#34;ideal&#34;:320}}"></rtc-stream>`
	if !strings.Contains(page, want) {
		t.Errorf("page lacks\n%s\n%s", want, page)
	}
}

// TestStreamRoutes checks NewStream's URL layout, also under a prefix.
func TestStreamRoutes(t *testing.T) {
	s := newPageStream(t, nil)
	mux := http.NewServeMux()
	mux.Handle("/app/", http.StripPrefix("/app", s))
	for _, h := range []struct {
		h      http.Handler
		prefix string
	}{{s, ""}, {mux, "/app"}} {
		for path, want := range map[string]int{
			"/":                     http.StatusOK,
			"/assets/rtc-stream.js": http.StatusOK,
			"/assets/blocks.js":     http.StatusOK,
			"/favicon.ico":          http.StatusOK,
			"/webrtc/config":        http.StatusOK,
			"/webrtc/nothing":       http.StatusNotFound,
			"/nothing":              http.StatusNotFound,
		} {
			if res, _ := get(t, h.h, h.prefix+path); res.StatusCode != want {
				t.Errorf("GET %s%s = %d, want %d", h.prefix, path, res.StatusCode, want)
			}
		}
	}
	if res, body := get(t, s, "/favicon.ico"); res.Header.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") {
		t.Errorf("favicon: %q %.40q", res.Header.Get("Content-Type"), body)
	}
}
