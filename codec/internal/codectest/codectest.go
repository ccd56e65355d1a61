// Package codectest is a conformance suite that every rtcstream video codec
// (a codec.VideoEncoder with its codec.VideoDecoder) runs from its own tests,
// so that all codecs honour the contracts in package codec the same way.
// It also provides the synthetic test video (Frame, Draw) and the quality
// measure (PSNR) that the codecs' tests and benchmarks share.
package codectest

import (
	"bytes"
	"errors"
	"image"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec"
)

// FrameRate is the frame rate of the suite's video, in frames per second.
const FrameRate = 30

// Quality floors, in dB of luma PSNR, that the suite holds codecs to.
const (
	// MinPSNR is for 640x480 at 1 Mbit/s once rate control has settled.
	MinPSNR = 38
	// minPSNRKey is for a keyframe made on request mid-stream (it must fit
	// a bounded bit budget) and the frames right after it.
	minPSNRKey = 30
	// minPSNRSize is for the first frames after a size change, at sizes up
	// to 1280x720, still at 1 Mbit/s.
	minPSNRSize = 28
)

// RunVideo runs the conformance suite against an encoder and a decoder of
// the same codec. newEnc returns an encoder for frames of width x height
// pixels at bitRate bits per second and FrameRate frames per second, with
// its other settings at their defaults; newDec returns a decoder. When a
// constructor fails with an error wrapping codec.ErrUnavailable (a build
// without the codec), the suite is skipped.
//
// The subtests check, on the synthetic video of Frame:
//   - RoundTrip: 640x480 at 1 Mbit/s keeps a mean luma PSNR of MinPSNR or
//     more after the first 10 frames, chroma too, within 1.5 times the
//     target bitrate; the first frame is a keyframe.
//   - AppendsToDst: Encode appends to dst, in place when it has room.
//   - KeyFrameOnRequest: RequestKeyFrame makes the next frame, and only it,
//     a keyframe, and a fresh decoder can start there.
//   - BitrateChange: SetBitrate from 2 Mbit/s to 200 kbit/s and back moves
//     bytes per frame accordingly, without a keyframe; SetBitrate(0) fails.
//   - SizeChange: 640x480, 320x240, 1280x720, 641x479 and back, each size
//     starting with a keyframe and decoded at that size; Decode reuses dst
//     while the size holds.
//   - IdleGap and NonMonotonicPTS: a 30 s pause, repeated pts and a clock
//     jumping back still encode and decode well, with no frame bigger than
//     a quarter second of the bitrate.
//   - ConcurrentControl: RequestKeyFrame and SetBitrate race with Encode
//     (run the suite with -race).
//   - CloseTwice: Close is idempotent; Encode and Decode fail after it.
//   - RejectsBadImage: Encode fails, without panicking, on 4:4:4 and empty
//     images.
//   - GarbageInput: random, zeroed, truncated and damaged data make Decode
//     fail, and the decoder recovers at the next keyframe.
//   - InterFrameFirst: an inter frame with no keyframe before it fails.
//   - WritableOutput: writing to decoded images spoils no later frame, and
//     Decode into a scribbled dst overwrites all of it.
func RunVideo(t *testing.T, newEnc func(width, height, bitRate int) (codec.VideoEncoder, error), newDec func() (codec.VideoDecoder, error)) {
	t.Helper()
	RunVideoWith(t, newEnc, newDec, Options{})
}

// Options adapt the suite to a codec's nature.
type Options struct {
	// EvenSizes: the codec codes 4:2:0 pictures of even sides only (H.264),
	// so an odd-sized frame decodes one pixel wider or taller, its own
	// pixels the source's.
	EvenSizes bool
}

