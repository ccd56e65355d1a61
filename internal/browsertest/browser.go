// Package browsertest runs end-to-end tests in a real Chromium driven by
// chromedp: the browser's fake camera can play a known video (see WriteY4M)
// and its fake microphone known audio (WriteWAV, WriteSpeechWAV), and helpers
// read state, pixels and audio levels back from the page (VideoPixel, Level,
// LevelRanges, StreamRMS).
//
// Browser tests must run inside the loopback-only network namespace of
// internal/netns, so a test package that uses New starts with
//
//	func TestMain(m *testing.M) {
//		os.Exit(netns.RunTestsInNetNS(m))
//	}
//
// Environment:
//
//	RTCSTREAM_CHROMIUM          the browser binary (default /usr/bin/chromium)
//	RTCSTREAM_REQUIRE_BROWSER=1 fail, instead of skip, when the browser or the
//	                            namespace is missing (CI sets it)
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rtcstream/rtcstream/internal/netns"
)

const (
	// DefaultChromium is the browser New starts unless RTCSTREAM_CHROMIUM
	// names another.
	DefaultChromium = "/usr/bin/chromium"

	// DefaultTimeout is the default hard limit on one browser's life.
	DefaultTimeout = 60 * time.Second

	// actionTimeout bounds one helper call (Click, Text, ...), so that a
	// missing element fails the test quickly instead of at the hard limit.
	actionTimeout = 15 * time.Second

	// minWindowWidth is the narrowest window Chromium makes.
	minWindowWidth = 500
)

// Options configures the browser that New starts. The zero value is valid.
type Options struct {
	// FakeVideo is a Y4M file that the fake camera plays in a loop (write one
	// with WriteY4M). Default: Chromium's built-in moving test pattern.
	FakeVideo string

	// FakeAudio is a WAV file that the fake microphone plays in a loop
	// (write one with WriteWAV or WriteSpeechWAV). Default: Chromium's
	// built-in beep.
	FakeAudio string

	// FakeCameras is the number of fake cameras (Chromium's device-count),
	// for tests that switch cameras. It has no effect with FakeVideo, which
	// is one camera. Default: 1. Chromium's fake_device_1 is a Y16 depth
	// camera: it previews, but WebRTC sends nothing from it; switch between
	// fake_device_0 and fake_device_2 (MJPEG) or later.
	FakeCameras int

	// Timeout is a hard limit on the browser's life, counted from New; when
	// it passes, the browser is killed and every action fails. Default:
	// DefaultTimeout.
	Timeout time.Duration

	// WindowWidth and WindowHeight set the viewport of the first tab.
	// Default: 1280x800. Chromium's windows are at least 500 pixels wide, so
	// a narrower viewport (a phone) is emulated.
	WindowWidth, WindowHeight int

	// SecureOrigins are http:// origins ("http://10.0.1.1:7860") treated
	// as secure, so their pages get the camera: a server on another
	// machine's address, without HTTPS. Default: only localhost's.
	SecureOrigins []string
}

// New starts a headless Chromium for the test and returns its chromedp
// context, with one tab open on about:blank. The browser is closed with
// t.Cleanup, and killed after opts.Timeout.
//
// It skips the test (fails it when RTCSTREAM_REQUIRE_BROWSER=1) when the
// browser is missing or when the process is not inside the test network
// namespace. Console messages and uncaught exceptions of the page go to t.Log.
func New(t testing.TB, opts Options) context.Context {
	t.Helper()
	exe := chromiumPath()
	if _, err := exec.LookPath(exe); err != nil {
		unavailable(t, fmt.Sprintf("no Chromium at %s (%v); install it with `apt-get install chromium` or set RTCSTREAM_CHROMIUM", exe, err))
	}
	if !netns.Inside() {
		unavailable(t, "browser tests run only inside a private network namespace: run them as root on Linux, from a TestMain that calls netns.RunTestsInNetNS")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.WindowWidth <= 0 || opts.WindowHeight <= 0 {
		opts.WindowWidth, opts.WindowHeight = 1280, 800
	}

	logger := &testLogger{t: t}
	hardCtx, hardCancel := context.WithTimeout(context.Background(), opts.Timeout)
	allocCtx, allocCancel := chromedp.NewExecAllocator(hardCtx, allocatorOptions(exe, t.TempDir(), opts)...)
	ctx, cancel := chromedp.NewContext(allocCtx,
		chromedp.WithLogf(logger.logf("chromedp: ")),
		chromedp.WithErrorf(logger.logf("chromedp error: ")),
	)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		allocCancel()
		hardCancel()
		wg.Wait()
		logger.close()
	})

	// The first action starts the browser and opens the tab.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	if opts.WindowWidth < minWindowWidth {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(opts.WindowWidth), int64(opts.WindowHeight))); err != nil {
			t.Fatalf("setting a %dx%d viewport: %v", opts.WindowWidth, opts.WindowHeight, err)
		}
	}
	forwardConsole(ctx, logger, "browser ", &wg)
	return ctx
}

