package rtcstream_test

import (
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
)

func TestStreamProcessesFrames(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	c := dial(t, ctx, url)
	const w, h, n = 640, 480, 60
	sent := sendFrames(t, ctx, c, w, h, n, 30)

	got := 0
	for got < 20 {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("after %d frames: %v", got, err)
		}
		checkInvertedFrame(t, f, w, h, got)
		// The input frame's timestamp is carried to the output.
		if f.RTPTimestamp%client.RTPTimestamp(time.Second/30) != 0 {
			t.Fatalf("output timestamp %d is not an input frame's", f.RTPTimestamp)
		}
		got++
	}
	<-sent
	if n := s.ActiveSessions(); n != 1 {
		t.Fatalf("ActiveSessions = %d while streaming, want 1", n)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if n := s.ActiveSessions(); n != 0 {
		t.Fatalf("ActiveSessions = %d after stop, want 0", n)
	}
}