// RunVideoWith is RunVideo for a codec with opts.
func RunVideoWith(t *testing.T, newEnc func(width, height, bitRate int) (codec.VideoEncoder, error), newDec func() (codec.VideoDecoder, error), opts Options) {
	t.Helper()
	s := suite{newEnc: newEnc, newDec: newDec, opts: opts}
	e, err := newEnc(640, 480, 1_000_000)
	if errors.Is(err, codec.ErrUnavailable) {
		t.Skipf("codec unavailable: %v", err)
	}
	if err != nil {
		t.Fatalf("new encoder: %v", err)
	}
	e.Close()
	d, err := newDec()
	if errors.Is(err, codec.ErrUnavailable) {
		t.Skipf("codec unavailable: %v", err)
	}
	if err != nil {
		t.Fatalf("new decoder: %v", err)
	}
	d.Close()

	t.Run("RoundTrip", s.roundTrip)
	t.Run("AppendsToDst", s.appendsToDst)
	t.Run("KeyFrameOnRequest", s.keyFrameOnRequest)
	t.Run("BitrateChange", s.bitrateChange)
	t.Run("SizeChange", s.sizeChange)
	t.Run("IdleGap", s.idleGap)
	t.Run("NonMonotonicPTS", s.nonMonotonicPTS)
	t.Run("ConcurrentControl", s.concurrentControl)
	t.Run("CloseTwice", s.closeTwice)
	t.Run("RejectsBadImage", s.rejectsBadImage)
	t.Run("GarbageInput", s.garbageInput)
	t.Run("InterFrameFirst", s.interFrameFirst)
	t.Run("WritableOutput", s.writableOutput)
}

type suite struct {
	newEnc func(width, height, bitRate int) (codec.VideoEncoder, error)
	newDec func() (codec.VideoDecoder, error)
	opts   Options
}

// pipe is an encoder and a decoder joined back to back, fed the synthetic
// video.
type pipe struct {
	t           *testing.T
	enc         codec.VideoEncoder
	dec         codec.VideoDecoder
	n           int           // index of the next frame of the synthetic video
	encodedLast *image.YCbCr  // the last frame encoded
	pts         time.Duration // pts of the next frame
	buf         []byte
	out         *image.YCbCr
	even        bool // Options.EvenSizes
}

// step is what happened to one frame.
type step struct {
	src     *image.YCbCr
	data    []byte // compressed frame (a copy), empty if dropped
	key     bool
	decoded *image.YCbCr // nil if dropped
	psnr    float64
}

func (s *suite) pipe(t *testing.T, w, h, bitRate int) *pipe {
	t.Helper()
	enc, err := s.newEnc(w, h, bitRate)
	if err != nil {
		t.Fatalf("new encoder %dx%d at %d bit/s: %v", w, h, bitRate, err)
	}
	dec, err := s.newDec()
	if err != nil {
		enc.Close()
		t.Fatalf("new decoder: %v", err)
	}
	p := &pipe{t: t, enc: enc, dec: dec, even: s.opts.EvenSizes}
	t.Cleanup(func() {
		if err := enc.Close(); err != nil {
			t.Errorf("encoder Close: %v", err)
		}
		if err := dec.Close(); err != nil {
			t.Errorf("decoder Close: %v", err)
		}
	})
	return p
}

// encode encodes the next w x h frame of the synthetic video, advancing pts
// by one frame interval afterwards.
func (p *pipe) encode(w, h int) step {
	p.t.Helper()
	src := Frame(w, h, p.n)
	var err error
	var key bool
	p.buf, key, err = p.enc.Encode(p.buf[:0], src, p.pts)
	if err != nil {
		p.t.Fatalf("frame %d (%dx%d, pts %v): Encode: %v", p.n, w, h, p.pts, err)
	}
	p.n++
	p.pts += time.Second / FrameRate
	p.encodedLast = src
	return step{src: src, data: bytes.Clone(p.buf), key: key}
}

// next encodes and decodes the next frame, into the decoder's previous
// output image.
func (p *pipe) next(w, h int) step {
	p.t.Helper()
	st := p.encode(w, h)
	if len(st.data) == 0 {
		return st // dropped
	}
	out, err := p.dec.Decode(p.out, st.data)
	if err != nil {
		p.t.Fatalf("frame %d (%dx%d, key %v, %d bytes): Decode: %v", p.n-1, w, h, st.key, len(st.data), err)
	}
	if out == nil {
		p.t.Fatalf("frame %d: Decode returned no picture and no error", p.n-1)
	}
	want := image.Pt(w, h)
	if p.even {
		want = image.Pt(w+w&1, h+h&1)
	}
	if got := out.Rect.Size(); got != want {
		p.t.Fatalf("frame %d: decoded size %v, want %v", p.n-1, got, want)
	}
	if out.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		p.t.Fatalf("frame %d: decoded %v, want 4:2:0", p.n-1, out.SubsampleRatio)
	}
	p.out = out
	st.decoded = out
	st.psnr = PSNR(st.src, out)
	return st
}

func (s *suite) roundTrip(t *testing.T) {
	const bitRate = 1_000_000
	p := s.pipe(t, 640, 480, bitRate)
	var sum float64
	var n, size int
	for i := range 90 {
		st := p.next(640, 480)
		if i == 0 && !st.key {
			t.Errorf("first frame is not a keyframe")
		}
		if i < 10 || st.decoded == nil {
			continue
		}
		sum += st.psnr
		size += len(st.data)
		n++
	}
	psnr := sum / float64(n)
	kbps := float64(size) * 8 * FrameRate / float64(n) / 1000
	cb, cr := chromaPSNR(p.encodedLast, p.out)
	t.Logf("640x480 at 1 Mbit/s: mean PSNR %.2f dB over frames 10-89, %.0f kbit/s; last frame chroma PSNR Cb %.2f, Cr %.2f dB", psnr, kbps, cb, cr)
	if cb < MinPSNR || cr < MinPSNR {
		t.Errorf("last frame: chroma PSNR Cb %.2f dB, Cr %.2f dB, want >= %v", cb, cr, MinPSNR)
	}
	if psnr < MinPSNR {
		t.Errorf("mean PSNR %.2f dB, want >= %v", psnr, MinPSNR)
	}
	if kbps > 1.5*bitRate/1000 {
		t.Errorf("%.0f kbit/s, want at most 1.5 times the %d kbit/s target", kbps, bitRate/1000)
	}
}

func (s *suite) appendsToDst(t *testing.T) {
	p := s.pipe(t, 320, 240, 500_000)
	prefix := []byte("prefix")
	dst := make([]byte, len(prefix), 1<<20)
	copy(dst, prefix)
	out, _, err := p.enc.Encode(dst, Frame(320, 240, 0), 0)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if !bytes.HasPrefix(out, prefix) || len(out) <= len(prefix) {
		t.Fatalf("Encode did not append to dst: got %d bytes starting %q", len(out), out[:min(len(out), 8)])
	}
	if &out[0] != &dst[0] {
		t.Errorf("Encode reallocated dst although it had room")
	}
	img, err := p.dec.Decode(nil, out[len(prefix):])
	if err != nil || img == nil {
		t.Fatalf("Decode of appended frame: %v, %v", img, err)
	}
}

func (s *suite) keyFrameOnRequest(t *testing.T) {
	const at = 20
	p := s.pipe(t, 640, 480, 1_000_000)
	var steps []step
	for i := range 40 {
		if i == at {
			p.enc.RequestKeyFrame()
		}
		st := p.next(640, 480)
		steps = append(steps, st)
		switch {
		case i == at && !st.key:
			t.Fatalf("frame %d after RequestKeyFrame is not a keyframe", i)
		case i != 0 && i != at && st.key:
			t.Errorf("frame %d is an unrequested keyframe", i)
		}
	}
	t.Logf("requested keyframe: %d bytes, PSNR %.2f dB; inter frame before it: %d bytes",
		len(steps[at].data), steps[at].psnr, len(steps[at-1].data))

	// A decoder that joins at the keyframe decodes from it on.
	dec, err := s.newDec()
	if err != nil {
		t.Fatalf("new decoder: %v", err)
	}
	defer dec.Close()
	var out *image.YCbCr
	for i := at; i < len(steps); i++ {
		out, err = dec.Decode(out, steps[i].data)
		if err != nil || out == nil {
			t.Fatalf("fresh decoder, frame %d: %v, %v", i, out, err)
		}
		if got := PSNR(steps[i].src, out); got < minPSNRKey {
			t.Errorf("fresh decoder, frame %d: PSNR %.2f dB, want >= %v", i, got, minPSNRKey)
		}
	}
}

func (s *suite) bitrateChange(t *testing.T) {
	p := s.pipe(t, 640, 480, 2_000_000)
	window := func(frames int, check func(i int, st step)) float64 {
		size := 0
		for i := range frames {
			st := p.next(640, 480)
			if check != nil {
				check(i, st)
			}
			if i >= frames-30 {
				size += len(st.data)
			}
		}
		return float64(size) / 30
	}
	high := window(60, nil)
	noKey := func(i int, st step) {
		if st.key {
			t.Errorf("frame %d after SetBitrate is a keyframe: the encoder was rebuilt", i)
		}
	}
	if err := p.enc.SetBitrate(200_000); err != nil {
		t.Fatalf("SetBitrate(200_000): %v", err)
	}
	low := window(90, noKey)
	if err := p.enc.SetBitrate(2_000_000); err != nil {
		t.Fatalf("SetBitrate(2_000_000): %v", err)
	}
	again := window(90, noKey)
	t.Logf("bytes per frame: %.0f at 2 Mbit/s, %.0f at 200 kbit/s, %.0f at 2 Mbit/s again", high, low, again)
	if low > high/3 {
		t.Errorf("lowering the bitrate tenfold cut bytes per frame only from %.0f to %.0f", high, low)
	}
	if again < 2*low {
		t.Errorf("raising the bitrate again left bytes per frame at %.0f (was %.0f)", again, low)
	}
	for _, bad := range []int{0, -1} {
		if err := p.enc.SetBitrate(bad); err == nil {
			t.Errorf("SetBitrate(%d) = nil, want an error", bad)
		}
	}
}

func (s *suite) sizeChange(t *testing.T) {
	p := s.pipe(t, 640, 480, 1_000_000)
	for _, sz := range []image.Point{{640, 480}, {320, 240}, {1280, 720}, {641, 479}, {640, 480}} {
		var sum float64
		const frames = 10
		for i := range frames {
			prev := p.out
			st := p.next(sz.X, sz.Y)
			if i == 0 && !st.key {
				t.Errorf("first %v frame is not a keyframe", sz)
			}
			if i == 1 && st.decoded != prev {
				t.Errorf("%v: Decode allocated a new image although dst had the right size", sz)
			}
			sum += st.psnr
		}
		psnr := sum / frames
		t.Logf("%dx%d: mean PSNR %.2f dB over its first %d frames", sz.X, sz.Y, psnr, frames)
		if psnr < minPSNRSize {
			t.Errorf("%dx%d: mean PSNR %.2f dB, want >= %v", sz.X, sz.Y, psnr, minPSNRSize)
		}
	}
}

// checkNoBurst fails if a frame in steps is larger than a quarter second
// of the bitrate: the network would queue it for that long.
func checkNoBurst(t *testing.T, steps []step, bitRate int) {
	t.Helper()
	for i, st := range steps {
		if !st.key && len(st.data) > bitRate/8/4 {
			t.Errorf("frame %d: %d bytes, over a quarter second at %d bit/s", i, len(st.data), bitRate)
		}
	}
}

