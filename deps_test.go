package rtcstream_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestRootLinksNoHeavyDependencies: a user who imports rtcstream for a
// video filter links neither ONNX Runtime's glue, Prometheus nor LiveKit;
// those come with package voice (Silero VAD), package metrics and package
// livekit, for those who import them.
func TestRootLinksNoHeavyDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/rtcstream/rtcstream").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps listed %d packages; the check would prove nothing", len(deps))
	}
	for _, banned := range []string{
		"github.com/yalue/onnxruntime_go",
		"github.com/prometheus/client_golang/prometheus",
		"github.com/rtcstream/rtcstream/internal/ort",
		"github.com/livekit/server-sdk-go/v2",
		"github.com/livekit/protocol/livekit",
		"github.com/redis/go-redis/v9",
	} {
		for _, d := range deps {
			if d == banned {
				t.Errorf("the rtcstream package links %s", banned)
			}
		}
	}
}
