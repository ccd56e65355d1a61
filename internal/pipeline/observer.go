package pipeline

import "time"

// Stage is a step of the frame path whose duration is observed.
type Stage int

const (
	// StageAssemble runs from a frame's first packet arriving to its last
	// (network spread, and NACK recovery when a packet was lost).
	StageAssemble Stage = iota
	StageDecode
	// StageWait is the time a decoded frame waits in the latest-frame slot
	// for the handler.
	StageWait
	StageHandler
	StageEncode
	// StageSend packetizes a frame and writes its packets.
	StageSend
	// StageTotal runs from a frame's first packet in to its last packet
	// out: the server's share of the latency.
	StageTotal
	NumStages
)

func (s Stage) String() string {
	switch s {
	case StageAssemble:
		return "assemble"
	case StageDecode:
		return "decode"
	case StageWait:
		return "wait"
	case StageHandler:
		return "handler"
	case StageEncode:
		return "encode"
	case StageSend:
		return "send"
	case StageTotal:
		return "total"
	}
	return "unknown"
}

// Drop is why the frame path threw a frame away.
type Drop int

const (
	// DropStale: a decoded frame was replaced in the slot by a newer one
	// before the handler took it (the handler is slower than the camera).
	DropStale Drop = iota
	// DropLost: a frame was given up after a packet stayed missing.
	DropLost
	// DropWaitingForKey: a complete frame was dropped because an earlier
	// loss broke its references.
	DropWaitingForKey
	DropDecodeError
	// DropEncoder: the encoder's rate control skipped a frame.
	DropEncoder
	// DropTooLarge: a keyframe declared a size over the bound, or an
	// inter frame referenced one; neither was decoded.
	DropTooLarge
	// DropOverload: a decoded frame was not handled because the CPUs are
	// saturated (VideoConfig.Shed).
	DropOverload
	NumDrops
)

func (d Drop) String() string {
	switch d {
	case DropStale:
		return "stale"
	case DropLost:
		return "lost"
	case DropWaitingForKey:
		return "waiting_for_keyframe"
	case DropDecodeError:
		return "decode_error"
	case DropEncoder:
		return "encoder"
	case DropTooLarge:
		return "too_large"
	case DropOverload:
		return "overload"
	}
	return "unknown"
}

// Observer is told what the frame path does, for metrics. Its methods are
// called on the frame path's goroutines, so they must be cheap, must not
// block, and must be safe for concurrent use.
type Observer interface {
	Stage(s Stage, d time.Duration)
	Drop(d Drop)
	// Bytes counts encoded video received (in) and sent (out).
	Bytes(in bool, n int)
}

// nopObserver observes nothing.
type nopObserver struct{}

func (nopObserver) Stage(Stage, time.Duration) {}
func (nopObserver) Drop(Drop)                  {}
func (nopObserver) Bytes(bool, int)            {}

// frameStarts remembers when the first packet of recent frames arrived,
// keyed by RTP timestamp, without allocating.
type frameStarts struct {
	ts   [16]uint32
	at   [16]time.Time
	next int
}

// seen records ts's first packet at now, unless it is already recorded.
func (f *frameStarts) seen(ts uint32, now time.Time) {
	for i := range f.ts {
		if f.ts[i] == ts && !f.at[i].IsZero() {
			return
		}
	}
	f.ts[f.next], f.at[f.next] = ts, now
	f.next = (f.next + 1) % len(f.ts)
}

// start returns when ts's first packet arrived, or now when forgotten.
func (f *frameStarts) start(ts uint32, now time.Time) time.Time {
	for i := range f.ts {
		if f.ts[i] == ts && !f.at[i].IsZero() {
			return f.at[i]
		}
	}
	return now
}