func (s *suite) idleGap(t *testing.T) {
	const bitRate = 1_000_000
	p := s.pipe(t, 640, 480, bitRate)
	var after []step
	for i := range 60 {
		if i == 30 {
			p.pts += 30 * time.Second
		}
		st := p.next(640, 480)
		if i >= 30 {
			after = append(after, st)
		}
	}
	checkNoBurst(t, after, bitRate)
	var sum float64
	for _, st := range after {
		sum += st.psnr
	}
	if psnr := sum / float64(len(after)); psnr < MinPSNR {
		t.Errorf("after a 30 s gap: mean PSNR %.2f dB, want >= %v", psnr, MinPSNR)
	}
}

func (s *suite) nonMonotonicPTS(t *testing.T) {
	const bitRate = 1_000_000
	p := s.pipe(t, 640, 480, bitRate)
	var steps []step
	for i := range 60 {
		switch {
		case i >= 20 && i < 25:
			p.pts -= time.Second / FrameRate // the same pts five times
		case i == 40:
			p.pts -= 10 * time.Second // a clock that jumps back
		}
		steps = append(steps, p.next(640, 480))
	}
	checkNoBurst(t, steps[1:], bitRate)
	for i, st := range steps[20:] {
		if st.psnr < minPSNRKey {
			t.Errorf("frame %d: PSNR %.2f dB, want >= %v", 20+i, st.psnr, minPSNRKey)
		}
	}
}

func (s *suite) concurrentControl(t *testing.T) {
	p := s.pipe(t, 320, 240, 500_000)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p.enc.RequestKeyFrame()
			if err := p.enc.SetBitrate(200_000 + 1000*(i%500)); err != nil {
				t.Errorf("SetBitrate: %v", err)
				return
			}
			time.Sleep(time.Millisecond)
		}
	})
	for range 30 {
		p.next(320, 240)
	}
	close(stop)
	wg.Wait()
}

func (s *suite) closeTwice(t *testing.T) {
	enc, err := s.newEnc(320, 240, 500_000)
	if err != nil {
		t.Fatalf("new encoder: %v", err)
	}
	dec, err := s.newDec()
	if err != nil {
		t.Fatalf("new decoder: %v", err)
	}
	data, _, err := enc.Encode(nil, Frame(320, 240, 0), 0)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if _, err := dec.Decode(nil, data); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	for i := range 2 {
		if err := enc.Close(); err != nil {
			t.Errorf("encoder Close #%d: %v", i+1, err)
		}
		if err := dec.Close(); err != nil {
			t.Errorf("decoder Close #%d: %v", i+1, err)
		}
	}
	if _, _, err := enc.Encode(nil, Frame(320, 240, 1), time.Second/FrameRate); err == nil {
		t.Errorf("Encode after Close: no error")
	}
	enc.RequestKeyFrame() // must not panic
	_ = enc.SetBitrate(300_000)
	if img, err := dec.Decode(nil, data); err == nil {
		t.Errorf("Decode after Close: %v, no error", img)
	}

	// Closing before any use is fine too.
	enc, err = s.newEnc(320, 240, 500_000)
	if err != nil {
		t.Fatalf("new encoder: %v", err)
	}
	if err := enc.Close(); err != nil {
		t.Errorf("Close of unused encoder: %v", err)
	}
}

func (s *suite) rejectsBadImage(t *testing.T) {
	p := s.pipe(t, 320, 240, 500_000)
	img444 := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio444)
	if _, _, err := p.enc.Encode(nil, img444, 0); err == nil {
		t.Errorf("Encode of a 4:4:4 image: no error")
	}
	empty := image.NewYCbCr(image.Rect(0, 0, 0, 0), image.YCbCrSubsampleRatio420)
	if _, _, err := p.enc.Encode(nil, empty, 0); err == nil {
		t.Errorf("Encode of an empty image: no error")
	}
	// The encoder still works.
	for range 3 {
		p.next(320, 240)
	}
}

