package e2e_test

// End-to-end audio tests in a real Chromium against the real Stream: the fake
// microphone plays speech that espeak-ng and sox made, the page sends it as
// Opus, the handler gets PCM, and what it returns plays in the page's
// <audio>. Levels are read from the element's meters (data-level) and, for
// the output, also measured by the test's own AnalyserNode on the played
// stream (browsertest.StreamRMS), so a broken meter cannot hide a silent
// output or fake a loud one.

import (
	"context"
	"iter"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/voice"
)

const (
	// speechText is what the fake microphone says, in a loop.
	speechText = "Hello there. How are you today?"

	// Levels on the meters (0 at -60 dBFS, 1 at 0 dBFS) and in dBFS.
	speechLevel   = 0.4 // espeak-ng speech peaks at about 0.7-0.85
	silentLevel   = 0.1 // below -54 dBFS
	speechDBFS    = -30.0
	silenceDBFS   = -50.0
	waitAudio     = 10 * time.Second // for a level to come or go
	levelWindow   = 3 * time.Second  // a sampling window holding speech: the clip loops in about 3.6 s
	muteSettle    = 700 * time.Millisecond
	silenceWindow = 2 * time.Second
)

// speechWAV writes the fake microphone's clip, speechText padded with
// padBefore and padAfter of silence, at 48 kHz mono.
func speechWAV(t *testing.T, padBefore, padAfter time.Duration) string {
	t.Helper()
	if err := browsertest.SpeechAvailable(); err != nil {
		if browsertest.RequireBrowser() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	path := filepath.Join(t.TempDir(), "speech.wav")
	d, err := browsertest.WriteSpeechWAV(path, speechText, padBefore, padAfter)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fake microphone: %.2f s of speech, %v before, %v after", d.Seconds(), padBefore, padAfter)
	return path
}

// newAudioBrowser starts a browser whose fake microphone plays wav.
func newAudioBrowser(t *testing.T, wav string) tab {
	t.Helper()
	return openBrowser(t, browsertest.Options{FakeAudio: wav})
}

// levelRanges samples meters (parts of the element) together for d and
// returns the lowest and highest reading of each.
func (p tab) levelRanges(d time.Duration, meters ...string) [][2]float64 {
	p.t.Helper()
	selectors := make([]string, len(meters))
	for i, m := range meters {
		selectors[i] = p.sel(m)
	}
	r, err := browsertest.LevelRanges(p.ctx, d, selectors...)
	if err != nil {
		p.t.Fatal(err)
	}
	return r
}

// waitLevel waits until a meter's level satisfies ok.
func (p tab) waitLevel(meter string, d time.Duration, what string, ok func(float64) bool) {
	p.t.Helper()
	if _, err := browsertest.WaitLevel(p.ctx, p.sel(meter), d, ok); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// playedDBFS measures the page's output audio for d with the test's own
// analyser and returns the loudest reading in dBFS.
func (p tab) playedDBFS(d time.Duration) float64 {
	p.t.Helper()
	rms, err := browsertest.StreamRMS(p.ctx, p.sel(selAudioOut), d)
	if err != nil {
		p.t.Fatal(err)
	}
	return browsertest.DBFS(slices.Max(append(rms, 0)))
}

// playedDBFSQuiet is playedDBFS for another goroutine: a failure is an
// error and reads as NaN (which fails every comparison the tests make).
func (p tab) playedDBFSQuiet(d time.Duration) float64 {
	rms, err := browsertest.StreamRMS(p.ctx, p.sel(selAudioOut), d)
	if err != nil {
		p.t.Error(err)
		return math.NaN()
	}
	return browsertest.DBFS(slices.Max(append(rms, 0)))
}

func dbfs(rms float64) float64 { return browsertest.DBFS(rms) }

// TestBrowserAudioEcho is the whole voice path: fake microphone -> Opus ->
// server -> echo handler -> Opus -> the page's <audio>, with the meters, the
// pulsing icon, mute (the server then hears silence) and Stop.
func TestBrowserAudioEcho(t *testing.T) {
	checkLeaks(t)
	probe := &audioProbe{}
	s := startAudioServer(t, rtcstream.SendReceive, probe.Echo, rtcstream.Options{Title: "Echo"})
	p := newAudioBrowser(t, speechWAV(t, 500*time.Millisecond, time.Second))
	p.open(s.url)
	if got := p.attr("modality"); got != "audio" {
		t.Fatalf("the Stream's page has modality %q, want audio", got)
	}
	evalOn[bool](p, `(document.querySelector("rtc-stream").setAttribute("icon", "pulse"), true)`)
	if !evalOn[bool](p, `(() => { const q = (s) => document.querySelector("rtc-stream " + s);
		return q(".videos").hidden && !q(".audio").hidden && !q(".pulse").hidden; })()`) {
		t.Error("an audio page should hide the videos and show the audio panel and the icon")
	}

	started := time.Now()
	p.start()
	if n := s.ActiveSessions(); n != 1 {
		t.Errorf("ActiveSessions = %d while streaming, want 1", n)
	}
	if !evalOn[bool](p, `(() => { const a = document.querySelector("rtc-stream audio.output");
		return a.srcObject instanceof MediaStream && a.srcObject.getAudioTracks().length === 1 && !a.muted && a.autoplay; })()`) {
		t.Error("the output <audio> does not hold the server's track, unmuted")
	}
	// The offer carried the microphone both ways, and no video.
	offer, _ := s.rec.offers()[0].req["sdp"].(string)
	if !strings.Contains(offer, "m=audio") || strings.Contains(offer, "m=video") {
		t.Errorf("offer is not audio-only:\n%s", offer)
	}

	// The microphone's speech moves the input meter, reaches the handler,
	// and comes back: the output meter, the test's own analyser on the
	// <audio>'s stream and the pulsing icon all see it.
	p.waitLevel(selLevelOut, waitAudio, "the echo never reached the output meter", func(v float64) bool { return v > speechLevel })
	played := make(chan float64, 1)
	go func() { played <- p.playedDBFSQuiet(levelWindow) }() // the test's own analyser, meanwhile
	r := p.levelRanges(levelWindow, selLevelIn, selLevelOut, selPulse)
	in, out, icon := r[0], r[1], r[2]
	if in[1] < speechLevel || in[1]-in[0] < 0.2 {
		t.Errorf("input meter ranged %.3f..%.3f over %v of looping speech; want it above %v and moving", in[0], in[1], levelWindow, speechLevel)
	}
	if out[1] < speechLevel {
		t.Errorf("output meter peaked at %.3f, want above %v", out[1], speechLevel)
	}
	if icon[1] < speechLevel || icon[1]-icon[0] < 0.2 {
		t.Errorf("the pulsing icon ranged %.3f..%.3f; want it following the output", icon[0], icon[1])
	}
	if db := <-played; db < speechDBFS {
		t.Errorf("the <audio> played at most %.1f dBFS, want speech above %v dBFS", db, speechDBFS)
	}
	if n, peak := probe.Since(started); n < 50 || dbfs(peak) < speechDBFS {
		t.Errorf("the handler got %d frames peaking at %.1f dBFS; want speech above %v dBFS", n, dbfs(peak), speechDBFS)
	}
	t.Logf("levels: in %.2f..%.2f, out %.2f..%.2f, icon %.2f..%.2f", in[0], in[1], out[0], out[1], icon[0], icon[1])

	// Mute: the track is disabled, so the server hears silence (frames keep
	// coming, quiet), and the echo goes quiet too.
	p.click(selMute)
	if got := p.text(selMute); got != "Unmute" {
		t.Errorf("mute button %q while muted", got)
	}
	time.Sleep(muteSettle) // audio already on its way
	muted := time.Now()
	go func() { played <- p.playedDBFSQuiet(silenceWindow) }()
	r = p.levelRanges(silenceWindow, selLevelIn, selLevelOut)
	if r[0][1] != 0 {
		t.Errorf("muted: input meter up to %.3f, want 0", r[0][1])
	}
	if r[1][1] > silentLevel {
		t.Errorf("muted: output meter up to %.3f, want below %v", r[1][1], silentLevel)
	}
	if db := <-played; db > silenceDBFS {
		t.Errorf("muted: the <audio> played up to %.1f dBFS, want below %v dBFS", db, silenceDBFS)
	}
	if n, peak := probe.Since(muted); n < 50 || dbfs(peak) > silenceDBFS {
		t.Errorf("muted: the handler got %d frames peaking at %.1f dBFS; want a stream of silence below %v dBFS", n, dbfs(peak), silenceDBFS)
	}

	// Unmute: the speech comes back.
	p.click(selMute)
	p.waitLevel(selLevelOut, waitAudio, "unmuted: the echo did not come back", func(v float64) bool { return v > speechLevel })

	// Stop frees the session on the server and everything in the page.
	p.stop()
	s.waitActive(t, 0, waitRelease)
	if n := len(s.rec.stops()); n != 1 {
		t.Errorf("%d stop requests, want 1", n)
	}
	if !evalOn[bool](p, `(() => { const e = document.querySelector("rtc-stream");
		return e.localStream === null && e.querySelector("audio.output").srcObject === null &&
			e.querySelector(".level-in").dataset.level === "0" && e.querySelector(".level-out").dataset.level === "0"; })()`) {
		t.Error("after Stop: want the microphone released, the output emptied and the meters at 0")
	}
	if got := p.text(selError); got != "" {
		t.Errorf("error box %q after a clean stop", got)
	}
}

// TestBrowserAudioReceive: a generator's tone plays in the page, which opens
// no microphone; the stats overlay shows the audio.
func TestBrowserAudioReceive(t *testing.T) {
	checkLeaks(t)
	tone := func(ctx context.Context) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) {
			const rate, n = 48000, 960 // 20 ms
			for i := 0; ctx.Err() == nil; i++ {
				f := media.AudioFrame{SampleRate: rate, Channels: 1, Samples: make([]int16, n), Timestamp: time.Duration(i) * 20 * time.Millisecond}
				for j := range f.Samples {
					f.Samples[j] = int16(8000 * math.Sin(2*math.Pi*440*float64(i*n+j)/rate))
				}
				if !yield(f) {
					return
				}
			}
		}
	}
	s := startAudioServer(t, rtcstream.Receive, tone, rtcstream.Options{ShowStats: true})
	p := newAudioBrowser(t, "")
	p.open(s.url)
	if !evalOn[bool](p, `(() => { const q = (s) => document.querySelector("rtc-stream " + s);
		return q(".level-row-in").hidden && q("select.mic-select").hidden && q("button.mute").hidden && !q(".level-row-out").hidden; })()`) {
		t.Error("receive mode shows microphone parts")
	}
	p.start()
	p.waitLevel(selLevelOut, waitAudio, "the tone never reached the output meter", func(v float64) bool { return v > speechLevel })
	// 8000/32768 peak: -15.3 dBFS RMS.
	if played := p.playedDBFS(time.Second); played < -20 || played > -10 {
		t.Errorf("the tone played at %.1f dBFS, want about -15", played)
	}
	if !evalOn[bool](p, `document.querySelector("rtc-stream").localStream === null`) {
		t.Error("receive mode opened the microphone")
	}
	// The stats overlay (Options.ShowStats) sits in the audio panel and
	// tells the audio's bitrate.
	stats := p.waitText(".audio pre.stats", waitState, func(s string) bool {
		return strings.Contains(s, "audio out – · in ") && strings.Contains(s, "kbit/s · jitter") && !strings.Contains(s, "rtt –")
	})
	t.Logf("overlay:\n%s", stats)
	p.stop()
	s.waitActive(t, 0, waitRelease)
}

