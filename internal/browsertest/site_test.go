package browsertest

import (
	"encoding/json"
	"image"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rtcstream/rtcstream/ui/web"
)

// site serves the component's assets and page, a bare camera page, and the
// signalling routes, on 127.0.0.1.
type site struct {
	*httptest.Server

	mu     sync.Mutex
	offers []map[string]any // bodies POSTed to /webrtc/offer, in order
	stops  []map[string]any // bodies POSTed to /webrtc/stop
}

// newSite starts a site whose /webrtc/offer is answered by offer (after the
// body is recorded; the handler gets the decoded body). /webrtc/stop records
// the body and answers 204. There is no WebRTC server here: tests that
// stream run against the real rtcstream.Stream, in package e2e.
func newSite(t *testing.T, offer func(w http.ResponseWriter, body map[string]any)) *site {
	t.Helper()
	s := &site{}
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(web.Assets())))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		e := web.Element{
			Mode:     q.Get("mode"),
			Modality: q.Get("modality"),
			NoMirror: q.Get("mirror") == "false",
			Label:    q.Get("label"),
		}
		// Other attributes of the element: ?attr=name=value (repeatable).
		for _, a := range q["attr"] {
			name, value, _ := strings.Cut(a, "=")
			switch name {
			case "icon":
				e.Icon = value
			case "interactive":
				e.NonInteractive = value == "false"
			default:
				t.Errorf("the test site does not know the attribute %q", name)
			}
		}
		// The component alone, without the Blocks runtime: a bare page.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>rtcstream test</title>`+
			`<link rel="stylesheet" href="assets/rtc-stream.css"><script type="module" src="assets/rtc-stream.js"></script></head>`+
			`<body><main>`+string(e.HTML())+`</main></body></html>`)
	})
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /camera", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!doctype html><title>camera</title><video id="cam" autoplay muted playsinline></video>`)
	})
	mux.HandleFunc("POST /webrtc/offer", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.offers = append(s.offers, body)
		s.mu.Unlock()
		if offer == nil {
			writeError(w, http.StatusNotFound, "not_found", "no signalling here")
			return
		}
		offer(w, body)
	})
	mux.HandleFunc("POST /webrtc/stop", func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.stops = append(s.stops, body)
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	s.Server = httptest.NewServer(mux) // 127.0.0.1, inside the namespace
	t.Cleanup(s.Close)
	return s
}

// posted returns copies of the recorded offer-route and stop bodies.
func (s *site) posted() (offers, stops []map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.offers...), append([]map[string]any(nil), s.stops...)
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "message": message})
}

// Limited-range BT.601 YCbCr of the test colours.
var (
	ycbcrRed   = [3]uint8{81, 90, 240}
	ycbcrGreen = [3]uint8{145, 54, 34}
	ycbcrBlue  = [3]uint8{41, 240, 110}
	ycbcrWhite = [3]uint8{235, 128, 128}
)

// quadrants returns a w x h 4:2:0 frame: red, green / blue, white.
func quadrants(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			c := quadrantColor(x, y, w, h)
			img.Y[img.YOffset(x, y)] = c[0]
			ci := img.COffset(x, y)
			img.Cb[ci], img.Cr[ci] = c[1], c[2]
		}
	}
	return img
}

func quadrantColor(x, y, w, h int) [3]uint8 {
	switch {
	case x < w/2 && y < h/2:
		return ycbcrRed
	case y < h/2:
		return ycbcrGreen
	case x < w/2:
		return ycbcrBlue
	default:
		return ycbcrWhite
	}
}

// writeQuadrantsY4M writes a short quadrant clip into the test's temp dir.
func writeQuadrantsY4M(t *testing.T, w, h int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "quadrants.y4m")
	frame := quadrants(w, h)
	if err := WriteY4M(path, w, h, 15, 15, func(int) *image.YCbCr { return frame }); err != nil {
		t.Fatal(err)
	}
	return path
}

// quadrantRGB is the sRGB expected for each quadrant, give or take a tolerance for
// conversion and compression.
var quadrantRGB = []struct {
	name    string
	fx, fy  float64 // where to sample, as a fraction of the size
	r, g, b int
}{
	{"red", 0.25, 0.25, 255, 0, 0},
	{"green", 0.75, 0.25, 0, 255, 0},
	{"blue", 0.25, 0.75, 0, 0, 255},
	{"white", 0.75, 0.75, 255, 255, 255},
}

func near(a, b, tol int) bool {
	d := a - b
	return d <= tol && d >= -tol
}
