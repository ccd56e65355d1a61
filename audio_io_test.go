package rtcstream_test

import (
	"context"
	"errors"
	"fmt"
	"image"
	"iter"
	"math"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
)

// scale multiplies f's samples by gain, in place.
func scale(f media.AudioFrame, gain float64) media.AudioFrame {
	for i, v := range f.Samples {
		f.Samples[i] = int16(max(-32768, min(32767, float64(v)*gain)))
	}
	return f
}

// audioPage lays out an audio stream with a gain slider (initially 1) and
// a textbox, and binds fn with ev's inputs and outputs. It returns the
// page's server URL and the slider's and textbox's ids.
func audioPage(t *testing.T, fn any, ev func(audio *rtcstream.WebRTC, gain *ui.Slider, text *ui.Textbox) rtcstream.StreamEvent) (url, gainID, textID string) {
	t.Helper()
	demo := ui.NewBlocks(nil)
	audio := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Modality: rtcstream.Audio, Options: rtcstream.Options{Network: loopback}})
	gain := &ui.Slider{Props: ui.Props{Label: "Gain"}, Minimum: 0, Maximum: 2, Step: 0.05, Value: 1}
	text := &ui.Textbox{Props: ui.Props{Label: "Gain"}}
	demo.Add(audio, gain, text)
	if err := audio.Stream(fn, ev(audio, gain, text)); err != nil {
		t.Fatal(err)
	}
	if err := demo.Build(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audio.Close() })
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)
	gainID, _ = demo.ID(gain)
	textID, _ = demo.ID(text)
	return srv.URL, gainID, textID
}

// toneLevel sends a steady 440 Hz tone through c and returns a function
// that reports the RMS level of what came back over the last 200 ms.
func toneLevel(t *testing.T, ctx context.Context, c *client.Conn) func() float64 {
	t.Helper()
	go func() {
		tone := make([]int16, client.AudioFrameSamples)
		for i := 0; ctx.Err() == nil; i++ {
			for k := range tone {
				n := i*client.AudioFrameSamples + k
				tone[k] = int16(8000 * math.Sin(2*math.Pi*440*float64(n)/client.AudioRate))
			}
			if c.WriteAudio(tone, time.Duration(i)*20*time.Millisecond) != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var level atomic.Uint64
	go func() {
		var window []float64
		for {
			f, err := c.ReadAudio(ctx)
			if err != nil {
				return
			}
			var e float64
			for _, v := range f.Samples {
				e += float64(v) * float64(v)
			}
			window = append(window, e/float64(max(1, len(f.Samples))))
			if len(window) > 10 {
				window = window[1:]
			}
			var sum float64
			for _, w := range window {
				sum += w
			}
			level.Store(math.Float64bits(math.Sqrt(sum / float64(len(window)))))
		}
	}()
	return func() float64 { return math.Float64frombits(level.Load()) }
}

// waitFor polls ok until it holds or the test's context ends.
func waitUntil(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within the test's time", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitOutput reads c's messages until an "output" gives the textbox want.
func waitOutput(t *testing.T, ctx context.Context, c *client.Conn, textID, want string) {
	t.Helper()
	var last string
	for {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("waiting for the textbox to read %q (last %q): %v", want, last, err)
		}
		if m.Type != "output" {
			continue
		}
		if ok, err := m.Output(textID, &last); ok && err == nil && last == want {
			return
		}
	}
}

// The three forms an audio handler with an extra input and an additional
// output takes; each scales the audio by the slider and reports the gain
// in the textbox.
func TestAudioHandlersTakeInputsAndGiveOutputs(t *testing.T) {
	ioEvent := func(audio *rtcstream.WebRTC, gain *ui.Slider, text *ui.Textbox) rtcstream.StreamEvent {
		return rtcstream.StreamEvent{Inputs: []ui.Component{audio, gain}, Outputs: []ui.Component{audio, text}}
	}
	var textbox *ui.Textbox // the case's, for the Session forms
	var slider *ui.Slider
	for _, tc := range []struct {
		name string
		fn   any
	}{
		// Per frame: the input a parameter, the output a result.
		{"per frame", func(f media.AudioFrame, gain float64) (media.AudioFrame, string) {
			return scale(f, gain), fmt.Sprintf("gain %.2f", gain)
		}},
		// A stream function: the input a Live parameter, the output
		// through the session.
		{"stream with Live", func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame, gain rtcstream.Live[float64]) error {
			ss := rtcstream.SessionFrom(ctx)
			for f := range in {
				g := gain.Get()
				if err := ss.Output(textbox, fmt.Sprintf("gain %.2f", g)); err != nil {
					return err
				}
				select {
				case out <- scale(f, g):
				case <-ctx.Done():
					return nil
				}
			}
			return nil
		}},
		// An AudioStreamFunc (ReplyOnPause's form): both through the
		// session.
		{"AudioStreamFunc", rtcstream.AudioStreamFunc(func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
			ss := rtcstream.SessionFrom(ctx)
			for f := range in {
				v, ok := ss.Input(slider)
				g, _ := v.(float64)
				if !ok {
					return errors.New("the slider is not an input of the session")
				}
				if err := ss.Output(textbox, fmt.Sprintf("gain %.2f", g)); err != nil {
					return err
				}
				select {
				case out <- scale(f, g):
				case <-ctx.Done():
					return nil
				}
			}
			return nil
		})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkLeaks(t)
			ctx := testContext(t, 30*time.Second)
			url, gainID, textID := audioPage(t, tc.fn, func(audio *rtcstream.WebRTC, gain *ui.Slider, text *ui.Textbox) rtcstream.StreamEvent {
				textbox, slider = text, gain
				return ioEvent(audio, gain, text)
			})
			c := audioConn(t, ctx, url)
			level := toneLevel(t, ctx, c)
			// The slider's initial value (1) applies: the tone comes back
			// at its level (8000 peak: 5657 RMS), and the textbox says so.
			waitUntil(t, ctx, "the tone at gain 1", func() bool { return level() > 4500 && level() < 7000 })
			waitOutput(t, ctx, c, textID, "gain 1.00")
			// The slider moves to 0.25: the tone drops by 12 dB, live.
			if err := c.SendInput(map[string]any{gainID: 0.25}); err != nil {
				t.Fatal(err)
			}
			waitUntil(t, ctx, "the tone at gain 0.25", func() bool { return level() > 1000 && level() < 1800 })
			waitOutput(t, ctx, c, textID, "gain 0.25")
		})
	}
}

