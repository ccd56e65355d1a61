package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rtcstream/rtcstream/ui"
)

// fuzzPage is a page whose value functions and click handler never fail:
// whatever a request makes of them, a 5xx is the server's fault.
func fuzzPage(tb testing.TB) *ui.Blocks {
	speed := &ui.Slider{Props: ui.Props{Label: "Speed", Key: "speed"}, Maximum: 10, Value: 2}
	on := &ui.Checkbox{Props: ui.Props{Key: "on"}, Value: true}
	model := &ui.Dropdown{Props: ui.Props{Key: "model"}, Choices: []string{"n", "s"}}
	words := &ui.Textbox{Props: ui.Props{Key: "words"}, MaxLength: 16}
	run := &ui.Button{Props: ui.Props{Key: "run"}}
	run.OnClick(func(context.Context) error { return nil })
	b := ui.NewBlocks(&ui.BlocksOptions{Logger: quietLogger})
	b.Add(speed, on, model, words, run,
		&ui.Textbox{Props: ui.Props{Key: "sum", Inputs: []ui.Component{speed, on, model, words},
			ValueFunc: func(n int, on bool, model, words string) string { return fmt.Sprint(n, on, model, len(words)) }}},
		&ui.Slider{Props: ui.Props{Key: "double", Inputs: []ui.Component{speed}, ValueFunc: func(x float64) float64 { return x / 2 }}, Maximum: 10},
	)
	if err := b.Build(); err != nil {
		tb.Fatal(err)
	}
	return b
}

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, http.MethodOptions}

// FuzzPageRequest sends any request to a page: any method, path, body and
// Origin. Invariants: no panic, no 5xx; every reply has
// X-Content-Type-Options: nosniff; a failure of the page's own routes
// (/ui/, /assets/) is {"error": code, "message": text}; the page itself
// comes with its Content-Security-Policy.
func FuzzPageRequest(f *testing.F) {
	for _, seed := range []struct {
		method       uint8
		path, origin string
		body         []byte
	}{
		{0, "", "", nil},
		{0, "assets/blocks.js", "", nil},
		{0, "assets/\xff", "", nil},
		{0, "assets/", "", nil},
		{0, "assets/../ui/value/sum", "", nil},
		{0, "ui/value/sum", "", nil},
		{1, "ui/value/sum", "", []byte(`{"inputs": {"speed": 3.7, "on": false, "model": "s", "words": "hello"}}`)},
		{1, "ui/value/sum", "", []byte(`{"inputs": {"speed": 1e999}}`)},
		{1, "ui/value/sum", "", []byte(`{"inputs": {"model": "` + strings.Repeat("m", 500) + `"}}`)},
		{1, "ui/value/double", "", []byte(`{"inputs": {"speed": 10}}`)},
		{1, "ui/value/nope", "", []byte(`{}`)},
		{1, "ui/click/run", "", nil},
		{1, "ui/click/run", "https://evil.example", nil},
		{1, "ui/click/speed", "", nil},
		{3, "ui/click/run", "", nil},
		{4, "ui/value/sum", "", nil},
		{0, "ui/", "", nil},
		{0, "webrtc/offer", "", nil},
	} {
		f.Add(seed.method, seed.path, seed.origin, seed.body)
	}
	b := fuzzPage(f)
	f.Fuzz(func(t *testing.T, method uint8, path, origin string, body []byte) {
		m := fuzzMethods[int(method)%len(fuzzMethods)]
		r := httptest.NewRequest(m, "/", bytes.NewReader(body))
		r.URL.Path = "/" + path
		r.Header.Set("Content-Type", "application/json")
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		w := httptest.NewRecorder()
		b.ServeHTTP(w, r)

		h := w.Header()
		switch {
		case w.Code >= 500:
			t.Fatalf("%s %q: %d: %s", m, r.URL.Path, w.Code, w.Body)
		case h.Get("X-Content-Type-Options") != "nosniff":
			t.Fatalf("%s %q: %d without nosniff", m, r.URL.Path, w.Code)
		case w.Code == http.StatusOK && r.URL.Path == "/" && !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'"):
			t.Fatalf("the page came with the policy %q", h.Get("Content-Security-Policy"))
		}
		if w.Code >= 400 && (strings.HasPrefix(r.URL.Path, "/ui/") || strings.HasPrefix(r.URL.Path, "/assets/")) {
			var e struct{ Error, Message string }
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" || e.Message == "" {
				t.Fatalf("%s %q: %d with %q, want {\"error\": code, \"message\": text}", m, r.URL.Path, w.Code, w.Body)
			}
		}
	})
}
