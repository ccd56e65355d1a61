package agent_test

import (
	"context"
	"math"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/agent"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/openaitest"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/voice"
)

// needTool skips (or, where the tools are required, fails) a test whose
// program is not installed.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if browsertest.RequireBrowser() {
			t.Fatalf("%s is not installed (scripts/install-deps.sh installs it): %v", name, err)
		}
		t.Skipf("%s is not installed", name)
	}
}

// TestEspeakSpeaks: espeak-ng's speech streams in frames of 100 ms, and
// holds speech.
func TestEspeakSpeaks(t *testing.T) {
	needTool(t, "espeak-ng")
	var total time.Duration
	var peak int16
	for f, err := range (&agent.Espeak{Voice: "en-us"}).Speak(context.Background(), "Paris is the capital of France.") {
		if err != nil {
			t.Fatal(err)
		}
		if f.Channels != 1 || f.SampleRate < 16000 || f.Duration() > 100*time.Millisecond {
			t.Fatalf("frame: %d channels at %d Hz, %v", f.Channels, f.SampleRate, f.Duration())
		}
		total += f.Duration()
		for _, v := range f.Samples {
			peak = max(peak, v, -v)
		}
	}
	if total < time.Second || total > 4*time.Second || peak < 3000 {
		t.Errorf("%v of speech peaking at %d; want 1-4 s of it, loud", total, peak)
	}
	// A missing program is a clear error.
	for _, err := range (&agent.Espeak{Command: "no-such-espeak"}).Speak(context.Background(), "hi") {
		if err == nil || !strings.Contains(err.Error(), "apt-get install espeak-ng") {
			t.Errorf("missing espeak-ng: %v", err)
		}
	}
}

// TestPocketSphinxHears: what espeak-ng says, PocketSphinx writes down, if
// poorly: "What is the capital of France?" begins "what is" (and goes on
// "it a lot on").
func TestPocketSphinxHears(t *testing.T) {
	needTool(t, "espeak-ng")
	needTool(t, "pocketsphinx_continuous")
	var pcm []int16
	rate := 0
	for f, err := range (&agent.Espeak{}).Speak(context.Background(), "What is the capital of France?") {
		if err != nil {
			t.Fatal(err)
		}
		pcm, rate = append(pcm, f.Samples...), f.SampleRate
	}
	text, err := (&agent.PocketSphinx{}).Transcribe(context.Background(), media.AudioFrame{Samples: pcm, SampleRate: rate, Channels: 1})
	t.Logf("PocketSphinx heard %q", text)
	if err != nil || !strings.HasPrefix(text, "what is") {
		t.Errorf("Transcribe: %q, %v; want it to begin \"what is\"", text, err)
	}
}

// agentRig is an agent stream on a Blocks page with a Chatbot, its
// endpoints on the wire-format test server, and a Go client speaking to
// it.
type agentRig struct {
	t      *testing.T
	ctx    context.Context
	srv    *openaitest.Server
	c      *client.Conn
	chatID string

	mu    sync.Mutex
	chats [][]ui.Message // each Chatbot value shown, with when
	chatT []time.Time
	errs  []string
	loud  []time.Time // when loud audio came back, by 20 ms frame
}

