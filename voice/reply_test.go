package voice_test

import (
	"context"
	"encoding/binary"
	"iter"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/voice"
)

// readWAV reads a 16-bit mono PCM WAV file (the espeak-ng clips in
// vad/testdata, 16 kHz).
func readWAV(t *testing.T, path string) []int16 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Find the "data" chunk after the RIFF header.
	for i := 12; i+8 <= len(b); {
		id, n := string(b[i:i+4]), int(binary.LittleEndian.Uint32(b[i+4:i+8]))
		if id == "data" {
			data := b[i+8 : min(i+8+n, len(b))]
			pcm := make([]int16, len(data)/2)
			for j := range pcm {
				pcm[j] = int16(binary.LittleEndian.Uint16(data[2*j:]))
			}
			return pcm
		}
		i += 8 + n + n%2
	}
	t.Fatalf("%s: no data chunk", path)
	return nil
}

// feed sends pcm (16 kHz mono) to in as 20 ms frames stamped from at, and
// returns the time after it.
func feed(ctx context.Context, in chan<- media.AudioFrame, pcm []int16, at time.Duration) time.Duration {
	const n = 320 // 20 ms at 16 kHz
	for len(pcm) > 0 {
		k := min(n, len(pcm))
		f := media.AudioFrame{Samples: append([]int16(nil), pcm[:k]...), SampleRate: 16000, Channels: 1, Timestamp: at}
		select {
		case in <- f:
		case <-ctx.Done():
			return at
		}
		pcm = pcm[k:]
		at += time.Duration(k) * time.Second / 16000
	}
	return at
}

func silence(d time.Duration) []int16 { return make([]int16, int(d*16000/time.Second)) }

func TestReplyOnPauseRepliesOncePerUtterance(t *testing.T) {
	hello := readWAV(t, "../vad/testdata/hello.wav")
	how := readWAV(t, "../vad/testdata/howareyou.wav")
	var mu sync.Mutex
	var utterances []time.Duration
	echo := func(ctx context.Context, u media.AudioFrame) iter.Seq[media.AudioFrame] {
		mu.Lock()
		utterances = append(utterances, u.Duration())
		mu.Unlock()
		return func(yield func(media.AudioFrame) bool) { yield(u) }
	}
	for _, tc := range []struct {
		name string
		det  func() (vad.Detector, error)
	}{
		{"energy detector", func() (vad.Detector, error) { return vad.NewEnergyDetector(), nil }},
		{"default detector", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			utterances = nil
			handler := voice.ReplyOnPause(echo, &voice.ReplyOnPauseOptions{Detector: tc.det})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			in := make(chan media.AudioFrame)
			out := make(chan media.AudioFrame, 16)
			done := make(chan error, 1)
			go func() { done <- handler(ctx, in, out) }()
			at := feed(ctx, in, silence(500*time.Millisecond), 0)
			at = feed(ctx, in, hello, at)
			at = feed(ctx, in, silence(time.Second), at)
			at = feed(ctx, in, how, at)
			feed(ctx, in, silence(time.Second), at)
			// The replies run beside the listener; closing in ends them.
			for deadline := time.Now().Add(5 * time.Second); len(out) < 2 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			close(in)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(utterances) != 2 {
				t.Fatalf("%d replies, want one per utterance (2): %v", len(utterances), utterances)
			}
			// Each utterance is its speech plus up to 200 ms of padding each side.
			for i, want := range []time.Duration{dur(hello), dur(how)} {
				if got := utterances[i]; got < want-100*time.Millisecond || got > want+500*time.Millisecond {
					t.Errorf("utterance %d lasts %v, want about %v (speech) plus padding", i+1, got, want)
				}
			}
			if len(out) != 2 {
				t.Errorf("%d reply frames out, want 2", len(out))
			}
		})
	}
}

func dur(pcm []int16) time.Duration { return time.Duration(len(pcm)) * time.Second / 16000 }

// TestReplyOnPauseBargeIn: speech over a playing reply cancels it: its
// context ends within the barge-in confirmation plus a window or two of
// the speech's onset, on the stream's clock. With the default one-window
// confirmation the reply stops within 100 ms of the speaker starting.
func TestReplyOnPauseBargeIn(t *testing.T) {
	for _, tc := range []struct {
		confirm, within time.Duration
	}{
		// ReplyOnPause's default, one window: 100 ms, plus one 20 ms frame
		// for where this test reads the clock.
		{0, 120 * time.Millisecond},
		{150 * time.Millisecond, 350 * time.Millisecond},
	} {
		took := bargeIn(t, tc.confirm)
		t.Logf("confirmation %v: the reply stopped %v (stream time) after the speech began", tc.confirm, took)
		if took > tc.within {
			t.Errorf("confirmation %v: barge-in took %v of speech, want at most %v", tc.confirm, took, tc.within)
		}
	}
}

// bargeIn talks over a playing reply and returns how much speech it took
// to cancel it.
func bargeIn(t *testing.T, confirm time.Duration) time.Duration {
	t.Helper()
	hello := readWAV(t, "../vad/testdata/hello.wav")
	var cancelledAt, onset time.Duration
	var mu sync.Mutex
	var streamNow time.Duration
	replying := make(chan struct{}, 1)
	endless := func(ctx context.Context, u media.AudioFrame) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) {
			select {
			case replying <- struct{}{}:
			default:
			}
			for {
				if !yield(media.AudioFrame{Samples: make([]int16, 320), SampleRate: 16000, Channels: 1}) {
					break
				}
			}
			mu.Lock()
			cancelledAt = streamNow
			mu.Unlock()
		}
	}
	handler := voice.ReplyOnPause(endless, &voice.ReplyOnPauseOptions{
		Detector: func() (vad.Detector, error) { return vad.NewEnergyDetector(), nil },
		Turns:    vad.Options{BargeIn: confirm},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := make(chan media.AudioFrame)
	out := make(chan media.AudioFrame)
	go func() { // the output side: plays the reply in real time
		for range out {
		}
	}()
	done := make(chan error, 1)
	go func() { done <- handler(ctx, in, out) }()
	at := feed(ctx, in, silence(300*time.Millisecond), 0)
	at = feed(ctx, in, hello, at)
	// Silence until the reply plays.
	for {
		at = feed(ctx, in, silence(20*time.Millisecond), at)
		select {
		case <-replying:
		default:
			continue
		}
		break
	}
	at = feed(ctx, in, silence(200*time.Millisecond), at)
	onset = at
	// Talk over it, a frame at a time, tracking the stream clock.
	for i := 0; i < len(hello); i += 320 {
		mu.Lock()
		streamNow = at
		mu.Unlock()
		at = feed(ctx, in, hello[i:min(i+320, len(hello))], at)
		time.Sleep(time.Millisecond) // let the reply goroutine see its context end
	}
	close(in)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(out)
	mu.Lock()
	defer mu.Unlock()
	if cancelledAt == 0 {
		t.Fatal("the reply was never cancelled by speech over it")
	}
	return cancelledAt - onset
}
