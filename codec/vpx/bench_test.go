package vpx

import (
	"errors"
	"image"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/internal/codectest"
)

const (
	benchW, benchH = 640, 480
	benchBitRate   = 1_000_000
	benchFrames    = 150 // 5 s of video; the sequence starts with a keyframe
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

func benchSource() []*image.YCbCr {
	frames := make([]*image.YCbCr, benchFrames)
	for i := range frames {
		frames[i] = codectest.Frame(benchW, benchH, i)
	}
	return frames
}

// benchStream encodes benchSource into a VP8 stream that starts with a
// keyframe, so it can be decoded in a loop.
func benchStream(b *testing.B) [][]byte {
	b.Helper()
	e := newBenchEncoder(b)
	var stream [][]byte
	for i, f := range benchSource() {
		data, _, err := e.Encode(nil, f, time.Duration(i)*time.Second/30)
		if err != nil {
			b.Fatal(err)
		}
		stream = append(stream, data)
	}
	return stream
}

func BenchmarkEncode640x480(b *testing.B) {
	frames := benchSource()
	e := newBenchEncoder(b)
	var dst []byte
	var pts time.Duration
	encode := func(i int) {
		var err error
		dst, _, err = e.Encode(dst[:0], frames[i%len(frames)], pts)
		if err != nil {
			b.Fatal(err)
		}
		pts += time.Second / 30
	}
	for i := range frames { // warm up: rate control settles, dst grows
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

func BenchmarkDecode640x480(b *testing.B) {
	stream := benchStream(b)
	d := newBenchDecoder(b)
	var out *image.YCbCr
	for _, data := range stream { // warm up: out gets allocated
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

// BenchmarkDecodeEncode640x480 is the server's frame path with an identity
// handler: decode an incoming frame, encode the picture again.
func BenchmarkDecodeEncode640x480(b *testing.B) {
	stream := benchStream(b)
	d := newBenchDecoder(b)
	e := newBenchEncoder(b)
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
		pts += time.Second / 30
	}
	for i := range stream { // warm up, as in BenchmarkEncode640x480
		step(i)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		step(n)
		n++
	}
}
