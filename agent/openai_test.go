package agent_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/agent"
	"github.com/rtcstream/rtcstream/internal/openaitest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
)

func endpoint(s *openaitest.Server) agent.Endpoint {
	return agent.Endpoint{URL: s.URL, APIKey: "sk-test", Timeout: 2 * time.Second}
}

// A second of 48 kHz stereo goes up as a second of 16 kHz mono WAV, and the
// endpoint's text comes back.
func TestOpenAITranscriber(t *testing.T) {
	srv := openaitest.Start(t, openaitest.Options{Transcribe: func(a media.AudioFrame) string {
		return "what is the capital of France"
	}})
	stt := &agent.OpenAITranscriber{Endpoint: endpoint(srv), Model: "whisper-1"}
	u := media.AudioFrame{Samples: make([]int16, 2*48000), SampleRate: 48000, Channels: 2}
	text, err := stt.Transcribe(context.Background(), u)
	if err != nil || text != "what is the capital of France" {
		t.Fatalf("Transcribe: %q, %v", text, err)
	}
	r := srv.Requests()[0]
	if r.Model != "whisper-1" || r.Rate != 16000 || r.Audio < 990*time.Millisecond || r.Audio > 1010*time.Millisecond {
		t.Errorf("the upload: %+v; want whisper-1, 16 kHz, 1 s", r)
	}
}

// The answer streams: its first piece arrives while the rest is still
// being written, and the pieces come in order.
func TestOpenAIChatStreams(t *testing.T) {
	srv := openaitest.Start(t, openaitest.Options{
		Answer:     func([]ui.Message) []string { return []string{"Paris", " is the", " capital."} },
		PieceDelay: 300 * time.Millisecond,
	})
	llm := &agent.OpenAIChat{Endpoint: endpoint(srv), Model: "gpt-test", MaxTokens: 50}
	start := time.Now()
	var pieces []string
	var first time.Duration
	for p, err := range llm.Complete(context.Background(), []agent.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Capital of France?"}}) {
		if err != nil {
			t.Fatal(err)
		}
		if pieces = append(pieces, p); len(pieces) == 1 {
			first = time.Since(start)
		}
	}
	total := time.Since(start)
	if strings.Join(pieces, "") != "Paris is the capital." {
		t.Errorf("pieces %q", pieces)
	}
	if first > total-400*time.Millisecond {
		t.Errorf("the first piece came %v in, the answer ended at %v: not streamed", first, total)
	}
	if r := srv.Requests()[0]; r.Model != "gpt-test" || len(r.Chat) != 2 || r.Chat[1].Content != "Capital of France?" {
		t.Errorf("the request: %+v", r)
	}
}

// The speech streams as 24 kHz frames of 100 ms, as long as the endpoint's
// audio.
func TestOpenAISpeech(t *testing.T) {
	srv := openaitest.Start(t, openaitest.Options{})
	tts := &agent.OpenAISpeech{Endpoint: endpoint(srv), Model: "tts-1", Voice: "alloy"}
	var total time.Duration
	n := 0
	for f, err := range tts.Speak(context.Background(), "Hello there.") { // 12 characters: 720 ms
		if err != nil {
			t.Fatal(err)
		}
		if f.SampleRate != 24000 || f.Channels != 1 || f.Duration() > 100*time.Millisecond {
			t.Fatalf("frame %+v", f)
		}
		total += f.Duration()
		n++
	}
	if total != 720*time.Millisecond || n != 8 {
		t.Errorf("%v of speech in %d frames, want 720 ms in 8", total, n)
	}
}

// The endpoint's failures come back as errors that say what happened:
// its status and message, a stall past the timeout, an answer cut off.
func TestOpenAIFailures(t *testing.T) {
	ctx := context.Background()
	u := media.AudioFrame{Samples: make([]int16, 16000), SampleRate: 16000, Channels: 1}
	msgs := []agent.Message{{Role: "user", Content: "hi"}}

	srv := openaitest.Start(t, openaitest.Options{Fail: map[string]int{
		"/v1/audio/transcriptions": 401, "/v1/chat/completions": 429, "/v1/audio/speech": 500}})
	_, err := (&agent.OpenAITranscriber{Endpoint: endpoint(srv), Model: "whisper-1"}).Transcribe(ctx, u)
	var apiErr *agent.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || !strings.Contains(apiErr.Message, "fails") {
		t.Errorf("transcription refused: %v", err)
	}
	if err := lastErr((&agent.OpenAIChat{Endpoint: endpoint(srv), Model: "m"}).Complete(ctx, msgs)); !errors.As(err, &apiErr) || apiErr.Status != 429 {
		t.Errorf("chat refused: %v", err)
	}
	for _, err := range (&agent.OpenAISpeech{Endpoint: endpoint(srv), Model: "m", Voice: "v"}).Speak(ctx, "hi") {
		if !errors.As(err, &apiErr) || apiErr.Status != 500 {
			t.Errorf("speech refused: %v", err)
		}
	}

	// Stalled before answering, or in the middle of an answer.
	slow := openaitest.Start(t, openaitest.Options{Stall: map[string]time.Duration{"/v1/audio/transcriptions": 5 * time.Second}})
	ep := endpoint(slow)
	ep.Timeout = 300 * time.Millisecond
	began := time.Now()
	if _, err := (&agent.OpenAITranscriber{Endpoint: ep, Model: "m"}).Transcribe(ctx, u); !errors.Is(err, agent.ErrStalled) || time.Since(began) > 2*time.Second {
		t.Errorf("stalled transcription: %v after %v", err, time.Since(began))
	}
	paused := openaitest.Start(t, openaitest.Options{Answer: func([]ui.Message) []string { return []string{"a", "b"} },
		Pause: func(i int) time.Duration { return time.Duration(i) * 2 * time.Second }})
	ep = endpoint(paused)
	ep.Timeout = 300 * time.Millisecond
	if err := lastErr((&agent.OpenAIChat{Endpoint: ep, Model: "m"}).Complete(ctx, msgs)); !errors.Is(err, agent.ErrStalled) {
		t.Errorf("a chat answer that paused past the timeout: %v", err)
	}

	// An answer without its end is an error, not a short answer.
	cut := openaitest.Start(t, openaitest.Options{NoDone: true})
	if err := lastErr((&agent.OpenAIChat{Endpoint: endpoint(cut), Model: "m"}).Complete(ctx, msgs)); err == nil || !strings.Contains(err.Error(), "[DONE]") {
		t.Errorf("an answer without [DONE]: %v", err)
	}

	// Nowhere to go.
	if _, err := (&agent.OpenAITranscriber{Model: "m"}).Transcribe(ctx, u); err == nil {
		t.Error("no URL: no error")
	}
}

// Cancelling stops a streamed answer at once, and the server sees the
// client go.
func TestOpenAIChatCancels(t *testing.T) {
	srv := openaitest.Start(t, openaitest.Options{Answer: func([]ui.Message) []string { return []string{"a", "b", "c", "d"} },
		PieceDelay: 500 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	for _, err := range (&agent.OpenAIChat{Endpoint: endpoint(srv), Model: "m"}).Complete(ctx, []agent.Message{{Role: "user", Content: "hi"}}) {
		if err != nil {
			break
		}
		if n++; n == 1 {
			cancel()
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for !srv.Requests()[0].Closed {
		if time.Now().After(deadline) {
			t.Fatal("the server still writes the answer 2 s after the client cancelled")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func lastErr[T any](seq func(func(T, error) bool)) error {
	var last error
	for _, err := range seq {
		if err != nil {
			last = err
		}
	}
	return last
}
