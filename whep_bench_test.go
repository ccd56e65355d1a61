package rtcstream_test

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// whepServeEnv, set, makes the test binary the server of
// BenchmarkWHEPViewerCPU: its CPU is then its own to measure.
const whepServeEnv = "RTCSTREAM_WHEP_BENCH_SERVE"

// serveWHEP serves a send-receive video stream whose handler returns its
// frame (the output is the encoder's work, done once) on loopback, prints
// its URL, and serves until its standard input closes.
func serveWHEP() int {
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, func(img image.Image) image.Image { return img },
		&rtcstream.Options{Network: loopback, MaxViewers: 100, ClientLimits: rtcstream.ClientLimits{OffersPerMinute: -1}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	go http.Serve(l, s)
	fmt.Println("http://" + l.Addr().String())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	s.Close()
	return 0
}

// BenchmarkWHEPViewerCPU measures what a WHEP viewer of an already
// processed and encoded stream costs the server: a WHIP publisher sends
// 640x480 at 30 fps through a handler that returns its frame, and the
// server's CPU (a process of its own, GOMAXPROCS 1) is measured over 10 s
// with no viewer, then with n viewers (which do not decode). The
// difference per viewer is %core/viewer. Run with -benchtime=1x:
//
//	go test -run '^$' -bench WHEPViewerCPU -benchtime=1x .
func BenchmarkWHEPViewerCPU(b *testing.B) {
	for _, n := range []int{10, 30} {
		b.Run(fmt.Sprintf("viewers=%d", n), func(b *testing.B) {
			for range b.N {
				whepCPU(b, n)
			}
		})
	}
}

func whepCPU(b *testing.B, n int) {
	server := streamtest.StartChild(b, whepServeEnv+"=1")
	url := server.URL
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pub, err := client.PublishWHIP(ctx, url+"/webrtc/whip", &client.Options{Loopback: true})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	go func() {
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for i := 0; ctx.Err() == nil; i++ {
			if pub.WriteFrame(pattern(640, 480, i), time.Duration(i)*time.Second/30) != nil {
				return
			}
			<-tick.C
		}
	}()
	const window = 10 * time.Second
	measure := func() time.Duration {
		before, _ := server.CPU()
		time.Sleep(window)
		after, _ := server.CPU()
		return after - before
	}
	time.Sleep(2 * time.Second)
	alone := measure()
	var frames atomic.Int64
	for i := range n {
		v, err := client.WatchWHEP(ctx, url+"/webrtc/whep", &client.Options{Loopback: true, SkipDecode: true,
			OnFrame: func(client.FrameInfo) { frames.Add(1) }})
		if err != nil {
			b.Fatalf("viewer %d: %v", i, err)
		}
		defer v.Close()
	}
	time.Sleep(2 * time.Second)
	got := frames.Load()
	b.ResetTimer()
	watched := measure()
	b.StopTimer()
	got = frames.Load() - got
	per := (watched - alone).Seconds() / window.Seconds() / float64(n)
	b.ReportMetric(100*alone.Seconds()/window.Seconds(), "%core-publisher-alone")
	b.ReportMetric(100*per, "%core/viewer")
	b.ReportMetric(float64(got)/float64(n)/window.Seconds(), "frames/s/viewer")
	if got == 0 {
		b.Error("the viewers got no frames")
	}
}
