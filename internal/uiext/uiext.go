// Package uiext is how the stream component (the root package's WebRTC)
// takes part in building a ui Blocks page: it links to the components its
// handler reads and sets, serves routes of its own, and decides its own
// interactivity. No other component does, so these hooks are kept off
// package ui's public API: the component attaches an Extension to its
// ui.Props with Attach, and the page finds it there.
package uiext

import "net/http"

// Extension is a component's part in building its page.
type Extension interface {
	// Link resolves the component's references to other components of
	// the page. It is called once, after every component has its id and
	// before any Mount; an error fails the build, naming the component.
	Link(l Links) error
	// Mount serves the component's routes under prefix ("/webrtc" for
	// the first such component on a page, "/webrtc/{id}" for others).
	Mount(mux *http.ServeMux, prefix string)
	// InteractiveByDefault decides the component's interactivity under
	// ui.InteractiveAuto, where the page's use of it would guess wrong.
	InteractiveByDefault() bool
}

// ConnectSources is an Extension that makes the page connect elsewhere
// than its own origin (the stream joining a LiveKit server): the page's
// default Content-Security-Policy lets it connect to these sources too.
type ConnectSources interface {
	// ConnectSources lists CSP source expressions ("wss://lk.example.com").
	ConnectSources() []string
}

// Links gives a Link call the ids of the page's components; c is a
// ui.Component. It is valid only during the call.
type Links interface {
	// ID returns the id of c on the page.
	ID(c any) (string, error)
	// UseInput declares that the component reads c's value (c must be a
	// ui.Input) and returns its id.
	UseInput(c any) (string, error)
	// UseOutput declares that the component sets c's value (c must be a
	// ui.Output) and returns its id.
	UseOutput(c any) (string, error)
}

// Attach makes e the extension of the component whose Common method
// returns props, a *ui.Props. Package ui sets it when it is loaded.
var Attach func(props any, e Extension)
