package browsertest

// Tests of the <rtc-stream> element in its audio modalities that need no
// WebRTC server: the fake microphone plays a WAV the test writes, and the
// site's signalling refuses or holds the offer. Streaming audio through the
// real server is tested in the root package (browser_audio_test.go).

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Selectors of the audio parts.
const (
	selLevelIn  = "rtc-stream .level-in"
	selLevelOut = "rtc-stream .level-out"
	selMute     = "rtc-stream button.mute"
	selMic      = "rtc-stream select.mic-select"
	selEnable   = "rtc-stream button.enable-mic"
	selPulse    = "rtc-stream .pulse"
	selChip     = "rtc-stream .vad-chip"
)

// writeToneWAV writes a fake microphone clip: a 440 Hz tone at half scale
// (about -9 dBFS RMS) for a second, then half a second of silence.
func writeToneWAV(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tone.wav")
	samples := append(Tone(WAVRate, 440, 0.5, time.Second), Silence(WAVRate, 500*time.Millisecond)...)
	if err := WriteWAV(path, WAVRate, samples); err != nil {
		t.Fatal(err)
	}
	return path
}

// hidden reports which of the selectors (inside rtc-stream) match a hidden
// element, or one inside a hidden ancestor.
func hiddenParts(t *testing.T, ctx context.Context, parts ...string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, p := range parts {
		out[p] = mustEval[bool](t, ctx, `(() => { const e = document.querySelector("rtc-stream "+`+jsString(p)+`);
			if (!e) throw new Error("no element `+p+`");
			return e.closest("[hidden]") !== null; })()`)
	}
	return out
}

func TestAudioComponentLayout(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{FakeAudio: writeToneWAV(t)})

	for _, tt := range []struct {
		query   string
		visible []string
		hidden  []string
	}{
		{"modality=audio",
			[]string{".audio", ".level-in", ".level-out", "select.mic-select", "button.mute", "button.enable-mic", "button.start-stop", ".status"},
			[]string{".videos", "select.camera-select", ".pulse", ".vad-chip", ".countdown", ".error"}},
		{"modality=audio&attr=icon=pulse",
			[]string{".audio", ".pulse", ".level-in", ".level-out"},
			[]string{".videos"}},
		{"modality=audio&mode=receive",
			[]string{".audio", ".level-out"},
			[]string{".level-in", "select.mic-select", "button.mute", "button.enable-mic", ".videos"}},
		{"modality=audio&mode=send",
			[]string{".level-in", "select.mic-select", "button.mute"},
			[]string{".level-out", ".videos"}},
		{"modality=audio-video",
			[]string{".videos", ".pane-input", ".pane-output", "select.camera-select", ".audio", "select.mic-select", "button.mute", ".level-in", ".level-out"},
			[]string{"button.enable-mic"}},
		{"", // video: nothing of audio shows
			[]string{".videos", "select.camera-select"},
			[]string{".audio", "select.mic-select", "button.mute"}},
		{"modality=audio&attr=interactive=false",
			[]string{".audio", ".level-out"},
			[]string{"select.mic-select", "button.mute", "button.enable-mic", "button.start-stop"}},
	} {
		loadComponent(t, ctx, s, tt.query)
		got := hiddenParts(t, ctx, append(tt.visible, tt.hidden...)...)
		for _, p := range tt.visible {
			if got[p] {
				t.Errorf("?%s: %s is hidden, want it shown", tt.query, p)
			}
		}
		for _, p := range tt.hidden {
			if !got[p] {
				t.Errorf("?%s: %s is shown, want it hidden", tt.query, p)
			}
		}
	}

	loadComponent(t, ctx, s, "modality=audio&attr=icon=pulse")
	if got := mustText(t, ctx, "rtc-stream button.start-stop"); got != "Start" {
		t.Errorf("button %q, want Start", got)
	}
	if got := mustText(t, ctx, selMute); got != "Mute" {
		t.Errorf("mute button %q, want Mute", got)
	}
	// The meters read zero before anything plays, and say what they are.
	for _, sel := range []string{selLevelIn, selLevelOut} {
		if lv, err := Level(ctx, sel); err != nil || lv != 0 {
			t.Errorf("%s level %v (%v) before starting, want 0", sel, lv, err)
		}
		if role := mustEval[string](t, ctx, `document.querySelector(`+jsString(sel)+`).getAttribute("role")`); role != "meter" {
			t.Errorf("%s role %q, want meter", sel, role)
		}
	}
	// The server's audio plays through an <audio> that autoplays, not muted.
	if !mustEval[bool](t, ctx, `(() => { const a = document.querySelector("rtc-stream audio.output");
		return a instanceof HTMLAudioElement && a.autoplay && !a.muted; })()`) {
		t.Error("audio.output is not an unmuted autoplaying <audio>")
	}
	// In send-receive mode the icon is a speaker that follows the output.
	if got := mustEval[string](t, ctx, `document.querySelector("rtc-stream .pulse").dataset.icon`); got != "speaker" {
		t.Errorf("pulse icon %q in send-receive mode, want speaker", got)
	}
	if n := mustEval[int](t, ctx, `document.querySelectorAll("rtc-stream .pulse-icon svg").length`); n != 1 {
		t.Errorf("%d icons in the pulse, want 1", n)
	}
	if !mustEval[bool](t, ctx, `document.querySelector("rtc-stream .pulse").getBoundingClientRect().width > 40`) {
		t.Error("the pulsing icon has no size")
	}
}

