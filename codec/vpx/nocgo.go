//go:build !cgo

package vpx

import (
	"fmt"
	"image"
	"time"

	"github.com/rtcstream/rtcstream/codec"
)

var errUnavailable = fmt.Errorf("vpx: built without cgo; install libvpx-dev and build with CGO_ENABLED=1: %w", codec.ErrUnavailable)

var (
	_ codec.VideoEncoder = (*Encoder)(nil)
	_ codec.VideoDecoder = (*Decoder)(nil)
)

// Encoder is a libvpx VP8 encoder. This build has no libvpx (it was built
// without cgo): NewEncoder always fails and every
// method reports errors wrapping codec.ErrUnavailable.
type Encoder struct{}

// NewEncoder returns an error wrapping codec.ErrUnavailable: this build
// has no libvpx.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	return nil, errUnavailable
}

// Encode returns an error wrapping codec.ErrUnavailable.
func (e *Encoder) Encode(dst []byte, img *image.YCbCr, pts time.Duration) (out []byte, keyframe bool, err error) {
	return dst, false, errUnavailable
}

// RequestKeyFrame does nothing.
func (e *Encoder) RequestKeyFrame() {}

// SetBitrate returns an error wrapping codec.ErrUnavailable.
func (e *Encoder) SetBitrate(bitsPerSecond int) error { return errUnavailable }

// Close does nothing and returns nil.
func (e *Encoder) Close() error { return nil }

// Decoder is a libvpx VP8 decoder. This build has no libvpx (it was built
// without cgo): NewDecoder always fails and Decode
// reports an error wrapping codec.ErrUnavailable.
type Decoder struct{}

// NewDecoder returns an error wrapping codec.ErrUnavailable: this build
// has no libvpx.
func NewDecoder() (*Decoder, error) {
	return nil, errUnavailable
}

// SetMaxFrameSize does nothing.
func (d *Decoder) SetMaxFrameSize(max image.Point) {}

// Decode returns an error wrapping codec.ErrUnavailable.
func (d *Decoder) Decode(dst *image.YCbCr, data []byte) (*image.YCbCr, error) {
	return nil, errUnavailable
}

// Close does nothing and returns nil.
func (d *Decoder) Close() error { return nil }
