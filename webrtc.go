package rtcstream

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream/internal/bind"
	"github.com/rtcstream/rtcstream/internal/uiext"
	"github.com/rtcstream/rtcstream/ui"
)

// WebRTC is the stream component of a Blocks page (package ui), the
// counterpart of gradio_webrtc's WebRTC: place it with Layout.Add, give it
// a handler with Stream, and serve the Blocks.
//
//	image := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Props: ui.Props{Label: "Stream"}})
//	conf := &ui.Slider{Props: ui.Props{Label: "Confidence Threshold"}, Maximum: 1, Step: 0.05, Value: 0.3}
//	g.Add(image, conf)
//	err := image.Stream(detection, rtcstream.StreamEvent{
//		Inputs:  []ui.Component{image, conf},
//		Outputs: []ui.Component{image},
//	})
//
// Its methods are safe for concurrent use.
type WebRTC struct {
	opts WebRTCOptions

	mu      sync.Mutex
	stream  *Stream
	event   StreamEvent
	trigger string   // the trigger's component id, once linked
	inputs  []string // the extra inputs' component ids
}

// WebRTCOptions configure a WebRTC component. The zero value is a
// send-receive video stream with the defaults of Options.
type WebRTCOptions struct {
	// Props are the common component parameters: label, height, width,
	// visibility, classes, ...
	ui.Props
	// Modality is Video (the default).
	Modality Modality
	// Mode is SendReceive (the default), Receive or Send.
	Mode Mode
	// Options configure the stream: mirroring, RTC configuration, time
	// limit, session limit, track constraints, button labels, network.
	// Title and Description belong to NewStream's page and are ignored.
	Options
}

// StreamEvent says what a WebRTC component's handler reads and returns,
// like gradio's stream event.
type StreamEvent struct {
	// Inputs feed the handler's parameters, in order: the WebRTC component
	// itself stands for the incoming frame, other components (ui.Input)
	// for their current values, which the page sends as they change. A
	// receive-mode handler has no frame parameter.
	Inputs []ui.Component
	// Outputs take the handler's results, in order: the WebRTC component
	// itself for the returned frame, other components (ui.Output) for
	// additional outputs shown in the page. A trailing error result is
	// allowed beyond them.
	//
	// Audio frames are media.AudioFrame. An audio stream function
	// (ctx, in, out, then one parameter per extra input) returns only an
	// error: its outputs go through Session.Output. Handlers of a fixed
	// signature (an AudioStreamFunc such as voice.ReplyOnPause's, an
	// AudioVideoHandler) take any Inputs and Outputs, and read and send
	// them through their Session (Input, Output).
	Outputs []ui.Component
	// TimeLimit ends each session after this long. Zero keeps the
	// component's Options.TimeLimit (gradio_webrtc silently replaced it).
	TimeLimit time.Duration
	// ConcurrencyLimit caps concurrent sessions; later users wait in line
	// with their place shown. Zero keeps Options.ConcurrencyLimit (default:
	// a cap from the machine's cores).
	ConcurrencyLimit int
	// Trigger, for a receive-mode stream, is a component (a ui.Button)
	// whose click starts the stream. Default: the component's own Start
	// button.
	Trigger ui.Component
}

// NewWebRTC returns a WebRTC component; nil options mean a send-receive
// video stream with the defaults. Give it a handler with Stream before the
// page is served.
func NewWebRTC(o *WebRTCOptions) *WebRTC {
	var opts WebRTCOptions
	if o != nil {
		opts = *o
	}
	if opts.Modality == modalityUnset {
		opts.Modality = Video
	}
	if opts.Mode == modeUnset {
		opts.Mode = SendReceive
	}
	w := &WebRTC{opts: opts}
	uiext.Attach(&w.opts.Props, webrtcExt{w})
	return w
}

