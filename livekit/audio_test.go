package livekit_test

import (
	"context"
	"encoding/json"
	"image"
	"image/color"
	"iter"
	"log/slog"
	"math"
	"os"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/audiotest"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/lktest"
	"github.com/rtcstream/rtcstream/livekit"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/voice"
)

// workerOf runs a worker of s against url until the test ends.
func workerOf(t *testing.T, s *rtcstream.Stream, url, agent string) *livekit.Worker {
	t.Helper()
	t.Cleanup(func() { s.Close() })
	w, err := livekit.NewWorker(s, livekit.Options{URL: url, APIKey: lktest.APIKey, APISecret: lktest.APISecret, AgentName: agent,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, w)
	// LiveKit drops a dispatch that no worker takes: the rooms are made
	// once the worker can take them.
	waitFor(t, 10*time.Second, "the worker registered", w.Registered)
	return w
}

// joinWith joins identity to room (with agent dispatched) as a Go
// participant with o; it leaves when the test ends.
func joinWith(t *testing.T, url, room, identity, agent string, o livekit.ParticipantOptions) *livekit.Participant {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := livekit.Join(ctx, url, lktest.Token(t, room, identity, agent), &o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// awaitAudio waits until the worker's audio of p arrives.
func awaitAudio(t *testing.T, p *livekit.Participant, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	silence := make([]int16, client.AudioFrameSamples)
	for i := 0; p.AudioStats().PacketsReceived == 0; i++ {
		if err := p.WriteAudio(silence, time.Duration(i)*20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no audio from the worker in %v", within)
		case <-time.After(20 * time.Millisecond):
		}
	}
	for { // what came before the measurement starts does not count
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		_, err := p.ReadAudio(ctx)
		cancel()
		if err != nil {
			return // the buffer is empty (the next frame is up to 20 ms away)
		}
	}
}

// echoRun is how long the echo through a worker runs: long enough that a
// delay growing a few milliseconds a second shows (it grew 8 ms a second
// once, in a Stream's pacing).
const echoRun = 60 * time.Second

// TestWorkerEchoesAMicrophone: an audio stream's echo runs in a worker
// for a minute on a participant's microphone; the participant hears its
// own speech-like signal back (correlation), nearly all of it, and the
// lag over the last 10 s is within two frames of the lag over the first.
func TestWorkerEchoesAMicrophone(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	echo := func(f media.AudioFrame) media.AudioFrame { return f }
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, echo, nil)
	if err != nil {
		t.Fatal(err)
	}
	workerOf(t, s, node.URL, "echo")
	p := joinWith(t, node.URL, "room-a", "alice", "echo", livekit.ParticipantOptions{Audio: true, VideoOff: true})
	awaitAudio(t, p, 20*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), echoRun+time.Minute)
	defer cancel()
	sent, got, packets := audiotest.EchoThrough(t, ctx, p, audiotest.Babble(echoRun, audiotest.Rate, 7))
	const window = 10 * time.Second
	first, r1 := audiotest.LagAt(sent, got, 2*time.Second, window)
	last, r2 := audiotest.LagAt(sent, got, echoRun-window-time.Second, window)
	st := p.AudioStats()
	t.Logf("lag %v (r %.3f) over the first 10 s, %v (r %.3f) over the last; %d packets sent, %d received",
		first.Round(100*time.Microsecond), r1, last.Round(100*time.Microsecond), r2, packets, st.PacketsReceived)
	if r1 < 0.9 || r2 < 0.9 {
		t.Errorf("the echo correlates with what was sent at r = %.3f (first 10 s) and %.3f (last 10 s), want >= 0.9", r1, r2)
	}
	// The output bounds live audio's latency by dropping what stood in its
	// queue a whole second beyond 10 ms; a late input packet moves the
	// schedule one 20 ms frame before that. So the lag may step by a frame
	// or so either way (it went from 24.7 to 44.2 ms in one run, as the
	// SFU's jitter made the input late), but it must not grow with time:
	// the bug this guards against added 8 ms a second, 400 ms here.
	if d := last - first; d.Abs() > 40*time.Millisecond {
		t.Errorf("the echo's lag went from %v to %v in %v, want it to hold within 40 ms (two frames)", first, last, echoRun)
	}
	// The output pacer sends a packet every 20 ms whether or not the echo
	// has one (silence between), so what comes back is the run's length
	// in packets, within 2%.
	if n := int(st.PacketsReceived); math.Abs(float64(n-packets)) > 0.02*float64(packets)+50 {
		t.Errorf("%d packets sent, %d received back: want within 2%%", packets, n)
	}
}

// speechAt48k reads a recording of speech, resampled to 48 kHz.
func speechAt48k(t *testing.T, path string) []int16 {
	t.Helper()
	rate, pcm, err := browsertest.ReadWAV(path)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := media.NewResampler(rate, audiotest.Rate, 1, media.QualityMedium)
	if err != nil {
		t.Fatal(err)
	}
	return rs.Flush(rs.Process(nil, pcm))
}

// TestWorkerRepliesOnPause: voice.ReplyOnPause (saying the user's words
// back) runs in a worker. The participant says "hello" and falls silent; it is told of each turn (started_talking, pause_detected,
// reply_started, reply_ended, in order, as the page is), hears its speech
// back after the pause, and reply_ended comes once the reply has played,
// not as it starts.
func TestWorkerRepliesOnPause(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	sayBack := func(ctx context.Context, u media.AudioFrame) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) { yield(u) }
	}
	handler := voice.ReplyOnPause(sayBack, &voice.ReplyOnPauseOptions{
		Detector: func() (vad.Detector, error) { return vad.NewEnergyDetector(), nil },
	})
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, handler, &rtcstream.Options{AudioInputRate: vad.SampleRate})
	if err != nil {
		t.Fatal(err)
	}
	workerOf(t, s, node.URL, "voice")
	p := joinWith(t, node.URL, "room-a", "alice", "voice", livekit.ParticipantOptions{Audio: true, VideoOff: true})
	awaitAudio(t, p, 20*time.Second)

	// What comes back, loud frames timed.
	type heard struct {
		at   time.Time
		loud bool
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	audio := make(chan heard, 1000)
	go func() {
		for {
			f, err := p.ReadAudio(ctx)
			if err != nil {
				close(audio)
				return
			}
			var e float64
			for _, v := range f.Samples {
				e += float64(v) * float64(v)
			}
			audio <- heard{p.AudioEpoch().Add(f.Timestamp), math.Sqrt(e/float64(len(f.Samples)+1)) > 300}
		}
	}()

	words := speechAt48k(t, "../vad/testdata/hello.wav")
	speech := time.Duration(len(words)) * time.Second / audiotest.Rate
	signal := append(append(make([]int16, audiotest.Rate/2), words...), make([]int16, 4*audiotest.Rate)...)
	// The turn events, timed as they arrive.
	type event struct {
		name string
		at   time.Time
	}
	turns := make(chan event, 16)
	go func() {
		defer close(turns)
		for {
			m, err := p.ReadMessage(ctx)
			if err != nil {
				return
			}
			var v struct {
				Event string `json:"event"`
			}
			if m.Type == "vad" && json.Unmarshal(m.Raw, &v) == nil {
				turns <- event{v.Event, time.Now()}
			}
		}
	}()
	spoke := time.Now().Add(500 * time.Millisecond) // after the half second of silence
	audiotest.WritePaced(t, ctx, p, signal, &audiotest.Timed{})

	events := map[string]time.Time{}
	var order []string
	for len(order) < 4 {
		e, ok := <-turns
		if !ok {
			t.Fatalf("turn events so far %v, then none", order)
		}
		if _, dup := events[e.name]; !dup {
			events[e.name] = e.at
			order = append(order, e.name)
		}
	}
	want := []string{voice.EventStartedTalking, voice.EventPauseDetected, voice.EventReplyStarted, voice.EventReplyEnded}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("turn events %v, want %v", order, want)
		}
	}
	cancel()
	var firstLoud, lastLoud time.Time
	for h := range audio {
		if h.loud && h.at.After(spoke.Add(speech)) {
			if firstLoud.IsZero() {
				firstLoud = h.at
			}
			lastLoud = h.at
		}
	}
	played := lastLoud.Sub(firstLoud)
	t.Logf("pause detected %v after the speech ended; reply heard from %v to %v after it; reply_ended %v after reply_started",
		events[voice.EventPauseDetected].Sub(spoke.Add(speech)).Round(time.Millisecond),
		firstLoud.Sub(spoke.Add(speech)).Round(time.Millisecond), lastLoud.Sub(spoke.Add(speech)).Round(time.Millisecond),
		events[voice.EventReplyEnded].Sub(events[voice.EventReplyStarted]).Round(time.Millisecond))
	if firstLoud.IsZero() || played < speech/2 {
		t.Fatalf("the reply was heard for %v, want most of the %v said", played, speech)
	}
	if firstLoud.Before(events[voice.EventPauseDetected].Add(-100 * time.Millisecond)) {
		t.Errorf("the reply was heard %v before the pause was detected", events[voice.EventPauseDetected].Sub(firstLoud))
	}
	// reply_ended is sent once the reply's last sample has been sent: most
	// of the speech's length after reply_started (the bug was "at once").
	if d := events[voice.EventReplyEnded].Sub(events[voice.EventReplyStarted]); d < speech/2 {
		t.Errorf("reply_ended came %v after reply_started, for a reply of about %v", d, speech)
	}
}

