package pipeline

import "time"

// ringSize is how many packets the assembler holds while it waits for a
// missing one: about 100 frames of 640x480 video at 1 Mbps.
const ringSize = 512

// maxPacket is the usual largest RTP payload; a slot's buffer starts at
// this size so it never grows on a normal stream.
const maxPacket = 1500

// DefaultLossWait is how long the assembler waits for a missing packet (a
// NACK round trip) before it gives the frame up, until the path's
// round-trip time is known (see LossWaitFor).
const DefaultLossWait = 100 * time.Millisecond

// MaxLossWait bounds LossWaitFor: past it, a keyframe (asked for after the
// loss) costs less waiting than a retransmission.
const MaxLossWait = 500 * time.Millisecond

// LossWaitFor is the loss wait for a path with round-trip time rtt: the
// NACK goes out within a NACK interval (5 ms) of the hole being seen, and
// its retransmission comes back one round trip later; when that is lost
// (one in ten at 5% loss each way), the sender resends again one round
// trip after the first (it ignores NACKs in between). So the wait is two
// round trips plus 50 ms of margin for the NACKs' delay and the path's
// jitter, never under DefaultLossWait (loopback, a LAN) and never over
// MaxLossWait.
func LossWaitFor(rtt time.Duration) time.Duration {
	return min(max(2*rtt+50*time.Millisecond, DefaultLossWait), MaxLossWait)
}

// Frame is one encoded frame rebuilt from RTP packets. Data is owned by the
// Assembler and valid until the next call to Pop.
type Frame struct {
	Data      []byte
	Timestamp uint32 // RTP timestamp, 90 kHz
	KeyFrame  bool
	// Held reports a frame released after a missing packet was waited
	// for: the frame that lacked it, or one complete behind it. Such
	// frames come out together, however they were spaced on the wire.
	Held bool
}

// AssemblerStats counts what the assembler threw away, by reason.
type AssemblerStats struct {
	Frames        uint64 // frames handed out
	Lost          uint64 // times a missing packet was given up on
	WaitingForKey uint64 // complete inter frames dropped while waiting for a keyframe
	Malformed     uint64 // packets whose VP8 descriptor could not be read
	Late          uint64 // packets older than what was already consumed
}

type slot struct {
	seq     uint16
	valid   bool
	start   bool
	marker  bool
	padding bool // a padding-only packet, part of no frame
	ts      uint32
	data    []byte
}

// Assembler rebuilds VP8 frames from RTP packets, releasing a frame as soon
// as its marker-bit packet completes it (unlike pion's samplebuilder, which
// holds each frame until the next one starts). It reorders packets within a
// window, waits up to the loss wait for a missing packet (which the NACK
// generator asks for), and after a loss drops frames until the next
// keyframe, reporting through KeyFrameNeeded that one should be requested.
// VP8 references make any frame after a loss undecodable until then.
//
// It is not safe for concurrent use; one goroutine pushes and pops.
type Assembler struct {
	ring      [ringSize]slot
	head      uint16 // oldest sequence number not yet consumed
	newest    uint16
	started   bool
	needKey   bool
	holeSince time.Time
	held      bool // a hole was waited for since frames last ran out
	lossWait  time.Duration
	frame     []byte
	stats     AssemblerStats
	format    rtpFormat // the codec's payload format: VP8's by default
}

// rtpFormat is a codec's RTP payload format, as the Assembler needs it.
type rtpFormat interface {
	// begins checks a payload and reports whether it starts a frame
	// (VP8) or a NAL unit (H.264).
	begins(payload []byte) (bool, error)
	// appendPayload appends a checked payload's bitstream bytes to dst.
	appendPayload(dst, payload []byte) []byte
	// keyFrame reports whether a frame is a keyframe.
	keyFrame(frame []byte) bool
	// frameByTimestamp: frames are told apart by RTP timestamp (a
	// packet whose timestamp differs from its predecessor's starts
	// one), not by begins alone.
	frameByTimestamp() bool
}

// NewAssembler returns an assembler that gives a missing packet up after
// lossWait (<= 0 means DefaultLossWait). It waits for a keyframe first.
func NewAssembler(lossWait time.Duration) *Assembler {
	if lossWait <= 0 {
		lossWait = DefaultLossWait
	}
	return &Assembler{lossWait: lossWait, needKey: true, format: vp8Format{}}
}

// SetLossWait changes how long a missing packet is waited for (<= 0 means
// DefaultLossWait), from the next Pop on.
func (a *Assembler) SetLossWait(d time.Duration) {
	if d <= 0 {
		d = DefaultLossWait
	}
	a.lossWait = d
}

// Stats returns the counters so far.
func (a *Assembler) Stats() AssemblerStats { return a.stats }

// KeyFrameNeeded reports whether the assembler is dropping frames until a
// keyframe arrives; the caller should send a (rate-limited) PLI.
func (a *Assembler) KeyFrameNeeded() bool { return a.needKey }

