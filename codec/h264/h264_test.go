package h264

import (
	"testing"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/internal/codectest"
)

func newTestEncoder(w, h, bitRate int) (codec.VideoEncoder, error) {
	e, err := NewEncoder(EncoderConfig{Width: w, Height: h, BitRate: bitRate, FrameRate: codectest.FrameRate})
	if err != nil {
		return nil, err
	}
	return e, nil
}

func newTestDecoder() (codec.VideoDecoder, error) {
	d, err := NewDecoder()
	if err != nil {
		return nil, err
	}
	return d, nil
}

func TestConformance(t *testing.T) {
	codectest.RunVideoWith(t, newTestEncoder, newTestDecoder, codectest.Options{EvenSizes: true})
}