// TestWorkerGenerates: a receive-mode video stream runs its generator for
// a participant that only joins (no camera), and the participant gets its
// frames; leaving ends the generator.
func TestWorkerGenerates(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	ended := make(chan struct{}, 4)
	gen := func(ctx context.Context) iter.Seq[image.Image] {
		return func(yield func(image.Image) bool) {
			defer func() { ended <- struct{}{} }()
			img := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
			y, cb, cr := color.RGBToYCbCr(200, 40, 40)
			for i := range img.Y {
				img.Y[i] = y
			}
			for i := range img.Cb {
				img.Cb[i], img.Cr[i] = cb, cr
			}
			for yield(img) {
			}
		}
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Receive, gen, &rtcstream.Options{FrameRate: 20})
	if err != nil {
		t.Fatal(err)
	}
	workerOf(t, s, node.URL, "gen")
	p := joinWith(t, node.URL, "room-a", "bob", "gen", livekit.ParticipantOptions{VideoOff: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wantY, _, _ := color.RGBToYCbCr(200, 40, 40)
	for n := 0; n < 20; {
		f, err := p.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("%d generated frames, then: %v", n, err)
		}
		yc := f.Image
		if got := yc.Y[yc.YOffset(160, 120)]; abs(int(got)-int(wantY)) > colorTol {
			t.Fatalf("frame %d: luma %d at the centre, want the generator's %d", n, got, wantY)
		}
		n++
	}
	p.Close()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the generator still runs 10 s after its participant left")
	}
}