// TestAudioMicSelectMuteAndMeter: the "Enable microphone" button opens the
// fake microphone with the voice processing on; the select lists the fake
// devices with the open one chosen; the input meter moves with the tone;
// mute disables the track (the meter falls to zero) and unmute brings it back.
func TestAudioMicSelectMuteAndMeter(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{FakeAudio: writeToneWAV(t)})
	loadComponent(t, ctx, s, "modality=audio")

	if n := mustEval[int](t, ctx, `document.querySelector("rtc-stream select.mic-select").options.length`); n != 1 {
		t.Errorf("%d microphone options before permission, want the placeholder", n)
	}
	if err := Click(ctx, selEnable); err != nil {
		t.Fatal(err)
	}
	// The select fills (with the open microphone chosen) once the
	// permission is granted and the microphone is open.
	var labels []string
	err := poll(ctx, 10*time.Second, func(ctx context.Context) (bool, error) {
		var err error
		labels, err = Eval[[]string](ctx, `[...document.querySelectorAll("rtc-stream select.mic-select option")].map((o) => o.textContent)`)
		if err != nil || !strings.Contains(strings.Join(labels, ","), "Fake") {
			return false, err
		}
		return Eval[bool](ctx, `(() => { const s = document.querySelector("rtc-stream").localStream;
			const v = document.querySelector("rtc-stream select.mic-select").value;
			return s !== null && v !== "" && v === s.getAudioTracks()[0].getSettings().deviceId; })()`)
	})
	if err != nil {
		t.Fatalf("microphone options %q, want the fake devices with the open one chosen: %v", labels, err)
	}
	t.Logf("microphones: %q", labels)
	settings := mustEval[map[string]any](t, ctx, `document.querySelector("rtc-stream").localStream.getAudioTracks()[0].getSettings()`)
	for _, k := range []string{"echoCancellation", "noiseSuppression", "autoGainControl"} {
		if settings[k] != true {
			t.Errorf("microphone %s = %v, want true by default", k, settings[k])
		}
	}
	if n := mustEval[int](t, ctx, `document.querySelector("rtc-stream").localStream.getVideoTracks().length`); n != 0 {
		t.Errorf("audio modality opened %d cameras", n)
	}
	if !mustEval[bool](t, ctx, `document.querySelector("rtc-stream button.enable-mic").closest("[hidden]") !== null`) {
		t.Error("the enable-microphone button still shows with the microphone open")
	}
	if got := mustEval[string](t, ctx, `document.querySelector("rtc-stream").dataset.state`); got != "idle" {
		t.Errorf("state %q after enabling the microphone, want idle", got)
	}

	// The tone (about -9 dBFS) moves the input meter; the output stays at zero.
	if _, hi, err := LevelRange(ctx, selLevelIn, 2*time.Second); err != nil || hi < 0.5 {
		t.Errorf("input meter peaked at %.3f (%v) with a tone playing, want above 0.5", hi, err)
	}
	if lv, _ := Level(ctx, selLevelOut); lv != 0 {
		t.Errorf("output meter %.3f with nothing received", lv)
	}
	if got := mustEval[string](t, ctx, `document.querySelector("rtc-stream .level-in").getAttribute("aria-valuenow")`); got == "" {
		t.Error("the input meter has no aria-valuenow")
	}

	// Mute: the track is disabled, the meter drops to zero, both say so.
	if err := Click(ctx, selMute); err != nil {
		t.Fatal(err)
	}
	if got := mustText(t, ctx, selMute); got != "Unmute" {
		t.Errorf("mute button %q while muted, want Unmute", got)
	}
	if !mustEval[bool](t, ctx, `(() => { const e = document.querySelector("rtc-stream");
		const b = e.querySelector("button.mute");
		return e.muted && e.hasAttribute("data-muted") && b.hasAttribute("data-muted") &&
			b.getAttribute("aria-pressed") === "true" && !e.localStream.getAudioTracks()[0].enabled; })()`) {
		t.Error("muted: want element.muted, data-muted on the element and the button, aria-pressed and a disabled track")
	}
	if _, err := WaitLevel(ctx, selLevelIn, 3*time.Second, func(v float64) bool { return v == 0 }); err != nil {
		t.Errorf("muted: %v", err)
	}
	if _, hi, _ := LevelRange(ctx, selLevelIn, time.Second); hi != 0 {
		t.Errorf("muted: the input meter still reads up to %.3f", hi)
	}

	// Unmute.
	if err := Click(ctx, selMute); err != nil {
		t.Fatal(err)
	}
	if !mustEval[bool](t, ctx, `(() => { const e = document.querySelector("rtc-stream");
		return !e.muted && !e.hasAttribute("data-muted") && e.localStream.getAudioTracks()[0].enabled &&
			e.querySelector("button.mute").textContent === "Mute"; })()`) {
		t.Error("unmuted: want the track enabled, no data-muted, and the button saying Mute")
	}
	if _, err := WaitLevel(ctx, selLevelIn, 5*time.Second, func(v float64) bool { return v > 0.5 }); err != nil {
		t.Errorf("unmuted: %v", err)
	}

	// Choosing another microphone swaps the track, keeps the mute state,
	// and the meter follows the new track.
	if err := Click(ctx, selMute); err != nil {
		t.Fatal(err)
	}
	other := mustEval[string](t, ctx, `(() => { const s = document.querySelector("rtc-stream select.mic-select");
		const o = [...s.options].find((o) => o.value !== s.value && o.value !== "default" && o.value !== "communications");
		s.value = o.value; s.dispatchEvent(new Event("change")); return o.value; })()`)
	err = poll(ctx, 5*time.Second, func(ctx context.Context) (bool, error) {
		return Eval[bool](ctx, `(() => { const t = document.querySelector("rtc-stream").localStream.getAudioTracks();
			return t.length === 1 && t[0].getSettings().deviceId === `+jsString(other)+` && !t[0].enabled; })()`)
	})
	if err != nil {
		t.Errorf("after choosing microphone %s: want one track from it, still muted: %v", other, err)
	}

	// Stop releases the microphone and zeroes the meter.
	mustEval[bool](t, ctx, `document.querySelector("rtc-stream").stop(), true`)
	if !mustEval[bool](t, ctx, `document.querySelector("rtc-stream").localStream === null`) {
		t.Error("stop kept the microphone")
	}
	if lv, _ := Level(ctx, selLevelIn); lv != 0 {
		t.Errorf("input meter %.3f after stop", lv)
	}
}

