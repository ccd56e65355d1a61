package pipeline

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec/opus"
	"github.com/rtcstream/rtcstream/media"
)

// outRig runs an AudioOut with a real Opus encoder and counts its packets.
type outRig struct {
	*AudioOut
	mu      sync.Mutex
	packets int
	stall   func(n int) time.Duration // how long writing packet n takes
	cancel  context.CancelFunc
	done    chan error
	first   time.Time // when the first packet was written
}

func newOutRig(t *testing.T, stall func(int) time.Duration) *outRig {
	t.Helper()
	enc, err := opus.NewEncoder(opus.EncoderConfig{SampleRate: OpusRate, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := &outRig{stall: stall, done: make(chan error, 1)}
	r.AudioOut = NewAudioOut(enc, r.write, 0, nil)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
		enc.Close()
	})
	return r
}

func (r *outRig) write([]byte, time.Duration) error {
	r.mu.Lock()
	n := r.packets
	r.packets++
	if n == 0 {
		r.first = time.Now()
	}
	r.mu.Unlock()
	if r.stall != nil {
		time.Sleep(r.stall(n))
	}
	return nil
}

// count reports the packets written and the slots that fell due since the
// first.
func (r *outRig) count() (packets, due int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.packets, int(time.Since(r.first)/AudioFrame) + 1
}

// tone is d of a 440 Hz tone at rate, loud enough not to count as quiet.
func tone(d time.Duration, rate int, at time.Duration) media.AudioFrame {
	n := int(d * time.Duration(rate) / time.Second)
	f := media.AudioFrame{Samples: make([]int16, n), SampleRate: rate, Channels: 1, Timestamp: at}
	for i := range f.Samples {
		f.Samples[i] = int16(8000 * sin440(float64(i)/float64(rate)))
	}
	return f
}

// TestAudioOutKeepsTheClock: a pacer whose writes are sometimes late (a
// busy machine) still sends one packet per 20 ms of wall time, catching up
// on the slots it missed; a ticker-paced loop dropped them, and the audio
// queued behind fell further behind for ever.
func TestAudioOutKeepsTheClock(t *testing.T) {
	r := newOutRig(t, func(n int) time.Duration {
		if n%10 == 5 {
			return 45 * time.Millisecond // two slots missed every 200 ms
		}
		return 0
	})
	time.Sleep(3 * time.Second)
	packets, due := r.count()
	// Catch-up may trail by the stall in progress (3 slots) and a busy
	// machine's scheduling; a pacer that drops late slots loses 2 in 10.
	if packets < due-6 || packets > due+1 {
		t.Errorf("%d packets in %d slots of 20 ms, want one per slot", packets, due)
	}
	st := r.Stats()
	if st.Late == 0 {
		t.Error("no packet counted late, though every tenth write took 45 ms")
	}
	t.Logf("%d packets in %d slots; %+v", packets, due, st)
}

// TestAudioOutSkipsAfterAStall: after a stall longer than maxBehind the
// pacer skips the missed slots instead of bursting them.
func TestAudioOutSkipsAfterAStall(t *testing.T) {
	r := newOutRig(t, func(n int) time.Duration {
		if n == 10 {
			return 500 * time.Millisecond
		}
		return 0
	})
	time.Sleep(1500 * time.Millisecond)
	packets, due := r.count()
	if st := r.Stats(); st.Skipped < 15 || packets > due-15 {
		t.Errorf("%d packets in %d slots, %d skipped, after a 500 ms stall; want about 24 slots skipped", packets, due, st.Skipped)
	}
}