// TestAudioHandlerInputMismatchIsAStartUpError: an audio handler whose
// parameters or results do not fit its inputs and outputs is refused at
// Stream, naming what is wrong.
func TestAudioHandlerInputMismatchIsAStartUpError(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		fn         any
	}{
		{"input type", "parameter 2 is string", func(f media.AudioFrame, gain string) media.AudioFrame { return f }},
		{"missing input", "takes 1 parameter", func(f media.AudioFrame) (media.AudioFrame, string) { return f, "" }},
		{"frame type", "want media.AudioFrame", func(f []int16, gain float64) ([]int16, string) { return f, "" }},
		{"stream results", "returns an error or nothing", func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame, gain float64) (string, error) {
			return "", nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			audio := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Modality: rtcstream.Audio})
			gain := &ui.Slider{Props: ui.Props{Label: "Gain"}, Maximum: 2, Value: 1}
			text := &ui.Textbox{Props: ui.Props{Label: "Gain"}}
			err := audio.Stream(tc.fn, rtcstream.StreamEvent{Inputs: []ui.Component{audio, gain}, Outputs: []ui.Component{audio, text}})
			if !errors.Is(err, rtcstream.ErrBadHandler) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Stream: %v; want ErrBadHandler saying %q", err, tc.want)
			}
		})
	}
}

