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
