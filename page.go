package rtcstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/rtcstream/rtcstream/ui/web"
)

func assetHandler() http.Handler {
	return http.FileServerFS(web.Assets())
}

// element describes the stream's <rtc-stream> element: what the page
// needs to know before it connects. src is the signalling prefix, relative
// to the page.
func (s *Stream) element(src, label string) web.Element {
	o := s.opts
	e := web.Element{
		Src:         src,
		Mode:        s.mode.String(),
		Modality:    s.modality.String(),
		NoMirror:    o.NoMirror,
		Label:       label,
		ButtonStart: o.ButtonLabels.Start,
		ButtonStop:  o.ButtonLabels.Stop,
		Attrs:       map[string]string{},
	}
	if o.ButtonLabels.Waiting != "" {
		e.Attrs["button-waiting"] = o.ButtonLabels.Waiting
	}
	if o.ShowStats {
		e.Attrs["show-stats"] = "true"
	}
	if o.TimeLimit > 0 {
		e.Attrs["time-limit"] = strconv.FormatFloat(o.TimeLimit.Seconds(), 'f', -1, 64)
	}
	if o.MaxSessions > 0 {
		e.Attrs["concurrency-limit"] = strconv.Itoa(o.MaxSessions)
	}
	if o.RTCConfiguration != nil || o.RTCConfigurationFunc != nil {
		// The page fetches {src}/config per connection, so a function
		// can hand out fresh credentials each time.
		e.Attrs["rtc-config"] = "fetch"
	}
	if tc := o.TrackConstraints; tc != nil {
		c := map[string]any{}
		if tc.Width > 0 {
			c["width"] = map[string]int{"ideal": tc.Width}
		}
		if tc.Height > 0 {
			c["height"] = map[string]int{"ideal": tc.Height}
		}
		if tc.FrameRate > 0 {
			c["frameRate"] = map[string]float64{"ideal": tc.FrameRate}
		}
		if tc.FacingMode != "" {
			c["facingMode"] = tc.FacingMode
		}
		b, _ := json.Marshal(c)
		e.Attrs["track-constraints"] = string(b)
	}
	return e
}

// handlePage serves NewStream's page. URLs in it are relative, so the
// Stream works under any prefix.
func (s *Stream) handlePage(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	err := web.RenderPage(&b, web.Page{
		Title:       s.opts.Title,
		Description: s.opts.Description,
		AssetsURL:   "assets",
		Element:     s.element("webrtc", ""),
	})
	if err != nil {
		http.Error(w, "rendering the page failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(b.Bytes())
}

// favicon is a small camera icon, so browsers asking for one get it rather
// than a 404 in the console.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
	`<rect x="2" y="8" width="22" height="16" rx="3" fill="#2563eb"/>` +
	`<path d="M24 13l6-4v14l-6-4z" fill="#2563eb"/><circle cx="13" cy="16" r="4" fill="#fff"/></svg>`

func handleFavicon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write([]byte(favicon))
}