// scaleOf parses the x scale of a computed CSS transform ("none" is 1).
func scaleOf(t *testing.T, transform string) float64 {
	t.Helper()
	if transform == "none" {
		return 1
	}
	inner, ok := strings.CutPrefix(transform, "matrix(")
	if !ok {
		t.Fatalf("transform %q is not a matrix", transform)
	}
	a, _, _ := strings.Cut(inner, ",")
	v, err := strconv.ParseFloat(strings.TrimSpace(a), 64)
	if err != nil {
		t.Fatalf("transform %q: %v", transform, err)
	}
	return v
}

// TestAudioPulseFollowsLevel injects a level: getUserMedia returns an
// oscillator whose gain the test sets, and the pulsing icon (which follows the
// microphone in send mode) grows with it and shrinks back.
func TestAudioPulseFollowsLevel(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{})
	loadComponent(t, ctx, s, "modality=audio&mode=send&attr=icon=pulse")
	if got := mustEval[string](t, ctx, `document.querySelector("rtc-stream .pulse").dataset.icon`); got != "mic" {
		t.Errorf("pulse icon %q in send mode, want mic", got)
	}
	mustEval[bool](t, ctx, `(() => {
		const ctx = new AudioContext();
		const osc = ctx.createOscillator();
		const gain = ctx.createGain();
		gain.gain.value = 0;
		const dest = ctx.createMediaStreamDestination();
		osc.connect(gain).connect(dest);
		osc.start();
		window.__gain = gain;
		window.__asked = [];
		navigator.mediaDevices.getUserMedia = async (c) => { window.__asked.push(c); return dest.stream; };
		return true; })()`)
	if err := Click(ctx, selEnable); err != nil {
		t.Fatal(err)
	}
	asked := mustEval[[]map[string]any](t, ctx, `window.__asked`)
	if len(asked) != 1 || asked[0]["video"] != nil {
		t.Fatalf("getUserMedia asked %v, want audio only", asked)
	}
	if a, _ := asked[0]["audio"].(map[string]any); a["echoCancellation"] != true || a["noiseSuppression"] != true || a["autoGainControl"] != true {
		t.Errorf("audio constraints %v, want the three processing steps on", asked[0]["audio"])
	}

	const transform = `getComputedStyle(document.querySelector("rtc-stream .pulse-icon")).transform`
	quiet := scaleOf(t, mustEval[string](t, ctx, transform))
	if quiet < 0.99 || quiet > 1.01 {
		t.Errorf("icon scale %.3f in silence, want 1", quiet)
	}
	for _, g := range []struct {
		gain     float64
		min, max float64 // the expected level
	}{
		{0.5, 0.75, 0.95},  // RMS 0.35, -9 dBFS: 0.85
		{0.05, 0.45, 0.65}, // RMS 0.035, -29 dBFS: 0.52
		{0, 0, 0},
	} {
		mustEval[bool](t, ctx, `(window.__gain.gain.value = `+strconv.FormatFloat(g.gain, 'f', -1, 64)+`, true)`)
		lv, err := WaitLevel(ctx, selPulse, 5*time.Second, func(v float64) bool { return v >= g.min && v <= g.max })
		if err != nil {
			t.Errorf("gain %v: %v", g.gain, err)
			continue
		}
		in, _ := Level(ctx, selLevelIn)
		if in < g.min || in > g.max {
			t.Errorf("gain %v: input meter %.3f, want it with the icon in [%v, %v]", g.gain, in, g.min, g.max)
		}
		// The CSS scale follows the level (the transition takes 60 ms, a
		// reading comes every 50 ms): compare the two read together.
		time.Sleep(150 * time.Millisecond)
		v := mustEval[[]string](t, ctx, `[document.querySelector("rtc-stream .pulse").dataset.level, `+transform+`]`)
		lv, _ = strconv.ParseFloat(v[0], 64)
		scale := scaleOf(t, v[1])
		want := 1 + 0.18*lv
		if scale < want-0.03 || scale > want+0.03 {
			t.Errorf("gain %v: level %.3f, icon scale %.3f, want about %.3f", g.gain, lv, scale, want)
		}
		t.Logf("gain %v: level %.3f, scale %.3f", g.gain, lv, scale)
	}
	levels := mustEval[map[string]float64](t, ctx, `document.querySelector("rtc-stream").levels`)
	if levels["out"] != 0 {
		t.Errorf("levels %v: out should be 0 in send mode", levels)
	}
}

