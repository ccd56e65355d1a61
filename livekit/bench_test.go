package livekit_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/bench"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/childproc"
	"github.com/rtcstream/rtcstream/internal/lktest"
	"github.com/rtcstream/rtcstream/livekit"
)

// serveEnv, set to an address, makes the test binary serve an echo Stream
// there (the direct path the SFU hop is compared with) until SIGTERM.
const serveEnv = "RTCSTREAM_LIVEKIT_TEST_SERVE"

func runServer(addr string) int {
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, echo, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("serving")
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(l)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	srv.Close()
	s.Close()
	return 0
}

// TestBenchThroughLiveKit: bench's LiveKit dialer runs streams as
// participants of rooms a worker serves, in each video codec; every stream
// connects, gets its frames back, and the probes measure latency from the
// pixel counter.
func TestBenchThroughLiveKit(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	w := startWorkerProc(t, "worker", workerConfig{URL: node.URL, Echo: true, MaxJobs: 4})
	for _, vc := range []codec.VideoCodec{codec.VP8, codec.H264} {
		t.Run(string(vc), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			r, err := bench.Run(ctx, node.URL, &bench.Options{Streams: 2, Probes: 2, Width: 320, Height: 240, Duration: 4 * time.Second,
				ServerPID: w.p.Pid(), VideoCodec: vc,
				Dial: livekit.BenchDialer(livekit.BenchOptions{URL: node.URL, APIKey: lktest.APIKey, APISecret: lktest.APISecret, AgentName: rigAgent,
					RoomPrefix: "bench-" + string(vc)})})
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			r.WriteText(&text)
			t.Logf("report:\n%s", text.String())
			if r.Connected != 2 {
				t.Errorf("%d streams connected, want 2 (failures %v)", r.Connected, r.Failures)
			}
			if r.WorstReturnedRatio < 0.5 {
				t.Errorf("a stream got %.0f%% of its frames back, want over half", 100*r.WorstReturnedRatio)
			}
			if r.ProbeLatency.N < 30 || r.ProbeUnreadable > r.Returned/10 {
				t.Errorf("the probes read %d latencies (%d frames unreadable): the counter did not come through", r.ProbeLatency.N, r.ProbeUnreadable)
			}
			if r.Server == nil || r.Server.CPU <= 0 {
				t.Errorf("no CPU figure for the worker process: %+v", r.Server)
			}
		})
	}
}

// BenchmarkSFUHop compares one echo handler served directly (a Stream) and
// as a LiveKit worker, in processes of their own: the latency the SFU hop
// adds (probe counter, p50 and p95) and the CPU per stream of the server
// and the worker. RTCSTREAM_BENCH_STREAMS sets the streams (default 4).
//
//	go test -run '^$' -bench BenchmarkSFUHop -benchtime 1x ./livekit/
func BenchmarkSFUHop(b *testing.B) {
	n := 4
	if v, err := strconv.Atoi(os.Getenv("RTCSTREAM_BENCH_STREAMS")); err == nil && v > 0 {
		n = v
	}
	node := lktest.StartNode(b, lktest.NodeOptions{})
	w := startWorkerProc(b, "worker", workerConfig{URL: node.URL, Echo: true, MaxJobs: n})
	addr := net.JoinHostPort(lktest.Interface(b), "0")
	l, err := net.Listen("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), serveEnv+"="+addr)
	srv, err := childproc.Start(cmd)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Stop(5 * time.Second) })
	for !strings.Contains(srv.Log(), "serving") {
		time.Sleep(20 * time.Millisecond)
	}
	run := func(base string, pid int, dial func(context.Context, int, *client.Options) (bench.Conn, error)) *bench.Report {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		r, err := bench.Run(ctx, base, &bench.Options{Streams: n, Probes: n, Duration: 10 * time.Second, ServerPID: pid, Dial: dial})
		if err != nil {
			b.Fatal(err)
		}
		if r.Connected != n {
			b.Fatalf("%s: %d of %d streams connected: %v", base, r.Connected, n, r.Failures)
		}
		return r
	}
	for b.Loop() {
		direct := run("http://"+addr, srv.Pid(), nil)
		sfu := run(node.URL, w.p.Pid(), livekit.BenchDialer(livekit.BenchOptions{URL: node.URL, APIKey: lktest.APIKey, APISecret: lktest.APISecret, AgentName: rigAgent}))
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		b.ReportMetric(ms(direct.ProbeLatency.P50), "direct-p50-ms")
		b.ReportMetric(ms(sfu.ProbeLatency.P50), "sfu-p50-ms")
		b.ReportMetric(ms(sfu.ProbeLatency.P50-direct.ProbeLatency.P50), "hop-p50-ms")
		b.ReportMetric(ms(sfu.ProbeLatency.P95-direct.ProbeLatency.P95), "hop-p95-ms")
		b.ReportMetric(direct.Server.CPUPerStream, "direct-cores/stream")
		b.ReportMetric(sfu.Server.CPUPerStream, "worker-cores/stream")
		b.ReportMetric(sfu.ReturnedFPS, "sfu-fps")
		b.ReportMetric(direct.ReturnedFPS, "direct-fps")
		b.Logf("%d streams, 640x480 at 30 fps: direct p50 %v p95 %v, %.3f cores a stream; through LiveKit p50 %v p95 %v, worker %.3f cores a stream",
			n, direct.ProbeLatency.P50, direct.ProbeLatency.P95, direct.Server.CPUPerStream,
			sfu.ProbeLatency.P50, sfu.ProbeLatency.P95, sfu.Server.CPUPerStream)
	}
}
