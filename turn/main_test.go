package turn_test

import (
	"os"
	"testing"

	"github.com/rtcstream/rtcstream/internal/netns"
)

// TestMain runs the tests in a network namespace of their own holding only
// a loopback interface: the provider stand-ins are local httptest servers,
// and nothing can reach the real APIs.
func TestMain(m *testing.M) {
	os.Exit(netns.RunTestsInNetNS(m))
}
