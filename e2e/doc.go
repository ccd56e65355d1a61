// Package e2e holds the end-to-end tests of rtcstream in a real Chromium
// (internal/browsertest) against the real Stream: the page, the <rtc-stream>
// component, signalling, WebRTC media both ways through libvpx and libopus,
// and the handler. It has no code of its own, only tests, which use the
// public API of package rtcstream as an application would.
//
// The browser's fake camera plays a y4m clip the test writes and its fake
// microphone a WAV of speech (espeak-ng and sox), so the pixels and sounds
// that come back are known:
//
//   - video_test.go: the default video stream, from Start to Stop, errors,
//     the session limit, closed tabs, dead servers, switching cameras;
//   - audio_test.go, av_test.go, stats_test.go: audio, audio with video on
//     one connection, the stats overlay;
//   - voice_test.go: what a person hears in a voice session, measured on a
//     recording the page makes of its microphone and its output;
//   - blocks_test.go: TURN relaying through a real coturn, the waiting line,
//     and every parameter of the WebRTC component on a Blocks page.
//
// page_test.go holds the one page driver (tab: a browser tab and the
// <rtc-stream> element a test drives in it) and server_test.go the servers
// and the recorder of their signalling.
//
// Everything runs on 127.0.0.1 inside a loopback-only network namespace that
// TestMain (main_test.go) makes with internal/netns, which needs root on
// Linux; browsertest.New skips the tests outside it, or, with
// RTCSTREAM_REQUIRE_BROWSER=1, fails them. As make test runs them:
//
//	RTCSTREAM_REQUIRE_BROWSER=1 RTCSTREAM_REQUIRE_MODELS=1 RTCSTREAM_REQUIRE_TURN=1 \
//		go test -race -count=1 -p 1 -timeout 40m ./e2e/
//
// They take several minutes; -short skips the longest (a two-minute echo,
// waiting for ICE to notice a dead peer). RTCSTREAM_SCREENSHOT_DIR names a
// directory to save screenshots of the page in (TestBrowserScreenshot,
// TestBrowserAudioScreenshot).
//
// Goroutine leaks are checked here too (checkLeaks): the harness waits for
// the browser and its chromedp goroutines before the check runs, and Close
// waits for the Stream's sessions.
package e2e
