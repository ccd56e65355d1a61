package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandlerServesEveryAssetAndNothingElse(t *testing.T) {
	h := Handler()
	err := fs.WalkDir(Assets(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/"+name, nil))
		if w.Code != http.StatusOK || w.Header().Get("X-Content-Type-Options") != "nosniff" || w.Header().Get("Content-Type") == "" {
			t.Errorf("GET %s = %d, Content-Type %q, X-Content-Type-Options %q", name, w.Code,
				w.Header().Get("Content-Type"), w.Header().Get("X-Content-Type-Options"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", "", "/.", "/%ff", "/assets/blocks.js", "//blocks.js", "/BLOCKS.JS"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.URL.Path = path
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNotFound || w.Header().Get("Content-Type") != "application/json" {
			t.Errorf("GET %q = %d %q, want a JSON 404", path, w.Code, w.Header().Get("Content-Type"))
		}
	}
}