// TestAudioOffers checks the transceivers of each audio mode in the offer the
// element sends, and that only modes that send open the microphone.
func TestAudioOffers(t *testing.T) {
	leakCheck(t)
	s := newSite(t, func(w http.ResponseWriter, body map[string]any) {
		writeError(w, http.StatusBadRequest, "invalid_sdp", "bad offer")
	})
	ctx := New(t, Options{FakeAudio: writeToneWAV(t)})
	for i, tt := range []struct {
		query     string
		media     []string // "m=audio sendrecv", in order
		openedMic bool
	}{
		{"modality=audio", []string{"audio sendrecv"}, true},
		{"modality=audio&mode=send", []string{"audio sendonly"}, true},
		{"modality=audio&mode=receive", []string{"audio recvonly"}, false},
		{"modality=audio-video", []string{"video sendrecv", "audio sendrecv"}, true},
		{"modality=audio-video&mode=receive", []string{"video recvonly", "audio recvonly"}, false},
	} {
		loadComponent(t, ctx, s, tt.query)
		mustEval[bool](t, ctx, `(() => { const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
			window.__asked = [];
			navigator.mediaDevices.getUserMedia = (c) => { window.__asked.push(c); return gum(c); };
			return true; })()`)
		if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
			t.Fatal(err)
		}
		if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := mustText(t, ctx, "rtc-stream .error"); got != "bad offer" {
			t.Errorf("?%s: error box %q", tt.query, got)
		}
		offers, _ := s.posted()
		if len(offers) != i+1 {
			t.Fatalf("?%s: %d offers in all, want %d", tt.query, len(offers), i+1)
		}
		sdp, _ := offers[i]["sdp"].(string)
		var got []string
		kind := ""
		for _, line := range strings.Split(sdp, "\r\n") {
			switch {
			case strings.HasPrefix(line, "m=audio"):
				kind = "audio"
			case strings.HasPrefix(line, "m=video"):
				kind = "video"
			case strings.HasPrefix(line, "m="):
				kind = ""
			case kind != "" && (line == "a=sendrecv" || line == "a=sendonly" || line == "a=recvonly"):
				got = append(got, kind+" "+strings.TrimPrefix(line, "a="))
			}
		}
		if strings.Join(got, ", ") != strings.Join(tt.media, ", ") {
			t.Errorf("?%s: offer media %q, want %q", tt.query, got, tt.media)
		}
		if !strings.Contains(sdp, "m=application") || !strings.Contains(strings.ToLower(sdp), "opus/48000") {
			t.Errorf("?%s: offer lacks the data channel or Opus:\n%s", tt.query, sdp)
		}
		asked := mustEval[[]map[string]any](t, ctx, `window.__asked`)
		if opened := len(asked) > 0; opened != tt.openedMic {
			t.Errorf("?%s: getUserMedia called %v, want it called: %v", tt.query, asked, tt.openedMic)
		}
		if tt.openedMic && asked[0]["audio"] == nil {
			t.Errorf("?%s: getUserMedia(%v) without audio", tt.query, asked[0])
		}
		// The failure released the microphone.
		if !mustEval[bool](t, ctx, `document.querySelector("rtc-stream").localStream === null`) {
			t.Errorf("?%s: the microphone is still open after the error", tt.query)
		}
	}
}

