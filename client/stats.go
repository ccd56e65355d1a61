package client

import (
	"sync/atomic"

	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// Stats counts a connection's video, both ways. All counts are cumulative.
type Stats struct {
	FramesSent uint64 // by WriteFrame and WriteEncoded
	BytesSent  uint64 // encoded video bytes sent, without RTP overhead

	PacketsReceived uint64 // RTP packets of the server's video
	FramesReceived  uint64 // complete frames rebuilt from them
	BytesReceived   uint64 // encoded video bytes of those frames
	// PacketLosses counts missing packets given up on (after the NACK
	// wait); each one drops frames until the next keyframe.
	PacketLosses uint64
	// FramesSkipped counts complete frames dropped while waiting for a
	// keyframe after a loss, or before the first keyframe.
	FramesSkipped      uint64
	DecodeErrors       uint64
	KeyFramesRequested uint64 // PLIs this client sent
	KeyFramesAsked     uint64 // PLIs and FIRs the server sent
}

// Stats returns the counts so far. It is safe to call at any time.
func (c *Conn) Stats() Stats {
	s := &c.stats
	return Stats{
		FramesSent:         s.framesSent.Load(),
		BytesSent:          s.bytesSent.Load(),
		PacketsReceived:    s.packetsReceived.Load(),
		FramesReceived:     s.framesReceived.Load(),
		BytesReceived:      s.bytesReceived.Load(),
		PacketLosses:       s.packetLosses.Load(),
		FramesSkipped:      s.framesSkipped.Load(),
		DecodeErrors:       s.decodeErrors.Load(),
		KeyFramesRequested: s.keyFramesRequested.Load(),
		KeyFramesAsked:     s.keyFramesAsked.Load(),
	}
}

type connStats struct {
	framesSent, bytesSent                          atomic.Uint64
	packetsReceived, framesReceived, bytesReceived atomic.Uint64
	packetLosses, framesSkipped, decodeErrors      atomic.Uint64
	keyFramesRequested, keyFramesAsked             atomic.Uint64
}

// setAssembler publishes the receive assembler's counts.
func (s *connStats) setAssembler(a pipeline.AssemblerStats) {
	s.packetLosses.Store(a.Lost)
	s.framesSkipped.Store(a.WaitingForKey)
}
