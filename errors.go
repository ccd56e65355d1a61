package rtcstream

import "errors"

// Errors a Stream reports. HTTP clients see them as a status and a JSON
// body {"error": code, "message": text}; see the signalling routes on Stream.
var (
	// ErrBadHandler: the handler's type is not one rtcstream can call.
	ErrBadHandler = errors.New("rtcstream: unsupported handler")
	// ErrUnsupported: the modality and mode combination is not available.
	ErrUnsupported = errors.New("rtcstream: unsupported modality or mode")
	// ErrClosed: the Stream was closed, or the session has ended.
	ErrClosed = errors.New("rtcstream: closed")
)

// apiError is a failure of a signalling request, as the client sees it.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }
