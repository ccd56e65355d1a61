package rtcstream_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
)

// echoRunLength is how long the drift tests echo audio: long enough that
// a delay growing by a few milliseconds a second shows.
const echoRunLength = 2 * time.Minute

// echoLagWindow is the span over which one lag is measured, at the start and
// at the end of a run.
const echoLagWindow = 10 * time.Second

// babble is a speech-like test signal: 150-600 ms sweeps between random
// pitches (200 Hz to 2 kHz, which Opus codes faithfully; it would code
// noise as other noise), shaped by a slow envelope, with 80-400 ms pauses,
// so every stretch of it correlates with itself at one lag only.
func babble(d time.Duration, rate int, seed uint64) []int16 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pcm := make([]int16, int(d*time.Duration(rate)/time.Second))
	for i := 0; i < len(pcm); {
		burst := rate * (150 + r.IntN(450)) / 1000
		level := 3000 + r.Float64()*9000
		f0, f1 := 200+r.Float64()*1800, 200+r.Float64()*1800
		phase := 0.0
		for j := 0; j < burst && i+j < len(pcm); j++ {
			x := float64(j) / float64(burst)
			phase += 2 * math.Pi * (f0 + (f1-f0)*x) / float64(rate)
			pcm[i+j] = int16(level * math.Sin(math.Pi*x) * math.Sin(phase))
		}
		i += burst + rate*(80+r.IntN(320))/1000
	}
	return pcm
}

// timedAudio is a stream of 20 ms frames, each with the wall clock time
// it was sent or arrived.
type timedAudio struct {
	mu  sync.Mutex
	pcm []int16
	at  []time.Time // per frame of client.AudioFrameSamples
}

func (a *timedAudio) add(pcm []int16, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pcm = append(a.pcm, pcm...)
	a.at = append(a.at, at)
}

// timeOf is when sample i was sent or arrived, interpolated in its frame.
func (a *timedAudio) timeOf(i int) time.Time {
	const n = client.AudioFrameSamples
	k := min(i/n, len(a.at)-1)
	return a.at[k].Add(time.Duration(i-k*n) * time.Second / client.AudioRate)
}

// lagAt measures how long after it was sent the audio in the window of
// sent audio starting at from arrived back, second by second (a drop that
// bounds the latency moves the alignment within a window), and returns the
// median lag and the median correlation at the seconds' alignments.
func lagAt(sent, got *timedAudio, from time.Duration) (time.Duration, float64) {
	var lags []time.Duration
	var rs []float64
	for at := from; at < from+echoLagWindow; at += time.Second {
		lag, r := chunkLag(sent, got, at, time.Second)
		lags, rs = append(lags, lag), append(rs, r)
	}
	slices.Sort(lags)
	slices.Sort(rs)
	return lags[len(lags)/2], rs[len(rs)/2]
}

// chunkLag finds the d of sent audio starting at from in the received
// audio, within a second after it, and returns when it arrived after it
// was sent (the median over its frames, so one late packet does not
// count) and the normalised correlation there.
func chunkLag(sent, got *timedAudio, from, d time.Duration) (time.Duration, float64) {
	const rate = client.AudioRate
	i0 := int(from * rate / time.Second)
	ref := sent.pcm[i0 : i0+int(d*rate/time.Second)]
	j0 := max(0, i0-rate/10)
	seg := got.pcm[j0:min(len(got.pcm), i0+len(ref)+rate)]
	off := bestLag(ref, seg)
	var dot, e1, e2 float64
	for k, v := range ref[:min(len(ref), len(seg)-off)] {
		dot += float64(v) * float64(seg[off+k])
		e1 += float64(v) * float64(v)
		e2 += float64(seg[off+k]) * float64(seg[off+k])
	}
	var lags []time.Duration
	for k := 0; k < len(ref); k += client.AudioFrameSamples {
		lags = append(lags, got.timeOf(j0+off+k).Sub(sent.timeOf(i0+k)))
	}
	slices.Sort(lags)
	return lags[len(lags)/2], dot / math.Sqrt(e1*e2+1)
}

// TestAudioEchoLagHolds streams speech-like audio through an echo for two
// minutes from the Go client and measures how long the echo takes to come
// back, over the first and the last 10 s. The server's pacing once fell
// behind its input (a ticker dropped ticks on a busy machine, and each
// dropped tick added 20 ms for good); the lag must now hold within 20 ms,
// and as many packets come back as were sent, within 1%.
func TestAudioEchoLagHolds(t *testing.T) {
	if testing.Short() {
		t.Skipf("a %v echo; skipped with -short", echoRunLength)
	}
	checkLeaks(t)
	probe := &audioProbe{} // an echo that counts what it handles
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, probe.echo, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	ctx := testContext(t, echoRunLength+time.Minute)
	c := audioConn(t, ctx, url)

	var sent, got timedAudio
	reading := make(chan struct{})
	go func() {
		defer close(reading)
		for {
			f, err := c.ReadAudio(ctx)
			if err != nil {
				return
			}
			got.add(f.Samples, c.AudioEpoch().Add(f.Timestamp))
		}
	}()
	signal := babble(echoRunLength, client.AudioRate, 1)
	packets := writePaced(t, ctx, c, signal, &sent)
	time.Sleep(time.Second) // the last echoes
	c.Close()
	<-reading

	first, r1 := lagAt(&sent, &got, 2*time.Second)
	last, r2 := lagAt(&sent, &got, echoRunLength-echoLagWindow-time.Second)
	st := c.AudioStats()
	inFrames, _ := probe.since(time.Time{})
	t.Logf("lag %v (r %.3f) over the first 10 s, %v (r %.3f) over the last; packets: %d sent, %d handled, %d received, %d concealed",
		first.Round(100*time.Microsecond), r1, last.Round(100*time.Microsecond), r2, packets, inFrames, st.PacketsReceived, st.FramesConcealed)
	if r1 < 0.9 || r2 < 0.9 {
		t.Errorf("the echo correlates with what was sent at r = %.3f (first 10 s) and %.3f (last 10 s), want >= 0.9", r1, r2)
	}
	if d := last - first; d > 20*time.Millisecond || d < -20*time.Millisecond {
		t.Errorf("the echo's lag went from %v to %v in %v, want it to hold within 20 ms", first, last, echoRunLength)
	}
	for what, n := range map[string]int{"handled by the server": inFrames, "received back": int(st.PacketsReceived)} {
		// The echo keeps flowing for the second after the last write.
		if math.Abs(float64(n-packets)) > 0.01*float64(packets)+50 {
			t.Errorf("%d packets sent, %d %s: want within 1%%", packets, n, what)
		}
	}
}

// writePaced sends pcm as 20 ms frames on a schedule from the first frame
// (a late frame is followed at once by the ones due), recording each
// frame's send time, and returns the packets written.
func writePaced(t *testing.T, ctx context.Context, c *client.Conn, pcm []int16, rec *timedAudio) int {
	t.Helper()
	const n = client.AudioFrameSamples
	start := time.Now()
	i := 0
	for ; (i+1)*n <= len(pcm); i++ {
		due := start.Add(time.Duration(i) * 20 * time.Millisecond)
		select {
		case <-time.After(time.Until(due)):
		case <-ctx.Done():
			return i
		}
		frame := pcm[i*n : (i+1)*n]
		rec.add(frame, time.Now())
		if err := c.WriteAudio(frame, time.Duration(i)*20*time.Millisecond); err != nil {
			t.Errorf("write audio frame %d: %v", i, err)
			return i
		}
	}
	return i
}