// Stream sets the component's handler: fn runs on every frame (or, in
// receive mode, generates frames) with ev's inputs and outputs. fn is
// checked against them now: a mismatch is an error naming the parameter.
// Stream may be called once.
func (w *WebRTC) Stream(fn any, ev StreamEvent) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stream != nil {
		return errors.New("rtcstream: Stream was already called on this component")
	}
	if w.opts.Title != "" || w.opts.Description != "" {
		return errors.New("rtcstream: Options.Title and Description title NewStream's own page; on a Blocks page, add a ui.Markdown heading instead")
	}
	o := w.opts.Options.withDefaults()
	if ev.TimeLimit > 0 {
		o.TimeLimit = ev.TimeLimit
	}
	if ev.ConcurrencyLimit > 0 {
		o.ConcurrencyLimit = ev.ConcurrencyLimit
	}
	s, err := newStream(w.opts.Modality, w.opts.Mode, bind.Spec{Fn: fn, Self: w, Inputs: ev.Inputs, Outputs: ev.Outputs}, o)
	if err != nil {
		return err
	}
	w.stream, w.event = s, ev
	return nil
}

// Server returns the stream behind the component (nil before Stream),
// for its session counts, Tick and Close.
func (w *WebRTC) Server() *Stream {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stream
}

// Tick asks every connected page to send its inputs again (gradio_webrtc's
// tick event); see Stream.Tick.
func (w *WebRTC) Tick() {
	if s := w.Server(); s != nil {
		s.Tick()
	}
}

// Close ends the component's sessions; see Stream.Close.
func (w *WebRTC) Close() error {
	if s := w.Server(); s != nil {
		return s.Close()
	}
	return nil
}

// Common returns the component's common properties.
func (w *WebRTC) Common() *ui.Props { return &w.opts.Props }

// webrtcExt is the component's part in building its page (package
// internal/uiext).
type webrtcExt struct{ w *WebRTC }

// InteractiveByDefault: a person starts and stops the stream (and may pick
// a camera) unless it is a receive-mode stream that a Trigger starts.
func (e webrtcExt) InteractiveByDefault() bool {
	w := e.w
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.opts.Mode != Receive || w.trigger == ""
}

// Link resolves the handler's inputs and outputs, and the trigger, to the
// page's component ids.
func (e webrtcExt) Link(l uiext.Links) error {
	w := e.w
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stream == nil {
		return errors.New("rtcstream: the WebRTC component has no handler; call its Stream method before serving the page")
	}
	ids, err := w.stream.bind.Link(l)
	if err != nil {
		return err
	}
	if t := w.event.Trigger; t != nil {
		if w.opts.Mode != Receive {
			return errors.New("rtcstream: a Trigger starts receive-mode streams only")
		}
		id, err := l.ID(t)
		if err != nil {
			return fmt.Errorf("trigger: %w", err)
		}
		w.trigger = id
	}
	w.inputs = ids
	return nil
}

// Mount serves the signalling routes under prefix.
func (e webrtcExt) Mount(mux *http.ServeMux, prefix string) {
	if s := e.w.Server(); s != nil {
		s.eng.Mount(mux, prefix)
	}
}

// ConnectSources: the LiveKit server the page joins, if it does.
func (e webrtcExt) ConnectSources() []string { return e.w.opts.Options.LiveKit.connectSources() }

// Render writes the component: its label and the <rtc-stream> element.
func (w *WebRTC) Render(r *ui.Renderer, id string) error {
	s := w.Server()
	if s == nil {
		return errors.New("rtcstream: the WebRTC component has no handler; call its Stream method")
	}
	src, ok := r.MountURL(w)
	if !ok {
		return errors.New("rtcstream: the WebRTC component was not mounted")
	}
	e := s.element(src)
	p := w.opts.Props
	// Height and width size the video area (gradio: "will affect the
	// displayed video"), not the whole component.
	e.Width, e.Height = p.Width, p.Height
	w.mu.Lock()
	e.Inputs = w.inputs
	e.Trigger = w.trigger
	w.mu.Unlock()
	// Display only: no Start button or camera controls; the stream starts
	// from its Trigger or the page's script.
	e.NonInteractive = !r.Interactive(w)
	return renderElement(r, id, w, e)
}
