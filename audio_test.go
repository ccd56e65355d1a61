package rtcstream_test

import (
	"context"
	"errors"
	"image"
	"iter"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/media"
)

// The test signals, as functions of time in seconds, so each can be
// rendered at any rate: the reference for a handler at 16 kHz is the
// signal rendered at 16 kHz.
type audioSignal struct {
	name string
	at   func(t float64) float64 // full scale 1
	dur  time.Duration
}

// toneMix is a 440 Hz + 1 kHz mix, -10 dBFS peak each.
var toneMix = audioSignal{"tones", func(t float64) float64 {
	return 0.3 * (math.Sin(2*math.Pi*440*t) + math.Sin(2*math.Pi*1000*t))
}, 1500 * time.Millisecond}

// chirp sweeps linearly from 200 Hz to 4 kHz.
var chirp = audioSignal{"chirp", func(t float64) float64 {
	const f0, f1, d = 200.0, 4000.0, 1.5
	return 0.5 * math.Sin(2*math.Pi*(f0*t+(f1-f0)*t*t/(2*d)))
}, 1500 * time.Millisecond}

// render samples sig at rate, with 10 ms fades at both ends.
func (sig audioSignal) render(rate int) []int16 {
	n := int(sig.dur * time.Duration(rate) / time.Second)
	fade := rate / 100
	pcm := make([]int16, n)
	for i := range pcm {
		v := sig.at(float64(i) / float64(rate))
		if i < fade {
			v *= float64(i) / float64(fade)
		}
		if j := n - 1 - i; j < fade {
			v *= float64(j) / float64(fade)
		}
		pcm[i] = int16(math.Round(v * 32767))
	}
	return pcm
}

