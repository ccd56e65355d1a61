package voice

import (
	"log/slog"
	"sync"

	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/vad/silero"
)

// The Silero model is loaded once per process and shared by sessions.
var (
	sileroOnce  sync.Once
	sileroModel *silero.Model
	sileroErr   error
)

// defaultDetector is Silero VAD when it can be had, else the energy
// detector.
func defaultDetector() (vad.Detector, error) {
	sileroOnce.Do(func() {
		sileroModel, sileroErr = silero.Open(silero.Options{})
		if sileroErr != nil {
			slog.Info("Silero VAD unavailable; voice.ReplyOnPause uses the pure-Go energy detector", "reason", sileroErr)
		}
	})
	if sileroErr == nil {
		return sileroModel.NewDetector()
	}
	return vad.NewEnergyDetector(), nil
}
