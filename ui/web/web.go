// Package web holds the browser side of rtcstream: the <rtc-stream> custom
// element and its stylesheet, and the Blocks runtime (blocks.js, blocks.css),
// as plain ES modules embedded in the binary (no bundler, no npm, no external
// URL), and Element, the Go description of one <rtc-stream> element.
//
// Pages are made by package ui (a Blocks); serve the assets under any prefix
// with Handler and load rtc-stream.js from there:
//
//	mux.Handle("GET /assets/", http.StripPrefix("/assets/", web.Handler()))
//
// The element talks to the signalling routes under its src attribute (default
// "webrtc", relative to the page): POST {src}/offer and POST {src}/stop.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream/internal/httpjson"
)

//go:embed assets
var assets embed.FS

// Assets returns the files of the browser component: rtc-stream.js (the module
// that defines <rtc-stream>), the modules it imports, and rtc-stream.css. The
// files sit at the root of the returned file system. It is safe for concurrent
// use and never changes.
func Assets() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		// fs.Sub fails only for an invalid path; "assets" is valid.
		panic("web: " + err.Error())
	}
	return sub
}

// Handler serves the files of Assets at the root of its URL space; mount it
// under a prefix with http.StripPrefix. A file is answered to GET and HEAD
// with its Content-Type, X-Content-Type-Options: nosniff, an ETag and
// Cache-Control: no-cache (browsers revalidate, and get 304 Not Modified
// while the binary is the same); Range requests work. Anything else is a
// 404 {"error": "not_found"} (package internal/httpjson's format): the root,
// a directory (nothing is ever listed), a missing file, and a path that is
// no valid file name (such as "%ff"). Other methods get 405. It is safe for
// concurrent use.
func Handler() http.Handler { return http.HandlerFunc(serveAsset) }

// asset is one file Handler serves.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// contentTypes are the types of the asset files, fixed here so that a
// system's mime.types can't serve a module under a type browsers refuse.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	".svg": "image/svg+xml",
}

// loadAssets reads every file of Assets once, with its type and ETag.
var loadAssets = sync.OnceValue(func() map[string]asset {
	files := map[string]asset{}
	err := fs.WalkDir(Assets(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Assets(), name)
		if err != nil {
			return err
		}
		ext := path.Ext(name)
		ct, ok := contentTypes[ext]
		if !ok {
			ct = mime.TypeByExtension(ext)
		}
		if ct == "" {
			ct = http.DetectContentType(b)
		}
		sum := sha256.Sum256(b)
		files[name] = asset{body: b, contentType: ct, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		// The files are embedded: reading them fails only on a broken build.
		panic("web: reading the embedded assets: " + err.Error())
	}
	return files
})

func serveAsset(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		httpjson.WriteError(w, http.StatusMethodNotAllowed, "method_not_allowed", "assets take GET or HEAD")
		return
	}
	// Only the exact name of a file is served: no leading slash, no
	// directory, nothing that fs.ValidPath refuses.
	a, ok := loadAssets()[strings.TrimPrefix(r.URL.Path, "/")]
	if !ok {
		httpjson.WriteError(w, http.StatusNotFound, "not_found", "no such asset")
		return
	}
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body)) // no Last-Modified: the ETag validates
}
