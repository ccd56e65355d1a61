package vad

import (
	"fmt"
	"time"
)

// EventType says what a PauseDetector decided.
type EventType int

const (
	// EventUnknown is the zero EventType; no event has it.
	EventUnknown EventType = iota

	// StartedTalking: the speaker began a turn. It comes once the turn has
	// MinSpeech of speech, so coughs and clicks do not make one.
	StartedTalking

	// PauseDetected: the turn ended; the event carries its audio. It is
	// the moment to call the reply generator. Every PauseDetected follows
	// a StartedTalking.
	PauseDetected

	// BargeIn: the speaker talked over a reply (between ReplyStarted and
	// ReplyEnded) for Options.BargeIn. Cancel the reply generator and drop
	// the audio queued for playback. It may come before the StartedTalking
	// of the turn that interrupts.
	BargeIn
)

func (t EventType) String() string {
	switch t {
	case StartedTalking:
		return "StartedTalking"
	case PauseDetected:
		return "PauseDetected"
	case BargeIn:
		return "BargeIn"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// EndReason says why a turn ended.
type EndReason int

const (
	// EndUnknown is the zero EndReason, the reason of events other than
	// PauseDetected.
	EndUnknown EndReason = iota

	// EndPause: the speaker was silent for Options.Pause.
	EndPause

	// EndMaxSpeech: the turn reached Options.MaxSpeech. If the speaker was
	// still talking, a new turn starts at once (with a StartedTalking at the
	// same time) and carries on from the first sample after this one.
	EndMaxSpeech

	// EndFlush: the caller ended the turn with Flush.
	EndFlush
)

func (r EndReason) String() string {
	switch r {
	case EndPause:
		return "pause"
	case EndMaxSpeech:
		return "max speech"
	case EndFlush:
		return "flush"
	}
	return fmt.Sprintf("EndReason(%d)", int(r))
}

// Event is a decision of a PauseDetector. Times are on the stream's clock:
// the timestamps given to Process, advanced by the samples received.
type Event struct {
	Type EventType

	// At is when the decision was made: the end of the window that decided
	// it (for Flush, the end of the audio received so far). The time from
	// the end of the speech to a PauseDetected is At - End.
	At time.Duration

	// Start is the start of the turn's first speech window.
	Start time.Duration

	// End is the end of the turn's last speech window (PauseDetected only;
	// for a turn cut at MaxSpeech while the speaker talks, the cut).
	End time.Duration

	// Reason says why the turn ended (PauseDetected only).
	Reason EndReason

	// Audio is the turn at SampleRate (PauseDetected only): from Padding
	// before Start to Padding after End, cut to the audio received (and,
	// after a cut at MaxSpeech, to the cut). It is a new slice that belongs
	// to the caller.
	Audio []float32

	// AudioStart is the time of Audio[0].
	AudioStart time.Duration
}

// Duration is the length of the turn's speech, End - Start, without the
// padding. It is zero for events other than PauseDetected.
func (e Event) Duration() time.Duration {
	if e.Type != PauseDetected {
		return 0
	}
	return e.End - e.Start
}

func (e Event) String() string {
	switch e.Type {
	case PauseDetected:
		return fmt.Sprintf("%v at %v: speech %v-%v (%v, %s), %d samples of audio",
			e.Type, e.At, e.Start, e.End, e.Duration(), e.Reason, len(e.Audio))
	case StartedTalking, BargeIn:
		return fmt.Sprintf("%v at %v: speech from %v", e.Type, e.At, e.Start)
	}
	return e.Type.String()
}
