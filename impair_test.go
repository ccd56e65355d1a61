package rtcstream_test

import (
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/impair"
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// impaired serves s through an impairment proxy (internal/impair): the
// session's media crosses a relay that drops and delays it, both ways.
func impaired(t *testing.T, s *rtcstream.Stream, cfg impair.Config) (string, *impair.Proxy) {
	t.Helper()
	url := serve(t, s)
	p, err := impair.NewProxy(url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.Close()
		p.Close()
	})
	return srv.URL, p
}

// givenUp counts the frames a Stream's sessions lost for a packet that
// stayed missing (DropLost).
type givenUp struct {
	streamtest.NopObserver
	n atomic.Int64
}

func (g *givenUp) FrameDropped(reason rtcstream.FrameDrop) {
	if reason == rtcstream.DropLost {
		g.n.Add(1)
	}
}

// TestImpairedLinkKeepsStreaming sends video through 10% random loss each
// way and a 50 ms round trip: retransmissions and keyframes keep the
// processed stream coming to the end, and a packet whose retransmission is
// lost is asked for again (a sender resends once a round trip at most), so
// the server seldom gives a packet up. The share of frames and the latency
// are measured with `rtcstream bench -loss` (BENCHMARKS.md); the bounds
// here are properties that hold on a busy machine.
func TestImpairedLinkKeepsStreaming(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	lost := &givenUp{}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback, Observer: lost})
	if err != nil {
		t.Fatal(err)
	}
	url, p := impaired(t, s, impair.Config{Loss: 0.1, Delay: 25 * time.Millisecond, Jitter: 5 * time.Millisecond, Seed: 3})
	c := dial(t, ctx, url)
	const w, h, fps, n = 320, 240, 30, 300 // 10 s
	start := time.Now()
	sent := sendFrames(t, ctx, c, w, h, n, fps)
	got, lastAt := 0, time.Duration(0)
	readFrames(ctx, c, 3*time.Second, func(f client.Frame) bool {
		if inverted(f, w, h) { // a frame concealing a loss may be off; count the clean ones
			got++
			lastAt = time.Since(start)
		}
		return false
	})
	<-sent
	st := p.Stats()
	t.Logf("%d of %d frames back inverted through 10%% loss each way; %d datagrams relayed, %d dropped; last frame at %v; the server gave up %d packets",
		got, n, st.Forwarded, st.Dropped, lastAt.Round(time.Millisecond), lost.n.Load())
	if st.Dropped == 0 {
		t.Fatal("the relay dropped nothing: the media did not cross it")
	}
	if got < n/2 {
		t.Errorf("%d of %d frames came back, want at least half (a stream that stalls on loss loses far more)", got, n)
	}
	if lastAt < 9*time.Second {
		t.Errorf("the last frame came back %v after the start of a 10 s stream: it stalled", lastAt)
	}
}

// TestImpairedLinkKeepsAudio echoes speech-like audio through 5% random
// loss each way: Opus's in-band FEC and concealment keep the echo close to
// what was sent.
func TestImpairedLinkKeepsAudio(t *testing.T) {
	checkLeaks(t)
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, (&audioProbe{}).Echo, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url, p := impaired(t, s, impair.Config{Loss: 0.05, Delay: 25 * time.Millisecond, Seed: 5})
	const run = 15 * time.Second
	ctx := testContext(t, run+time.Minute)
	c := audioConn(t, ctx, url)
	sent, got, _ := echoThrough(t, ctx, c, babble(run, client.AudioRate, 2))
	lag, r := lagAt(sent, got, 2*time.Second)
	st := p.Stats()
	t.Logf("echo through 5%% loss each way: lag %v, correlation %.3f; %d datagrams relayed, %d dropped",
		lag.Round(100*time.Microsecond), r, st.Forwarded, st.Dropped)
	if st.Dropped == 0 {
		t.Fatal("the relay dropped nothing: the audio did not cross it")
	}
	if r < 0.7 {
		t.Errorf("the echo correlates with what was sent at r = %.3f through 5%% loss, want >= 0.7", r)
	}
}

// TestLostRetransmissionIsAskedForAgain drops chosen video packets on the
// way to the server together with their first retransmission. A sender
// resends a packet at most once a round trip and ignores the NACKs in
// between, so the server must keep asking past one round trip, and wait
// for the second retransmission, to recover; giving up costs the frames
// until the next keyframe.
func TestLostRetransmissionIsAskedForAgain(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	lost := &givenUp{}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback, Observer: lost})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[uint16]int{} // copies of each chosen packet seen so far
	chosen := 0
	drop := func(up bool, b []byte) bool {
		// Unencrypted RTP header of a VP8 packet (SRTP keeps it clear):
		// every 10th, the original and its first retransmission.
		if !up || len(b) < 12 || b[0]>>6 != 2 || b[1]&0x7f != 96 {
			return false
		}
		seq := uint16(b[2])<<8 | uint16(b[3])
		if seq%10 != 0 {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[seq] == 0 {
			chosen++
		}
		seen[seq]++
		return seen[seq] <= 2
	}
	url, p := impaired(t, s, impair.Config{Delay: 25 * time.Millisecond, Drop: drop})
	c := dial(t, ctx, url)
	const w, h, fps, n = 320, 240, 30, 150 // 5 s
	sent := sendFrames(t, ctx, c, w, h, n, fps)
	got := 0
	readFrames(ctx, c, 3*time.Second, func(client.Frame) bool { got++; return false })
	<-sent
	mu.Lock()
	recovered := 0
	for _, copies := range seen {
		if copies > 2 {
			recovered++
		}
	}
	mu.Unlock()
	t.Logf("%d of %d frames back; %d packets dropped with their first retransmission, %d sent a third time; the server gave up %d packets; relay %+v",
		got, n, chosen, recovered, lost.n.Load(), p.Stats())
	if chosen < 5 {
		t.Fatalf("only %d packets were chosen to drop: the video did not cross the relay", chosen)
	}
	if recovered < chosen*3/4 {
		t.Errorf("%d of %d packets whose first retransmission was lost were sent again: the server stopped asking", recovered, chosen)
	}
	if g := lost.n.Load(); g > 0 {
		t.Errorf("the server gave up %d packets whose second retransmission was coming", g)
	}
}
