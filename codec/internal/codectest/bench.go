package codectest

import (
	"fmt"
	"image"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec"
)

// The benchmarks' video: 640x480 at 1 Mbit/s, 5 s of Frame's synthetic
// picture, the same for every codec so their figures compare.
const (
	BenchW, BenchH = 640, 480
	BenchBitRate   = 1_000_000
	benchFrames    = 150
)

// BenchSource is the benchmarks' frames.
func BenchSource() []*image.YCbCr {
	frames := make([]*image.YCbCr, benchFrames)
	for i := range frames {
		frames[i] = Frame(BenchW, BenchH, i)
	}
	return frames
}

// BenchStream encodes BenchSource with e into a stream that starts with a
// keyframe, so that it decodes in a loop.
func BenchStream(b *testing.B, e codec.VideoEncoder) [][]byte {
	b.Helper()
	var stream [][]byte
	for i, f := range BenchSource() {
		data, _, err := e.Encode(nil, f, time.Duration(i)*time.Second/FrameRate)
		if err != nil {
			b.Fatal(err)
		}
		stream = append(stream, data)
	}
	return stream
}

// BenchEncode measures e's Encode on BenchSource, after one pass to let
// rate control settle; it reports bytes a frame.
func BenchEncode(b *testing.B, e codec.VideoEncoder) {
	frames := BenchSource()
	var dst []byte
	var pts time.Duration
	encode := func(i int) {
		var err error
		dst, _, err = e.Encode(dst[:0], frames[i%len(frames)], pts)
		if err != nil {
			b.Fatal(err)
		}
		pts += time.Second / FrameRate
	}
	for i := range frames {
		encode(i)
	}
	b.ReportAllocs()
	n, size := 0, 0
	for b.Loop() {
		encode(n)
		size += len(dst)
		n++
	}
	b.ReportMetric(float64(size)/float64(n), "B/frame")
}

// BenchDecode measures d's Decode of stream, in a loop.
func BenchDecode(b *testing.B, d codec.VideoDecoder, stream [][]byte) {
	var out *image.YCbCr
	for _, data := range stream {
		var err error
		if out, err = d.Decode(out, data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var err error
		if out, err = d.Decode(out, stream[n%len(stream)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchDecodeEncode measures the server's frame path with an identity
// handler: decode an incoming frame of stream, encode the picture again.
func BenchDecodeEncode(b *testing.B, d codec.VideoDecoder, e codec.VideoEncoder, stream [][]byte) {
	var (
		out *image.YCbCr
		dst []byte
		pts time.Duration
	)
	step := func(i int) {
		var err error
		if out, err = d.Decode(out, stream[i%len(stream)]); err != nil {
			b.Fatal(err)
		}
		if dst, _, err = e.Encode(dst[:0], out, pts); err != nil {
			b.Fatal(err)
		}
		pts += time.Second / FrameRate
	}
	for i := range stream {
		step(i)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		step(n)
		n++
	}
}

// BenchQuality reports the mean luma PSNR, in dB, and the bitrate a codec
// reaches on BenchSource (frames 10 to 149, once rate control settled) at
// each of the bitrates, one sub-benchmark each: the quality half of a
// codec comparison (run with -benchtime=1x).
func BenchQuality(b *testing.B, newEnc func(bitRate int) (codec.VideoEncoder, error), newDec func() (codec.VideoDecoder, error), bitRates ...int) {
	benchQuality(b, BenchSource(), newEnc, newDec, bitRates...)
}

// BenchQualityCamera is BenchQuality on CameraSource.
func BenchQualityCamera(b *testing.B, newEnc func(bitRate int) (codec.VideoEncoder, error), newDec func() (codec.VideoDecoder, error), bitRates ...int) {
	benchQuality(b, CameraSource(), newEnc, newDec, bitRates...)
}

func benchQuality(b *testing.B, frames []*image.YCbCr, newEnc func(bitRate int) (codec.VideoEncoder, error), newDec func() (codec.VideoDecoder, error), bitRates ...int) {
	for _, br := range bitRates {
		b.Run(fmt.Sprintf("kbps=%d", br/1000), func(b *testing.B) {
			for range b.N {
				e, err := newEnc(br)
				if err != nil {
					b.Fatal(err)
				}
				d, err := newDec()
				if err != nil {
					b.Fatal(err)
				}
				var sum float64
				var bytes, n int
				var out *image.YCbCr
				for i, f := range frames {
					data, _, err := e.Encode(nil, f, time.Duration(i)*time.Second/FrameRate)
					if err != nil {
						b.Fatal(err)
					}
					if out, err = d.Decode(out, data); err != nil {
						b.Fatal(err)
					}
					if i >= 10 {
						sum += PSNR(f, out)
						bytes += len(data)
						n++
					}
				}
				e.Close()
				d.Close()
				b.ReportMetric(sum/float64(n), "dB")
				b.ReportMetric(float64(bytes*8*FrameRate)/float64(n)/1000, "kbit/s")
			}
		})
	}
}