// TestAudioMicErrorsAreClear: refusals name the microphone (and the camera
// too for audio-video), never the camera alone.
func TestAudioMicErrorsAreClear(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{})
	for _, tt := range []struct{ query, name, want string }{
		{"modality=audio", "NotAllowedError", "Microphone access was denied. Allow the microphone for this page and press Start again."},
		{"modality=audio", "NotFoundError", "No microphone was found. Connect a microphone and press Start again."},
		{"modality=audio", "NotReadableError", "The microphone could not be started. Another application may be using it."},
		{"modality=audio-video", "NotAllowedError", "Camera and microphone access was denied. Allow the camera and microphone for this page and press Start again."},
	} {
		loadComponent(t, ctx, s, tt.query)
		mustEval[bool](t, ctx, `navigator.mediaDevices.getUserMedia = () =>
			Promise.reject(new DOMException("refused", `+jsString(tt.name)+`)), true`)
		if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
			t.Fatal(err)
		}
		if err := WaitAttr(ctx, "rtc-stream", "data-state", "error", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if got := mustText(t, ctx, "rtc-stream .error"); got != tt.want {
			t.Errorf("?%s %s: error box %q, want %q", tt.query, tt.name, got, tt.want)
		}
	}
	if offers, _ := s.posted(); len(offers) != 0 {
		t.Errorf("an offer was sent without a microphone: %v", offers)
	}
}

