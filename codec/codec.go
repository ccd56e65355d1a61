// Package codec defines the pure-Go interfaces that rtcstream's codecs
// implement. The implementations live in sub-packages (codec/vpx, codec/opus);
// they are the only packages in the module that use cgo, and each has a
// pure-Go build that compiles and returns ErrUnavailable.
package codec

import (
	"errors"
	"image"
	"time"
)

// ErrUnavailable is returned by codec constructors when the codec's native
// library was not compiled in (for example a build with CGO_ENABLED=0).
var ErrUnavailable = errors.New("rtcstream/codec: codec not available in this build (needs cgo and the system library)")

// VideoEncoder compresses 4:2:0 frames. Its methods are not safe for
// concurrent use, except RequestKeyFrame and SetBitrate, which may be called
// from any goroutine (for example an RTCP reader reacting to a PLI).
type VideoEncoder interface {
	// Encode compresses img, whose presentation time is pts, and appends the
	// bitstream of the resulting frame to dst. It returns the extended slice,
	// whether the frame is a keyframe, and an error. A frame the encoder
	// chose to drop yields dst unchanged and no error. img must be 4:2:0
	// (image.YCbCrSubsampleRatio420); the encoder reads it only during the
	// call. A size different from the previous frame's reconfigures the
	// encoder and makes the next frame a keyframe.
	Encode(dst []byte, img *image.YCbCr, pts time.Duration) (out []byte, keyframe bool, err error)

	// RequestKeyFrame makes the next encoded frame a keyframe.
	RequestKeyFrame()

	// SetBitrate changes the target bitrate, in bits per second, in place;
	// it takes effect from the next frame.
	SetBitrate(bitsPerSecond int) error

	// Close frees the encoder. It is idempotent; Encode after Close fails.
	Close() error
}

// VideoDecoder decompresses a bitstream into 4:2:0 frames. Its methods are
// not safe for concurrent use.
type VideoDecoder interface {
	// Decode decodes one compressed frame. When the frame produces a picture
	// it is copied into dst (allocated anew when dst is nil or of another
	// size) and dst is returned; the caller owns it and may write to it.
	// When the data produces no picture, Decode returns nil and no error.
	// The decoder's own reference buffers are never handed out.
	Decode(dst *image.YCbCr, data []byte) (*image.YCbCr, error)

	// Close frees the decoder. It is idempotent; Decode after Close fails.
	Close() error
}

// AudioEncoder compresses 16-bit PCM audio, one frame per call. The sample
// rate, channel count and frame duration are fixed when the encoder is
// made. Its methods are not safe for concurrent use, except SetBitrate,
// which may be called from any goroutine (for example a congestion
// controller's callback).
type AudioEncoder interface {
	// Encode compresses pcm, exactly one frame of interleaved samples
	// (frame duration × sample rate × channels of them), and appends the
	// packet to dst. It returns the extended slice. A frame the encoder
	// chose not to transmit (discontinuous transmission during silence)
	// yields dst unchanged and no error; the receiver treats the gap as a
	// lost packet. pcm of another length is an error. The encoder reads pcm
	// only during the call.
	Encode(dst []byte, pcm []int16) ([]byte, error)

	// SetBitrate changes the target bitrate, in bits per second, in place;
	// it takes effect from the next frame.
	SetBitrate(bitsPerSecond int) error

	// Close frees the encoder. It is idempotent; Encode after Close fails.
	Close() error
}

// AudioDecoder decompresses packets into 16-bit PCM at the sample rate and
// channel count fixed when the decoder is made, whatever the stream's own.
// Its methods are not safe for concurrent use.
type AudioDecoder interface {
	// Decode decodes one packet and appends its interleaved samples to dst,
	// returning the extended slice; dst is grown only when its capacity is
	// short. A nil or empty packet stands for a lost one: Decode then
	// conceals the loss (packet-loss concealment) and appends as many
	// samples as the last packet held, a plausible continuation that fades
	// out over consecutive losses, never a gap. A packet the decoder cannot
	// parse yields dst unchanged and an error, and leaves the decoder as it
	// was, ready for the next packet.
	Decode(dst []int16, packet []byte) ([]int16, error)

	// DecodeFEC recovers a lost packet from the forward error correction
	// data that the packet after it, nextPacket, may carry, and appends the
	// recovered samples (as many as the last packet held) to dst. When
	// nextPacket carries no such data, it conceals the loss as Decode(dst,
	// nil) does. Either way the caller then decodes nextPacket itself with
	// Decode: DecodeFEC stands in only for the missing packet.
	DecodeFEC(dst []int16, nextPacket []byte) ([]int16, error)

	// Close frees the decoder. It is idempotent; Decode and DecodeFEC after
	// Close fail.
	Close() error
}