// TestClientReachesAnyComponent: on a Blocks page with two streams, the Go
// client reaches the second (an audio echo, mounted under "/webrtc/{id}")
// with Options.Prefix, as the page's own element does.
func TestClientReachesAnyComponent(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	demo := ui.NewBlocks(nil)
	video := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Options: rtcstream.Options{Network: loopback}})
	audio := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Modality: rtcstream.Audio, Options: rtcstream.Options{Network: loopback}})
	demo.Add(video, audio)
	if err := video.Stream(invert, rtcstream.StreamEvent{}); err != nil {
		t.Fatal(err)
	}
	if err := audio.Stream(func(f media.AudioFrame) media.AudioFrame { return f }, rtcstream.StreamEvent{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { video.Close(); audio.Close() })
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)
	prefix, ok := demo.MountPrefix(audio)
	if !ok || prefix == "/webrtc" {
		t.Fatalf("the audio component is mounted at %q (%v), want under /webrtc/{id}", prefix, ok)
	}
	c, err := client.Dial(ctx, srv.URL, &client.Options{Loopback: true, Audio: true, VideoOff: true, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	level := toneLevel(t, ctx, c)
	waitUntil(t, ctx, "the echo of the tone", func() bool { return level() > 4500 })
	if n, m := audio.Server().ActiveSessions(), video.Server().ActiveSessions(); n != 1 || m != 0 {
		t.Errorf("sessions: audio %d, video %d; want 1 and 0", n, m)
	}
	// Without the prefix the client reaches the first component, whose
	// video stream refuses an audio-only offer.
	if c2, err := client.Dial(ctx, srv.URL, &client.Options{Loopback: true, Audio: true, VideoOff: true}); err == nil {
		c2.Close()
		t.Error("an audio-only offer to the video component was accepted")
	}
}

// avCounter counts what an audio-video handler is given, and reports it
// in a textbox through its session.
type avCounter struct {
	frames, audio atomic.Int64
	text          *ui.Textbox
}

func (a *avCounter) Video(ctx context.Context, frame *image.YCbCr, pts time.Duration) (image.Image, error) {
	n := a.frames.Add(1)
	return frame, rtcstream.SessionFrom(ctx).Output(a.text, fmt.Sprintf("%d frames", n/10*10))
}

func (a *avCounter) Audio(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
	for range in {
		a.audio.Add(1)
	}
	return nil
}

// TestAudioVideoSendMode: an audio-video stream in send mode hands the
// handler both the camera and the microphone, sends nothing back (the
// handler's frames are not even encoded), and its additional output
// reaches the page through its session.
func TestAudioVideoSendMode(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	demo := ui.NewBlocks(nil)
	av := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Modality: rtcstream.AudioVideo, Mode: rtcstream.Send, Options: rtcstream.Options{Network: loopback}})
	text := &ui.Textbox{Props: ui.Props{Label: "Seen"}}
	demo.Add(av, text)
	h := &avCounter{text: text}
	if err := av.Stream(func() rtcstream.AudioVideoHandler { return h }, rtcstream.StreamEvent{Outputs: []ui.Component{text}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { av.Close() })
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)
	textID, _ := demo.ID(text)
	c, err := client.Dial(ctx, srv.URL, &client.Options{Loopback: true, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sendFrames(t, ctx, c, 160, 120, 90, 30)
	toneLevel(t, ctx, c)
	waitOutput(t, ctx, c, textID, "30 frames")
	waitUntil(t, ctx, "50 audio frames at the handler", func() bool { return h.audio.Load() >= 50 })
	if st := c.Stats(); st.FramesReceived != 0 {
		t.Errorf("the client received %d video frames from a send-mode stream", st.FramesReceived)
	}
}

// avGen generates a flat grey picture for two seconds and a tone for one.
type avGen struct{}

func (avGen) Frames(ctx context.Context) iter.Seq[image.Image] {
	return func(yield func(image.Image) bool) {
		img := image.NewYCbCr(image.Rect(0, 0, 160, 120), image.YCbCrSubsampleRatio420)
		for i := range img.Y {
			img.Y[i] = 150
		}
		for i := range img.Cb {
			img.Cb[i], img.Cr[i] = 128, 128
		}
		for range 40 { // at 20 fps
			if !yield(img) {
				return
			}
		}
	}
}

func (avGen) AudioFrames(ctx context.Context) iter.Seq[media.AudioFrame] {
	return func(yield func(media.AudioFrame) bool) {
		pcm := make([]int16, 24000)
		for i := range pcm {
			pcm[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/24000))
		}
		yield(media.AudioFrame{Samples: pcm, SampleRate: 24000, Channels: 1})
	}
}

// TestAudioVideoReceiveMode: an audio-video stream in receive mode plays
// its generator's pictures and sound to a client that sends nothing, and
// ends once both have run out.
func TestAudioVideoReceiveMode(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.AudioVideo, rtcstream.Receive, func() rtcstream.AudioVideoGenerator { return avGen{} },
		&rtcstream.Options{Network: loopback, FrameRate: 20})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	c, err := client.Dial(ctx, url, &client.Options{Loopback: true, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	level := toneLevel(t, ctx, c) // the client's own tone goes nowhere: receive mode
	frames := 0
	for frames < 20 {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("%d frames, then %v", frames, err)
		}
		if y := lumaAt(f.Image, 80, 60); y < 140 || y > 160 {
			t.Fatalf("frame luma %d, want the generator's 150", y)
		}
		frames++
	}
	waitUntil(t, ctx, "the generator's tone", func() bool { return level() > 4000 })
	for {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("waiting for the end: %v", err)
		}
		if m.Type == "end" {
			if !strings.Contains(m.Reason, "finished") {
				t.Errorf("ended: %q", m.Reason)
			}
			break
		}
	}
}
