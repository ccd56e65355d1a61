package client

import (
	"errors"
	"strings"
)

// Errors a Conn reports.
var (
	// ErrConnectionFailed: ICE or DTLS failed while connecting (no
	// candidate pair worked, or the handshake broke off).
	ErrConnectionFailed = errors.New("rtcstream client: connection failed")
	// ErrClosed: the connection closed or failed, by either side.
	ErrClosed = errors.New("rtcstream client: connection closed")
)

// Stage is a step of Dial, named by DialError.
type Stage int

// The steps of Dial, in order.
const (
	StageUnknown Stage = iota
	StageSetup         // building the local peer connection and encoder
	StageConfig        // getting the server's RTC configuration (ICE servers)
	StageGather        // gathering local ICE candidates
	StageQueue         // waiting in the server's line (Options.Queue)
	StageOffer         // posting the offer and applying the answer
	StageConnect       // ICE and DTLS connecting
	StageControl       // opening the control data channel
)

func (s Stage) String() string {
	switch s {
	case StageSetup:
		return "setup"
	case StageConfig:
		return "RTC configuration"
	case StageGather:
		return "ICE gathering"
	case StageQueue:
		return "queue"
	case StageOffer:
		return "offer"
	case StageConnect:
		return "ICE/DTLS connect"
	case StageControl:
		return "control channel"
	}
	return "unknown"
}

// DialError is a failed Dial: the step that failed and why. Err may be an
// *Error (the server refused the offer), ctx.Err(), ErrConnectionFailed,
// or a network error from the signalling request.
type DialError struct {
	Stage Stage
	Err   error
}

func (e *DialError) Error() string {
	return "rtcstream client: dial: " + e.Stage.String() + ": " + strings.TrimPrefix(e.Err.Error(), "rtcstream client: ")
}

func (e *DialError) Unwrap() error { return e.Err }
