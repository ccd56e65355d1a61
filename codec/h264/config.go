package h264

import (
	"errors"
	"fmt"
)

const (
	defaultBitRate   = 1_000_000
	defaultFrameRate = 30
	minBitRate       = 10_000
	maxBitRate       = 100_000_000
	maxDim           = 4096 // OpenH264's largest side for a level it encodes
)

// EncoderConfig configures an Encoder; every zero field means its default.
type EncoderConfig struct {
	// Width and Height are the first frame's size; zero: taken from the
	// first Encode.
	Width, Height int
	// BitRate is the target in bits per second. Default 1_000_000; from
	// 10_000 to 100_000_000.
	BitRate int
	// FrameRate is the expected frame rate. Default 30.
	FrameRate int
	// KeyFrameInterval makes every that many frames an IDR; zero: only
	// the first, a new size's and those asked for (RequestKeyFrame).
	KeyFrameInterval int
}

func (c EncoderConfig) withDefaults() (EncoderConfig, error) {
	if c.BitRate == 0 {
		c.BitRate = defaultBitRate
	}
	if err := checkBitRate(c.BitRate); err != nil {
		return c, err
	}
	if c.FrameRate <= 0 {
		c.FrameRate = defaultFrameRate
	}
	if (c.Width == 0) != (c.Height == 0) || c.Width < 0 || c.Height < 0 || c.Width > maxDim || c.Height > maxDim {
		return c, fmt.Errorf("h264: EncoderConfig: size %dx%d", c.Width, c.Height)
	}
	if c.KeyFrameInterval < 0 {
		return c, errors.New("h264: EncoderConfig: negative KeyFrameInterval")
	}
	return c, nil
}

func checkBitRate(bps int) error {
	if bps < minBitRate || bps > maxBitRate {
		return fmt.Errorf("h264: bitrate %d bit/s, want %d to %d", bps, minBitRate, maxBitRate)
	}
	return nil
}
