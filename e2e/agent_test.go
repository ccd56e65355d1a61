package e2e_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/agent"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/openaitest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/voice"
)

// TestBrowserAgentVoiceLatency measures what a person waits for with a
// voice agent (package agent): from the end of their speech to the first
// sound of the spoken answer, in Chromium, with the default detector,
// espeak-ng speaking, and endpoints that answer at once (the wire-format
// test server: a transcription and a one-sentence answer, over HTTP).
// The default 480 ms pause and a 250 ms one, two turns each, of one
// spoken sentence. Only a loose
// bound is asserted; the figures go to BENCHMARKS.md (without -race).
func TestBrowserAgentVoiceLatency(t *testing.T) {
	for _, pause := range []time.Duration{vad.DefaultPause, 250 * time.Millisecond} {
		t.Run(pause.String(), func(t *testing.T) {
			checkLeaks(t)
			srv := openaitest.Start(t, openaitest.Options{
				Transcribe: func(media.AudioFrame) string { return "hello" },
				Answer:     func([]ui.Message) []string { return []string{"Hello to you too."} },
			})
			ep := agent.Endpoint{URL: srv.URL}
			h, err := agent.Handler(agent.Options{
				STT:   &agent.OpenAITranscriber{Endpoint: ep, Model: "whisper-1"},
				LLM:   &agent.OpenAIChat{Endpoint: ep, Model: "stand-in"},
				TTS:   &agent.Espeak{},
				Turns: &voice.ReplyOnPauseOptions{Turns: vad.Options{Pause: pause}},
			})
			if err != nil {
				t.Fatal(err)
			}
			s := startAudioServer(t, rtcstream.SendReceive, h, rtcstream.Options{AudioInputRate: vad.SampleRate})
			// One sentence: "Hello there. How are you today?" holds a pause
			// longer than 250 ms, which ends a turn there.
			wav := filepath.Join(t.TempDir(), "question.wav")
			if _, err := browsertest.WriteSpeechWAV(wav, "How are you today?", 500*time.Millisecond, 4*time.Second); err != nil {
				t.Fatal(err)
			}
			measureVoiceLatency(t, s, wav)
		})
	}
}
