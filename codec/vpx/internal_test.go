//go:build cgo

package vpx

import (
	"image"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec/internal/codectest"
)

func newEncoder(t *testing.T, cfg EncoderConfig) *Encoder {
	t.Helper()
	e, err := NewEncoder(cfg)
	if err != nil {
		t.Fatalf("NewEncoder(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func newDecoder(t *testing.T) *Decoder {
	t.Helper()
	d, err := NewDecoder()
	if err != nil {
		t.Fatalf("NewDecoder: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// encodeFrames encodes frames n0..n0+count-1 of the synthetic video at w x h
// and returns the keyframe flags.
func encodeFrames(t *testing.T, e *Encoder, w, h, n0, count int) []bool {
	t.Helper()
	var keys []bool
	for n := n0; n < n0+count; n++ {
		_, key, err := e.Encode(nil, codectest.Frame(w, h, n), time.Duration(n)*time.Second/30)
		if err != nil {
			t.Fatalf("frame %d (%dx%d): %v", n, w, h, err)
		}
		keys = append(keys, key)
	}
	return keys
}

func TestConfigDefaults(t *testing.T) {
	got, err := EncoderConfig{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := EncoderConfig{BitRate: 1_000_000, FrameRate: 30, CPUUsed: -6, KeyFrameInterval: 3000, Threads: 1}
	if got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
}

func TestConfigInvalid(t *testing.T) {
	for _, cfg := range []EncoderConfig{
		{Width: 640},
		{Height: 480},
		{Width: -2, Height: 2},
		{Width: 16384, Height: 16},
		{BitRate: 999},
		{BitRate: -1},
		{BitRate: 2_000_000_000},
		{FrameRate: -30},
		{CPUUsed: 17},
		{CPUUsed: -17},
		{Threads: -1},
		{Threads: 65},
	} {
		if e, err := NewEncoder(cfg); err == nil {
			e.Close()
			t.Errorf("NewEncoder(%+v): no error", cfg)
		} else if !strings.HasPrefix(err.Error(), "vpx: ") {
			t.Errorf("NewEncoder(%+v): error %q lacks the vpx: prefix", cfg, err)
		}
	}
}

func TestLazyInit(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	if e.setups != 0 {
		t.Fatalf("encoder created before the first frame")
	}
	keys := encodeFrames(t, e, 320, 240, 0, 3)
	if e.setups != 1 || !keys[0] || keys[1] || keys[2] {
		t.Errorf("setups %d, keyframes %v; want 1, [true false false]", e.setups, keys)
	}
}

func TestSetBitrateInPlace(t *testing.T) {
	e := newEncoder(t, EncoderConfig{Width: 320, Height: 240})
	encodeFrames(t, e, 320, 240, 0, 5)
	for _, bps := range []int{200_000, 3_000_000, 1_000} {
		if err := e.SetBitrate(bps); err != nil {
			t.Fatal(err)
		}
		keys := encodeFrames(t, e, 320, 240, 5, 3)
		if e.bitrate != bps || e.targetKbps() != kbps(bps) {
			t.Errorf("after SetBitrate(%d): bitrate %d, libvpx %d kbit/s", bps, e.bitrate, e.targetKbps())
		}
		if e.setups != 1 || keys[0] {
			t.Errorf("SetBitrate(%d) rebuilt the encoder (setups %d, keyframe %v)", bps, e.setups, keys[0])
		}
	}
}

func TestResize(t *testing.T) {
	e := newEncoder(t, EncoderConfig{Width: 640, Height: 480})
	d := newDecoder(t)
	var out *image.YCbCr
	n := 0
	prev := image.Pt(640, 480)
	for _, c := range []struct {
		size   image.Point
		setups int
	}{
		{image.Pt(640, 480), 1},
		{image.Pt(320, 240), 2},
		{image.Pt(1280, 720), 3},
		{image.Pt(641, 479), 4},
		{image.Pt(1, 1), 5},
		{image.Pt(3, 5), 6}, // libvpx's in-place resize broke inter frames here
		{image.Pt(3, 5), 6},
	} {
		w, h := c.size.X, c.size.Y
		for i := range 3 {
			src := codectest.Frame(w, h, n)
			data, key, err := e.Encode(nil, src, time.Duration(n)*time.Second/30)
			if err != nil {
				t.Fatalf("%v: %v", c.size, err)
			}
			if want := n == 0 || (i == 0 && c.size != prev); key != want {
				t.Errorf("%v frame %d: keyframe %v, want %v", c.size, i, key, want)
			}
			n++
			if out, err = d.Decode(out, data); err != nil {
				t.Fatalf("%v: Decode: %v", c.size, err)
			}
			if out.Rect.Size() != c.size {
				t.Fatalf("%v: decoded %v", c.size, out.Rect.Size())
			}
			if p := codectest.PSNR(src, out); p < 25 {
				t.Errorf("%v frame %d: PSNR %.1f dB", c.size, i, p)
			}
		}
		if e.setups != c.setups {
			t.Errorf("after %v: encoder created %d times, want %d", c.size, e.setups, c.setups)
		}
		prev = c.size
	}
}

func TestKeyFrameInterval(t *testing.T) {
	e := newEncoder(t, EncoderConfig{Width: 160, Height: 120, KeyFrameInterval: 10})
	last := 0
	for i, key := range encodeFrames(t, e, 160, 120, 0, 45) {
		if key {
			last = i
		}
		if i-last > 10 {
			t.Fatalf("no keyframe in frames %d-%d", last+1, i)
		}
	}

	e = newEncoder(t, EncoderConfig{Width: 160, Height: 120, KeyFrameInterval: -1})
	for i, key := range encodeFrames(t, e, 160, 120, 0, 60) {
		if key != (i == 0) {
			t.Errorf("KeyFrameInterval -1: frame %d keyframe %v", i, key)
		}
	}
}

func TestNextTick(t *testing.T) {
	e := &Encoder{cfg: EncoderConfig{FrameRate: 30}}
	frame := time.Second / 30
	var pts time.Duration
	var prev int64 = -1
	var ticks []int64
	for i := range 200 {
		switch {
		case i == 50:
			pts += 30 * time.Second // pause
		case i >= 80 && i < 85: // repeated pts
		case i == 100:
			pts -= time.Minute // clock jumps back
		case i >= 120:
			pts += 3 * frame // the source slows to 10 fps
		default:
			pts += frame
		}
		tick, dur := e.nextTick(pts)
		e.started, e.lastIn, e.lastTick = true, pts, tick
		if dur != 3000 {
			t.Fatalf("duration %d, want 3000", dur)
		}
		if tick <= prev {
			t.Fatalf("frame %d: tick %d after %d", i, tick, prev)
		}
		if prev >= 0 {
			if d := tick - prev; d > 10*prev/11 && prev > 0 && d > 2*e.avgInterval+3000 {
				t.Fatalf("frame %d: interval jumped to %d ticks", i, d)
			}
		}
		ticks = append(ticks, tick)
		prev = tick
	}
	// Around the pause, the clock keeps its pace.
	if d := ticks[51] - ticks[50]; d != 3000 {
		t.Errorf("interval across the pause: %d ticks, want 3000", d)
	}
	// At 10 fps the clock converges on 9000 ticks a frame.
	if d := ticks[199] - ticks[198]; d < 8500 || d > 9500 {
		t.Errorf("interval at 10 fps: %d ticks, want about 9000", d)
	}
	// Successive intervals never differ by 10% or more (libvpx's step).
	for i := 2; i < len(ticks); i++ {
		a, b := ticks[i-1]-ticks[i-2], ticks[i]-ticks[i-1]
		if (b-a)*10/a != 0 {
			t.Errorf("frames %d-%d: interval %d -> %d", i-1, i, a, b)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	e := newEncoder(t, EncoderConfig{Width: 320, Height: 240})
	d := newDecoder(t)
	frames := []*image.YCbCr{codectest.Frame(320, 240, 0), codectest.Frame(320, 240, 1)}
	dst := make([]byte, 0, 1<<20)
	var out *image.YCbCr
	var pts time.Duration
	n := 0
	var err error
	step := func() {
		if dst, _, err = e.Encode(dst[:0], frames[n%2], pts); err != nil {
			t.Fatal(err)
		}
		if out, err = d.Decode(out, dst); err != nil {
			t.Fatal(err)
		}
		n++
		pts += time.Second / 30
	}
	step()
	if allocs := testing.AllocsPerRun(50, step); allocs != 0 {
		t.Errorf("Encode+Decode: %v allocations per frame, want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(50, func() { e.RequestKeyFrame(); e.SetBitrate(500_000 + n); step() }); allocs != 0 {
		t.Errorf("Encode+Decode with RequestKeyFrame and SetBitrate: %v allocations per frame, want 0", allocs)
	}
}

func TestDecodeErrorDetail(t *testing.T) {
	e := newEncoder(t, EncoderConfig{Width: 320, Height: 240})
	d := newDecoder(t)
	key, _, err := e.Encode(nil, codectest.Frame(320, 240, 0), 0)
	if err != nil {
		t.Fatal(err)
	}
	inter, _, err := e.Encode(nil, codectest.Frame(320, 240, 1), time.Second/30)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		data   []byte
		detail string
	}{
		{key[:len(key)/2], "A stream must start with a complete key frame"},
		{key, ""},
		// libvpx decodes this one without an error, but marks it corrupt.
		{inter[:len(inter)/2], "frame is corrupt"},
		{key, ""},
		{inter[:10], "Truncated packet or corrupt partition 0 length"},
	} {
		_, err := d.Decode(nil, c.data)
		if c.detail == "" {
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err == nil || !strings.HasPrefix(err.Error(), "vpx: decode: ") || !strings.Contains(err.Error(), c.detail) {
			t.Errorf("error %q, want libvpx's %q after \"vpx: decode: \"", err, c.detail)
		}
	}
}

func TestDecodeIntoOddDst(t *testing.T) {
	e := newEncoder(t, EncoderConfig{Width: 321, Height: 241})
	d := newDecoder(t)
	src := codectest.Frame(321, 241, 0)
	data, _, err := e.Encode(nil, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A sub-image of a larger image, at an even offset, is reused in place.
	big := image.NewYCbCr(image.Rect(0, 0, 400, 300), image.YCbCrSubsampleRatio420)
	sub := big.SubImage(image.Rect(10, 20, 331, 261)).(*image.YCbCr)
	out, err := d.Decode(sub, data)
	if err != nil {
		t.Fatal(err)
	}
	if out != sub {
		t.Errorf("Decode did not reuse an even-aligned sub-image of the right size")
	}
	if p := codectest.PSNR(src, out); p < 30 {
		t.Errorf("PSNR %.1f dB in a sub-image", p)
	}
	// Wrong size, odd offset or other subsampling: a new image.
	for _, dst := range []*image.YCbCr{
		image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420),
		big.SubImage(image.Rect(11, 20, 332, 261)).(*image.YCbCr),
		image.NewYCbCr(image.Rect(0, 0, 321, 241), image.YCbCrSubsampleRatio444),
	} {
		data, _, err := e.Encode(nil, src, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		out, err := d.Decode(dst, data)
		if err != nil {
			t.Fatal(err)
		}
		if out == dst || out.Rect != image.Rect(0, 0, 321, 241) || out.SubsampleRatio != image.YCbCrSubsampleRatio420 {
			t.Errorf("dst %v %v: got %v %v (same: %v)", dst.Rect, dst.SubsampleRatio, out.Rect, out.SubsampleRatio, out == dst)
		}
	}
}

func TestEncodeSubImage(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	d := newDecoder(t)
	big := codectest.Frame(640, 480, 0)
	sub := big.SubImage(image.Rect(100, 50, 420, 290)).(*image.YCbCr)
	data, _, err := e.Encode(nil, sub, 0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.Decode(nil, data)
	if err != nil {
		t.Fatal(err)
	}
	want := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
	for y := range 240 {
		copy(want.Y[y*want.YStride:], sub.Y[y*sub.YStride:y*sub.YStride+320])
	}
	if p := codectest.PSNR(want, out); p < 30 {
		t.Errorf("sub-image round trip: PSNR %.1f dB", p)
	}
}

// noiseFrame is a picture of fresh noise: more than a low bitrate can
// carry at any quantizer.
func noiseFrame(w, h int, seed uint32) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	x := seed*2654435761 + 1
	for i := range img.Y {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		img.Y[i] = uint8(x)
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return img
}

// TestDropFrames: on content far over its bitrate, an encoder with
// DropFrames skips frames and stays near the target, what it does send
// decodes, and a keyframe asked for while it skips comes with the next
// frame it sends. Without DropFrames every call yields a frame and the
// stream runs far over the target.
func TestDropFrames(t *testing.T) {
	const w, h, fps, bps, n, keyAt = 320, 240, 15, 200_000, 45, 30
	run := func(drop bool) (frames int, kbps float64) {
		e := newEncoder(t, EncoderConfig{Width: w, Height: h, BitRate: bps, FrameRate: fps, DropFrames: drop})
		d := newDecoder(t)
		var buf []byte
		bytes, keyPending := 0, false
		for i := range n {
			if i == keyAt {
				e.RequestKeyFrame()
				keyPending = true
			}
			out, key, err := e.Encode(buf[:0], noiseFrame(w, h, uint32(i)), time.Duration(i)*time.Second/fps)
			if err != nil {
				t.Fatal(err)
			}
			buf = out
			if len(out) == 0 {
				continue
			}
			if _, err := d.Decode(nil, out); err != nil {
				t.Fatalf("DropFrames %v: frame %d does not decode: %v", drop, i, err)
			}
			if keyPending && !key {
				t.Errorf("DropFrames %v: frame %d is the first sent after RequestKeyFrame but not a keyframe", drop, i)
			}
			keyPending = false
			frames++
			bytes += len(out)
		}
		return frames, float64(bytes) * 8 / (float64(n) / fps) / 1000
	}
	allFrames, allKbps := run(false)
	fewer, kbps := run(true)
	t.Logf("fresh noise at %d kbit/s: %d of %d frames at %.0f kbit/s without dropping, %d at %.0f kbit/s with", bps/1000, allFrames, n, allKbps, fewer, kbps)
	if allFrames != n {
		t.Errorf("without DropFrames, %d of %d calls produced a frame", allFrames, n)
	}
	if fewer >= n*3/4 || fewer == 0 {
		t.Errorf("with DropFrames, %d of %d frames sent; want some but well under all", fewer, n)
	}
	if kbps > 2*bps/1000 || allKbps < 2*kbps {
		t.Errorf("with DropFrames %.0f kbit/s against %.0f without, target %d: want near the target and far under the rate without", kbps, allKbps, bps/1000)
	}
}
