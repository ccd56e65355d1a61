//go:build !cgo

package opus

import (
	"fmt"
	"time"

	"github.com/rtcstream/rtcstream/codec"
)

var errUnavailable = fmt.Errorf("opus: built without cgo; install libopus-dev and build with CGO_ENABLED=1: %w", codec.ErrUnavailable)

var (
	_ codec.AudioEncoder = (*Encoder)(nil)
	_ codec.AudioDecoder = (*Decoder)(nil)
)

// Encoder is a libopus encoder. This build has no libopus (it was built
// without cgo): NewEncoder always fails and every method reports errors
// wrapping codec.ErrUnavailable.
type Encoder struct{}

// NewEncoder returns an error wrapping codec.ErrUnavailable: this build has
// no libopus.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	return nil, errUnavailable
}

// FrameSize returns 0.
func (e *Encoder) FrameSize() int { return 0 }

// Lookahead returns 0.
func (e *Encoder) Lookahead() time.Duration { return 0 }

// Encode returns an error wrapping codec.ErrUnavailable.
func (e *Encoder) Encode(dst []byte, pcm []int16) ([]byte, error) { return dst, errUnavailable }

// SetBitrate returns an error wrapping codec.ErrUnavailable.
func (e *Encoder) SetBitrate(bitsPerSecond int) error { return errUnavailable }

// SetPacketLossPercent returns an error wrapping codec.ErrUnavailable.
func (e *Encoder) SetPacketLossPercent(percent int) error { return errUnavailable }

// Close does nothing and returns nil.
func (e *Encoder) Close() error { return nil }

// Reset fails: libopus is not linked.
func (e *Encoder) Reset() error { return errUnavailable }

// Decoder is a libopus decoder. This build has no libopus (it was built
// without cgo): NewDecoder always fails and Decode and DecodeFEC report
// errors wrapping codec.ErrUnavailable.
type Decoder struct{}

// NewDecoder returns an error wrapping codec.ErrUnavailable: this build has
// no libopus.
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	return nil, errUnavailable
}

// Decode returns an error wrapping codec.ErrUnavailable.
func (d *Decoder) Decode(dst []int16, packet []byte) ([]int16, error) { return dst, errUnavailable }

// DecodeFEC returns an error wrapping codec.ErrUnavailable.
func (d *Decoder) DecodeFEC(dst []int16, nextPacket []byte) ([]int16, error) {
	return dst, errUnavailable
}

// Close does nothing and returns nil.
func (d *Decoder) Close() error { return nil }