func (s *suite) garbageInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 4000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	// Good frames to cut up: a keyframe and an inter frame.
	src := s.pipe(t, 640, 480, 1_000_000)
	key := src.encode(640, 480).data
	inter := src.encode(640, 480).data

	cases := []struct {
		name string
		data []byte
	}{
		{"random", random},
		{"zeros", make([]byte, 1000)},
		{"one byte", []byte{0x30}},
		{"truncated keyframe", key[:len(key)/2]},
		{"truncated inter frame", inter[:len(inter)/2]},
		{"keyframe header, random body", append(bytes.Clone(key[:10]), random...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := s.pipe(t, 640, 480, 1_000_000)
			for range 5 {
				p.next(640, 480)
			}
			img, err := p.dec.Decode(nil, c.data)
			if err == nil {
				t.Errorf("Decode of %d bytes of %s: picture %v, no error", len(c.data), c.name, img != nil)
			}
			// Inter frames that follow may fail (their reference may be
			// damaged) but must not crash; a keyframe brings the decoder back.
			for range 5 {
				st := p.encode(640, 480)
				if len(st.data) > 0 {
					p.dec.Decode(nil, st.data)
				}
			}
			p.enc.RequestKeyFrame()
			for i := range 10 {
				st := p.next(640, 480)
				if i == 0 && !st.key {
					t.Fatalf("requested keyframe missing")
				}
				if st.psnr < minPSNRKey {
					t.Errorf("frame %d after the keyframe: PSNR %.2f dB, want >= %v", i, st.psnr, minPSNRKey)
				}
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		dec, err := s.newDec()
		if err != nil {
			t.Fatalf("new decoder: %v", err)
		}
		defer dec.Close()
		if img, err := dec.Decode(nil, nil); err == nil && img != nil {
			t.Errorf("Decode(nil) produced a picture")
		}
	})
}

func (s *suite) interFrameFirst(t *testing.T) {
	p := s.pipe(t, 640, 480, 1_000_000)
	p.encode(640, 480) // keyframe, withheld from the decoder
	st := p.encode(640, 480)
	if st.key {
		t.Fatalf("second frame is a keyframe")
	}
	if img, err := p.dec.Decode(nil, st.data); err == nil {
		t.Errorf("Decode of an inter frame with no keyframe before: picture %v, no error", img != nil)
	}
}

func (s *suite) writableOutput(t *testing.T) {
	p := s.pipe(t, 640, 480, 1_000_000)
	for range 20 {
		p.next(640, 480)
	}
	scribble := func(img *image.YCbCr) {
		for i := range img.Y {
			img.Y[i] = byte(i * 7)
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = 0, 255
		}
	}
	// Scribble on the decoded picture, then decode the next inter frames
	// into fresh images: the decoder's references must be untouched.
	scribbled := p.out
	scribble(scribbled)
	p.out = nil
	for i := range 5 {
		st := p.next(640, 480)
		if st.key {
			t.Fatalf("frame %d is a keyframe; the test needs inter frames", i)
		}
		if &st.decoded.Y[0] == &scribbled.Y[0] {
			t.Fatalf("Decode into nil returned memory it had returned before")
		}
		if st.psnr < MinPSNR {
			t.Errorf("inter frame %d after writing to a decoded picture: PSNR %.2f dB, want >= %v", i, st.psnr, MinPSNR)
		}
		scribble(st.decoded)
		p.out = nil
	}
	// Decoding into a scribbled image overwrites all of it.
	p.out = scribbled
	st := p.next(640, 480)
	if st.decoded != scribbled {
		t.Errorf("Decode did not reuse a dst of the right size")
	}
	if st.psnr < MinPSNR || math.IsNaN(st.psnr) {
		t.Errorf("decoding into a scribbled image: PSNR %.2f dB, want >= %v", st.psnr, MinPSNR)
	}
	if cb, cr := chromaPSNR(st.src, st.decoded); cb < MinPSNR || cr < MinPSNR {
		t.Errorf("decoding into a scribbled image: chroma PSNR Cb %.2f dB, Cr %.2f dB, want >= %v", cb, cr, MinPSNR)
	}
}
