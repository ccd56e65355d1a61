package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec/vpx"
	"github.com/rtcstream/rtcstream/media"
)

func TestGrayCode(t *testing.T) {
	for n := range 1 << 16 {
		g := grayCode(uint16(n))
		if fromGray(g) != uint16(n) {
			t.Fatalf("fromGray(grayCode(%d)) = %d", n, fromGray(g))
		}
		if n > 0 {
			if d := g ^ grayCode(uint16(n-1)); d&(d-1) != 0 {
				t.Fatalf("%d and %d differ in more than one bit of their Gray codes", n-1, n)
			}
		}
	}
}

func TestStampFits(t *testing.T) {
	for _, tc := range []struct {
		w, h int
		fits bool
	}{
		{640, 480, true}, {544, 16, true}, {528, 16, false}, {528, 32, true},
		{320, 240, true}, {160, 64, true}, {160, 48, false}, {32, 272, true}, {16, 1000, false},
	} {
		if got := stampFits(tc.w, tc.h); got != tc.fits {
			t.Errorf("stampFits(%d, %d) = %v, want %v", tc.w, tc.h, got, tc.fits)
		}
	}
}

// Counters stamped into the moving pattern survive a real VP8 encode and
// decode at 1 Mbps, frame after frame, and read the same from a picture
// whose luma was inverted (as the invert demo returns it).
func TestCounterSurvivesVP8(t *testing.T) {
	for _, size := range []struct{ w, h int }{{640, 480}, {320, 240}, {176, 144}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			enc, err := vpx.NewEncoder(vpx.EncoderConfig{BitRate: 1_000_000, KeyFrameInterval: -1})
			if err != nil {
				t.Fatal(err)
			}
			defer enc.Close()
			dec, err := vpx.NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			defer dec.Close()
			pat := newPattern(size.w, size.h)
			img := media.NewI420(size.w, size.h)
			var buf []byte
			// Consecutive counters as a probe sends them, then jumps
			// that flip many bits at once (a probe that skipped slots,
			// the 16-bit wrap).
			var counters []uint16
			for i := range 60 {
				counters = append(counters, uint16(i))
			}
			counters = append(counters, 0x7fff, 0x8000, 0xffff, 0, 0x5555, 0xaaaa, 1234, 65000)
			for i, c := range counters {
				pat.draw(img, i)
				stampCounter(img, c)
				if got, ok := readCounter(img); !ok || got != c {
					t.Fatalf("frame %d: read %d (%v) from the raw picture, stamped %d", i, got, ok, c)
				}
				buf, _, err = enc.Encode(buf[:0], img, time.Duration(i)*time.Second/30)
				if err != nil {
					t.Fatal(err)
				}
				out, err := dec.Decode(nil, buf)
				if err != nil || out == nil {
					t.Fatalf("frame %d: decode: %v", i, err)
				}
				if got, ok := readCounter(out); !ok || got != c {
					t.Fatalf("frame %d (%d bytes): read %d (%v), stamped %d", i, len(buf), got, ok, c)
				}
				for j := range out.Y {
					out.Y[j] = 255 - out.Y[j]
				}
				if got, ok := readCounter(out); !ok || got != c {
					t.Fatalf("frame %d inverted: read %d (%v), stamped %d", i, got, ok, c)
				}
			}
		})
	}
}

func TestCounterUnreadable(t *testing.T) {
	img := media.NewI420(320, 240) // flat grey
	if _, ok := readCounter(img); ok {
		t.Error("a counter read from a flat picture")
	}
	newPattern(320, 240).draw(img, 7)
	if _, ok := readCounter(img); ok {
		t.Error("a counter read from the pattern without a stamp")
	}
	stampCounter(img, 4321)
	// One cell of a pair smeared to mid grey: its complement still tells
	// the bit.
	fillCell(img, cellRect(2+5, 320/cellSize), 128)
	if c, ok := readCounter(img); !ok || c != 4321 {
		t.Errorf("read %d (%v) from a stamp with half a bit blank", c, ok)
	}
	// Both: that bit, and so the counter, is unreadable rather than wrong.
	fillCell(img, cellRect(2+stampBits+5, 320/cellSize), 128)
	if c, ok := readCounter(img); ok {
		t.Errorf("read %d from a stamp with a blank bit", c)
	}
	if _, ok := readCounter(media.NewI420(64, 32)); ok {
		t.Error("a counter read from a picture too small for one")
	}
}
