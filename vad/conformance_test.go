package vad_test

import (
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/vad/internal/scenario"
)

func TestEnergyDetectorConformance(t *testing.T) {
	scenario.Suite(t, scenario.Config{
		New:           func(testing.TB) vad.Detector { return vad.NewEnergyDetector() },
		SpeechWindows: 0.65,
		Tolerance:     100 * time.Millisecond,
	})
}
