package rtcstream

import (
	"time"

	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// Observer is told what a Stream's sessions do, for metrics: package
// metrics turns it into Prometheus metrics, and any other sink can
// implement it. One Observer may serve several Streams. Its methods are
// called on the frame and audio paths of every session: they must be
// cheap, must not block, and must be safe for concurrent use.
type Observer interface {
	// FrameStage reports the time one video frame spent in one stage.
	FrameStage(s Stage, d time.Duration)
	// FrameDropped reports a video frame thrown away.
	FrameDropped(reason FrameDrop)
	// VideoBytes counts encoded video received (in) and sent (out).
	VideoBytes(in bool, n int)
	// AudioQueued reports, at each 20 ms audio packet sent, the audio
	// left waiting behind it: the delay the output queue adds.
	AudioQueued(d time.Duration)
	// AudioDropped reports queued audio dropped before it was sent.
	AudioDropped(reason AudioDrop, d time.Duration)
	// SessionStarted and SessionEnded bracket a session that held
	// resources; reason is why it ended, in words.
	SessionStarted()
	SessionEnded(reason string)
	// LineChanged reports clients joining (delta > 0) or leaving
	// (delta < 0) a waiting line.
	LineChanged(delta int)
	// HandlerFailed reports a handler call that returned an error or
	// panicked.
	HandlerFailed()
	// RTT reports a session's round-trip time, sampled every 2 s.
	RTT(d time.Duration)
}

// TurnObserver is an Observer that is also told of each turn of a
// conversation, as a turn-taking handler reports it with
// Session.ReportTurn (voice.ReplyOnPause does). Package metrics implements
// it.
type TurnObserver interface {
	Observer
	Turn(t Turn)
}

// Turn is one turn of a conversation: the user spoke, paused, and the
// reply began.
type Turn struct {
	// Detector names the voice activity detector: "silero", "energy", or
	// another's type.
	Detector string
	// Utterance is the length of the audio the reply got, its padding
	// included.
	Utterance time.Duration
	// EndOfTurn runs from the end of the speech to the turn's end (the
	// pause detected): the pause, plus up to a detector window.
	EndOfTurn time.Duration
	// FirstReply runs from the end of the speech to the reply's first
	// audio queued to be played: EndOfTurn plus the reply's own start (a
	// transcription, a model's first sentence, speech). The caller hears
	// it a network trip and a jitter buffer later.
	FirstReply time.Duration
}

// Stage is a step of a video frame's path through the server.
type Stage int

const (
	// StageAssemble runs from a frame's first packet arriving to its last
	// (network spread, and retransmission when a packet was lost).
	StageAssemble Stage = iota
	// StageDecode decodes the frame.
	StageDecode
	// StageWait is the time a decoded frame waits for the handler in the
	// latest-frame slot.
	StageWait
	// StageHandler runs the handler.
	StageHandler
	// StageEncode encodes the handler's frame.
	StageEncode
	// StageSend packetizes a frame and writes its packets.
	StageSend
	// StageTotal runs from a frame's first packet in to its last packet
	// out: the server's share of the latency.
	StageTotal
	numStages
)

// Stages lists every Stage, in the frame's order.
func Stages() []Stage { return upTo(numStages) }

func (s Stage) String() string { return pipeline.Stage(s).String() }

// FrameDrop is why a video frame was thrown away.
type FrameDrop int

const (
	// DropStale: a newer frame replaced it before the handler was free
	// (the handler is slower than the camera).
	DropStale FrameDrop = iota
	// DropLost: a packet of it stayed missing.
	DropLost
	// DropWaitingForKeyFrame: an earlier loss broke its references.
	DropWaitingForKeyFrame
	// DropDecodeError: the decoder refused it.
	DropDecodeError
	// DropEncoder: the encoder's rate control skipped it.
	DropEncoder
	// DropTooLarge: its keyframe declared a size over
	// Options.MaxFrameSize, or it referenced such a keyframe; it was not
	// decoded.
	DropTooLarge
	// DropOverload: it was decoded but not handled, because the machine's
	// CPUs were saturated: every session hands the same share of its
	// frames to its handler until they are not (Options.FullFrameRate).
	DropOverload
	numFrameDrops
)

// FrameDrops lists every FrameDrop.
func FrameDrops() []FrameDrop { return upTo(numFrameDrops) }

func (d FrameDrop) String() string { return pipeline.Drop(d).String() }

// AudioDrop is why queued audio was dropped before it was sent.
type AudioDrop int

const (
	// AudioDropLatency: live audio stood in the output queue, and was
	// dropped to keep the delay bounded.
	AudioDropLatency AudioDrop = iota
	// AudioDropFlush: Session.FlushAudio dropped it (barge-in).
	AudioDropFlush
	numAudioDrops
)

// AudioDrops lists every AudioDrop.
func AudioDrops() []AudioDrop { return upTo(numAudioDrops) }

// upTo lists an enum's values, 0 to n-1.
func upTo[T ~int](n T) []T {
	all := make([]T, n)
	for i := range all {
		all[i] = T(i)
	}
	return all
}

func (d AudioDrop) String() string { return pipeline.AudioDrop(d).String() }

// The public enums are the pipeline's, in the same order.
var (
	_ [0]struct{} = [numStages - Stage(pipeline.NumStages)]struct{}{}
	_ [0]struct{} = [numFrameDrops - FrameDrop(pipeline.NumDrops)]struct{}{}
	_ [0]struct{} = [numAudioDrops - AudioDrop(pipeline.NumAudioDrops)]struct{}{}
)

// engineObserver tells an Observer what the engine reports.
type engineObserver struct{ o Observer }

func (e engineObserver) Stage(s pipeline.Stage, d time.Duration) { e.o.FrameStage(Stage(s), d) }
func (e engineObserver) Drop(d pipeline.Drop)                    { e.o.FrameDropped(FrameDrop(d)) }
func (e engineObserver) Bytes(in bool, n int)                    { e.o.VideoBytes(in, n) }
func (e engineObserver) AudioQueued(d time.Duration)             { e.o.AudioQueued(d) }
func (e engineObserver) AudioDropped(r pipeline.AudioDrop, d time.Duration) {
	e.o.AudioDropped(AudioDrop(r), d)
}
func (e engineObserver) SessionStarted()            { e.o.SessionStarted() }
func (e engineObserver) SessionEnded(reason string) { e.o.SessionEnded(reason) }
func (e engineObserver) LineChanged(delta int)      { e.o.LineChanged(delta) }
func (e engineObserver) HandlerFailed()             { e.o.HandlerFailed() }
func (e engineObserver) RTT(d time.Duration)        { e.o.RTT(d) }