// NewTab opens another tab in the browser of ctx, a context from New, and
// returns its chromedp context. The tab shares the browser's fake camera and
// profile (two tabs of one person). Its console goes to t.Log prefixed with
// "tab N". It is closed with t.Cleanup, or earlier with CloseTab, which is
// how a test closes a tab the way a person does.
func NewTab(t testing.TB, ctx context.Context) context.Context {
	t.Helper()
	if chromedp.FromContext(ctx) == nil {
		t.Fatal("browsertest: NewTab needs a context from New")
	}
	logger := &testLogger{t: t}
	tab, cancel := chromedp.NewContext(ctx) // logs go to the browser's logger
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		logger.close()
	})
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("browsertest: opening a tab: %v", err)
	}
	forwardConsole(tab, logger, fmt.Sprintf("tab %d ", tabs.Add(1)), &wg)
	return tab
}

// tabs numbers the tabs NewTab opens, for their log lines.
var tabs atomic.Int64

// CloseTab closes the tab of ctx, a context from NewTab, as a person closing
// it would (the page gets pagehide), and waits until it is gone.
func CloseTab(ctx context.Context) error {
	if err := chromedp.Cancel(ctx); err != nil {
		return fmt.Errorf("browsertest: closing the tab: %w", err)
	}
	return nil
}

// forwardConsole logs the console messages and uncaught exceptions of the
// tab of ctx until it closes.
func forwardConsole(ctx context.Context, logger *testLogger, prefix string, wg *sync.WaitGroup) {
	messages := chromedp.Console(ctx)
	wg.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			where := ""
			if m.URL != "" {
				where = fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
			}
			logger.log(prefix + m.String() + where)
		}
	})
}

// allocatorOptions are the Chromium flags for a test browser.
func allocatorOptions(exe, userDataDir string, opts Options) []chromedp.ExecAllocatorOption {
	o := append([]chromedp.ExecAllocatorOption{}, chromedp.DefaultExecAllocatorOptions[:]...)
	o = append(o,
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(userDataDir),
		chromedp.WindowSize(opts.WindowWidth, opts.WindowHeight),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// Host candidates as plain 127.0.0.1, not mDNS names, also when the
		// page has no camera permission (receive mode).
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,WebRtcHideLocalIpsWithMdns"),
	)
	if opts.FakeCameras > 1 && opts.FakeVideo == "" {
		o = append(o, chromedp.Flag("use-fake-device-for-media-stream", fmt.Sprintf("device-count=%d", opts.FakeCameras)))
	} else {
		o = append(o, chromedp.Flag("use-fake-device-for-media-stream", true))
	}
	if opts.FakeVideo != "" {
		o = append(o, chromedp.Flag("use-file-for-fake-video-capture", opts.FakeVideo))
	}
	if opts.FakeAudio != "" {
		o = append(o, chromedp.Flag("use-file-for-fake-audio-capture", opts.FakeAudio))
	}
	if len(opts.SecureOrigins) > 0 {
		o = append(o, chromedp.Flag("unsafely-treat-insecure-origin-as-secure", strings.Join(opts.SecureOrigins, ",")))
	}
	return o
}

func chromiumPath() string {
	if p := os.Getenv("RTCSTREAM_CHROMIUM"); p != "" {
		return p
	}
	return DefaultChromium
}

// RequireBrowser reports whether RTCSTREAM_REQUIRE_BROWSER=1, so that a
// missing browser or namespace fails the test instead of skipping it.
func RequireBrowser() bool {
	return os.Getenv("RTCSTREAM_REQUIRE_BROWSER") == "1"
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	if RequireBrowser() {
		t.Fatal(why + " (RTCSTREAM_REQUIRE_BROWSER=1)")
	}
	t.Skip(why)
}

// testLogger forwards to t.Log until the test's cleanup closes it: goroutines
// of the browser may still log after the test ends, which t.Log forbids.
type testLogger struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
}

func (l *testLogger) log(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.t.Log(s)
	}
}

func (l *testLogger) logf(prefix string) func(string, ...any) {
	return func(format string, args ...any) {
		l.log(prefix + fmt.Sprintf(format, args...))
	}
}

func (l *testLogger) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}
