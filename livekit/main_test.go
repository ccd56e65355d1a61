package livekit_test

import (
	"os"
	"testing"

	"github.com/rtcstream/rtcstream/internal/netns"
)

// The tests run in a loopback-only network namespace of their own, with
// the Redis, LiveKit nodes and workers they start.
// Run with workerEnv set, the binary is one of the rig's workers instead.
func TestMain(m *testing.M) {
	if cfg := os.Getenv(workerEnv); cfg != "" {
		os.Exit(runWorker(cfg))
	}
	if addr := os.Getenv(serveEnv); addr != "" {
		os.Exit(runServer(addr))
	}
	os.Exit(netns.RunTestsInNetNS(m))
}
