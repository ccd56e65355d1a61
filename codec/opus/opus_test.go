package opus

import (
	"testing"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/internal/codectest"
)

func newTestAudioEncoder(c codectest.AudioConfig) (codec.AudioEncoder, error) {
	cfg := EncoderConfig{
		SampleRate:        c.SampleRate,
		Channels:          c.Channels,
		BitRate:           c.BitRate,
		InbandFEC:         Off,
		PacketLossPercent: c.LossPercent,
	}
	if c.FEC {
		cfg.InbandFEC = On
	}
	e, err := NewEncoder(cfg)
	if err != nil {
		return nil, err // not a typed nil in an interface
	}
	return e, nil
}

func newTestAudioDecoder(sampleRate, channels int) (codec.AudioDecoder, error) {
	d, err := NewDecoder(DecoderConfig{SampleRate: sampleRate, Channels: channels})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func TestConformance(t *testing.T) {
	codectest.RunAudio(t, codectest.AudioCodec{
		NewEncoder:  newTestAudioEncoder,
		NewDecoder:  newTestAudioDecoder,
		SampleRates: []int{48000, 24000, 16000, 12000, 8000},
		FEC:         true,
	})
}
