package rtcstream

import (
	"bytes"
	"net/http"

	"github.com/rtcstream/rtcstream/ui/web"
)

func assetHandler() http.Handler {
	return http.FileServerFS(web.Assets())
}

// handlePage serves the page with the stream's component. URLs in it are
// relative, so the Stream works under any prefix.
func (s *Stream) handlePage(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	err := web.RenderPage(&b, web.Page{
		Title:     s.opts.Title,
		AssetsURL: "assets",
		Element: web.Element{
			Src:      "webrtc",
			Mode:     s.mode.String(),
			Modality: s.modality.String(),
			NoMirror: s.opts.NoMirror,
			Label:    s.opts.Label,
		},
	})
	if err != nil {
		http.Error(w, "rendering the page failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// favicon is a small camera-lens icon, so browsers asking for one get it
// rather than a 404 in the console.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
	`<rect x="2" y="8" width="22" height="16" rx="3" fill="#2563eb"/>` +
	`<path d="M24 13l6-4v14l-6-4z" fill="#2563eb"/><circle cx="13" cy="16" r="4" fill="#fff"/></svg>`

func handleFavicon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write([]byte(favicon))
}