// feedLive queues live audio in 20 ms frames at real-time pace for d, as a
// pass-through handler does, and first an extra burst of burst. With
// pauses, the last 100 ms of every 800 are silent, as speech pauses.
func feedLive(t *testing.T, o *AudioOut, burst, d time.Duration, pauses bool) {
	t.Helper()
	ctx := context.Background()
	if burst > 0 {
		if err := o.QueueLive(ctx, tone(burst, 16000, 0)); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	for i := 0; time.Duration(i)*AudioFrame < d; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * AudioFrame)))
		f := tone(AudioFrame, 16000, time.Duration(i)*AudioFrame)
		if pauses && i%40 >= 35 {
			clear(f.Samples)
		}
		if err := o.QueueLive(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAudioOutBoundsLiveLatency: live audio that stands in the queue (a
// burst after a stall, on top of a real-time stream) is dropped, and the
// queue goes back to holding a frame or so; nothing is dropped from a
// stream that keeps up. With pauses in the sound the cut waits for one:
// after the 1 s window, the next pause reaches the head of the queue (the
// burst's 300 ms after it is queued), long before the 2 s wait for quiet
// runs out. A sound without pauses is cut where it is once the wait ends.
func TestAudioOutBoundsLiveLatency(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pauses bool
		feed   time.Duration
	}{
		{"speech-like", true, 2200 * time.Millisecond},
		{"continuous", false, 3600 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newOutRig(t, nil)
			feedLive(t, r.AudioOut, 0, 2*time.Second, tc.pauses)
			if st := r.Stats(); st.DroppedLive != 0 {
				t.Errorf("dropped %v of a live stream that kept up", st.DroppedLive)
			}
			feedLive(t, r.AudioOut, 300*time.Millisecond, tc.feed, tc.pauses)
			st := r.Stats()
			if st.DroppedLive < 250*time.Millisecond || st.DroppedLive > 450*time.Millisecond {
				t.Errorf("dropped %v within %v of a 300 ms burst, want about 300 ms", st.DroppedLive, tc.feed)
			}
			// At most the slack, the frame just queued and one in flight.
			if q := r.Queued(); q > 60*time.Millisecond {
				t.Errorf("%v still queued at the end, want at most 60 ms", q)
			}
			t.Logf("%+v", st)
		})
	}
}

// TestAudioOutPlaysWholeAudio: whole audio (a reply) is played in full
// however far it runs ahead of real time, and WaitPlayed returns once its
// last sample has been sent, not before.
func TestAudioOutPlaysWholeAudio(t *testing.T) {
	r := newOutRig(t, nil)
	ctx := context.Background()
	start := time.Now()
	for i := range 75 { // 1.5 s, as fast as Queue takes it
		if err := r.Queue(ctx, tone(AudioFrame, 24000, time.Duration(i)*AudioFrame)); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.WaitPlayed(ctx, r.End()); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if took < 1400*time.Millisecond {
		t.Errorf("WaitPlayed returned %v after 1.5 s of audio was queued, want after it was sent", took)
	}
	if st := r.Stats(); st.DroppedLive != 0 || st.Flushed != 0 {
		t.Errorf("whole audio was dropped: %+v", st)
	}
}

// TestAudioOutFlushEndsTheWait: Flush drops what is queued, and a wait for
// it to play returns at once.
func TestAudioOutFlushEndsTheWait(t *testing.T) {
	r := newOutRig(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Queue(ctx, tone(900*time.Millisecond, 48000, 0)); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- r.WaitPlayed(ctx, r.End()) }()
	time.Sleep(100 * time.Millisecond)
	r.Flush()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(500 * time.Millisecond):
		t.Fatal("WaitPlayed still waiting 500 ms after Flush")
	}
	if st := r.Stats(); st.Flushed < 600*time.Millisecond {
		t.Errorf("flushed %v, want the 800 ms still queued less what was sent", st.Flushed)
	}
}

