package ui

import (
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
)

// BlocksOptions configures a page. The zero value is a valid, untitled page.
type BlocksOptions struct {
	// Title is the document title. Default: "rtcstream".
	Title string

	// CSS is a stylesheet of the application's own, put in the page after
	// the built-in styles (Gradio's css=). It is trusted: written as is,
	// except that "</style" can't end the <style> element. Default: none.
	CSS string

	// Head is HTML added at the end of the page's <head> (Gradio's head=):
	// trusted, written as is. The page's Content-Security-Policy applies to
	// it: a script or stylesheet from another origin, or an inline script,
	// needs ContentSecurityPolicy. Default: none.
	Head string

	// FrameAncestors lists who may show the page in a frame (CSP
	// frame-ancestors): origins ("https://example.com",
	// "https://*.example.com"), schemes ("https:"), "self" and "none"
	// (quoted or not), or "*" for anyone. Build refuses anything else.
	// Default: the page's own origin only ('self').
	FrameAncestors []string

	// ContentSecurityPolicy replaces the page's Content-Security-Policy,
	// for an application whose Head or HTML loads scripts, styles, fonts or
	// frames from elsewhere. It may not set frame-ancestors (FrameAncestors
	// does). Default: DefaultContentSecurityPolicy.
	ContentSecurityPolicy string

	// FillHeight makes the page fill the window's height; top-level
	// components with a Props.Scale share the spare height. Default: the
	// page is as tall as its content.
	FillHeight bool

	// FillWidth lets the page use the window's whole width. Default: at
	// most 1280 pixels wide, centred.
	FillWidth bool

	// Logger receives errors of value functions, click handlers and
	// stream components' panics. Default: slog.Default().
	Logger *slog.Logger
}

// Blocks is a page of components, and the http.Handler that serves it:
// Gradio's gr.Blocks. Place components with the methods of its embedded
// Layout, then serve it:
//
//	GET  /                  the page
//	GET  /assets/...        the embedded JavaScript and CSS (ui/web Handler)
//	GET|POST /ui/value/{id} recompute a component's ValueFunc
//	POST /ui/click/{id}     a Button click, to its OnClick handlers
//
// and the routes of each stream component (the WebRTC component): the first under "/webrtc" (wire-compatible
// with fastrtc's /webrtc/offer), later ones under "/webrtc/{id}". All URLs
// in the page are relative, so a Blocks works under any prefix
// (http.StripPrefix("/app", demo) serves the page at "/app/").
//
// The page is built once, by Build or by the first request: ids are given,
// value functions and properties are checked and stream components are linked and mounted.
// After that the layout can't change. ServeHTTP is safe for concurrent use.
type Blocks struct {
	Layout

	opts   BlocksOptions
	logger *slog.Logger

	mu       sync.Mutex
	added    []Component // every component Add or Render saw, in order
	addErrs  []error
	built    bool
	buildErr error
	page     *page
	served   atomic.Pointer[page] // page, once built without error
}

// NewBlocks returns an empty page with the options opts; nil means the
// defaults.
func NewBlocks(opts *BlocksOptions) *Blocks {
	var o BlocksOptions
	if opts != nil {
		o = *opts
	}
	b := &Blocks{opts: o, logger: o.Logger}
	if b.logger == nil {
		b.logger = slog.Default()
	}
	b.Layout.blocks = b
	return b
}

// Build freezes the layout and checks it: it gives every component its id,
// checks every component's properties and value (a Slider's Value within
// its range, a Dropdown's among its choices, ...), binds each ValueFunc to
// its Inputs, links each stream component to the inputs and outputs its handler uses, and mounts its routes. It
// returns every problem found, joined; each wraps ErrBuild and names its
// component. Later calls return the same result. The first ServeHTTP calls
// it; call it first to learn about mistakes at start-up.
func (b *Blocks) Build() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.built {
		return b.buildErr
	}
	b.built = true
	p, errs := build(b)
	errs = append(b.addErrs, errs...)
	if len(errs) > 0 {
		b.buildErr = errors.Join(errs...)
		return b.buildErr
	}
	b.page = p
	b.served.Store(p)
	return nil
}

// ServeHTTP serves the page, its assets, its value and click routes and the
// routes of its stream components, building the page first if needed. If the page
// can't be built every request gets 500 with the problems.
//
// Every reply carries X-Content-Type-Options: nosniff; the page also carries
// its Content-Security-Policy (BlocksOptions.ContentSecurityPolicy and
// FrameAncestors) and Referrer-Policy: same-origin.
func (b *Blocks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	p := b.served.Load()
	if p == nil {
		if err := b.Build(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		p = b.served.Load()
	}
	p.mux.ServeHTTP(w, r)
}

// ID returns the id of c on the built page (its data-component, the {id}
// of its routes, its key in input and output messages), and whether c is
// on it. It builds the page if needed; on a page that fails to build it
// reports false.
func (b *Blocks) ID(c Component) (string, bool) {
	if b.Build() != nil {
		return "", false
	}
	id, ok := b.page.ids[c]
	return id, ok
}

// MountPrefix returns the prefix c's Mount got ("/webrtc" or
// "/webrtc/{id}"), and whether c is a stream component on the built page.
func (b *Blocks) MountPrefix(c Component) (string, bool) {
	if b.Build() != nil {
		return "", false
	}
	p, ok := b.page.prefixes[c]
	return p, ok
}

func (b *Blocks) isBuilt() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.built
}

// registerAdded remembers c, so that a component added with NoRender gets
// an id even if it is never placed. It reports whether c can be placed: a
// nil component is recorded as an error of the next Build.
func (b *Blocks) registerAdded(c Component) bool {
	if isNil(c) {
		if b != nil {
			b.mu.Lock()
			b.addErrs = append(b.addErrs, &BuildError{Problem: "Add got a nil component"})
			b.mu.Unlock()
		}
		return false
	}
	if b != nil {
		b.mu.Lock()
		b.added = append(b.added, c)
		b.mu.Unlock()
	}
	return true
}

// isNil reports whether c is nil or a nil pointer.
func isNil(c Component) bool {
	if c == nil {
		return true
	}
	v := reflect.ValueOf(c)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