// Push adds one RTP packet's payload. payload is copied; the caller may
// reuse it after Push returns.
func (a *Assembler) Push(seq uint16, ts uint32, marker bool, payload []byte) {
	var start bool
	if len(payload) > 0 {
		var err error
		if start, err = a.format.begins(payload); err != nil {
			a.stats.Malformed++
			return
		}
	} else if !a.started {
		return
	}
	// An empty payload is a padding-only packet (browsers send them to
	// probe bandwidth). It carries no media but takes a sequence number,
	// so it is kept: without it the sequence would show a hole.
	padding := len(payload) == 0
	if !a.started {
		if !start {
			return // wait for the first packet of a frame
		}
		a.resync(seq)
	}
	ahead := int16(seq - a.head)
	switch {
	case ahead < 0:
		a.stats.Late++
		return
	case int(ahead) >= ringSize:
		// Far ahead of a hole we still wait for: give the hole up.
		a.stats.Lost++
		a.needKey = true
		if !start {
			a.started = false
			return
		}
		a.resync(seq)
	}
	s := &a.ring[seq%ringSize]
	if s.valid && s.seq == seq {
		return // duplicate (a retransmission that raced the original)
	}
	s.seq, s.valid, s.start, s.marker, s.ts, s.padding = seq, true, start, marker, ts, padding
	if s.data == nil {
		s.data = make([]byte, 0, maxPacket)
	}
	s.data = a.format.appendPayload(s.data[:0], payload)
	if int16(seq-a.newest) > 0 {
		a.newest = seq
	}
}

func (a *Assembler) resync(seq uint16) {
	for i := range a.ring {
		a.ring[i].valid = false
	}
	a.started = true
	a.head, a.newest = seq, seq
	a.holeSince = time.Time{}
}

// Pop returns the next complete frame, if there is one. now drives the loss
// wait; call Pop after every Push until it returns false.
func (a *Assembler) Pop(now time.Time) (Frame, bool) {
	for a.started {
		end, state := a.scan()
		switch state {
		case scanWaiting:
			a.holeSince = time.Time{}
			a.held = false
			return Frame{}, false
		case scanHole:
			a.held = true
			if a.holeSince.IsZero() {
				a.holeSince = now
			}
			if now.Sub(a.holeSince) < a.lossWait {
				return Frame{}, false
			}
			a.giveUp()
			continue
		case scanNoStart:
			a.giveUp()
			continue
		}
		f := a.take(end)
		f.Held = a.held
		if a.needKey && !f.KeyFrame {
			a.stats.WaitingForKey++
			continue
		}
		a.needKey = false
		a.stats.Frames++
		return f, true
	}
	return Frame{}, false
}

type scanState int

const (
	scanComplete scanState = iota // a whole frame from head to end
	scanWaiting                   // the frame at head is not complete yet, nothing missing
	scanHole                      // a packet is missing before the newest one
	scanNoStart                   // the packet at head does not start a frame
)

func (a *Assembler) scan() (end uint16, state scanState) {
	byTS := a.format.frameByTimestamp()
	headTS := a.ring[a.head%ringSize].ts
	for seq := a.head; ; seq++ {
		s := &a.ring[seq%ringSize]
		if !s.valid || s.seq != seq {
			if int16(seq-a.newest) > 0 {
				return 0, scanWaiting
			}
			return 0, scanHole
		}
		if s.padding {
			if seq == a.head { // between frames: consume it
				s.valid = false
				a.head++
			}
			continue
		}
		if seq == a.head && !s.start {
			return 0, scanNoStart
		}
		if seq != a.head && (byTS && s.ts != headTS || !byTS && s.start) {
			// The next frame began before this one's marker: its last
			// packet was lost (or it never had one).
			return 0, scanNoStart
		}
		if s.marker {
			return seq, scanComplete
		}
	}
}

// giveUp discards packets from head up to the next frame start and marks
// the stream as needing a keyframe.
func (a *Assembler) giveUp() {
	a.stats.Lost++
	a.needKey = true
	a.holeSince = time.Time{}
	byTS := a.format.frameByTimestamp()
	headTS := a.ring[a.head%ringSize].ts
	for seq := a.head; int16(seq-a.newest) <= 0; seq++ {
		s := &a.ring[seq%ringSize]
		if seq != a.head && s.valid && s.seq == seq && s.start && (!byTS || s.ts != headTS) {
			a.head = seq
			return
		}
		s.valid = false
	}
	a.started = false // nothing to resume from: wait for the next frame start
}

func (a *Assembler) take(end uint16) Frame {
	a.frame = a.frame[:0]
	ts := a.ring[a.head%ringSize].ts
	for seq := a.head; ; seq++ {
		s := &a.ring[seq%ringSize]
		a.frame = append(a.frame, s.data...)
		s.valid = false
		if seq == end {
			break
		}
	}
	a.head = end + 1
	a.holeSince = time.Time{}
	return Frame{Data: a.frame, Timestamp: ts, KeyFrame: a.format.keyFrame(a.frame)}
}
