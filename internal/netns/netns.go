// Package netns runs a package's tests inside a private, loopback-only
// network namespace.
//
// Browser and WebRTC tests send real packets. Inside a fresh network namespace
// the only interface is lo, so a test cannot reach any address but loopback,
// whatever a browser or an ICE agent decides to try. Use it from TestMain:
//
//	func TestMain(m *testing.M) {
//		os.Exit(netns.RunTestsInNetNS(m))
//	}
//
// The call to os.Exit is needed: when the tests run in a child process, m.Run
// is never called in the parent, so the exit code must come from the return
// value.
package netns

import (
	"fmt"
	"os"
	"testing"
)

// EnvVar is the environment variable that marks a process as started by
// RunTestsInNetNS inside its own network namespace. Its value is "1" there.
const EnvVar = "RTCSTREAM_NETNS"

// inside is set once the loopback interface of the namespace is up.
var inside bool

// RunTestsInNetNS runs the tests of m in a new network namespace and returns
// the exit code for os.Exit.
//
// In the parent process (EnvVar unset) on Linux as root, it runs the test
// binary again, with the same arguments, in a new network namespace
// (CLONE_NEWNET), with stdin, stdout and stderr passed through, and returns
// the child's exit code. The child dies with the parent.
//
// In the child (EnvVar is "1"), it brings the loopback interface up and
// returns m.Run(). If lo cannot be brought up it prints why and returns 1.
//
// Where a namespace cannot be made (not Linux, not root, or the kernel refuses),
// it prints one line saying that the tests run in the host network namespace
// on loopback only, and returns m.Run(). [Inside] then reports false, and tests
// that must not run outside a namespace can skip.
func RunTestsInNetNS(m *testing.M) int {
	if os.Getenv(EnvVar) == "1" {
		if err := loopbackUp(); err != nil {
			fmt.Fprintf(os.Stderr, "netns: bringing up lo in the test network namespace: %v\n", err)
			return 1
		}
		inside = true
		return m.Run()
	}
	code, err := reexec()
	if err == nil {
		return code
	}
	fmt.Fprintf(os.Stderr, "netns: %v; tests run in the host network namespace, on loopback only\n", err)
	return m.Run()
}

// Inside reports whether the process runs inside the network namespace that
// RunTestsInNetNS made, with lo up. It is false in the parent process and on
// the fallback path.
func Inside() bool {
	return inside
}
