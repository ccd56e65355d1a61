package pipeline

import (
	"image"
	"time"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/h264"
)

// FramePacketizer splits encoded frames into RTP packets.
type FramePacketizer interface {
	// WriteFrame packetizes one frame stamped ts (90 kHz).
	WriteFrame(frame []byte, ts uint32) error
}

// NewPacketizerFor returns vc's packetizer (Packetizer, H264Packetizer)
// writing to w (mtu <= 0 means DefaultMTU).
func NewPacketizerFor(vc codec.VideoCodec, w RTPWriter, mtu int) FramePacketizer {
	if vc == codec.H264 {
		return NewH264Packetizer(w, mtu)
	}
	return NewPacketizer(w, mtu)
}

// NewAssemblerFor returns vc's frame assembler (NewAssembler,
// NewH264Assembler).
func NewAssemblerFor(vc codec.VideoCodec, lossWait time.Duration) *Assembler {
	if vc == codec.H264 {
		return NewH264Assembler(lossWait)
	}
	return NewAssembler(lossWait)
}

// KeyFrameSize returns the size a keyframe of vc declares
// (VP8KeyFrameSize, h264.SPSSize).
func KeyFrameSize(vc codec.VideoCodec, frame []byte) (image.Point, error) {
	if vc == codec.H264 {
		return h264.SPSSize(frame)
	}
	return VP8KeyFrameSize(frame)
}