// TestBrowserAudioSend: the handler hears the microphone; nothing comes
// back, and the page streams once connected.
func TestBrowserAudioSend(t *testing.T) {
	checkLeaks(t)
	probe := &audioProbe{}
	s := startAudioServer(t, rtcstream.Send, probe.Add, rtcstream.Options{})
	p := newAudioBrowser(t, speechWAV(t, 500*time.Millisecond, time.Second))
	p.open(s.url)
	started := time.Now()
	p.start()
	if !evalOn[bool](p, `document.querySelector("rtc-stream .level-row-out").hidden`) {
		t.Error("send mode shows the output meter")
	}
	p.waitLevel(selLevelIn, waitAudio, "the microphone never moved the input meter", func(v float64) bool { return v > speechLevel })
	deadline := time.Now().Add(waitAudio)
	for {
		n, peak := probe.Since(started)
		if n >= 50 && dbfs(peak) > speechDBFS {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the handler got %d frames peaking at %.1f dBFS; want speech above %v dBFS", n, dbfs(peak), speechDBFS)
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.stop()
	s.waitActive(t, 0, waitRelease)
}

// TestBrowserAudioReplyOnPause: ReplyOnPause with the pure-Go detector and a
// reply that says the utterance back. The page's chip follows the turns
// (Listening, Thinking, Speaking, then Listening again), every step reaches
// "servermessage", and the reply plays.
func TestBrowserAudioReplyOnPause(t *testing.T) {
	checkLeaks(t)
	echoTurn := func(ctx context.Context, utterance media.AudioFrame) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) { yield(utterance) }
	}
	handler := voice.ReplyOnPause(echoTurn, &voice.ReplyOnPauseOptions{
		Detector: func() (vad.Detector, error) { return vad.NewEnergyDetector(), nil },
	})
	s := startAudioServer(t, rtcstream.SendReceive, handler, rtcstream.Options{AudioInputRate: vad.SampleRate})
	// A long pause after the speech: the reply (as long as the speech) ends
	// before the clip speaks again.
	p := newAudioBrowser(t, speechWAV(t, 500*time.Millisecond, 4*time.Second))
	p.open(s.url)
	evalOn[bool](p, `(() => {
		window.__vad = [];
		window.__chip = [];
		const e = document.querySelector("rtc-stream");
		window.__utterances = [];
		e.addEventListener("servermessage", (ev) => {
			if (ev.detail.type !== "vad") return;
			window.__vad.push(ev.detail.event);
			if (ev.detail.event === "pause_detected") window.__utterances.push(ev.detail.data?.utterance_seconds ?? -1);
		});
		const chip = e.querySelector(".vad-chip");
		new MutationObserver(() => {
			const last = window.__chip[window.__chip.length - 1];
			if (!chip.hidden && chip.textContent !== last) window.__chip.push(chip.textContent);
		}).observe(chip, { childList: true, characterData: true, subtree: true, attributes: true });
		return true; })()`)
	p.start()
	if err := browsertest.Poll(p.ctx, 20*time.Second, func(ctx context.Context) (bool, error) {
		events, err := browsertest.Eval[[]string](ctx, `window.__vad`)
		return slices.Contains(events, "reply_ended"), err
	}); err != nil {
		t.Fatalf("no reply_ended: %v; events %v", err, evalOn[[]string](p, `window.__vad`))
	}
	// The chip follows what is heard: a reply's end shows a jitter buffer
	// after its event.
	_ = browsertest.Poll(p.ctx, 2*time.Second, func(ctx context.Context) (bool, error) {
		chips, err := browsertest.Eval[[]string](ctx, `window.__chip`)
		return len(chips) >= 4, err
	})
	events := evalOn[[]string](p, `window.__vad`)
	chips := evalOn[[]string](p, `window.__chip`)
	t.Logf("vad events %v; chip %q", events, chips)
	want := []string{"started_talking", "pause_detected", "reply_started", "reply_ended"}
	if len(events) < len(want) || !slices.Equal(events[:len(want)], want) {
		t.Errorf("vad events %v, want them to begin %v", events, want)
	}
	// Once per utterance, about as long as the speech (2.1 s) and its
	// padding (200 ms each side): the utterance the reply gets. The turn
	// runs from the first to the last window scored as speech, which the
	// pure-Go detector puts a little inside the clip after the browser's
	// processing.
	utterances := evalOn[[]float64](p, `window.__utterances`)
	if len(utterances) != 1 || utterances[0] < 1.6 || utterances[0] > 3.2 {
		t.Errorf("utterances %v s, want one of about 2.5 s (the clip's speech as the detector bounds it and 0.4 s of padding, within 0.9 s below and 0.7 s above)", utterances)
	}
	wantChips := []string{"Listening…", "Thinking…", "Speaking…", "Listening…"}
	if len(chips) < len(wantChips) || !slices.Equal(chips[:len(wantChips)], wantChips) {
		t.Errorf("chip showed %q, want it to begin %q", chips, wantChips)
	}
	if got := p.text(selChip); got == "" {
		t.Error("the chip is empty while streaming")
	}
	p.stop()
	s.waitActive(t, 0, waitRelease)
	if !evalOn[bool](p, `document.querySelector("rtc-stream .vad-chip").hidden`) {
		t.Error("the chip still shows after Stop")
	}
}