// TestAudioOutWaitEndsWithContext: a wait whose context ends returns.
func TestAudioOutWaitEndsWithContext(t *testing.T) {
	r := newOutRig(t, nil)
	if err := r.Queue(context.Background(), tone(900*time.Millisecond, 48000, 0)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.WaitPlayed(ctx, r.End()); err != context.DeadlineExceeded {
		t.Errorf("WaitPlayed = %v, want the context's deadline", err)
	}
}

func sin440(t float64) float64 { return math.Sin(2 * math.Pi * 440 * t) }

// TestAudioOutKeepsWhatJitterNeeds: live audio whose every tenth frame
// comes 30 ms late needs the queue to hold a frame or two; the queue dips
// to empty at each late frame within the bound's window, so that audio is
// not cut, and the input stops running short.
func TestAudioOutKeepsWhatJitterNeeds(t *testing.T) {
	r := newOutRig(t, nil)
	ctx := context.Background()
	start := time.Now()
	var firstSecond AudioOutStats
	for i := range 250 { // 5 s
		due := start.Add(time.Duration(i) * AudioFrame)
		if i%10 == 9 {
			due = due.Add(25 * time.Millisecond)
		}
		time.Sleep(time.Until(due))
		if err := r.QueueLive(ctx, tone(AudioFrame, 16000, time.Duration(i)*AudioFrame)); err != nil {
			t.Fatal(err)
		}
		if i == 50 {
			firstSecond = r.Stats()
		}
	}
	st := r.Stats()
	t.Logf("after 1 s %+v; after 5 s %+v", firstSecond, st)
	if st.DroppedLive > 0 {
		t.Errorf("dropped %v of a jittery input's audio, which its jitter needed", st.DroppedLive)
	}
	if n := st.Short - firstSecond.Short; n > 2 {
		t.Errorf("%d packets short after the first second, want the queue to hold what the jitter needs", n)
	}
}

// TestAudioOutTakesTheSlipBack: live audio that runs 10% slow for two
// seconds makes the pacer wait for it, slipping its schedule; once the
// input runs ahead (10% fast) the pacer takes the slip back, so over the
// whole run it sends 50 packets a second. (A slip kept for good sent 49.98
// a second in the browser's two-minute echo, whose input runs 1% fast with
// jitter, and the echo's delay grew 20-50 ms.)
func TestAudioOutTakesTheSlipBack(t *testing.T) {
	r := newOutRig(t, nil)
	ctx := context.Background()
	next := time.Now()
	for i := range 250 { // 2.2 s slow, then 2.7 s fast
		step := AudioFrame * 11 / 10
		if i >= 100 {
			step = AudioFrame * 9 / 10
		}
		next = next.Add(step)
		time.Sleep(time.Until(next))
		if err := r.QueueLive(ctx, tone(AudioFrame, 48000, time.Duration(i)*AudioFrame)); err != nil {
			t.Fatal(err)
		}
		if i == 100 {
			if st := r.Stats(); st.Waited < 100*time.Millisecond {
				t.Fatalf("the pacer waited %v for the slow input (%+v): the test tests nothing", st.Waited, st)
			}
		}
	}
	time.Sleep(500 * time.Millisecond) // the output takes the rest
	r.mu.Lock()
	first := r.first
	r.mu.Unlock()
	st := r.Stats()
	want := float64(time.Since(first)) / float64(AudioFrame)
	t.Logf("sent %d packets in %.1f slots; waited %v, dropped %v, %d short", st.Sent, want, st.Waited, st.DroppedLive, st.Short)
	if math.Abs(float64(st.Sent)-want) > 2 {
		t.Errorf("sent %d packets in %.1f slots of 20 ms: the pacer kept the slip of its waits", st.Sent, want)
	}
}

// countingEncoder counts the frames the encoder codes.
type countingEncoder struct {
	*opus.Encoder
	mu sync.Mutex
	n  int
}

func (c *countingEncoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.Encoder.Encode(dst, pcm)
}

// TestAudioOutSendsStockSilence: with nothing to play, the output sends
// the stock silence packet without running the encoder, and the packets
// still decode to silence, then to the sound queued after it, which is
// encoded afresh.
func TestAudioOutSendsStockSilence(t *testing.T) {
	enc, err := opus.NewEncoder(opus.EncoderConfig{SampleRate: OpusRate, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	ce := &countingEncoder{Encoder: enc}
	var mu sync.Mutex
	var packets [][]byte
	o := NewAudioOut(ce, func(p []byte, _ time.Duration) error {
		mu.Lock()
		packets = append(packets, append([]byte(nil), p...))
		mu.Unlock()
		return nil
	}, 0, nil)
	ce.mu.Lock()
	ce.n = 0 // the stock packet's making
	ce.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	time.Sleep(200 * time.Millisecond) // silence: about 10 packets
	if err := o.Queue(ctx, tone(200*time.Millisecond, OpusRate, 0)); err != nil {
		t.Fatal(err)
	}
	if err := o.WaitPlayed(ctx, o.End()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	cancel()
	<-done

	dec, err := opus.NewDecoder(opus.DecoderConfig{SampleRate: OpusRate, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	mu.Lock()
	defer mu.Unlock()
	var silent, loud int
	for _, p := range packets {
		pcm, err := dec.Decode(nil, p)
		if err != nil {
			t.Fatal(err)
		}
		var peak int16
		for _, v := range pcm {
			peak = max(peak, v, -v)
		}
		switch {
		case peak < 50:
			silent++
		case peak > 4000:
			loud++
		}
	}
	ce.mu.Lock()
	encoded := ce.n
	ce.mu.Unlock()
	t.Logf("%d packets: %d silent, %d loud; %d frames encoded", len(packets), silent, loud, encoded)
	if silent < 10 || loud < 8 {
		t.Errorf("%d silent and %d loud packets, want about 15 and 10", silent, loud)
	}
	if encoded > 12 {
		t.Errorf("the encoder coded %d frames for 10 of sound", encoded)
	}
}
