package browsertest

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/rtcstream/rtcstream/internal/netns"
)

func TestMain(m *testing.M) {
	os.Exit(netns.RunTestsInNetNS(m))
}

// leakCheck checks for leaked goroutines after every other cleanup of the
// test (the browser, the servers) has run. Call it first in a test.
func leakCheck(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
}
