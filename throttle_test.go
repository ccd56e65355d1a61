package rtcstream_test

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/netns"
	"github.com/rtcstream/rtcstream/metrics"
)

// throttle limits the loopback interface of the test's own network
// namespace to rate (both directions share it) with a token bucket, and
// removes the limit when the test ends.
func throttle(t *testing.T, rate string) {
	t.Helper()
	if !netns.Inside() {
		t.Skip("the throttled-link test changes the loopback interface, so it runs only in its own network namespace (as root on Linux)")
	}
	tc, err := exec.LookPath("tc")
	if err != nil {
		t.Fatal("tc (iproute2) is needed for the throttled-link test: apt-get install iproute2")
	}
	// A packet larger than the bucket (16 kbit) never passes tbf, and
	// loopback's MTU is 64 KiB: a TCP segment over 2 KB (a gzipped
	// /metrics page once it outgrew that) was dropped on every retry and
	// the connection reset. A link's MTU keeps segments under the bucket.
	if out, err := exec.Command("ip", "link", "set", "dev", "lo", "mtu", "1500").CombinedOutput(); err != nil {
		t.Fatalf("ip link set lo mtu 1500: %v: %s", err, out)
	}
	if out, err := exec.Command(tc, "qdisc", "add", "dev", "lo", "root", "tbf", "rate", rate, "burst", "16kbit", "latency", "400ms").CombinedOutput(); err != nil {
		t.Fatalf("tc: %v: %s", err, out)
	}
	t.Cleanup(func() {
		defer exec.Command("ip", "link", "set", "dev", "lo", "mtu", "65536").Run()
		if os.Getenv("RTCSTREAM_DEBUG_THROTTLE") != "" { // the link's drops
			out, _ := exec.Command(tc, "-s", "qdisc", "show", "dev", "lo").CombinedOutput()
			t.Logf("%s", out)
		}
		exec.Command(tc, "qdisc", "del", "dev", "lo", "root").Run()
	})
}

// TestThrottledLinkAdaptsBitrate: on a 500 kbit/s link, a stream whose
// encoder may use 1 Mbit/s follows what the link carries and keeps flowing
// with bounded latency (Google Congestion Control on the browser's
// transport-wide feedback drives the encoder). The camera side sends a
// cheap picture; the handler adds fresh noise to every frame, like a
// camera in dim light, which takes every bit the encoder is given, so the
// server's stream is the one the link squeezes. With FixedBitrate the same
// stream overruns the link: logged beside.
func TestThrottledLinkAdaptsBitrate(t *testing.T) {
	checkLeaks(t)
	throttle(t, "500kbit")
	adaptive := throttledRun(t, grain, false)
	t.Logf("adaptive: %s", adaptive)
	checkCarried(t, adaptive, 0.9)
	if adaptive.p95 >= 300*time.Millisecond {
		t.Errorf("p95 latency %v after adaptation, want under 300 ms", adaptive.p95)
	}
	if adaptive.kbps >= 450 {
		t.Errorf("the server sent %.0f kbit/s on average over a 500 kbit/s link", adaptive.kbps)
	}
	if testing.Short() {
		return
	}
	fixed := throttledRun(t, grain, true)
	t.Logf("fixed 1 Mbit/s, for comparison: %s", fixed)
	if fixed.late >= adaptive.late/2 {
		t.Errorf("at a fixed 1 Mbit/s %d frames came back after 12 s against %d adaptive: the link does not squeeze the stream, so the test shows nothing", fixed.late, adaptive.late)
	}
}

// TestThrottledLinkSceneCuts: the same link, with a handler whose output
// is a still picture that is replaced by a different one every 40 frames,
// the worst case for rate control: after a run of nearly free frames the
// cut costs libvpx tens of kilobytes, about a quarter of a second of the
// link. The stream keeps flowing and the latency returns to normal
// between cuts.
func TestThrottledLinkSceneCuts(t *testing.T) {
	if testing.Short() {
		t.Skip("24 s")
	}
	checkLeaks(t)
	throttle(t, "500kbit")
	res := throttledRun(t, cuts, false)
	t.Logf("scene cuts every 40 frames: %s", res)
	// Alone, all 180 come back (with -race too); on a machine busy with a
	// build beside it, 104-152 did, and 74 at a load of 4 on 2 cores: the
	// server had the CPU for no more. Without adaptation (FixedBitrate)
	// 15 do.
	checkCarried(t, res, 0.8)
	if res.p50 >= 100*time.Millisecond {
		t.Errorf("median latency %v after adaptation, want under 100 ms", res.p50)
	}
}

