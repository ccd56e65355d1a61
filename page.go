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
