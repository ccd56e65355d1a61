package rtcstream_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/media"
)

// soakLength is how long TestSoak churns sessions: RTCSTREAM_SOAK (a Go
// duration; `make soak` sets an hour), else two minutes.
func soakLength(t *testing.T) time.Duration {
	if v := os.Getenv("RTCSTREAM_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("RTCSTREAM_SOAK=%q: %v", v, err)
		}
		return d
	}
	return 2 * time.Minute
}

// usageSample is what one process holds between cycles.
type usageSample struct {
	goroutines, fds int
	heapMiB, rssMiB float64
	goMiB           float64 // what the Go runtime holds from the OS
}

func sampleUsage(t *testing.T) usageSample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return usageSample{
		goroutines: runtime.NumGoroutine(), fds: len(fds),
		heapMiB: float64(ms.HeapAlloc) / (1 << 20), rssMiB: float64(vmRSS()) / (1 << 20),
		goMiB: float64(ms.Sys-ms.HeapReleased) / (1 << 20),
	}
}

// TestSoak churns sessions for soakLength: in each cycle video clients
// connect, stream and check pixels, then stop or vanish (no stop: the
// server finds out when ICE times out), and an audio client echoes and
// stops. After every cycle, once the server has freed every session, the
// process's goroutines, file descriptors, heap and resident memory must be
// back where they were after the first cycles: flat, not creeping.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("a soak; skipped with -short")
	}
	length := soakLength(t)
	ctx := testContext(t, length+2*time.Minute)
	// A vanished client's session waits ReconnectGrace for a restart
	// before it is freed: 2 s here, so the grace's timer is churned too
	// without the default 15 s each cycle.
	video, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback,
		ClientLimits: rtcstream.ClientLimits{OffersPerMinute: -1}, ReconnectGrace: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	audio, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, echoAudio, &rtcstream.Options{Network: loopback, ClientLimits: rtcstream.ClientLimits{OffersPerMinute: -1}})
	if err != nil {
		t.Fatal(err)
	}
	videoURL, audioURL := serve(t, video), serve(t, audio)
	const warmUp = 2
	var base usageSample
	var samples []usageSample
	end := time.Now().Add(length)
	for cycle := 0; time.Now().Before(end) || cycle <= warmUp; cycle++ {
		soakCycle(t, ctx, cycle, videoURL, audioURL)
		waitSessions(t, video, 0, 30*time.Second)
		waitSessions(t, audio, 0, 30*time.Second)
		if t.Failed() {
			return
		}
		u := sampleUsage(t)
		// A session's last goroutines finish just after it leaves the
		// count; give them a few seconds to settle.
		for settle := time.Now().Add(5 * time.Second); cycle > warmUp && (u.goroutines > base.goroutines+10 || u.fds > base.fds+10) && time.Now().Before(settle); {
			time.Sleep(100 * time.Millisecond)
			u = sampleUsage(t)
		}
		samples = append(samples, u)
		t.Logf("cycle %d: %d goroutines, %d fds, heap %.1f MiB, Go runtime %.1f MiB, RSS %.1f MiB", cycle, u.goroutines, u.fds, u.heapMiB, u.goMiB, u.rssMiB)
		if cycle < warmUp {
			continue
		}
		if cycle == warmUp {
			base = u
			continue
		}
		// Bounds: a few pion timers and HTTP keep-alives come and go;
		// a leak grows with every cycle and passes them within a few.
		if u.goroutines > base.goroutines+10 || u.fds > base.fds+10 {
			t.Fatalf("cycle %d: %d goroutines and %d fds, against %d and %d after warm-up", cycle, u.goroutines, u.fds, base.goroutines, base.fds)
		}
		if u.heapMiB > base.heapMiB*1.5+16 {
			t.Fatalf("cycle %d: heap %.1f MiB, against %.1f after warm-up", cycle, u.heapMiB, base.heapMiB)
		}
		if u.rssMiB > base.rssMiB*1.5+64 {
			t.Fatalf("cycle %d: RSS %.1f MiB, against %.1f after warm-up", cycle, u.rssMiB, base.rssMiB)
		}
	}
	t.Logf("%d cycles in %v", len(samples), length)
}

// soakCycle runs one cycle's clients side by side.
func soakCycle(t *testing.T, ctx context.Context, cycle int, videoURL, audioURL string) {
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			c, err := client.Dial(ctx, videoURL, &client.Options{Loopback: true})
			if err != nil {
				t.Errorf("cycle %d, video client %d: %v", cycle, i, err)
				return
			}
			sent := sendFrames(t, ctx, c, 320, 240, 30, 30)
			if err := readInverted(ctx, c); err != nil {
				t.Errorf("cycle %d, video client %d: %v", cycle, i, err)
			}
			<-sent
			if (cycle+i)%3 == 0 {
				c.Abort() // vanish
				return
			}
			c.Close()
		})
	}
	wg.Go(func() {
		c, err := client.Dial(ctx, audioURL, &client.Options{Loopback: true, Audio: true, VideoOff: true})
		if err != nil {
			t.Errorf("cycle %d, audio client: %v", cycle, err)
			return
		}
		defer c.Close()
		var sent timedAudio
		writePaced(t, ctx, c, babble(time.Second, client.AudioRate, uint64(cycle)), &sent)
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := c.ReadAudio(rctx); err != nil {
			t.Errorf("cycle %d, audio client: no echo: %v", cycle, err)
		}
	})
	wg.Wait()
}

// readInverted reads frames until one comes back inverted.
func readInverted(ctx context.Context, c *client.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			return fmt.Errorf("no inverted frame: %w", err)
		}
		if lumaAt(f.Image, 80, 120) > 150 && lumaAt(f.Image, 260, 120) < 100 {
			return nil
		}
	}
}

// echoAudio sends every frame back as it came and keeps nothing (an
// AudioProbe would record every frame: a growing heap in a soak).
func echoAudio(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
	for f := range in {
		select {
		case out <- f:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}