func startAgent(t *testing.T, o openaitest.Options) *agentRig {
	t.Helper()
	needTool(t, "espeak-ng")
	srv := openaitest.Start(t, o)
	ep := agent.Endpoint{URL: srv.URL, Timeout: 5 * time.Second}
	demo := ui.NewBlocks(nil)
	audio := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Modality: rtcstream.Audio, Options: rtcstream.Options{Network: streamtest.Loopback}})
	chat := &ui.Chatbot{Props: ui.Props{Label: "Conversation"}}
	demo.Add(audio, chat)
	h, err := agent.Handler(agent.Options{
		STT:    &agent.OpenAITranscriber{Endpoint: ep, Model: "whisper-1"},
		LLM:    &agent.OpenAIChat{Endpoint: ep, Model: "gpt-test"},
		TTS:    &agent.Espeak{},
		System: "You are a test.",
		Chat:   chat,
		Turns: &voice.ReplyOnPauseOptions{
			Detector: func() (vad.Detector, error) { return vad.NewEnergyDetector(), nil },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := audio.Stream(h, rtcstream.StreamEvent{Outputs: []ui.Component{audio, chat}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audio.Close() })
	hs := httptest.NewServer(demo)
	t.Cleanup(hs.Close)
	chatID, _ := demo.ID(chat)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	c, err := client.Dial(ctx, hs.URL, &client.Options{Loopback: true, Audio: true, VideoOff: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &agentRig{t: t, ctx: ctx, srv: srv, c: c, chatID: chatID}
	go r.read()
	return r
}

// read records the chat, the errors and the loud audio that come back.
func (r *agentRig) read() {
	go func() {
		for {
			m, err := r.c.ReadMessage(r.ctx)
			if err != nil {
				return
			}
			var msgs []ui.Message
			r.mu.Lock()
			if ok, err := m.Output(r.chatID, &msgs); ok && err == nil {
				r.chats, r.chatT = append(r.chats, msgs), append(r.chatT, time.Now())
			}
			if m.Type == "error" {
				r.errs = append(r.errs, m.Message)
			}
			r.mu.Unlock()
		}
	}()
	for {
		f, err := r.c.ReadAudio(r.ctx)
		if err != nil {
			return
		}
		var e float64
		for _, v := range f.Samples {
			e += float64(v) * float64(v)
		}
		if math.Sqrt(e/float64(len(f.Samples)+1)) > 500 {
			r.mu.Lock()
			r.loud = append(r.loud, r.c.AudioEpoch().Add(f.Timestamp))
			r.mu.Unlock()
		}
	}
}

// say sends "hello" (a recording) and then silence, in real time.
func (r *agentRig) say(silence time.Duration) {
	r.t.Helper()
	rate, pcm, err := browsertest.ReadWAV("../vad/testdata/hello.wav")
	if err != nil {
		r.t.Fatal(err)
	}
	rs, _ := media.NewResampler(rate, client.AudioRate, 1, media.QualityMedium)
	pcm = rs.Flush(rs.Process(nil, pcm))
	pcm = append(pcm, make([]int16, int(silence.Seconds()*client.AudioRate))...)
	go func() {
		for i := 0; (i+1)*client.AudioFrameSamples <= len(pcm) && r.ctx.Err() == nil; i++ {
			if r.c.WriteAudio(pcm[i*client.AudioFrameSamples:(i+1)*client.AudioFrameSamples], time.Duration(i)*20*time.Millisecond) != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
}

// waitChat waits until the chat shows a message satisfying ok, and
// returns when it did.
func (r *agentRig) waitChat(what string, ok func([]ui.Message) bool) time.Time {
	r.t.Helper()
	for {
		r.mu.Lock()
		for i, c := range r.chats {
			if ok(c) {
				at := r.chatT[i]
				r.mu.Unlock()
				return at
			}
		}
		last := r.chats
		r.mu.Unlock()
		select {
		case <-r.ctx.Done():
			r.t.Fatalf("%s: the chat never showed it; it showed %v", what, last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (r *agentRig) loudAfter(at time.Time) (first time.Time, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.loud {
		if l.After(at) {
			if first.IsZero() {
				first = l
			}
			n++
		}
	}
	return first, n
}

func hasMsg(role, prefix string) func([]ui.Message) bool {
	return func(msgs []ui.Message) bool {
		for _, m := range msgs {
			if m.Role == role && strings.HasPrefix(m.Content, prefix) {
				return true
			}
		}
		return false
	}
}

// TestAgentAnswersStreamed: the user's turn is transcribed and shown in the
// chat, the model's answer is spoken sentence by sentence, the first while
// the model is still writing the second (2 s later), and the chat shows the
// answer as it is spoken. The model is sent the system prompt and the
// turn.
func TestAgentAnswersStreamed(t *testing.T) {
	r := startAgent(t, openaitest.Options{
		Transcribe: func(media.AudioFrame) string { return "what is the capital of France" },
		Answer: func([]ui.Message) []string {
			return []string{"Paris is the capital", " of France. ", "It lies on the Seine."}
		},
		Pause: func(i int) time.Duration {
			if i == 2 {
				return 2 * time.Second
			}
			return 0
		},
	})
	r.say(5 * time.Second)
	asked := r.waitChat("the user's turn", hasMsg("user", "what is the capital of France"))
	r.waitChat("the first sentence", hasMsg("assistant", "Paris is the capital of France."))
	second := r.waitChat("the second sentence", hasMsg("assistant", "Paris is the capital of France. It lies on the Seine."))
	first, _ := r.loudAfter(asked)
	t.Logf("the answer was heard %v after the turn showed; the second sentence came %v after that",
		first.Sub(asked).Round(time.Millisecond), second.Sub(first).Round(time.Millisecond))
	if first.IsZero() || !first.Before(second) {
		t.Errorf("the first sentence was heard at %v, the second written at %v: want it heard while the model still wrote", first, second)
	}
	reqs := r.srv.Requests()
	var chat []ui.Message
	for _, q := range reqs {
		if q.Path == "/v1/chat/completions" {
			chat = q.Chat
		}
	}
	if len(chat) != 2 || chat[0].Role != "system" || chat[1].Content != "what is the capital of France" {
		t.Errorf("the model was sent %v", chat)
	}
}

// TestAgentFailuresAreSpokenAndShown: a transcription endpoint that fails
// is shown on the page and apologised for aloud, and the agent goes on:
// the next turn, with the endpoint back, is answered.
func TestAgentFailuresAreSpokenAndShown(t *testing.T) {
	r := startAgent(t, openaitest.Options{Transcribe: func(media.AudioFrame) string { return "hello" }})
	r.srv.SetFail("/v1/audio/transcriptions", 503)
	began := time.Now()
	r.say(4 * time.Second)
	for {
		r.mu.Lock()
		errs := append([]string(nil), r.errs...)
		r.mu.Unlock()
		if len(errs) > 0 {
			if !strings.Contains(errs[0], "transcribing") || !strings.Contains(errs[0], "503") {
				t.Errorf("the page was told %q", errs[0])
			}
			break
		}
		if time.Since(began) > 20*time.Second {
			t.Fatal("no error shown in 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	if _, n := r.loudAfter(began); n < 10 {
		t.Errorf("the apology: %d loud frames back, want it spoken", n)
	}
	r.srv.SetFail("/v1/audio/transcriptions", 0)
	r.say(4 * time.Second)
	r.waitChat("the next turn's answer", hasMsg("assistant", "You said: hello."))
}

// TestAgentBargeIn: talking over the agent cancels the model's answer (the
// endpoint sees the client go) and its speech.
func TestAgentBargeIn(t *testing.T) {
	long := []string{"One. ", "Two. ", "Three. ", "Four. ", "Five."}
	r := startAgent(t, openaitest.Options{
		Answer:     func([]ui.Message) []string { return long },
		PieceDelay: 1500 * time.Millisecond,
	})
	r.say(time.Second)
	asked := r.waitChat("the answer's start", hasMsg("assistant", "One."))
	for { // the answer is playing
		if first, _ := r.loudAfter(asked); !first.IsZero() {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.say(3 * time.Second) // over the answer
	deadline := time.Now().Add(10 * time.Second)
	for {
		var closed bool
		for _, q := range r.srv.Requests() {
			if q.Path == "/v1/chat/completions" && q.Closed {
				closed = true
			}
		}
		if closed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the model's answer was not cancelled within 10 s of talking over it")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
