// Package videocodec makes the encoder or decoder of a codec.VideoCodec:
// libvpx's for VP8, OpenH264's for H.264. The server, the Go client and
// the bench make theirs here.
package videocodec

import (
	"image"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/h264"
	"github.com/rtcstream/rtcstream/codec/vpx"
)

// EncoderConfig is what an encoder is made with; zero fields are the
// codec's defaults.
type EncoderConfig struct {
	Width, Height int // the first frame's size; zero: the first Encode's
	BitRate       int
	FrameRate     int
	// KeyFramesOnRequest: keyframes only at the start, on a new size and
	// on RequestKeyFrame, never periodic (H.264's way by default).
	KeyFramesOnRequest bool
}

// NewEncoder makes an encoder of vc (the zero value: VP8).
func NewEncoder(vc codec.VideoCodec, c EncoderConfig) (codec.VideoEncoder, error) {
	if vc == codec.H264 {
		e, err := h264.NewEncoder(h264.EncoderConfig{Width: c.Width, Height: c.Height, BitRate: c.BitRate, FrameRate: c.FrameRate})
		if err != nil {
			return nil, err // not a non-nil interface holding a nil pointer
		}
		return e, nil
	}
	cfg := vpx.EncoderConfig{Width: c.Width, Height: c.Height, BitRate: c.BitRate, FrameRate: c.FrameRate}
	if c.KeyFramesOnRequest {
		cfg.KeyFrameInterval = -1
	}
	e, err := vpx.NewEncoder(cfg)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// NewDecoder makes a decoder of vc (the zero value: VP8) that refuses
// pictures over max (zero: no bound).
func NewDecoder(vc codec.VideoCodec, max image.Point) (codec.VideoDecoder, error) {
	if vc == codec.H264 {
		d, err := h264.NewDecoder()
		if err != nil {
			return nil, err
		}
		d.SetMaxFrameSize(max)
		return d, nil
	}
	d, err := vpx.NewDecoder()
	if err != nil {
		return nil, err
	}
	d.SetMaxFrameSize(max)
	return d, nil
}
