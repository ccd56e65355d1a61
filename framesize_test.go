package rtcstream_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"image"
	"iter"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/codec/vpx"
)

// forgedStream encodes a small keyframe and inter frames, and returns the
// keyframe with its header rewritten to declare w x h (RFC 6386, section
// 9.1): what a stranger sends to make a decoder allocate.
func forgedStream(t *testing.T, w, h, inter int) (key []byte, frames [][]byte) {
	t.Helper()
	enc, err := vpx.NewEncoder(vpx.EncoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	for i := range inter + 1 {
		f, _, err := enc.Encode(nil, pattern(64, 48, i), time.Duration(i)*time.Second/30)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
	key = frames[0]
	binary.LittleEndian.PutUint16(key[6:], uint16(w))
	binary.LittleEndian.PutUint16(key[8:], uint16(h))
	return key, frames[1:]
}

// vmRSS is the process's resident memory, from /proc/self/status; 0
// where there is none.
func vmRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// readMessage returns the next control message of type typ.
func readMessage(t *testing.T, ctx context.Context, c *client.Conn, typ string) client.Message {
	t.Helper()
	for {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("waiting for a %q message: %v", typ, err)
		}
		if m.Type == typ {
			return m
		}
	}
}

func TestFrameSizeForgedKeyFrameIsRefused(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 60*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)

	// A camera streams beside the forger, and must not notice it.
	good := dial(t, ctx, url)
	goodCtx, stopGood := context.WithCancel(ctx)
	sent := sendFrames(t, goodCtx, good, 320, 240, 100_000, 30)
	defer func() { stopGood(); <-sent }()
	checkInverted(t, ctx, good, 10)

	var plis atomic.Int64
	bad, err := client.Dial(ctx, url, &client.Options{Loopback: true, OnKeyFrameRequest: func() { plis.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	key, inter := forgedStream(t, 16383, 16383, 30)
	runtime.GC()
	before := vmRSS()

	// The forged keyframe is refused before it is decoded; the page is
	// told why.
	if err := bad.WriteEncoded(key, 0); err != nil {
		t.Fatal(err)
	}
	m := readMessage(t, ctx, bad, "error")
	if want := "the camera sends 16383x16383 frames; this server takes at most 1920x1080"; m.Message != want {
		t.Fatalf("error %q, want %q", m.Message, want)
	}
	// Its inter frames are dropped too, and no keyframe is asked for:
	// the browser would send the same size again.
	asked := plis.Load()
	for i, f := range inter {
		if err := bad.WriteEncoded(f, time.Duration(i+1)*time.Second/30); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second / 30)
	}
	if n := plis.Load() - asked; n != 0 {
		t.Errorf("%d keyframe requests after the oversize keyframe", n)
	}
	// Repeated, it ends the session with the reason.
	for i := range 2 {
		if err := bad.WriteEncoded(key, time.Duration(len(inter)+i+1)*time.Second/30); err != nil {
			t.Fatal(err)
		}
	}
	m = readMessage(t, ctx, bad, "end")
	if m.Reason != "the camera's frames are too large" {
		t.Fatalf("end %+v, want the frames too large", m)
	}
	after := vmRSS()
	t.Logf("RSS %d MiB before the forged keyframes, %d MiB after", before>>20, after>>20)
	if before > 0 && after-before > 100<<20 {
		t.Errorf("RSS grew by %d MiB", (after-before)>>20)
	}
	select {
	case <-bad.Done():
	case <-ctx.Done():
		t.Fatal("the forger's connection stays open")
	}
	// The camera streams on, its frames processed.
	waitSessions(t, s, 1, 5*time.Second)
	checkInverted(t, ctx, good, 30)
}

func TestFrameSizePortraitWithinBoundStreams(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	// A phone held upright: 120x160 within a 160x120 bound.
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, MaxFrameSize: image.Pt(160, 120)})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	sendFrames(t, ctx, c, 120, 160, 60, 30)
	checkInverted(t, ctx, c, 10)
}

func TestFrameSizeHugeGeneratorImageIsAHandlerError(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	gen := func(ctx context.Context) iter.Seq[image.Image] {
		return func(yield func(image.Image) bool) {
			// A line longer than the encoder takes, then the usual.
			if !yield(image.NewGray(image.Rect(0, 0, 4097, 2))) {
				return
			}
			for {
				if !yield(flat(160, 120, 100)) {
					return
				}
			}
		}
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Receive, gen, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	m := readMessage(t, ctx, c, "error")
	if !strings.Contains(m.Message, "the handler returned a 4097x2 image; the encoder takes at most 4096x4096") {
		t.Fatalf("error %q, want the refused size", m.Message)
	}
	for range 5 {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Image.Rect.Dx() != 160 {
			t.Fatalf("frame %v", f.Image.Rect)
		}
	}
}
