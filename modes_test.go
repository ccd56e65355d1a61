package rtcstream_test

import (
	"context"
	"errors"
	"image"
	"iter"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/media"
)

// flat makes a frame of one luma level.
func flat(w, h int, y uint8) *image.YCbCr {
	img := media.NewI420(w, h)
	for i := range img.Y {
		img.Y[i] = y
	}
	return img
}

func TestReceiveModeStreamsGeneratedFrames(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	var started atomic.Int64
	gen := func(ctx context.Context) iter.Seq[image.Image] {
		started.Add(1)
		return func(yield func(image.Image) bool) {
			for i := 0; ; i++ {
				// Brightness ramps, so each frame's content tells its index.
				if !yield(flat(320, 240, uint8(16+(i*8)%200))) {
					return
				}
			}
		}
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Receive, gen,
		&rtcstream.Options{Network: loopback, FrameRate: 20})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	first, err := c.ReadFrame(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := first.Image.Bounds(); b.Dx() != 320 || b.Dy() != 240 {
		t.Fatalf("frame size %v", b)
	}
	// Paced at 20 fps: 20 frames take about a second, not a burst.
	begin := time.Now()
	levels := map[int]bool{}
	for range 20 {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		levels[lumaAt(f.Image, 160, 120)/8] = true
	}
	if d := time.Since(begin); d < 700*time.Millisecond || d > 3*time.Second {
		t.Fatalf("20 frames in %v at 20 fps", d)
	}
	if len(levels) < 10 {
		t.Fatalf("frames do not follow the generator: %d distinct levels", len(levels))
	}
	if started.Load() != 1 {
		t.Fatalf("generator started %d times", started.Load())
	}
}

func TestReceiveModeGeneratorEndEndsSession(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	gen := func() iter.Seq[*image.YCbCr] {
		return func(yield func(*image.YCbCr) bool) {
			for range 5 {
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
	m, err := c.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != "end" || m.Reason != "the stream finished" {
		t.Fatalf("message %+v, want the end of the stream", m)
	}
	waitSessions(t, s, 0, 5*time.Second)
}

func TestReceiveModeRejectsFrameHandlers(t *testing.T) {
	_, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Receive, invert, nil)
	if !errors.Is(err, rtcstream.ErrBadHandler) {
		t.Fatalf("a frame handler in receive mode: %v", err)
	}
}

func TestSendModeConsumesFrames(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	var seen, bright atomic.Int64
	consume := func(img image.Image) error {
		seen.Add(1)
		if lumaAt(img.(*image.YCbCr), 240, 120) > 150 {
			bright.Add(1)
		}
		return nil
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Send, consume, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	<-sendFrames(t, ctx, c, 320, 240, 30, 30)
	deadline := time.Now().Add(5 * time.Second)
	for seen.Load() < 20 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if seen.Load() < 20 || bright.Load() < seen.Load()*9/10 {
		t.Fatalf("handler saw %d frames, %d with the bright right half", seen.Load(), bright.Load())
	}
}

func TestTimeLimitEndsSession(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, TimeLimit: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	sendFrames(t, ctx, c, 160, 120, 150, 30)
	start := time.Now()
	m, err := c.ReadMessage(ctx)
	if err != nil || m.Type != "time_limit" {
		t.Fatalf("first message %+v, %v; want the time limit for the countdown", m, err)
	}
	m, err = c.ReadMessage(ctx)
	if err != nil || m.Type != "end" || m.Reason != "time limit reached" {
		t.Fatalf("message %+v, %v; want the end at the time limit", m, err)
	}
	if d := time.Since(start); d < time.Second || d > 3*time.Second {
		t.Fatalf("ended after %v, want about 1.5 s", d)
	}
	waitSessions(t, s, 0, 5*time.Second)
}

func TestQueueWaitsForAFreeSlot(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 60*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, ConcurrencyLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	first := dial(t, ctx, url)

	positions := make(chan int, 100)
	type result struct {
		c   *client.Conn
		err error
	}
	second := make(chan result, 1)
	go func() {
		c, err := client.Dial(ctx, url, &client.Options{Loopback: true, Queue: true,
			OnQueue: func(p int) { positions <- p }})
		second <- result{c, err}
	}()
	select {
	case p := <-positions:
		if p != 1 {
			t.Fatalf("place in line %d, want 1", p)
		}
	case <-ctx.Done():
		t.Fatal("the second client was never told its place")
	}
	if s.Waiting() != 1 {
		t.Fatalf("Waiting = %d", s.Waiting())
	}
	// A client without a ticket cannot jump the line.
	if _, err := client.Dial(ctx, url, &client.Options{Loopback: true}); err == nil {
		t.Fatal("a ticketless client got in while another waited")
	}
	first.Close()
	r := <-second
	if r.err != nil {
		t.Fatalf("queued client: %v", r.err)
	}
	defer r.c.Close()
	if s.ActiveSessions() != 1 || s.Waiting() != 0 {
		t.Fatalf("sessions %d, waiting %d", s.ActiveSessions(), s.Waiting())
	}
	sendFrames(t, ctx, r.c, 160, 120, 10, 30)
	if _, err := r.c.ReadFrame(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestQueueDropsVanishedWaiters(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 60*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, ConcurrencyLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	first := dial(t, ctx, url)
	waitCtx, giveUp := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		client.Dial(waitCtx, url, &client.Options{Loopback: true, Queue: true})
	}()
	for deadline := time.Now().Add(10 * time.Second); s.Waiting() != 1; {
		if time.Now().After(deadline) {
			t.Fatal("the second client never joined the line")
		}
		time.Sleep(10 * time.Millisecond)
	}
	giveUp() // the waiter's tab closes: it stops polling
	<-done
	deadline := time.Now().Add(10 * time.Second)
	for s.Waiting() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a vanished waiter still holds its place after 10 s")
		}
		// Polls from others run the clean-up; a status request does too.
		postJSON(t, url+"/webrtc/queue", `{"ticket": "none"}`)
		time.Sleep(200 * time.Millisecond)
	}
	first.Close()
	// The slot went to nobody: a plain client gets in at once.
	dial(t, ctx, url)
}
