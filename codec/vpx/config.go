package vpx

import (
	"errors"
	"fmt"
	"image"
)

// Defaults applied to the zero fields of an EncoderConfig.
const (
	defaultBitRate          = 1_000_000 // bits per second
	defaultFrameRate        = 30        // frames per second
	defaultCPUUsed          = -6        // libvpx VP8E_SET_CPUUSED: fixed speed 6
	defaultKeyFrameInterval = 3000      // frames (100 s at 30 fps)
	defaultThreads          = 1
)

// Bounds accepted for a bitrate, by EncoderConfig.BitRate and SetBitrate.
const (
	minBitRate = 1_000         // libvpx counts in kbit/s; 0 kbit/s makes it skip every frame
	maxBitRate = 1_000_000_000 // far above anything VP8 can use; guards libvpx's int arithmetic
	maxDim     = 16383         // VP8 codes each dimension in 14 bits
)

// EncoderConfig configures a VP8 Encoder. The zero value of every field means
// its documented default, so EncoderConfig{} is a usable configuration.
//
// The encoder is always set up for real-time use: libvpx's VPX_DL_REALTIME
// deadline, one-pass CBR rate control, no look-ahead (lag_in_frames 0),
// error-resilient mode, no internal spatial resizing, no noise reduction
// and no static-block threshold. It drops frames only if DropFrames is set.
type EncoderConfig struct {
	// Width and Height are the size of the first frame, in pixels. Zero (both
	// of them) means the encoder is created at the first Encode, from that
	// frame's size. Any size from 1x1 to 16383x16383 works, odd sizes
	// included; a frame of another size later recreates the encoder.
	Width, Height int

	// BitRate is the target bitrate in bits per second. Default 1_000_000.
	// It must lie between 1_000 and 1_000_000_000; libvpx works in kbit/s
	// and rounds to the nearest one.
	BitRate int

	// FrameRate is the expected frame rate in frames per second. Default 30.
	// Rate control starts from it and then follows the pts passed to Encode
	// (see Encoder.Encode), so a source that runs slower or faster is fine.
	// It also scales the cap on a keyframe's size (libwebrtc's rule: 900% of
	// an average frame at 30 fps).
	FrameRate int

	// CPUUsed is libvpx's VP8E_SET_CPUUSED, -16 to 16. Default -6. A
	// negative value fixes libvpx's speed at its magnitude: higher is faster
	// and worse. A positive value is not a speed but a CPU budget: libvpx
	// picks the speed itself from how long frames take, aiming to spend at
	// most (16-CPUUsed)/16 of the frame interval; on a machine that keeps up
	// it settles at speed 4, the slowest real-time speed. At 640x480 and
	// 1 Mbit/s, -6 encoded in 2.5 ms a frame and +6 in 4.0 ms, at the same
	// quality (42.6 and 42.3 dB); libwebrtc uses -6 on desktops too. Zero
	// means the default.
	CPUUsed int

	// KeyFrameInterval is the longest run of frames between keyframes. Default
	// 3000 (100 s at 30 fps): in WebRTC a receiver asks for keyframes when it
	// needs them (PLI/FIR, see Encoder.RequestKeyFrame), so periodic ones
	// mostly waste bits. A negative value disables automatic keyframes
	// entirely: keyframes then come only from RequestKeyFrame, from a size
	// change and at the start.
	KeyFrameInterval int

	// DropFrames lets rate control skip frames to stay on the bitrate, as
	// browsers' encoders do: when the frames sent have run ahead of the
	// target (a scene cut after a still picture can cost a second's worth
	// of bits in one frame), libvpx drops frames until its 1 s buffer model
	// is back above 30% of its optimal level, so the network's queue drains
	// instead of holding every later frame up. Content that fits the
	// bitrate loses no frames. A dropped frame is an Encode that appends
	// nothing; a keyframe asked for with RequestKeyFrame is then made by
	// the next Encode that produces a frame. Default false: every Encode
	// appends exactly one frame.
	DropFrames bool

	// Threads is the number of encoder threads. Default 1. libvpx splits a
	// frame across threads by macroblock rows; more threads help large
	// frames on idle cores and cost some compression.
	Threads int
}

// withDefaults returns c with its zero fields replaced by their defaults, or
// an error if a field is out of range.
func (c EncoderConfig) withDefaults() (EncoderConfig, error) {
	if c.Width < 0 || c.Height < 0 || (c.Width == 0) != (c.Height == 0) {
		return c, fmt.Errorf("vpx: invalid size %dx%d: give both Width and Height, or neither", c.Width, c.Height)
	}
	if c.Width != 0 {
		if err := checkSize(c.Width, c.Height); err != nil {
			return c, err
		}
	}
	if c.BitRate == 0 {
		c.BitRate = defaultBitRate
	}
	if err := checkBitRate(c.BitRate); err != nil {
		return c, err
	}
	if c.FrameRate == 0 {
		c.FrameRate = defaultFrameRate
	}
	if c.FrameRate < 1 || c.FrameRate > 1000 {
		return c, fmt.Errorf("vpx: FrameRate %d out of range [1, 1000]", c.FrameRate)
	}
	if c.CPUUsed == 0 {
		c.CPUUsed = defaultCPUUsed
	}
	if c.CPUUsed < -16 || c.CPUUsed > 16 {
		return c, fmt.Errorf("vpx: CPUUsed %d out of range [-16, 16]", c.CPUUsed)
	}
	if c.KeyFrameInterval == 0 {
		c.KeyFrameInterval = defaultKeyFrameInterval
	}
	if c.Threads == 0 {
		c.Threads = defaultThreads
	}
	if c.Threads < 1 || c.Threads > 64 {
		return c, fmt.Errorf("vpx: Threads %d out of range [1, 64]", c.Threads)
	}
	return c, nil
}

func checkSize(w, h int) error {
	if w < 1 || h < 1 || w > maxDim || h > maxDim {
		return fmt.Errorf("vpx: frame size %dx%d out of range [1x1, 16383x16383]", w, h)
	}
	return nil
}

// ErrFrameTooLarge is wrapped by the error Decoder.Decode returns for a
// frame over the size set with Decoder.SetMaxFrameSize.
var ErrFrameTooLarge = errors.New("vpx: frame larger than the decoder's bound")

// fitsWithin reports whether a picture of size stays within bound: no
// more pixels than bound.X*bound.Y and no side longer than the longer of
// the two.
func fitsWithin(size, bound image.Point) bool {
	return int64(size.X)*int64(size.Y) <= int64(bound.X)*int64(bound.Y) &&
		max(size.X, size.Y) <= max(bound.X, bound.Y)
}

var errBitRate = errors.New("vpx: bitrate out of range [1000, 1000000000] bit/s")

func checkBitRate(bps int) error {
	if bps < minBitRate || bps > maxBitRate {
		return fmt.Errorf("%w: %d", errBitRate, bps)
	}
	return nil
}