// checkCarried checks that, after the settling, the link carried at
// least share of the frames the server sent, and that they were a
// quarter of the camera's at least. What the server sends is what its
// CPU allows: alone, all of the camera's 180; at a load of 4 on 2 cores
// (two busy loops beside make test), 84 of them with fresh grain, so a
// bound on the camera's frames alone fails a busy machine, not the
// adaptation.
func checkCarried(t *testing.T, r throttleResult, share float64) {
	t.Helper()
	if want := int(share * float64(r.sentLate)); r.late < want {
		t.Errorf("%d frames came back after adaptation of the %d the server sent, want at least %d (%.0f%%)", r.late, r.sentLate, want, 100*share)
	}
	if want := 12 * throttleFPS / 4; r.late < want {
		t.Errorf("%d frames came back after adaptation, want at least %d (a quarter of the camera's)", r.late, want)
	}
}

// Contents for the throttled link, made by the handler from the client's
// picture.
const (
	grain = iota // fresh noise on every frame
	cuts         // a still noise picture, a new one every 40 frames
)

const throttleFPS = 15

type throttleResult struct {
	frames, late int // frames back, and after the first 12 s
	sentLate     int // frames the server sent after the first 12 s
	p50, p95     time.Duration
	earlyP95     time.Duration // over the first 12 s, while the estimate settles
	kbps         float64
}

func (r throttleResult) String() string {
	return fmt.Sprintf("%d frames back, %d after 12 s of the %d the server sent then; latency after adaptation p50 %v p95 %v (p95 before it %v); server sent %.0f kbit/s on average",
		r.frames, r.late, r.sentLate, r.p50, r.p95, r.earlyP95, r.kbps)
}

// grainServer serves a Stream whose handler adds fresh grain to every
// frame (content grain) or shows a still noise picture replaced every 40
// frames (content cuts), and dials it with the Go client, which sends a
// cheap picture at 100 kbit/s. stop closes both; a test that runs twice
// stops the first before the second shares the link.
func grainServer(t *testing.T, ctx context.Context, content int, fixed bool) (url string, c *client.Conn, stop func()) {
	t.Helper()
	frame := 0 // the handler runs on one goroutine
	r := rand.New(rand.NewPCG(1, 7))
	noise := func(img image.Image) image.Image {
		yc := img.(*image.YCbCr)
		if content == cuts {
			r = rand.New(rand.NewPCG(uint64(frame/40), 7))
		}
		frame++
		for i := range yc.Y {
			yc.Y[i] = uint8(int(yc.Y[i])*3/4 + r.IntN(64))
		}
		return yc
	}
	m, err := metrics.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, noise,
		&rtcstream.Options{Network: loopback, Observer: m, FixedBitrate: fixed})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", s)
	mux.Handle("GET /metrics", m)
	srv := httptest.NewServer(mux)
	c, err = client.Dial(ctx, srv.URL, &client.Options{Loopback: true, Bitrate: 100_000})
	if err != nil {
		s.Close()
		srv.Close()
		t.Fatal(err)
	}
	return srv.URL, c, func() { c.Close(); s.Close(); srv.Close() }
}

