package main

import (
	"embed"
	"net/http"

	"github.com/rtcstream/rtcstream"
)

//go:embed restream
var restreamFiles embed.FS

func init() {
	demos = append(demos, demoInfo{"restream",
		"Publish with WHIP (OBS, GStreamer, Go, or /publish), processed once (edges), watched with WHEP (/watch) by many", restream})
}

// restream is the WHIP-in, WHEP-out demo: the edges stream, whose page is
// the usual camera page, and beside it a WHIP publisher page (/publish)
// and a WHEP player page (/watch) that use nothing of rtcstream's page.
func restream(base rtcstream.Options) (*demoPage, error) {
	o := base
	o.Title = "Restream"
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, edges, &o)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/", s)
	files := http.FileServerFS(restreamFiles)
	for _, name := range []string{"publish", "watch"} {
		mux.HandleFunc("GET /"+name, func(w http.ResponseWriter, r *http.Request) {
			restreamHeaders(w)
			http.ServeFileFS(w, r, restreamFiles, "restream/"+name+".html")
		})
	}
	for _, name := range []string{"restream.js", "restream.css"} {
		mux.HandleFunc("GET /"+name, func(w http.ResponseWriter, r *http.Request) {
			restreamHeaders(w)
			r.URL.Path = "/restream/" + name
			files.ServeHTTP(w, r)
		})
	}
	return &demoPage{mux, s, func() { s.Close() }}, nil
}

// restreamHeaders: the pages run only their own script and reach only
// their own server.
func restreamHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", "default-src 'self'; media-src 'self' blob: mediastream:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
}
