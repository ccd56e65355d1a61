package httpjson

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrite(t *testing.T) {
	w := httptest.NewRecorder()
	Write(w, http.StatusOK, map[string]string{"status": "success"})
	if w.Code != http.StatusOK || w.Body.String() != "{\"status\":\"success\"}\n" {
		t.Errorf("got %d %q", w.Code, w.Body)
	}
	if ct, cc := w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"); ct != "application/json" || cc != "no-store" {
		t.Errorf("headers Content-Type %q, Cache-Control %q", ct, cc)
	}
	if ra := w.Header().Get("Retry-After"); ra != "" {
		t.Errorf("a 200 has Retry-After %q", ra)
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	WriteError(w, http.StatusConflict, "not_ready", `the session is "new" <yet>`)
	want := "{\"error\":\"not_ready\",\"message\":\"the session is \\\"new\\\" \\u003cyet\\u003e\"}\n"
	if w.Code != http.StatusConflict || w.Body.String() != want {
		t.Errorf("got %d %q, want 409 %q", w.Code, w.Body, want)
	}
	if ra := w.Header().Get("Retry-After"); ra != "" {
		t.Errorf("a 409 has Retry-After %q", ra)
	}
	w = httptest.NewRecorder()
	WriteError(w, http.StatusServiceUnavailable, "too_many_sessions", "busy")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "5" {
		t.Errorf("503: got %d, Retry-After %q; want 503, 5", w.Code, w.Header().Get("Retry-After"))
	}
}

func TestWriteUnencodable(t *testing.T) {
	w := httptest.NewRecorder()
	Write(w, http.StatusOK, func() {})
	want := "{\"error\":\"internal\",\"message\":\"encoding the reply failed: json: unsupported type: func()\"}\n"
	if w.Code != http.StatusInternalServerError || w.Body.String() != want {
		t.Errorf("got %d %q, want 500 %q", w.Code, w.Body, want)
	}
}
