package ui_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rtcstream/rtcstream/ui"
)

// quietLogger drops the errors that tests cause on purpose.
var quietLogger = slog.New(slog.DiscardHandler)

func httptestPost(t *testing.T, h http.Handler, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(w, r)
	return w
}

// reply decodes a JSON reply and checks its status.
func reply(t *testing.T, w *httptest.ResponseRecorder, status int) map[string]any {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d: %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("reply %q: %v", w.Body, err)
	}
	return m
}

func wantAPIError(t *testing.T, w *httptest.ResponseRecorder, status int, code string, msgParts ...string) {
	t.Helper()
	m := reply(t, w, status)
	if m["error"] != code {
		t.Errorf("error %v, want %q (%v)", m["error"], code, m["message"])
	}
	msg, _ := m["message"].(string)
	for _, p := range msgParts {
		if !strings.Contains(msg, p) {
			t.Errorf("message %q lacks %q", msg, p)
		}
	}
}

func valuePage(t *testing.T) (*ui.Blocks, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	speed := &ui.Slider{Props: ui.Props{Label: "Speed", Key: "speed"}, Maximum: 10, Value: 2}
	on := &ui.Checkbox{Props: ui.Props{Key: "on"}, Value: true}
	b := ui.NewBlocks(&ui.BlocksOptions{Logger: quietLogger})
	b.Add(speed, on,
		&ui.Textbox{Props: ui.Props{Key: "sum", Inputs: []ui.Component{speed, on},
			ValueFunc: func(ctx context.Context, n int, on bool) (string, error) {
				calls.Add(1)
				if ctx == nil {
					return "", errors.New("no context")
				}
				if n == 9 {
					return "", errors.New("nine is not allowed")
				}
				if n == 8 {
					panic("eight")
				}
				return strings.Repeat("x", n) + map[bool]string{true: "!", false: "."}[on], nil
			}}},
		&ui.Slider{Props: ui.Props{Key: "double", Inputs: []ui.Component{speed}, ValueFunc: func(x float64) float64 { return 2 * x }}, Maximum: 10},
		&ui.Label{Props: ui.Props{Key: "label", ValueFunc: func() map[string]float64 { return map[string]float64{"a": 0.25} }}},
		&ui.Textbox{Props: ui.Props{Key: "plain"}},
	)
	if err := b.Build(); err != nil {
		t.Fatal(err)
	}
	return b, &calls
}

func TestValueRoute(t *testing.T) {
	b, calls := valuePage(t)
	m := reply(t, httptestPost(t, b, "/ui/value/sum", `{"inputs": {"speed": 3.7, "on": false}}`), http.StatusOK)
	if m["value"] != "xxx." {
		t.Errorf("value %v, want xxx. (3.7 converted to int 3)", m["value"])
	}
	// Missing inputs take their initial values; GET sends none.
	if m := reply(t, httptestPost(t, b, "/ui/value/sum", `{"inputs": {"speed": 1}}`), http.StatusOK); m["value"] != "x!" {
		t.Errorf("value %v, want x!", m["value"])
	}
	if m := reply(t, get(t, b, "/ui/value/sum"), http.StatusOK); m["value"] != "xx!" {
		t.Errorf("GET value %v, want xx!", m["value"])
	}
	if m := reply(t, httptestPost(t, b, "/ui/value/sum", ``), http.StatusOK); m["value"] != "xx!" {
		t.Errorf("empty body value %v, want xx!", m["value"])
	}
	if calls.Load() != 4 {
		t.Errorf("%d calls, want 4", calls.Load())
	}
	if m := reply(t, httptestPost(t, b, "/ui/value/label", `{}`), http.StatusOK); m["value"].(map[string]any)["label"] != "a" {
		t.Errorf("label value %v", m["value"])
	}
	// A result the component refuses: 5*2 is in range, 6*2 is not.
	if m := reply(t, httptestPost(t, b, "/ui/value/double", `{"inputs": {"speed": 5}}`), http.StatusOK); m["value"] != 10.0 {
		t.Errorf("double value %v", m["value"])
	}
	wantAPIError(t, httptestPost(t, b, "/ui/value/double", `{"inputs": {"speed": 6}}`), http.StatusInternalServerError,
		"value_function_failed", `ui.Slider (key "double")`, "12 is outside [0, 10]")

	// Inputs the components refuse.
	wantAPIError(t, httptestPost(t, b, "/ui/value/sum", `{"inputs": {"speed": 11}}`), http.StatusBadRequest,
		"invalid_value", `ui.Slider "Speed"`, "11 is outside [0, 10]")
	wantAPIError(t, httptestPost(t, b, "/ui/value/sum", `{"inputs": {"on": "yes"}}`), http.StatusBadRequest,
		"invalid_value", `ui.Checkbox (key "on")`, "got a string")
	// The function's own failures.
	wantAPIError(t, httptestPost(t, b, "/ui/value/sum", `{"inputs": {"speed": 9}}`), http.StatusInternalServerError,
		"value_function_failed", "nine is not allowed")
	wantAPIError(t, httptestPost(t, b, "/ui/value/sum", `{"inputs": {"speed": 8}}`), http.StatusInternalServerError,
		"value_function_failed", "panicked")
	// Requests that can't work.
	wantAPIError(t, httptestPost(t, b, "/ui/value/nope", `{}`), http.StatusNotFound, "unknown_component", `"nope"`)
	wantAPIError(t, httptestPost(t, b, "/ui/value/plain", `{}`), http.StatusNotFound, "no_value_function", "has no ValueFunc")
	wantAPIError(t, httptestPost(t, b, "/ui/value/sum", `{"inputs": [1]}`), http.StatusBadRequest, "bad_json")
	wantAPIError(t, httptestPost(t, b, "/ui/value/sum", `{`), http.StatusBadRequest, "bad_json")
	wantAPIError(t, httptestPost(t, b, "/ui/value/sum", `{"inputs": {"x": "`+strings.Repeat("a", 2<<20)+`"}}`),
		http.StatusRequestEntityTooLarge, "body_too_large")
	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest(http.MethodPut, "/ui/value/sum", nil))
	wantAPIError(t, w, http.StatusMethodNotAllowed, "method_not_allowed")
	if w.Header().Get("Allow") != "GET, POST" {
		t.Errorf("Allow %q", w.Header().Get("Allow"))
	}
}

