package https_test

import (
	"os"
	"testing"

	"github.com/rtcstream/rtcstream/internal/netns"
)

// TestMain runs the tests in a loopback-only network namespace of their
// own: the ACME test's CA listens on fixed ports.
func TestMain(m *testing.M) {
	os.Exit(netns.RunTestsInNetNS(m))
}
