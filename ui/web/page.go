package web

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strings"
)

//go:embed templates/page.html
var templates embed.FS

var pageTemplate = template.Must(template.ParseFS(templates, "templates/page.html"))

// Page is a minimal HTML page holding one <rtc-stream> element. The zero
// value is a valid page.
type Page struct {
	// Title is the document title and the heading. Default: no heading and
	// the title "rtcstream".
	Title string

	// Description is a line of text under the heading. Default: none.
	Description string

	// AssetsURL is the URL, absolute or relative to the page, where Assets
	// is served, without a trailing slash. Default: "assets".
	AssetsURL string

	// Element configures the element.
	Element Element
}

// Element holds the attributes of one <rtc-stream> element. The zero value
// is the element with its defaults: send-receive video, signalling at
// "webrtc", mirrored preview.
type Element struct {
	// Src is the signalling base URL, relative to the page. Default: "webrtc".
	Src string
	// Mode is "send-receive" or "receive". Default: "send-receive".
	Mode string
	// Modality is "video", "audio" or "audio-video". Default: "video".
	Modality string
	// NoMirror turns off mirroring of the local webcam preview
	// (mirror-webcam="false"). Default: mirrored.
	NoMirror bool
	// Label is shown above the videos. Default: none.
	Label string
	// Width and Height are CSS sizes of the video area; a bare number means
	// pixels. Default: the width of the page, 4:3 videos.
	Width, Height string
	// ButtonStart and ButtonStop label the start/stop button. Default:
	// "Start" and "Stop".
	ButtonStart, ButtonStop string
	// Attrs are extra attributes, for attributes this struct does not know
	// yet. Names must be lower case letters, digits and hyphens; others are
	// dropped, and so are names a field above already set. Values are
	// escaped.
	Attrs map[string]string
}

// HTML returns the element's markup, with every value escaped, for use in
// other html/template pages.
func (e Element) HTML() template.HTML {
	var b strings.Builder
	b.WriteString("<rtc-stream")
	written := make(map[string]bool)
	attr := func(name, value string) {
		if value == "" || !validAttrName(name) || written[name] {
			return
		}
		written[name] = true
		fmt.Fprintf(&b, ` %s="%s"`, name, template.HTMLEscapeString(value))
	}
	attr("src", e.Src)
	attr("mode", e.Mode)
	attr("modality", e.Modality)
	if e.NoMirror {
		attr("mirror-webcam", "false")
	}
	attr("label", e.Label)
	attr("width", e.Width)
	attr("height", e.Height)
	attr("button-start", e.ButtonStart)
	attr("button-stop", e.ButtonStop)
	names := make([]string, 0, len(e.Attrs))
	for name := range e.Attrs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		attr(name, e.Attrs[name])
	}
	b.WriteString("></rtc-stream>")
	return template.HTML(b.String())
}

// validAttrName reports whether name is a safe attribute name: lower case
// ASCII letters, digits and hyphens, starting with a letter.
func validAttrName(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// RenderPage writes p as a complete HTML document. It returns the writer's
// error, if any.
func RenderPage(w io.Writer, p Page) error {
	if p.AssetsURL == "" {
		p.AssetsURL = "assets"
	}
	// "/" becomes "", so the page loads "/rtc-stream.js".
	p.AssetsURL = strings.TrimRight(p.AssetsURL, "/")
	data := struct {
		Page
		DocTitle string
	}{Page: p, DocTitle: p.Title}
	if data.DocTitle == "" {
		data.DocTitle = "rtcstream"
	}
	return pageTemplate.Execute(w, data)
}
