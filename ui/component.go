// Package ui lays out rtcstream pages the way Gradio's Blocks does: a page
// of HTML, Markdown, rows, columns and groups holding input and output
// components, rendered on the server and brought to life by a small
// embedded JavaScript runtime (no npm, no bundler).
//
// The WebRTC component itself lives in the root rtcstream package; it is a
// Component like any other, placed with Layout.Add.
//
// A page is a Blocks; containers take a func, as Python's `with` does:
//
//	demo := ui.NewBlocks(&ui.BlocksOptions{CSS: css, Title: "Webcam"})
//	demo.Add(&ui.HTML{Value: "<h1>Webcam</h1>"})
//	demo.Column(ui.Props{ElemClasses: []string{"my-column"}}, func(col *ui.Layout) {
//		col.Group(ui.Props{}, func(g *ui.Layout) {
//			g.Add(image, &ui.Slider{Props: ui.Props{Label: "Threshold"}, Maximum: 1, Step: 0.05})
//		})
//	})
//	log.Fatal(rtcstream.NewHTTPServer(":7860", demo).ListenAndServe())
//
// Every component embeds Props, Gradio's common parameters with Go zero
// values for Gradio's defaults, and has a typed Value. Inputs (Slider,
// Number, Checkbox, Dropdown, Radio, Textbox, Button) decode what the page
// sends; outputs (those, and Label, JSON, Chatbot, HTML, Markdown) encode
// what Go sets. Props.ValueFunc computes a value on page load, every
// Props.Every, and when one of Props.Inputs changes.
//
// In the page, assets/blocks.js holds the components' values, sends a
// stream's inputs over its <rtc-stream> data channel and shows its outputs;
// see that file for the message formats.
package ui

import (
	"encoding/json"
	"reflect"
)

// Component is anything placed on a page. Components outside this package
// (rtcstream.WebRTC) implement it too.
type Component interface {
	// Common returns the component's common properties (label, visibility,
	// classes, ...). It never returns nil.
	Common() *Props
	// Render writes the component's HTML. id is the component's unique,
	// stable identifier on the page; the root element must carry
	// data-component="<id>" so the runtime can find it.
	Render(r *Renderer, id string) error
}

// Input is a component whose value the page sends to the server: sliders,
// checkboxes, textboxes and the like. A stream handler's extra parameters
// are bound to Inputs.
type Input interface {
	Component
	// ValueType is the Go type of the value (float64 for a Slider, bool for
	// a Checkbox, ...). Handlers bind parameters of this type, or of a type
	// it converts to (a Slider's float64 to int, for example).
	ValueType() reflect.Type
	// Decode checks and converts a value sent by the page. A value out of
	// range or of the wrong type is an error naming the component.
	Decode(raw json.RawMessage) (any, error)
	// Initial is the value the page starts with.
	Initial() any
}

// Output is a component whose value the server can set: a Textbox, Label,
// JSON, chat transcript, or an input used as an output.
type Output interface {
	Component
	// Encode turns a value a handler returned into what the page shows. A
	// value of the wrong type is an error naming the component.
	Encode(v any) (json.RawMessage, error)
}
