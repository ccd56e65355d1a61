//go:build !cgo

package h264

import (
	"fmt"
	"image"
	"time"

	"github.com/rtcstream/rtcstream/codec"
)

// Encoder is unavailable without cgo.
type Encoder struct{}

// NewEncoder fails without cgo.
func NewEncoder(EncoderConfig) (*Encoder, error) {
	return nil, fmt.Errorf("h264: %w", codec.ErrUnavailable)
}

func (*Encoder) Encode(dst []byte, _ *image.YCbCr, _ time.Duration) ([]byte, bool, error) {
	return dst, false, codec.ErrUnavailable
}
func (*Encoder) RequestKeyFrame()     {}
func (*Encoder) SetBitrate(int) error { return codec.ErrUnavailable }
func (*Encoder) Close() error         { return nil }

// Decoder is unavailable without cgo.
type Decoder struct{}

// NewDecoder fails without cgo.
func NewDecoder() (*Decoder, error) { return nil, fmt.Errorf("h264: %w", codec.ErrUnavailable) }

func (*Decoder) SetMaxFrameSize(image.Point) {}
func (*Decoder) Decode(*image.YCbCr, []byte) (*image.YCbCr, error) {
	return nil, codec.ErrUnavailable
}
func (*Decoder) Close() error { return nil }
