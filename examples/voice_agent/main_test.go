package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/netns"
	"github.com/rtcstream/rtcstream/internal/openaitest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
)

// The browser test runs in its own loopback-only network namespace.
func TestMain(m *testing.M) { os.Exit(netns.RunTestsInNetNS(m)) }

// TestVoiceAgentInBrowser talks to the app as a person would: Chromium's
// microphone asks "What is the capital of France?" (espeak-ng), the
// endpoint (the wire-format test server) transcribes and answers, and the
// page shows both turns in the chat, moves its chip through Listening,
// Thinking and Speaking, and plays the spoken answer (espeak-ng, run by
// the app).
func TestVoiceAgentInBrowser(t *testing.T) {
	if err := browsertest.SpeechAvailable(); err != nil {
		if browsertest.RequireBrowser() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	const question = "What is the capital of France?"
	srv := openaitest.Start(t, openaitest.Options{
		Transcribe: func(a media.AudioFrame) string {
			if a.Duration() < 500*time.Millisecond {
				return ""
			}
			return question
		},
		Answer: func(msgs []ui.Message) []string {
			return []string{"Paris is the capital", " of France. ", "It is known for the Eiffel Tower."}
		},
	})
	demo, stream, err := newApp(config{URL: srv.URL, Model: "gpt-test", STT: "openai", STTModel: "whisper-1", TTS: "espeak",
		System: "Be brief.", Options: rtcstream.Options{Network: rtcstream.Network{Interfaces: []string{"lo"}, IncludeLoopback: true, DisableMDNS: true}}})
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	hs := httptest.NewServer(demo)
	defer hs.Close()

	wav := filepath.Join(t.TempDir(), "question.wav")
	speech, err := browsertest.WriteSpeechWAV(wav, question, 500*time.Millisecond, 8*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t, browsertest.Options{FakeAudio: wav, Timeout: 90 * time.Second})
	if _, err := browsertest.Eval[any](ctx, `location.href = `+jsQuote(hs.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(ctx, "html", "data-blocks", "ready", 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.Eval[bool](ctx, `(() => {
		window.__chip = [];
		new MutationObserver(() => {
			const chip = document.querySelector("rtc-stream .vad-chip");
			const last = window.__chip[window.__chip.length - 1];
			if (chip && !chip.hidden && chip.textContent !== last) window.__chip.push(chip.textContent);
		}).observe(document.body, { childList: true, characterData: true, subtree: true, attributes: true });
		return true; })()`); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := browsertest.WaitAttr(ctx, "rtc-stream", "data-state", "streaming", 20*time.Second); err != nil {
		t.Fatal(err)
	}

	// The chat shows the question, then the answer, as the page's
	// Chatbot renders them.
	bubbles := func() [][2]string {
		v, _ := browsertest.Eval[[][2]string](ctx, `[...document.querySelectorAll(".chat-log .message")].map(m =>
			[m.classList.contains("user") ? "user" : "assistant", m.textContent.trim()])`)
		return v
	}
	want := [][2]string{{"user", question}, {"assistant", "Paris is the capital of France. It is known for the Eiffel Tower."}}
	if err := browsertest.Poll(ctx, 30*time.Second, func(context.Context) (bool, error) {
		return slices.Equal(bubbles(), want), nil
	}); err != nil {
		t.Fatalf("the chat shows %q, want %q", bubbles(), want)
	}
	// The answer is heard.
	if _, err := browsertest.WaitLevel(ctx, "rtc-stream .level-out", 10*time.Second, func(v float64) bool { return v > 0.3 }); err != nil {
		t.Errorf("the spoken answer never reached the output meter: %v", err)
	}
	_ = browsertest.Poll(ctx, 10*time.Second, func(ctx context.Context) (bool, error) {
		chips, err := browsertest.Eval[[]string](ctx, `window.__chip`)
		return len(chips) >= 3, err
	})
	chips, _ := browsertest.Eval[[]string](ctx, `window.__chip`)
	if len(chips) < 3 || !slices.Equal(chips[:3], []string{"Listening…", "Thinking…", "Speaking…"}) {
		t.Errorf("the chip showed %q, want Listening, Thinking, Speaking", chips)
	}
	// What was uploaded for transcription is the question, as the detector
	// bounded it (with its padding).
	for _, r := range srv.Requests() {
		if r.Path == "/v1/audio/transcriptions" {
			t.Logf("uploaded %v of audio for %v of speech", r.Audio, speech)
			if r.Audio < speech-500*time.Millisecond || r.Audio > speech+time.Second {
				t.Errorf("uploaded %v of audio for %v of speech", r.Audio, speech)
			}
			break
		}
	}
}

func jsQuote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
