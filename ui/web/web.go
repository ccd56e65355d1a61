// Package web holds the browser side of rtcstream: the <rtc-stream> custom
// element and its stylesheet, and the Blocks runtime (blocks.js, blocks.css),
// as plain ES modules embedded in the binary (no bundler, no npm, no external
// URL), and Element, the Go description of one <rtc-stream> element.
//
// Pages are made by package ui (a Blocks); serve the assets under any prefix
// and load rtc-stream.js from there:
//
//	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(web.Assets())))
//
// The element talks to the signalling routes under its src attribute (default
// "webrtc", relative to the page): POST {src}/offer and POST {src}/stop.
package web

import (
	"embed"
	"io/fs"
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