// TestBrowserAudioWaitingLine: the waiting line and the countdown work for
// audio as for video. With ConcurrencyLimit 1, a second tab waits in line
// with its place shown and starts by itself when the first stops; its time
// limit counts down while its echo plays.
func TestBrowserAudioWaitingLine(t *testing.T) {
	checkLeaks(t)
	probe := &audioProbe{}
	s := startAudioServer(t, rtcstream.SendReceive, probe.Echo, rtcstream.Options{ConcurrencyLimit: 1, TimeLimit: time.Minute})
	first := newAudioBrowser(t, speechWAV(t, 500*time.Millisecond, time.Second))
	second := first.newTab()
	first.open(s.url)
	second.open(s.url)
	first.start()
	second.click(selButton)
	second.waitText(selStatus, waitStart, func(s string) bool { return strings.Contains(s, "number 1 in line") })
	if got := second.state(); got != "connecting" {
		t.Errorf("second tab %q while waiting, want connecting", got)
	}
	if got := second.text(selError); got != "" {
		t.Errorf("second tab's error box %q while waiting", got)
	}
	first.stop()
	second.waitState("streaming", waitStart) // by itself
	second.waitText(".countdown", waitState, func(s string) bool { return strings.HasPrefix(s, "Time left: 0:5") })
	second.waitLevel(selLevelOut, waitAudio, "the second tab's echo", func(v float64) bool { return v > speechLevel })
	second.stop()
	s.waitActive(t, 0, waitRelease)
}

