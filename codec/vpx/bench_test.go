package vpx

import (
	"errors"
	"testing"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/internal/codectest"
)

const (
	benchW, benchH = codectest.BenchW, codectest.BenchH
	benchBitRate   = codectest.BenchBitRate
)

func newBenchEncoder(b *testing.B) *Encoder {
	b.Helper()
	e, err := NewEncoder(EncoderConfig{Width: benchW, Height: benchH, BitRate: benchBitRate})
	if errors.Is(err, codec.ErrUnavailable) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

func newBenchDecoder(b *testing.B) *Decoder {
	b.Helper()
	d, err := NewDecoder()
	if errors.Is(err, codec.ErrUnavailable) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

func BenchmarkEncode640x480(b *testing.B) {
	codectest.BenchEncode(b, newBenchEncoder(b))
}

func BenchmarkDecode640x480(b *testing.B) {
	codectest.BenchDecode(b, newBenchDecoder(b), codectest.BenchStream(b, newBenchEncoder(b)))
}

// BenchmarkDecodeEncode640x480 is the server's frame path with an identity
// handler: decode an incoming frame, encode the picture again.
func BenchmarkDecodeEncode640x480(b *testing.B) {
	codectest.BenchDecodeEncode(b, newBenchDecoder(b), newBenchEncoder(b), codectest.BenchStream(b, newBenchEncoder(b)))
}

// BenchmarkQuality640x480 is the luma PSNR at three bitrates, on the same
// video as codec/h264's (run with -benchtime=1x).
func BenchmarkQuality640x480(b *testing.B) {
	codectest.BenchQuality(b, func(br int) (codec.VideoEncoder, error) {
		return NewEncoder(EncoderConfig{Width: codectest.BenchW, Height: codectest.BenchH, BitRate: br})
	},
		func() (codec.VideoDecoder, error) { return NewDecoder() }, 300_000, 1_000_000, 2_000_000)
}

// BenchmarkQualityCamera640x480 is BenchmarkQuality640x480 on camera-like
// video (codectest.CameraSource), the same as codec/h264's.
func BenchmarkQualityCamera640x480(b *testing.B) {
	codectest.BenchQualityCamera(b, func(br int) (codec.VideoEncoder, error) {
		return NewEncoder(EncoderConfig{Width: codectest.BenchW, Height: codectest.BenchH, BitRate: br})
	},
		func() (codec.VideoDecoder, error) { return NewDecoder() }, 300_000, 1_000_000, 2_000_000)
}
