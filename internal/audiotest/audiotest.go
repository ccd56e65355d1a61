// Package audiotest measures audio sent through an echo for tests: a
// speech-like signal, the times its frames were sent and came back, and
// the lag between them found by cross-correlation. The root package's
// tests echo through a Stream, package livekit's through a worker.
package audiotest

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/media"
)

// Audio on the wire, as client and livekit.Participant send and return it.
const (
	Rate         = 48000
	FrameSamples = Rate / 50 // 20 ms, mono
)

// Babble is a speech-like test signal of length d at rate: 150-600 ms
// sweeps between random pitches (200 Hz to 2 kHz, which Opus codes
// faithfully; it would code noise as other noise), shaped by a slow
// envelope, with 80-400 ms pauses, so every stretch of it correlates with
// itself at one lag only. One seed gives one signal.
func Babble(d time.Duration, rate int, seed uint64) []int16 {
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

// Timed is a stream of 20 ms frames at Rate, each with the wall clock
// time it was sent or arrived. It is safe for concurrent use.
type Timed struct {
	mu  sync.Mutex
	PCM []int16
	At  []time.Time // per frame of FrameSamples
}

// Add appends a frame (a longer one counts as its 20 ms frames, all at at).
func (a *Timed) Add(pcm []int16, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.PCM = append(a.PCM, pcm...)
	for range max(1, len(pcm)/FrameSamples) {
		a.At = append(a.At, at)
	}
}

// TimeOf is when sample i was sent or arrived, interpolated in its frame.
func (a *Timed) TimeOf(i int) time.Time {
	k := min(i/FrameSamples, len(a.At)-1)
	return a.At[k].Add(time.Duration(i-k*FrameSamples) * time.Second / Rate)
}

// LagAt measures how long after it was sent the audio in the window of
// sent audio starting at from arrived back, second by second (a drop that
// bounds the latency moves the alignment within a window), and returns the
// median lag and the median correlation at the seconds' alignments.
func LagAt(sent, got *Timed, from, window time.Duration) (time.Duration, float64) {
	var lags []time.Duration
	var rs []float64
	for at := from; at < from+window; at += time.Second {
		lag, r := ChunkLag(sent, got, at, time.Second)
		lags, rs = append(lags, lag), append(rs, r)
	}
	slices.Sort(lags)
	slices.Sort(rs)
	return lags[len(lags)/2], rs[len(rs)/2]
}

// ChunkLag finds the d of sent audio starting at from in the received
// audio, within a second after it, and returns when it arrived after it
// was sent (the median over its frames, so one late packet does not
// count) and the normalised correlation there.
func ChunkLag(sent, got *Timed, from, d time.Duration) (time.Duration, float64) {
	i0 := int(from * Rate / time.Second)
	ref := sent.PCM[i0 : i0+int(d*Rate/time.Second)]
	j0 := max(0, i0-Rate/10)
	if j0 >= len(got.PCM) {
		return 0, 0
	}
	seg := got.PCM[j0:min(len(got.PCM), i0+len(ref)+Rate)]
	off := BestLag(ref, seg)
	var dot, e1, e2 float64
	for k, v := range ref[:max(0, min(len(ref), len(seg)-off))] {
		dot += float64(v) * float64(seg[off+k])
		e1 += float64(v) * float64(v)
		e2 += float64(seg[off+k]) * float64(seg[off+k])
	}
	var lags []time.Duration
	for k := 0; k < len(ref); k += FrameSamples {
		lags = append(lags, got.TimeOf(j0+off+k).Sub(sent.TimeOf(i0+k)))
	}
	slices.Sort(lags)
	return lags[len(lags)/2], dot / math.Sqrt(e1*e2+1)
}

// BestLag returns the lag of got against ref (got[lag:] lines up with
// ref) at which their cross-correlation peaks, by FFT.
func BestLag(ref, got []int16) int {
	xc := browsertest.CrossCorrelation(Floats(ref), Floats(got))
	best, lag := math.Inf(-1), 0
	for i, v := range xc {
		if v > best {
			best, lag = v, i
		}
	}
	return lag
}

// Floats converts samples to float64.
func Floats(pcm []int16) []float64 {
	f := make([]float64, len(pcm))
	for i, v := range pcm {
		f[i] = float64(v)
	}
	return f
}

// Writer sends 20 ms frames of mono audio at Rate (client.Conn,
// livekit.Participant).
type Writer interface {
	WriteAudio(pcm []int16, pts time.Duration) error
}

// Conn sends audio to an echo and reads it back.
type Conn interface {
	Writer
	ReadAudio(ctx context.Context) (media.AudioFrame, error)
	// AudioEpoch is the origin of ReadAudio's frames' Timestamps, their
	// arrival.
	AudioEpoch() time.Time
	Close() error
}

// EchoThrough plays signal to an echo through c, records what it sent and
// what came back with their times, and closes c a second after the last
// write (the last echoes). It returns the packets written.
func EchoThrough(t testing.TB, ctx context.Context, c Conn, signal []int16) (sent, got *Timed, packets int) {
	t.Helper()
	sent, got = &Timed{}, &Timed{}
	reading := make(chan struct{})
	go func() {
		defer close(reading)
		for {
			f, err := c.ReadAudio(ctx)
			if err != nil {
				return
			}
			got.Add(f.Samples, c.AudioEpoch().Add(f.Timestamp))
		}
	}()
	packets = WritePaced(t, ctx, c, signal, sent)
	time.Sleep(time.Second)
	c.Close()
	<-reading
	return sent, got, packets
}

// WritePaced sends pcm as 20 ms frames on a schedule from the first frame
// (a late frame is followed at once by the ones due), recording each
// frame's send time in rec, and returns the packets written.
func WritePaced(t testing.TB, ctx context.Context, c Writer, pcm []int16, rec *Timed) int {
	t.Helper()
	const n = FrameSamples
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
		rec.Add(frame, time.Now())
		if err := c.WriteAudio(frame, time.Duration(i)*20*time.Millisecond); err != nil {
			t.Errorf("write audio frame %d: %v", i, err)
			return i
		}
	}
	return i
}
