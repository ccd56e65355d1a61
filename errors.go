package rtcstream

import (
	"errors"
	"fmt"

	"github.com/rtcstream/rtcstream/internal/bind"
)

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

// bindError reports a binding failure under ErrBadHandler or
// ErrUnsupported.
func bindError(err error) error {
	var be *bind.Error
	if !errors.As(err, &be) {
		return err
	}
	if be.Unsupported {
		return fmt.Errorf("%w: %s", ErrUnsupported, be.Msg)
	}
	return fmt.Errorf("%w: %s", ErrBadHandler, be.Msg)
}
