package rtcstream

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/rtcstream/rtcstream/internal/uiext"
	"github.com/rtcstream/rtcstream/ui"
	"github.com/rtcstream/rtcstream/ui/web"
)

// element describes the stream's <rtc-stream> element: what the page
// needs to know before it connects. src is the signalling prefix, relative
// to the page.
func (s *Stream) element(src string) web.Element {
	o := s.opts
	e := web.Element{
		Src:              src,
		Mode:             s.mode.String(),
		Modality:         s.modality.String(),
		NoMirror:         o.NoMirror,
		ButtonStart:      o.ButtonLabels.Start,
		ButtonStop:       o.ButtonLabels.Stop,
		ButtonWaiting:    o.ButtonLabels.Waiting,
		ShowStats:        o.ShowStats,
		TimeLimit:        o.TimeLimit,
		ConcurrencyLimit: o.ConcurrencyLimit,
		// The page fetches {src}/config per connection, so a function
		// can hand out fresh credentials each time.
		FetchRTCConfig: o.RTCConfiguration != nil || o.RTCConfigurationFunc != nil,
		LiveKitToken:   o.LiveKit.TokenURL,
	}
	if tc := o.TrackConstraints; tc != nil {
		e.TrackConstraints = &web.TrackConstraints{Width: tc.Width, Height: tc.Height, FrameRate: tc.FrameRate, FacingMode: tc.FacingMode}
	}
	return e
}

// renderElement writes c, a stream component with id, as a Blocks page
// shows it: its label and the <rtc-stream> element e.
func renderElement(r *ui.Renderer, id string, c ui.Component, e web.Element) error {
	r.Module("rtc-stream.js")
	r.Stylesheet("rtc-stream.css")
	return r.Block(id, c, ui.Block{Kind: "webrtc", SizesItself: true}, func() error {
		r.Label(id, c, "")
		_, err := r.WriteString(string(e.HTML()))
		return err
	})
}

// pageCSS styles the heading of NewStream's page.
const pageCSS = `.stream-heading h1 { font-size: 1.6rem; margin: 0 0 8px; text-align: center; font-weight: 650; }
.stream-heading .description { text-align: center; margin: 0 0 8px; opacity: 0.75; }`

// mountPage serves NewStream's page on s.mux: a Blocks page (package ui)
// whose one component is the stream, under a heading of Options.Title and
// Options.Description. The Blocks serves the page at "/", the assets under
// "/assets/" and the stream's signalling under "/webrtc/"; URLs in the page
// are relative, so the Stream works under any prefix.
func (s *Stream) mountPage() error {
	o := s.opts
	page := ui.NewBlocks(&ui.BlocksOptions{
		Title:          o.Title,
		CSS:            pageCSS,
		Head:           `<link rel="icon" href="favicon.ico" type="image/svg+xml">`,
		Logger:         o.Logger,
		FrameAncestors: o.FrameAncestors,
	})
	if o.Title != "" || o.Description != "" {
		var h strings.Builder
		if o.Title != "" {
			h.WriteString("<h1>" + html.EscapeString(o.Title) + "</h1>")
		}
		if o.Description != "" {
			h.WriteString(`<p class="description">` + html.EscapeString(o.Description) + "</p>")
		}
		page.Add(&ui.HTML{Props: ui.Props{ElemClasses: []string{"stream-heading"}}, Value: h.String()})
	}
	ps := &pageStream{s: s}
	uiext.Attach(&ps.props, ps)
	page.Add(ps)
	if err := page.Build(); err != nil {
		return fmt.Errorf("rtcstream: building the page: %w", err)
	}
	s.mux.Handle("/", page)
	s.mux.HandleFunc("GET /favicon.ico", handleFavicon)
	return nil
}

// pageStream is the stream as the one component of its own page. Unlike a
// WebRTC component it links nothing: NewStream's handler has no extra
// inputs or outputs, and a WebRTC component's stream keeps the ids its
// Blocks page gave it.
type pageStream struct {
	s     *Stream
	props ui.Props
}

func (c *pageStream) Common() *ui.Props { return &c.props }

// InteractiveByDefault: a person starts and stops the stream.
func (c *pageStream) InteractiveByDefault() bool { return true }

func (c *pageStream) Link(uiext.Links) error { return nil }

// ConnectSources: the LiveKit server the page joins, if it does.
func (c *pageStream) ConnectSources() []string { return c.s.opts.LiveKit.connectSources() }

func (c *pageStream) Mount(mux *http.ServeMux, prefix string) { c.s.eng.Mount(mux, prefix) }

func (c *pageStream) Render(r *ui.Renderer, id string) error {
	src, ok := r.MountURL(c)
	if !ok {
		return errors.New("rtcstream: the stream was not mounted")
	}
	return renderElement(r, id, c, c.s.element(src))
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
