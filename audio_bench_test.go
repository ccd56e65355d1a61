package rtcstream_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/media"
)

// BenchmarkAudioEchoLatency measures the latency of audio through an echo
// Stream over loopback, one 20 ms frame at a time, the way a microphone
// sends it: the client writes silence every 20 ms and, once per op, a
// frame holding a 1 kHz tone burst; a reader finds the burst's onset in
// the returned PCM. ns/op is the mean time from the WriteAudio call of the
// burst frame to the onset's place in the returned audio (the arrival of
// its frame plus the onset's offset in it, i.e. when it would start to
// play). It includes the client's Opus encode and decode, the server's
// decode, resampling (none at 48 kHz), input queue, handler, the wait for
// the output pacer's next 20 ms tick (0-20 ms, 10 ms on average) and
// encode, and Opus's algorithmic delay twice (2 × 6.5 ms); p50-ns, p95-ns
// and max-ns give the spread.
func BenchmarkAudioEchoLatency(b *testing.B) {
	echo := func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
		for f := range in {
			select {
			case out <- f:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	}
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, echo, &rtcstream.Options{Network: loopback})
	if err != nil {
		b.Fatal(err)
	}
	srv := newBenchServer(s)
	defer func() {
		s.Close()
		srv.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, err := client.Dial(ctx, srv.URL, &client.Options{Loopback: true, Audio: true, VideoOff: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	epoch := c.AudioEpoch()

	// The reader reports the stream time of each onset: the first sample
	// above a tenth of full scale after a quiet stretch.
	const threshold = 3277
	onsets := make(chan time.Duration, 16)
	go func() {
		quiet := 0 // samples since the last loud one
		for {
			f, err := c.ReadAudio(ctx)
			if err != nil {
				close(onsets)
				return
			}
			for i, v := range f.Samples {
				if v > threshold || v < -threshold {
					if quiet > client.AudioRate/20 { // 50 ms of quiet before
						onsets <- f.Timestamp + time.Duration(i)*time.Second/client.AudioRate
					}
					quiet = 0
				} else {
					quiet++
				}
			}
		}
	}()

	silence := make([]int16, client.AudioFrameSamples)
	burst := make([]int16, client.AudioFrameSamples)
	for i := range burst {
		burst[i] = int16(16000 * math.Sin(2*math.Pi*1000*float64(i)/client.AudioRate))
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var pts time.Duration
	write := func(pcm []int16) time.Duration {
		<-tick.C
		at := time.Since(epoch)
		if err := c.WriteAudio(pcm, pts); err != nil {
			b.Fatal(err)
		}
		pts += 20 * time.Millisecond
		return at
	}
	for range 15 { // let the stream settle
		write(silence)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		sent := write(burst)
		var onset time.Duration
	wait:
		for {
			select {
			case o, ok := <-onsets:
				if !ok {
					b.Fatal("the connection closed")
				}
				if o >= sent {
					onset = o
					break wait
				}
			default:
				if time.Since(epoch)-sent > 2*time.Second {
					b.Fatal("the burst never came back")
				}
				write(silence)
			}
		}
		lat = append(lat, onset-sent)
		for range 5 { // let the burst's tail pass
			write(silence)
		}
	}
	b.StopTimer()
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	slices.Sort(lat)
	b.ReportMetric(float64(sum)/float64(len(lat)), "ns/op")
	b.ReportMetric(float64(lat[len(lat)/2]), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*95/100]), "p95-ns")
	b.ReportMetric(float64(lat[len(lat)-1]), "max-ns")
	b.ReportMetric(float64(lat[0]), "min-ns")
}
