// Package httpjson writes the JSON replies of rtcstream's HTTP routes: a
// Stream's signalling routes (/webrtc/offer, /webrtc/stop, /webrtc/queue,
// /webrtc/config) and a ui page's routes (/ui/value/{id}, /ui/click/{id}).
// Both speak one format:
//
//   - Every reply is one JSON value and a newline, with the headers
//     Content-Type: application/json and Cache-Control: no-store.
//   - A failure has a real HTTP status, never 200, and the body
//     {"error": code, "message": text}. The code is a short snake_case
//     identifier that clients may switch on and that stays the same; the
//     message is a sentence for a person and may change.
//   - A 503 Service Unavailable failure also has Retry-After: 5 (seconds).
//   - A value that can't be encoded as JSON is answered with
//     500 {"error": "internal", ...}, never with a cut-off body.
//
// The signalling routes' success replies are fastrtc's wire format (see
// signalling.go); their failures are this package's, where fastrtc's are not.
package httpjson

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// retryAfterSeconds is the Retry-After of every 503 reply.
const retryAfterSeconds = 5

// errorBody is the body of every failure.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Write answers with status and v as JSON.
func Write(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(errorBody{Error: "internal", Message: "encoding the reply failed: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// WriteError answers with a failure: status (4xx or 5xx) and the body
// {"error": code, "message": message}. A 503 also gets Retry-After.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	Write(w, status, errorBody{Error: code, Message: message})
}