// avEcho inverts the camera and echoes the microphone.
type avEcho struct{}

func (avEcho) Video(ctx context.Context, frame *image.YCbCr, pts time.Duration) (image.Image, error) {
	return invert(frame), nil
}

func (avEcho) Audio(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
	for f := range in {
		select {
		case out <- f:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// TestWorkerRunsAudioAndVideoTogether: an audio-video stream's handler
// runs in a worker on a participant's camera and microphone at once: the
// participant gets its camera back inverted and hears its speech-like
// signal echoed. With an H.264 camera too: its microphone, published
// first, may start the stream in VP8, which the camera then replaces.
func TestWorkerRunsAudioAndVideoTogether(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	s, err := rtcstream.NewStream(rtcstream.AudioVideo, rtcstream.SendReceive, func() rtcstream.AudioVideoHandler { return avEcho{} }, nil)
	if err != nil {
		t.Fatal(err)
	}
	workerOf(t, s, node.URL, "av")
	for _, vc := range []codec.VideoCodec{codec.VP8, codec.H264} {
		t.Run(string(vc), func(t *testing.T) {
			p := lktest.JoinWith(t, node.URL, lktest.Token(t, "room-"+string(vc), "carol", "av"), livekit.ParticipantOptions{Audio: true, VideoCodec: vc})
			p.SetColor(camY, camU, camV)
			start := time.Now()
			p.PublishCamera(image.Pt(320, 240))
			awaitAudio(t, p.Participant, 20*time.Second)

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			const run = 10 * time.Second
			sent, got, _ := audiotest.EchoThrough(t, ctx, p.Participant, audiotest.Babble(run, audiotest.Rate, 11))
			lag, r := audiotest.LagAt(sent, got, 2*time.Second, 6*time.Second)
			frames := p.Frames(start)
			n := 0
			for _, f := range frames {
				if inverted(f) {
					n++
				}
			}
			t.Logf("echo lag %v (r %.3f); %d of %d frames back inverted, in %s", lag.Round(100*time.Microsecond), r, n, len(frames), p.ProcessedCodec())
			if r < 0.9 {
				t.Errorf("the echo correlates with what was sent at r = %.3f, want >= 0.9", r)
			}
			if n < 100 { // 30 fps for over 10 s
				t.Errorf("%d frames back inverted, want at least 100", n)
			}
			if got := p.ProcessedCodec(); got != vc {
				t.Errorf("the processed video is %s; want the camera's %s", got, vc)
			}
			p.Leave()
		})
	}
}
