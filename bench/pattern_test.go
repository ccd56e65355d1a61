package bench

import (
	"fmt"
	"image"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec/vpx"
	"github.com/rtcstream/rtcstream/media"
)

// The replayed sequence starts with its only keyframe and holds o.Loop of
// frames.
func TestEncodeSequence(t *testing.T) {
	o, err := (&Options{Width: 320, Height: 240, FPS: 15, Loop: time.Second}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	seq, err := encodeSequence(&o, newPattern(o.Width, o.Height))
	if err != nil {
		t.Fatal(err)
	}
	if len(seq) != 15 {
		t.Fatalf("%d frames, want 15", len(seq))
	}
	for i, f := range seq {
		if key := f[0]&1 == 0; key != (i == 0) {
			t.Errorf("frame %d: keyframe %v", i, key)
		}
	}
}

// What a probe spends per frame on its picture, besides the codecs.
func BenchmarkPatternDraw640x480(b *testing.B) {
	p := newPattern(640, 480)
	img := media.NewI420(640, 480)
	i := 0
	for b.Loop() {
		p.draw(img, i)
		stampCounter(img, uint16(i))
		i++
	}
}

func BenchmarkReadCounter640x480(b *testing.B) {
	img := media.NewI420(640, 480)
	stampCounter(img, 12345)
	for b.Loop() {
		if _, ok := readCounter(img); !ok {
			b.Fatal("unreadable")
		}
	}
}

// BenchmarkServerCodec640x480 is the bare codec work an identity server
// does per frame of the bench's own sequence (640x480, 1 Mbps, 30 fps):
// decode it, encode the picture again. 2 cores divided by 30 times this is
// the most streams a server on two cores could hold if the codec were all
// it did. With sessions=N, N decoder-encoder pairs take turns frame by
// frame on one goroutine, as a server's sessions share a core: each pair's
// state falls out of the CPU's caches between its frames, which a single
// pair never sees. With kbps=350 the encoder works at the bitrate that
// bandwidth adaptation held 8 loopback streams at (BENCHMARKS.md).
func BenchmarkServerCodec640x480(b *testing.B) {
	o, err := (&Options{}).withDefaults()
	if err != nil {
		b.Fatal(err)
	}
	seq, err := encodeSequence(&o, newPattern(o.Width, o.Height))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ n, kbps int }{{1, 1000}, {4, 1000}, {8, 1000}, {1, 350}} {
		n := c.n
		b.Run(fmt.Sprintf("sessions=%d/kbps=%d", n, c.kbps), func(b *testing.B) {
			type pair struct {
				dec *vpx.Decoder
				enc *vpx.Encoder
				img *image.YCbCr
				buf []byte
			}
			pairs := make([]pair, n)
			for k := range pairs {
				dec, err := vpx.NewDecoder()
				if err != nil {
					b.Fatal(err)
				}
				defer dec.Close()
				enc, err := vpx.NewEncoder(vpx.EncoderConfig{BitRate: c.kbps * 1000})
				if err != nil {
					b.Fatal(err)
				}
				defer enc.Close()
				pairs[k] = pair{dec: dec, enc: enc}
			}
			i := 0
			for b.Loop() {
				p := &pairs[i%n]
				f := i / n
				if p.img, err = p.dec.Decode(p.img, seq[f%len(seq)]); err != nil {
					b.Fatal(err)
				}
				if p.buf, _, err = p.enc.Encode(p.buf[:0], p.img, time.Duration(f)*time.Second/30); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