func TestClickRoute(t *testing.T) {
	var clicks atomic.Int64
	btn := &ui.Button{Props: ui.Props{Key: "go"}, Value: "Go"}
	btn.OnClick(func(ctx context.Context) error {
		clicks.Add(1)
		return nil
	})
	btn.OnClick(func(ctx context.Context) error {
		if clicks.Load() == 2 {
			return errors.New("second click refused")
		}
		if clicks.Load() == 3 {
			panic("third")
		}
		return nil
	})
	quiet := &ui.Button{Props: ui.Props{Key: "quiet"}}
	off := &ui.Button{Props: ui.Props{Key: "off", Interactive: ui.Static}}
	b := ui.NewBlocks(&ui.BlocksOptions{Logger: quietLogger})
	b.Add(btn, quiet, off, &ui.Textbox{Props: ui.Props{Key: "text"}})

	if m := reply(t, httptestPost(t, b, "/ui/click/go", ""), http.StatusOK); m["status"] != "ok" || clicks.Load() != 1 {
		t.Errorf("reply %v, clicks %d", m, clicks.Load())
	}
	wantAPIError(t, httptestPost(t, b, "/ui/click/go", ""), http.StatusInternalServerError, "click_failed", "second click refused")
	wantAPIError(t, httptestPost(t, b, "/ui/click/go", ""), http.StatusInternalServerError, "click_failed", "panicked")
	reply(t, httptestPost(t, b, "/ui/click/quiet", ""), http.StatusOK)
	wantAPIError(t, httptestPost(t, b, "/ui/click/off", ""), http.StatusForbidden, "not_interactive")
	wantAPIError(t, httptestPost(t, b, "/ui/click/text", ""), http.StatusNotFound, "not_a_button")
	wantAPIError(t, httptestPost(t, b, "/ui/click/none", ""), http.StatusNotFound, "unknown_component")
	wantAPIError(t, get(t, b, "/ui/click/go"), http.StatusMethodNotAllowed, "method_not_allowed")
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	var clicks atomic.Int64
	btn := &ui.Button{Props: ui.Props{Key: "go"}}
	btn.OnClick(func(context.Context) error { clicks.Add(1); return nil })
	b := ui.NewBlocks(&ui.BlocksOptions{})
	b.Add(btn, &ui.Textbox{Props: ui.Props{Key: "t", ValueFunc: func() string { return "x" }}})
	for _, path := range []string{"/ui/click/go", "/ui/value/t"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader("{}"))
		r.Header.Set("Sec-Fetch-Site", "cross-site")
		b.ServeHTTP(w, r)
		wantAPIError(t, w, http.StatusForbidden, "cross_origin")
	}
	// Same-origin browsers and non-browser clients pass.
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/ui/click/go", nil)
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	b.ServeHTTP(w, r)
	reply(t, w, http.StatusOK)
	reply(t, httptestPost(t, b, "/ui/click/go", ""), http.StatusOK)
	if clicks.Load() != 2 {
		t.Errorf("%d clicks, want 2", clicks.Load())
	}
}