// audioConn dials an audio-only client.
func audioConn(t *testing.T, ctx context.Context, url string) *client.Conn {
	t.Helper()
	c, err := client.Dial(ctx, url, &client.Options{Loopback: true, Audio: true, VideoOff: true})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// collectAudio reads the client's audio from a goroutine until stop is
// closed, and returns it concatenated (48 kHz mono).
func collectAudio(ctx context.Context, c *client.Conn, stop <-chan struct{}) func() []int16 {
	var mu sync.Mutex
	var got []int16
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			f, err := c.ReadAudio(ctx)
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, f.Samples...)
			mu.Unlock()
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	return func() []int16 {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

// writeAudio sends pcm (48 kHz mono) as 20 ms frames, one every 20 ms,
// then tail of silence; the last frame is padded with silence.
func writeAudio(t *testing.T, ctx context.Context, c *client.Conn, pcm []int16, tail time.Duration) {
	t.Helper()
	const n = client.AudioFrameSamples
	frames := (len(pcm)+n-1)/n + int(tail/(20*time.Millisecond))
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	buf := make([]int16, n)
	for i := range frames {
		clear(buf)
		if off := i * n; off < len(pcm) {
			copy(buf, pcm[off:])
		}
		if err := c.WriteAudio(buf, time.Duration(i)*20*time.Millisecond); err != nil {
			t.Errorf("write audio frame %d: %v", i, err)
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// match is how a received signal compares with the one sent.
type match struct {
	delay  time.Duration // of the received signal behind the reference
	corr   float64       // normalised cross-correlation at that delay
	gainDB float64       // received level over the reference's, in dB
	gap    time.Duration // the longest run of near-silence within the signal
}

// lead is the silence roundTrip sends before the signal.
const lead = 200 * time.Millisecond

// compare finds ref (at rate) in got (at rate), aligning the two at the
// peak of their cross-correlation. ref was sent after skip of silence,
// which the delay leaves out.
func compare(ref, got []int16, rate int, skip time.Duration) match {
	lag := bestLag(ref, got)
	seg := got[lag:min(lag+len(ref), len(got))]
	r := ref[:len(seg)]
	var sxy, sxx, syy float64
	for i := range seg {
		x, y := float64(r[i]), float64(seg[i])
		sxy += x * y
		sxx += x * x
		syy += y * y
	}
	m := match{delay: time.Duration(lag)*time.Second/time.Duration(rate) - skip}
	if sxx > 0 && syy > 0 {
		m.corr = sxy / math.Sqrt(sxx*syy)
		m.gainDB = 10 * math.Log10(syy/sxx)
	}
	// Gaps: 5 ms windows below -40 dBFS, away from the fades at the ends.
	win := rate / 200
	run := 0
	for i := 2 * win; i+win <= len(seg)-2*win; i += win {
		var e float64
		for _, v := range seg[i : i+win] {
			e += float64(v) * float64(v)
		}
		if math.Sqrt(e/float64(win)) < 0.01*32768 {
			run++
			m.gap = max(m.gap, time.Duration(run*win)*time.Second/time.Duration(rate))
		} else {
			run = 0
		}
	}
	if len(seg) < len(ref) {
		m.gap = max(m.gap, time.Duration(len(ref)-len(seg))*time.Second/time.Duration(rate)) // cut short
	}
	return m
}

// checkMatch asserts m: correlation, level within tol of wantDB, no gap.
func checkMatch(t *testing.T, what string, m match, wantDB, tol float64) {
	t.Helper()
	t.Logf("%s: delay %v, correlation %.3f, level %+.2f dB, longest quiet run %v", what, m.delay, m.corr, m.gainDB, m.gap)
	if m.corr < 0.9 {
		t.Errorf("%s: correlation %.3f after aligning, want >= 0.9", what, m.corr)
	}
	if math.Abs(m.gainDB-wantDB) > tol {
		t.Errorf("%s: level %+.2f dB, want %+.1f ± %.0f dB", what, m.gainDB, wantDB, tol)
	}
	if m.gap > 40*time.Millisecond {
		t.Errorf("%s: %v of near-silence inside the signal, want no run over 40 ms", what, m.gap)
	}
}

// checkFreed asserts the stream has no session left once c has closed.
func checkFreed(t *testing.T, s *rtcstream.Stream, c *client.Conn) {
	t.Helper()
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for s.ActiveSessions() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := s.ActiveSessions(); n != 0 {
		t.Errorf("%d sessions still active after Close", n)
	}
}

// roundTrip sends sig (after lead of silence) through c in real time and
// returns what came back, at 48 kHz.
func roundTrip(t *testing.T, ctx context.Context, c *client.Conn, sig audioSignal) []int16 {
	t.Helper()
	stop := make(chan struct{})
	got := collectAudio(ctx, c, stop)
	// A little silence first, so the stream is flowing before the signal.
	writeAudio(t, ctx, c, append(make([]int16, lead*client.AudioRate/time.Second), sig.render(client.AudioRate)...), 400*time.Millisecond)
	close(stop)
	return got()
}

// recordedFrames records the frames an audio handler sees.
type recordedFrames struct {
	mu     sync.Mutex
	rates  map[int]int // sample rate: frames
	counts []int
	pcm    []int16
}

func (r *recordedFrames) add(f media.AudioFrame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rates == nil {
		r.rates = map[int]int{}
	}
	r.rates[f.SampleRate]++
	r.counts = append(r.counts, f.Frames())
	r.pcm = append(r.pcm, f.Samples...)
}

// check asserts every frame came at rate, mono, 20 ms long (the
// resampler's first frame may be short).
func (r *recordedFrames) check(t *testing.T, rate int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.rates) != 1 || r.rates[rate] == 0 {
		t.Errorf("the handler's frames came at %v (rate: frames), want all at %d Hz", r.rates, rate)
	}
	odd := 0
	for i, n := range r.counts {
		if n != rate/50 && i > 0 {
			odd++
		}
	}
	if odd > 0 {
		t.Errorf("%d of %d input frames were not 20 ms (%d samples) long", odd, len(r.counts), rate/50)
	}
}

func TestAudioEcho(t *testing.T) {
	for _, rate := range []int{48000, 16000} {
		for _, sig := range []audioSignal{toneMix, chirp} {
			// One at a time: four echo sessions at once under the race
			// detector left 35-50 ms holes in the echo on 2 cores (the
			// holes this test is to find), correlation 0.64-0.76.
			t.Run(sig.name+"/"+strconv.Itoa(rate), func(t *testing.T) {
				var rec recordedFrames
				echo := func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
					for f := range in {
						rec.add(f)
						out <- f
					}
					return nil
				}
				s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, echo,
					&rtcstream.Options{Network: loopback, AudioInputRate: rate})
				if err != nil {
					t.Fatal(err)
				}
				url := serve(t, s)
				ctx := testContext(t, 30*time.Second)
				c := audioConn(t, ctx, url)
				got := roundTrip(t, ctx, c, sig)
				checkMatch(t, "echo "+sig.name, compare(sig.render(client.AudioRate), got, client.AudioRate, lead), 0, 2)
				rec.check(t, rate)
				t.Logf("client audio: %+v", c.AudioStats())
				checkFreed(t, s, c)
			})
		}
	}
}

// TestAudioGain: a plain per-frame effect halving the level comes back
// 6 dB down.
func TestAudioGain(t *testing.T) {
	checkLeaks(t)
	half := func(f media.AudioFrame) media.AudioFrame {
		for i, v := range f.Samples {
			f.Samples[i] = v / 2
		}
		return f
	}
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, half, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	ctx := testContext(t, 30*time.Second)
	c := audioConn(t, ctx, url)
	got := roundTrip(t, ctx, c, chirp)
	checkMatch(t, "gain 0.5", compare(chirp.render(client.AudioRate), got, client.AudioRate, lead), -6.02, 1)
	checkFreed(t, s, c)
}

// TestAudioReceiveGenerator: a generator's chirp at 24 kHz, in 37 ms
// chunks, reaches the client whole, resampled to 48 kHz.
func TestAudioReceiveGenerator(t *testing.T) {
	checkLeaks(t)
	const rate, chunk = 24000, 24000 * 37 / 1000
	gen := func(ctx context.Context) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) {
			pcm := chirp.render(rate)
			for off := 0; off < len(pcm); off += chunk {
				f := media.AudioFrame{Samples: pcm[off:min(off+chunk, len(pcm))], SampleRate: rate, Channels: 1,
					Timestamp: time.Duration(off) * time.Second / rate}
				if !yield(f) {
					return
				}
			}
		}
	}
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.Receive, gen, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	ctx := testContext(t, 30*time.Second)
	c := audioConn(t, ctx, url)
	stop := make(chan struct{})
	got := collectAudio(ctx, c, stop)
	time.Sleep(chirp.dur + 600*time.Millisecond)
	close(stop)
	checkMatch(t, "generator", compare(chirp.render(client.AudioRate), got(), client.AudioRate, 0), 0, 2)
	checkFreed(t, s, c)
}