func throttledRun(t *testing.T, content int, fixed bool) throttleResult {
	const w, h = 320, 240
	const settle = 12 * time.Second // GCC converges within it
	run := 24 * time.Second
	ctx := testContext(t, run+60*time.Second)
	url, c, stop := grainServer(t, ctx, content, fixed)
	defer stop()

	var mu sync.Mutex
	sentAt := map[uint32]time.Time{}
	go func() {
		tick := time.NewTicker(time.Second / throttleFPS)
		defer tick.Stop()
		start := time.Now()
		for i := 0; time.Since(start) < run; i++ {
			pts := time.Duration(i) * time.Second / throttleFPS
			mu.Lock()
			sentAt[client.RTPTimestamp(pts)] = time.Now()
			mu.Unlock()
			if c.WriteFrame(pattern(w, h, i), pts) != nil {
				return
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	begin := time.Now()
	var res throttleResult
	var early, late []time.Duration
	sentBefore := -1.0 // frames the server had sent by the end of the settling
	for time.Since(begin) < run+2*time.Second {
		if sentBefore < 0 && time.Since(begin) > settle {
			sentBefore = framesSent(t, url)
		}
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		f, err := c.ReadFrame(rctx)
		cancel()
		if err != nil {
			continue // a stalled stream may resume
		}
		mu.Lock()
		sent, ok := sentAt[f.RTPTimestamp]
		mu.Unlock()
		if !ok {
			continue
		}
		res.frames++
		if f.Received.Sub(begin) > settle {
			late = append(late, f.Received.Sub(sent))
		} else {
			early = append(early, f.Received.Sub(sent))
		}
	}
	if len(early) > 0 {
		slices.Sort(early)
		res.earlyP95 = early[len(early)*95/100]
	}
	res.late = len(late)
	if len(late) > 0 {
		slices.Sort(late)
		res.p50, res.p95 = late[len(late)/2], late[len(late)*95/100]
	}
	text := scrape(t, url+"/metrics")
	if os.Getenv("RTCSTREAM_DEBUG_THROTTLE") != "" {
		t.Log(text)
	}
	out := metricValue(t, text, `rtcstream_video_bytes_total{direction="out"}`)
	res.kbps = out * 8 / run.Seconds() / 1000
	res.sentLate = int(metricValue(t, text, `rtcstream_frame_stage_seconds_count{stage="send"}`) - max(sentBefore, 0))
	return res
}

// framesSent is how many frames the server at url has sent, from its
// metrics.
func framesSent(t *testing.T, url string) float64 {
	t.Helper()
	return metricValue(t, scrape(t, url+"/metrics"), `rtcstream_frame_stage_seconds_count{stage="send"}`)
}

// TestFastStartReachesBitrate: on a link with room to spare, the server's
// video reaches its highest bitrate within seconds, not the quarter of a
// minute pion's controller takes alone (8% a second from 300 kbit/s). The
// handler adds fresh grain to every frame, so the encoder spends whatever
// it is given; the server's sending rate from 1 s to 3 s after the first
// frame is read from its metrics.
func TestFastStartReachesBitrate(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	url, c, stop := grainServer(t, ctx, grain, false)
	defer stop()
	go func() {
		start := time.Now() // stamped in real time, as a camera does
		for i := 0; ctx.Err() == nil; i++ {
			if c.WriteFrame(pattern(320, 240, i), time.Since(start)) != nil {
				return
			}
			time.Sleep(time.Second / throttleFPS)
		}
	}()
	if _, err := c.ReadFrame(ctx); err != nil {
		t.Fatal(err)
	}
	sent := func() float64 {
		return metricValue(t, scrape(t, url+"/metrics"), `rtcstream_video_bytes_total{direction="out"}`)
	}
	go func() { // keep reading, so the client's queue never fills
		for ctx.Err() == nil {
			if _, err := c.ReadFrame(ctx); err != nil {
				return
			}
		}
	}()
	time.Sleep(time.Second)
	b0, t0 := sent(), time.Now()
	time.Sleep(2 * time.Second)
	kbps := (sent() - b0) * 8 / time.Since(t0).Seconds() / 1000
	t.Logf("the server sent %.0f kbit/s from 1 s to 3 s after the first frame (highest target 1000 kbit/s, encoder at three quarters of it)", kbps)
	// Measured: 531-537 kbit/s; about 217 without the fast start.
	if kbps < 400 {
		t.Errorf("%.0f kbit/s from 1 s to 3 s, want over 400: the bitrate climbs too slowly", kbps)
	}
}
