package rtcstream

import "fmt"

// Modality is the kind of media a Stream carries.
type Modality int

const (
	modalityUnset Modality = iota // the zero value: the default, where one is allowed
	Video                         // camera video, VP8 or H.264 on the wire
	Audio                         // microphone audio, Opus on the wire
	// AudioVideo: camera and microphone on one connection, one handler
	// seeing both (an AudioVideoHandler).
	AudioVideo
)

func (m Modality) String() string {
	switch m {
	case Video:
		return "video"
	case Audio:
		return "audio"
	case AudioVideo:
		return "audio-video"
	}
	return fmt.Sprintf("Modality(%d)", int(m))
}

// Mode says which way media flows between the browser and the handler.
type Mode int

const (
	modeUnset Mode = iota // the zero value: the default, where one is allowed
	// SendReceive: the browser sends its camera or microphone, the handler
	// transforms each frame, and the result streams back.
	SendReceive
	// Receive: the handler generates media and the browser only receives.
	Receive
	// Send: the browser sends media and the handler only consumes it.
	Send
)

func (m Mode) String() string {
	switch m {
	case SendReceive:
		return "send-receive"
	case Receive:
		return "receive"
	case Send:
		return "send"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// ErrorPolicy says what a session does when its handler returns an error or
// panics. The browser is told of the error either way.
type ErrorPolicy int

const (
	// ContinueOnError sends the input frame on unprocessed and keeps the
	// session going, so the video never freezes. The default.
	ContinueOnError ErrorPolicy = iota
	// EndOnError ends the session.
	EndOnError
)

func (p ErrorPolicy) String() string {
	switch p {
	case ContinueOnError:
		return "continue"
	case EndOnError:
		return "end"
	}
	return fmt.Sprintf("ErrorPolicy(%d)", int(p))
}
