package rtcstream_test

import (
	"log/slog"
	"os"
	"testing"

	"github.com/rtcstream/rtcstream/internal/netns"
)

// TestMain runs this package's tests in a network namespace of their own
// with only a loopback interface, so no test traffic can leave the machine.
// Session logs below warnings are left out of test output.
func TestMain(m *testing.M) {
	if os.Getenv(whepServeEnv) != "" {
		os.Exit(serveWHEP())
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(netns.RunTestsInNetNS(m))
}
