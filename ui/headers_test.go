package ui_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rtcstream/rtcstream/ui"
)

// directive returns the value of one directive of a Content-Security-Policy.
func directive(policy, name string) (string, bool) {
	for d := range strings.SplitSeq(policy, ";") {
		d = strings.TrimSpace(d)
		if k, v, _ := strings.Cut(d, " "); k == name {
			return v, true
		}
	}
	return "", false
}

func TestPageSecurityHeaders(t *testing.T) {
	b := ui.NewBlocks(nil)
	b.Add(&ui.Textbox{})
	w := get(t, b, "/")
	if w.Code != http.StatusOK {
		t.Fatalf("GET / = %d", w.Code)
	}
	h := w.Header()
	for name, want := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"Content-Security-Policy": ui.DefaultContentSecurityPolicy + "; frame-ancestors 'self'",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	for name, want := range map[string]string{
		"script-src":      "'self'", // no inline script, no eval
		"connect-src":     "'self'",
		"object-src":      "'none'",
		"frame-ancestors": "'self'",
	} {
		if got, ok := directive(csp, name); !ok || got != want {
			t.Errorf("%s is %q (present: %v), want %q", name, got, ok, want)
		}
	}
	for name, want := range map[string][]string{
		"img-src":   {"'self'", "data:", "blob:"},
		"media-src": {"blob:", "mediastream:"},
	} {
		got, _ := directive(csp, name)
		for _, w := range want {
			if !strings.Contains(" "+got+" ", " "+w+" ") {
				t.Errorf("%s is %q, lacks %s", name, got, w)
			}
		}
	}
	// The page has no inline script for the policy to block.
	if page := w.Body.String(); strings.Contains(page, "<script>") || strings.Contains(page, "<script >") {
		t.Errorf("the page has an inline script:\n%s", page)
	}
}

func TestEveryReplyIsNosniff(t *testing.T) {
	b := ui.NewBlocks(nil)
	b.Add(&ui.Textbox{})
	for _, path := range []string{"/", "/assets/blocks.js", "/assets/nope.js", "/ui/nope", "/nope"} {
		if got := get(t, b, path).Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", path, got)
		}
	}
	broken := ui.NewBlocks(&ui.BlocksOptions{FrameAncestors: []string{"no way"}})
	w := get(t, broken, "/")
	if w.Code != http.StatusInternalServerError || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("a page that can't build: %d, X-Content-Type-Options %q", w.Code, w.Header().Get("X-Content-Type-Options"))
	}
}

func TestAssetsServeFiles(t *testing.T) {
	b := ui.NewBlocks(nil)
	for path, ctype := range map[string]string{
		"/assets/blocks.js":      "text/javascript; charset=utf-8",
		"/assets/rtc-stream.js":  "text/javascript; charset=utf-8",
		"/assets/rtc-stream.css": "text/css; charset=utf-8",
	} {
		w := get(t, b, path)
		if w.Code != http.StatusOK || w.Body.Len() == 0 {
			t.Errorf("GET %s = %d with %d bytes", path, w.Code, w.Body.Len())
			continue
		}
		h := w.Header()
		if h.Get("Content-Type") != ctype || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("ETag") == "" {
			t.Errorf("GET %s: Content-Type %q, X-Content-Type-Options %q, ETag %q",
				path, h.Get("Content-Type"), h.Get("X-Content-Type-Options"), h.Get("ETag"))
		}
		// A browser revalidating its copy gets 304.
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("If-None-Match", h.Get("ETag"))
		again := httptest.NewRecorder()
		b.ServeHTTP(again, r)
		if again.Code != http.StatusNotModified {
			t.Errorf("GET %s with its ETag = %d, want 304", path, again.Code)
		}
	}
	head := httptest.NewRecorder()
	b.ServeHTTP(head, httptest.NewRequest(http.MethodHead, "/assets/blocks.js", nil))
	if head.Code != http.StatusOK || head.Body.Len() != 0 {
		t.Errorf("HEAD /assets/blocks.js = %d with %d bytes", head.Code, head.Body.Len())
	}
}