// TestAudioVideoEnablesBoth: in audio-video mode the enable button opens the
// camera and the microphone together; both selects fill, the preview plays
// and the input meter moves.
func TestAudioVideoEnablesBoth(t *testing.T) {
	leakCheck(t)
	s := newSite(t, nil)
	ctx := New(t, Options{FakeAudio: writeToneWAV(t)})
	loadComponent(t, ctx, s, "modality=audio-video")
	if got := mustText(t, ctx, "rtc-stream button.enable-camera"); got != "Enable camera and microphone" {
		t.Errorf("enable button %q", got)
	}
	if err := Click(ctx, "rtc-stream button.enable-camera"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := WaitVideo(ctx, "rtc-stream video.preview", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := mustEval[[]int](t, ctx, `(() => { const s = document.querySelector("rtc-stream").localStream;
		return [s.getVideoTracks().length, s.getAudioTracks().length]; })()`); len(got) != 2 || got[0] != 1 || got[1] != 1 {
		t.Errorf("local stream tracks [video audio] = %v, want [1 1]", got)
	}
	if _, err := WaitLevel(ctx, selLevelIn, 5*time.Second, func(v float64) bool { return v > 0.5 }); err != nil {
		t.Error(err)
	}
	err := poll(ctx, 5*time.Second, func(ctx context.Context) (bool, error) {
		return Eval[bool](ctx, `(() => { const q = (s) => document.querySelector("rtc-stream " + s);
			return q("select.camera-select").value !== "" && q("select.mic-select").value !== ""; })()`)
	})
	if err != nil {
		t.Errorf("the camera and microphone selects did not fill: %v", err)
	}
	// Mute leaves the camera alone.
	if err := Click(ctx, selMute); err != nil {
		t.Fatal(err)
	}
	if !mustEval[bool](t, ctx, `(() => { const s = document.querySelector("rtc-stream").localStream;
		return !s.getAudioTracks()[0].enabled && s.getVideoTracks()[0].enabled; })()`) {
		t.Error("mute should disable the microphone only")
	}
}

// TestAudioTurnChipAndMessages feeds data channel messages to a session that
// is connecting (the site holds the offer): vad events set the chip and reach
// "servermessage"; unknown events, other types and garbage are harmless.
func TestAudioTurnChipAndMessages(t *testing.T) {
	leakCheck(t)
	release := make(chan struct{})
	s := newSite(t, func(w http.ResponseWriter, body map[string]any) {
		select { // hold the offer until the test ends
		case <-release:
		case <-time.After(20 * time.Second):
		}
		writeError(w, http.StatusServiceUnavailable, "busy", "late")
	})
	t.Cleanup(func() { close(release) })
	ctx := New(t, Options{FakeAudio: writeToneWAV(t)})
	loadComponent(t, ctx, s, "modality=audio")
	// Keep the page's data channel, and every servermessage.
	mustEval[bool](t, ctx, `(() => {
		const create = RTCPeerConnection.prototype.createDataChannel;
		RTCPeerConnection.prototype.createDataChannel = function (...args) {
			const dc = create.apply(this, args);
			window.__dc = dc;
			return dc;
		};
		window.__messages = [];
		document.querySelector("rtc-stream").addEventListener("servermessage", (e) => window.__messages.push(e.detail));
		window.__deliver = (data) => window.__dc.dispatchEvent(new MessageEvent("message", { data }));
		return true; })()`)
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "connecting", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := poll(ctx, 10*time.Second, func(ctx context.Context) (bool, error) {
		return Eval[bool](ctx, `window.__dc !== undefined`)
	}); err != nil {
		t.Fatal(err)
	}
	deliver := func(data string) {
		t.Helper()
		mustEval[bool](t, ctx, `(window.__deliver(`+jsString(data)+`), true)`)
	}
	chip := func() (turn, text string, hidden bool) {
		v := mustEval[[]any](t, ctx, `(() => { const c = document.querySelector("rtc-stream .vad-chip");
			return [c.dataset.turn ?? "", c.textContent, c.hidden]; })()`)
		return v[0].(string), v[1].(string), v[2].(bool)
	}
	if _, _, hidden := chip(); !hidden {
		t.Error("the chip shows before any vad event")
	}
	for _, step := range []struct{ event, turn, text string }{
		{"started_talking", "listening", "Listening…"},
		{"pause_detected", "thinking", "Thinking…"},
		{"reply_started", "speaking", "Speaking…"},
		{"reply_ended", "listening", "Listening…"},
		{"reply_started", "speaking", "Speaking…"},
		{"barge_in", "listening", "Listening…"},
	} {
		deliver(`{"type":"vad","event":"` + step.event + `","at":1.5}`)
		// A reply's events wait for the page's getStats reading (the
		// chip follows the audio as heard), so the chip is polled.
		var turn, text string
		var hidden bool
		_ = poll(ctx, 3*time.Second, func(context.Context) (bool, error) {
			turn, text, hidden = chip()
			return !hidden && turn == step.turn && text == step.text, nil
		})
		if hidden || turn != step.turn || text != step.text {
			t.Errorf("after %s: chip %q %q hidden=%v, want %q %q", step.event, turn, text, hidden, step.turn, step.text)
		}
	}
	// Unknown events, types and garbage change nothing and throw nothing.
	for _, data := range []string{
		`{"type":"vad","event":"something_new"}`,
		`{"type":"vad","event":"constructor"}`,
		`{"type":"vad"}`,
		`{"type":"vad","event":42}`,
		`{"type":"shiny_new_type","x":1}`,
		`not json`,
		`[1,2,3]`,
		`null`,
	} {
		deliver(data)
	}
	if turn, text, hidden := chip(); hidden || turn != "listening" || text != "Listening…" {
		t.Errorf("after unknown messages: chip %q %q hidden=%v, want it unchanged", turn, text, hidden)
	}
	if got := mustEval[string](t, ctx, `document.querySelector("rtc-stream").dataset.state`); got != "connecting" {
		t.Errorf("state %q after unknown messages, want connecting", got)
	}
	if got := mustText(t, ctx, "rtc-stream .error"); got != "" {
		t.Errorf("error box %q after unknown messages", got)
	}
	// What "servermessage" carried: the vad events with their fields, then
	// the unknown ones as such; non-objects are dropped.
	msgs := mustEval[[]map[string]any](t, ctx, `window.__messages`)
	var types []string
	for _, m := range msgs {
		typ, _ := m["type"].(string)
		if ev, ok := m["event"].(string); ok {
			typ += ":" + ev
		}
		types = append(types, typ)
	}
	want := "vad:started_talking vad:pause_detected vad:reply_started vad:reply_ended vad:reply_started vad:barge_in " +
		"vad:something_new vad:constructor unknown unknown unknown"
	if strings.Join(types, " ") != want {
		t.Errorf("servermessage events %q, want %q", strings.Join(types, " "), want)
	}
	if data, _ := msgs[0]["data"].(map[string]any); data["at"] != 1.5 {
		t.Errorf("the vad message's fields are not passed on: %v", msgs[0])
	}
	// Stop hides the chip.
	if err := Click(ctx, "rtc-stream button.start-stop"); err != nil {
		t.Fatal(err)
	}
	if err := WaitAttr(ctx, "rtc-stream", "data-state", "idle", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, _, hidden := chip(); !hidden {
		t.Error("the chip still shows after Stop")
	}
}

// TestAudioLevelMath checks levels.js's arithmetic in the page.
func TestAudioLevelMath(t *testing.T) {
	s := newSite(t, nil)
	ctx := New(t, Options{})
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/camera")); err != nil {
		t.Fatal(err)
	}
	got := mustEval[[]float64](t, ctx, `import("/assets/levels.js").then((m) => [
		m.levelOf(0), m.levelOf(1), m.levelOf(0.001), m.levelOf(0.0001), m.levelOf(Math.SQRT1_2 / 2),
		m.rms(new Float32Array([0.5, -0.5, 0.5, -0.5])), m.rms(new Float32Array(0)),
		m.smooth(0.5, 0.9), m.smooth(0.5, 0), m.smooth(0.5, 0.45), m.levelOf(NaN), m.levelOf(-1),
	])`)
	want := []float64{0, 1, 0, 0, 1 - 9.031/60, 0.5, 0, 0.9, 0.4, 0.45, 0, 0}
	for i := range want {
		if d := got[i] - want[i]; d > 0.001 || d < -0.001 {
			t.Errorf("case %d: got %v, want %v", i, got[i], want[i])
		}
	}
}
