package turntest_test

import (
	"os"
	"testing"

	"github.com/rtcstream/rtcstream/internal/netns"
)

// TestMain runs the tests in a loopback-only network namespace of their own.
func TestMain(m *testing.M) {
	os.Exit(netns.RunTestsInNetNS(m))
}