func TestAssetsRefuseWhatIsNoFile(t *testing.T) {
	b := ui.NewBlocks(nil)
	for _, path := range []string{
		"/assets/%ff",          // not UTF-8: was http.FileServerFS's 500
		"/assets/",             // was a directory listing
		"/assets/nope.js",      // missing
		"/assets/blocks.js/",   // not a directory
		"/assets/a%2fb.js",     // an encoded slash
		"/assets/%00",          // NUL
		"/assets/blocks.js%00", // NUL after a real name
		"/assets/" + strings.Repeat("a", 5000),
	} {
		w := get(t, b, path)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404: %s", path, w.Code, w.Body)
			continue
		}
		var body struct{ Error string }
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error != "not_found" {
			t.Errorf("GET %s: body %q, want {\"error\": \"not_found\"}", path, w.Body)
		}
		if strings.Contains(w.Body.String(), "blocks.js") {
			t.Errorf("GET %s lists files: %s", path, w.Body)
		}
	}
	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/assets/blocks.js", nil))
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /assets/blocks.js = %d, want 405", w.Code)
	}
}

func TestFrameAncestors(t *testing.T) {
	for _, tc := range []struct {
		name string
		list []string
		want string // the frame-ancestors directive; "" when Build fails
	}{
		{"default", nil, "'self'"},
		{"empty", []string{}, "'self'"},
		{"anyone", []string{"*"}, "*"},
		{"an origin and self", []string{"https://example.com", "self"}, "https://example.com 'self'"},
		{"quoted keywords", []string{"'self'", "https://*.hf.space"}, "'self' https://*.hf.space"},
		{"none", []string{"'none'"}, "'none'"},
		{"a scheme", []string{"https:"}, "https:"},
		{"a host with a port and path", []string{"localhost:3000", "http://10.0.0.1:8080/app/"}, "localhost:3000 http://10.0.0.1:8080/app/"},
		{"another directive smuggled in", []string{"https://a.example; script-src *"}, ""},
		{"two sources in one", []string{"https://a.example https://b.example"}, ""},
		{"a comma", []string{"https://a.example,https://b.example"}, ""},
		{"a newline", []string{"https://a.example\r\nX-Evil: 1"}, ""},
		{"none with others", []string{"none", "self"}, ""},
		{"empty source", []string{""}, ""},
		{"unsafe-inline", []string{"'unsafe-inline'"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := ui.NewBlocks(&ui.BlocksOptions{FrameAncestors: tc.list})
			b.Add(&ui.Textbox{})
			err := b.Build()
			if tc.want == "" {
				if err == nil || !errors.Is(err, ui.ErrBuild) || !strings.Contains(err.Error(), "FrameAncestors") {
					t.Fatalf("Build() = %v, want an ErrBuild naming FrameAncestors", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			csp := get(t, b, "/").Header().Get("Content-Security-Policy")
			if got, _ := directive(csp, "frame-ancestors"); got != tc.want {
				t.Errorf("frame-ancestors %q, want %q (policy %q)", got, tc.want, csp)
			}
		})
	}
}

func TestContentSecurityPolicyOption(t *testing.T) {
	custom := "default-src 'self'; script-src 'self' https://analytics.example"
	b := ui.NewBlocks(&ui.BlocksOptions{ContentSecurityPolicy: custom + "; ", FrameAncestors: []string{"*"}})
	b.Add(&ui.Textbox{})
	if got, want := get(t, b, "/").Header().Get("Content-Security-Policy"), custom+"; frame-ancestors *"; got != want {
		t.Errorf("Content-Security-Policy %q, want %q", got, want)
	}
	for _, bad := range []string{"default-src *; frame-ancestors *", "default-src 'self'\r\nX-Evil: 1"} {
		b := ui.NewBlocks(&ui.BlocksOptions{ContentSecurityPolicy: bad})
		if err := b.Build(); err == nil || !strings.Contains(err.Error(), "ContentSecurityPolicy") {
			t.Errorf("ContentSecurityPolicy %q: Build() = %v, want an error naming it", bad, err)
		}
	}
}
