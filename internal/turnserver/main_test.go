package turnserver

import (
	"os"
	"testing"

	"github.com/rtcstream/rtcstream/internal/netns"
)

// TestMain runs the tests in a network namespace with only loopback.
func TestMain(m *testing.M) {
	os.Exit(netns.RunTestsInNetNS(m))
}
