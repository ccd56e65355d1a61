package voice_test

import (
	"bufio"
	"context"
	"fmt"
	"iter"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/netns"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/voice"
)

// serveEnv, set, makes the test binary the voice server of
// BenchmarkVoiceSessionCPU: its CPU is then its own to measure.
const serveEnv = "RTCSTREAM_VOICE_BENCH_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) != "" {
		os.Exit(serveVoice())
	}
	os.Exit(netns.RunTestsInNetNS(m))
}

// serveVoice serves the reply demo's handler (ReplyOnPause with the default
// detector, the utterance said back) on loopback, prints its URL, and
// serves until its standard input closes.
func serveVoice() int {
	sayBack := func(ctx context.Context, u media.AudioFrame) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) { yield(u) }
	}
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, voice.ReplyOnPause(sayBack, nil), &rtcstream.Options{
		AudioInputRate: 16000, ConcurrencyLimit: -1, ClientLimits: rtcstream.ClientLimits{OffersPerMinute: -1}, // one address: the bench's
		Network: rtcstream.Network{Interfaces: []string{"lo"}, IncludeLoopback: true, DisableMDNS: true}})
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
	if path := os.Getenv(serveEnv + "_PROFILE"); path != "" { // a CPU profile of the server
		f, err := os.Create(path)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	fmt.Println("http://" + l.Addr().String())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	s.Close()
	return 0
}

// BenchmarkVoiceSessionCPU measures the CPU a voice session costs the
// server, STT and LLM aside: ReplyOnPause with the default detector (Silero
// VAD) and the reply demo's handler, each session's client saying "hello"
// every two seconds and hearing it back. The server runs in a process of
// its own (the test binary again) with GOMAXPROCS 1; its CPU time over 15 s
// gives %core-per-session and sessions-per-core (RTCSTREAM_VOICE_BENCH_SERVE_PROFILE=file
// writes its CPU profile). Run with -benchtime=1x:
//
//	go test -run '^$' -bench VoiceSessionCPU -benchtime=1x ./voice
func BenchmarkVoiceSessionCPU(b *testing.B) {
	for _, n := range []int{10, 30, 45, 55} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			for range b.N {
				voiceCPU(b, n)
			}
		})
	}
}

func voiceCPU(b *testing.B, n int) {
	rate, hello, err := browsertest.ReadWAV("../vad/testdata/hello.wav")
	if err != nil {
		b.Fatal(err)
	}
	rs, _ := media.NewResampler(rate, client.AudioRate, 1, media.QualityMedium)
	turn := rs.Flush(rs.Process(nil, hello))
	turn = append(turn, make([]int16, 2*client.AudioRate-len(turn))...) // a turn every 2 s

	server := streamtest.StartChild(b, serveEnv+"=1")
	url := server.URL

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var loud atomic.Int64 // frames heard back with sound: the replies
	var wg sync.WaitGroup
	for i := range n {
		c, err := client.Dial(ctx, url, &client.Options{Loopback: true, Audio: true, VideoOff: true})
		if err != nil {
			b.Fatalf("session %d: %v", i, err)
		}
		defer c.Close()
		wg.Go(func() {
			for {
				f, err := c.ReadAudio(ctx)
				if err != nil {
					return
				}
				for _, v := range f.Samples {
					if v > 3000 || v < -3000 {
						loud.Add(1)
						break
					}
				}
			}
		})
		wg.Go(func() {
			start := time.Now()
			for k := 0; ctx.Err() == nil; k++ {
				off := (k * client.AudioFrameSamples) % len(turn)
				if c.WriteAudio(turn[off:off+client.AudioFrameSamples], time.Duration(k)*20*time.Millisecond) != nil {
					return
				}
				time.Sleep(time.Until(start.Add(time.Duration(k+1) * 20 * time.Millisecond)))
			}
		})
	}
	time.Sleep(3 * time.Second) // connected, talking
	const window = 15 * time.Second
	before, _ := server.CPU()
	heard := loud.Load()
	b.ResetTimer()
	time.Sleep(window)
	after, err := server.CPU()
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	heard = loud.Load() - heard
	cancel()
	share := (after - before).Seconds() / window.Seconds() / float64(n) // of a core, per session
	b.ReportMetric(100*share, "%core/session")
	b.ReportMetric(1/share, "sessions/core")
	b.ReportMetric(float64(heard)/float64(n)/window.Seconds(), "reply-frames/s/session")
	if heard == 0 {
		b.Error("no replies heard: the detector heard no turns")
	}
}
