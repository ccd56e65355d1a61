package bench

import (
	"testing"
	"time"

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