// TestBrowserAudioScreenshot saves audio-streaming.png (the echo, with the
// pulsing icon) in RTCSTREAM_SCREENSHOT_DIR for a person to look at.
func TestBrowserAudioScreenshot(t *testing.T) {
	dir := os.Getenv("RTCSTREAM_SCREENSHOT_DIR")
	if dir == "" {
		t.Skip("set RTCSTREAM_SCREENSHOT_DIR to save screenshots of the page")
	}
	checkLeaks(t)
	probe := &audioProbe{}
	s := startAudioServer(t, rtcstream.SendReceive, probe.Echo, rtcstream.Options{Title: "Voice echo", TimeLimit: 5 * time.Minute})
	p := newAudioBrowser(t, speechWAV(t, 500*time.Millisecond, time.Second))
	p.open(s.url)
	evalOn[bool](p, `(document.querySelector("rtc-stream").setAttribute("icon", "pulse"), true)`)
	p.start()
	p.waitLevel(selLevelOut, waitAudio, "no echo", func(v float64) bool { return v > 0.6 })
	p.waitLevel(selLevelIn, waitAudio, "no speech", func(v float64) bool { return v > 0.6 })
	if err := browsertest.Screenshot(p.ctx, filepath.Join(dir, "audio-streaming.png")); err != nil {
		t.Fatal(err)
	}
	p.click(selMute)
	time.Sleep(time.Second)
	if err := browsertest.Screenshot(p.ctx, filepath.Join(dir, "audio-muted.png")); err != nil {
		t.Fatal(err)
	}
	p.stop()
}
