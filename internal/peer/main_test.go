package peer

import (
	"os"
	"testing"

	"github.com/rtcstream/rtcstream/internal/netns"
)

// TestMain runs the tests in a network namespace of their own with only a
// loopback interface, so no test traffic can leave the machine.
func TestMain(m *testing.M) {
	os.Exit(netns.RunTestsInNetNS(m))
}
