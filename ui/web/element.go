package web

import (
	"encoding/json"
	"html/template"
	"strconv"
	"strings"
	"time"
)

// Element describes one <rtc-stream> element: every attribute the Go side
// sets. The zero value is the element with its defaults: send-receive
// video, signalling at "webrtc", mirrored preview, interactive.
type Element struct {
	// Src is the signalling base URL, relative to the page. Default: "webrtc".
	Src string
	// Mode is "send-receive", "receive" or "send". Default: "send-receive".
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
	// ButtonStart, ButtonStop and ButtonWaiting label the start/stop
	// button. Default: "Start", "Stop" and "Waiting".
	ButtonStart, ButtonStop, ButtonWaiting string
	// ShowStats shows the connection's statistics over the output while
	// streaming. Default: hidden.
	ShowStats bool
	// TimeLimit is the session's time limit, counted down on the page
	// (time-limit, in seconds). Default: none.
	TimeLimit time.Duration
	// ConcurrencyLimit is the server's session limit; when set, the page
	// waits in line for a session rather than failing. Default: none.
	ConcurrencyLimit int
	// FetchRTCConfig makes the page fetch its RTCConfiguration from
	// {src}/config before each connection (rtc-config="fetch"). Default:
	// the browser's.
	FetchRTCConfig bool
	// LiveKitToken is the URL of the page's LiveKit token endpoint
	// (livekit-token): the stream joins a LiveKit room instead of Src.
	// Default: none.
	LiveKitToken string
	// TrackConstraints ask the camera for a size, frame rate or facing
	// mode. Default (nil): the browser's.
	TrackConstraints *TrackConstraints
	// Inputs are the ids of the page components whose values the page
	// sends over the stream's data channel. Default: none.
	Inputs []string
	// Trigger is the id of the page component (a button) whose click
	// starts the stream. Default: none.
	Trigger string
	// NonInteractive hides the start button and camera controls
	// (interactive="false"): the stream starts from its Trigger or a
	// script. Default: interactive.
	NonInteractive bool
	// Icon is the audio visualisation: "pulse", or "" for level bars.
	Icon string
}

// TrackConstraints are the camera constraints of an Element, each an ideal
// the browser tries to meet. Zero values are left out.
type TrackConstraints struct {
	Width, Height int
	FrameRate     float64
	// FacingMode is "user" or "environment".
	FacingMode string
}

// json is the MediaTrackConstraints object the element reads.
func (c *TrackConstraints) json() string {
	m := map[string]any{}
	if c.Width > 0 {
		m["width"] = map[string]int{"ideal": c.Width}
	}
	if c.Height > 0 {
		m["height"] = map[string]int{"ideal": c.Height}
	}
	if c.FrameRate > 0 {
		m["frameRate"] = map[string]float64{"ideal": c.FrameRate}
	}
	if c.FacingMode != "" {
		m["facingMode"] = c.FacingMode
	}
	b, _ := json.Marshal(m) // maps of strings and numbers always marshal
	return string(b)
}

// HTML returns the element's markup: the attributes in a fixed order,
// empty ones left out, every value escaped.
func (e Element) HTML() template.HTML {
	var b strings.Builder
	b.WriteString("<rtc-stream")
	attr := func(name, value string) {
		if value == "" {
			return
		}
		b.WriteString(" " + name + `="` + template.HTMLEscapeString(value) + `"`)
	}
	flag := func(name string, on bool, value string) {
		if on {
			attr(name, value)
		}
	}
	attr("src", e.Src)
	attr("mode", e.Mode)
	attr("modality", e.Modality)
	flag("mirror-webcam", e.NoMirror, "false")
	attr("label", e.Label)
	attr("width", e.Width)
	attr("height", e.Height)
	attr("button-start", e.ButtonStart)
	attr("button-stop", e.ButtonStop)
	attr("button-waiting", e.ButtonWaiting)
	flag("show-stats", e.ShowStats, "true")
	if e.TimeLimit > 0 {
		attr("time-limit", strconv.FormatFloat(e.TimeLimit.Seconds(), 'f', -1, 64))
	}
	if e.ConcurrencyLimit > 0 {
		attr("concurrency-limit", strconv.Itoa(e.ConcurrencyLimit))
	}
	flag("rtc-config", e.FetchRTCConfig, "fetch")
	attr("livekit-token", e.LiveKitToken)
	if e.TrackConstraints != nil {
		attr("track-constraints", e.TrackConstraints.json())
	}
	attr("inputs", strings.Join(e.Inputs, " "))
	attr("trigger", e.Trigger)
	flag("interactive", e.NonInteractive, "false")
	attr("icon", e.Icon)
	b.WriteString("></rtc-stream>")
	return template.HTML(b.String())
}