// TestAudioSendHandler: a send-mode consumer hears the client's signal at
// its input rate.
func TestAudioSendHandler(t *testing.T) {
	checkLeaks(t)
	const rate = 16000
	var rec recordedFrames
	consume := func(f media.AudioFrame) error {
		rec.add(f)
		return nil
	}
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.Send, consume,
		&rtcstream.Options{Network: loopback, AudioInputRate: rate})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	ctx := testContext(t, 30*time.Second)
	c := audioConn(t, ctx, url)
	writeAudio(t, ctx, c, append(make([]int16, lead*client.AudioRate/time.Second), toneMix.render(client.AudioRate)...), 300*time.Millisecond)
	rec.check(t, rate)
	rec.mu.Lock()
	heard := rec.pcm
	rec.mu.Unlock()
	checkMatch(t, "send handler", compare(toneMix.render(rate), heard, rate, lead), 0, 2)
	checkFreed(t, s, c)
}

// TestAudioPanicContinues: a per-frame effect that panics on some frames,
// under the default ContinueOnError: the client is told, and the audio
// keeps flowing, the failed frames passed through unprocessed.
func TestAudioPanicContinues(t *testing.T) {
	checkLeaks(t)
	var mu sync.Mutex
	n := 0
	flaky := func(f media.AudioFrame) media.AudioFrame {
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if k%25 == 0 { // every half second
			panic(errors.New("flaky effect"))
		}
		return f
	}
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, flaky, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	ctx := testContext(t, 30*time.Second)
	c := audioConn(t, ctx, url)
	got := roundTrip(t, ctx, c, chirp)
	checkMatch(t, "panicking effect", compare(chirp.render(client.AudioRate), got, client.AudioRate, lead), 0, 2)
	mctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var msg client.Message
	for msg.Type != "error" {
		if msg, err = c.ReadMessage(mctx); err != nil {
			t.Fatalf("no error message from the server: %v", err)
		}
	}
	t.Logf("error message: %s", msg.Raw)
	if !strings.Contains(msg.Message, "flaky effect") {
		t.Errorf("error message %q does not name the panic", msg.Message)
	}
	if c.AudioStats().PacketsReceived == 0 {
		t.Error("no audio received")
	}
	checkFreed(t, s, c)
}

// avNop is an AudioVideoHandler that does nothing.
type avNop struct{}

func (avNop) Video(context.Context, *image.YCbCr, time.Duration) (image.Image, error) {
	return nil, nil
}
func (avNop) Audio(context.Context, <-chan media.AudioFrame, chan<- media.AudioFrame) error {
	return nil
}

func TestAudioVideoHandlerChecks(t *testing.T) {
	for _, tc := range []struct {
		mode rtcstream.Mode
		fn   any
		want error
	}{
		{rtcstream.SendReceive, invert, rtcstream.ErrBadHandler},
		{rtcstream.SendReceive, avNop{}, rtcstream.ErrBadHandler},                                           // a value, not a per-session factory
		{rtcstream.Receive, func() rtcstream.AudioVideoHandler { return avNop{} }, rtcstream.ErrBadHandler}, // receive wants a generator
	} {
		if _, err := rtcstream.NewStream(rtcstream.AudioVideo, tc.mode, tc.fn, nil); !errors.Is(err, tc.want) {
			t.Errorf("%v %T: %v, want %v", tc.mode, tc.fn, err, tc.want)
		}
	}
	if _, err := rtcstream.NewStream(rtcstream.AudioVideo, rtcstream.SendReceive, func() rtcstream.AudioVideoHandler { return avNop{} }, nil); err != nil {
		t.Errorf("a per-session factory: %v", err)
	}
}
