package e2e_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
)

// TestBrowserAudioHandlerInputsAndOutputs: on a Blocks page, an audio
// handler takes a gain slider and reports to a textbox, as a video handler
// does: Chromium's microphone plays a steady tone, the echo comes back at
// the slider's gain, and moving the slider to 0.1 lowers what the page
// plays by 20 dB or more, live, while the textbox follows.
func TestBrowserAudioHandlerInputsAndOutputs(t *testing.T) {
	checkLeaks(t)
	gainEcho := func(f media.AudioFrame, gain float64) (media.AudioFrame, string) {
		for i, v := range f.Samples {
			f.Samples[i] = int16(max(-32768, min(32767, float64(v)*gain)))
		}
		return f, fmt.Sprintf("gain %.2f", gain)
	}
	demo := ui.NewBlocks(nil)
	audio := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Modality: rtcstream.Audio,
		Options: rtcstream.Options{Network: rtcstream.Network{Interfaces: []string{"lo"}, IncludeLoopback: true, DisableMDNS: true}}})
	gain := &ui.Slider{Props: ui.Props{Label: "Gain"}, Minimum: 0, Maximum: 1, Step: 0.05, Value: 1}
	text := &ui.Textbox{Props: ui.Props{Label: "Gain", ElemID: "gain-text"}}
	demo.Add(audio, gain, text)
	if err := audio.Stream(gainEcho, rtcstream.StreamEvent{Inputs: []ui.Component{audio, gain}, Outputs: []ui.Component{audio, text}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { audio.Close() })
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)

	wav := filepath.Join(t.TempDir(), "tone.wav")
	if err := browsertest.WriteWAV(wav, browsertest.WAVRate, browsertest.Tone(browsertest.WAVRate, 440, 0.5, 4*time.Second)); err != nil {
		t.Fatal(err)
	}
	p := openBrowser(t, browsertest.Options{FakeAudio: wav})
	p.open(srv.URL + "/")
	p.start()
	p.waitLevel(selLevelOut, waitAudio, "the echo at gain 1", func(v float64) bool { return v > 0.3 })
	full := p.playedDBFS(time.Second)
	if got := textValue(p); got != "gain 1.00" {
		t.Errorf("the textbox reads %q at gain 1", got)
	}
	if _, err := browsertest.Eval[string](p.ctx, `(() => { const r = document.querySelector("input[type=range]");
		r.value = "0.1"; r.dispatchEvent(new Event("input", {bubbles: true})); return r.value; })()`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	low := p.playedDBFS(time.Second)
	t.Logf("played %.1f dBFS at gain 1, %.1f dBFS at gain 0.1", full, low)
	// 20 dB is the gain's; Chromium's own processing of a steady tone
	// that it also plays (echo cancellation) took another 20 dB in runs.
	if d := full - low; d < 15 {
		t.Errorf("the slider at 0.1 lowered the echo by %.1f dB, want at least 15 (20 dB is the gain's)", d)
	}
	if err := browsertest.Poll(p.ctx, 5*time.Second, func(context.Context) (bool, error) { return textValue(p) == "gain 0.10", nil }); err != nil {
		t.Errorf("the textbox reads %q after the slider moved", textValue(p))
	}
}

// textValue is the page's textbox's value.
func textValue(p tab) string {
	v, _ := browsertest.Eval[string](p.ctx, `(document.querySelector("#gain-text textarea, #gain-text input") || {}).value || ""`)
	return strings.TrimSpace(v)
}
