package silero_test

import (
	"errors"
	"log/slog"

	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/vad/silero"
)

// One Model per process, one Detector per stream, and the pure-Go
// detector when ONNX Runtime or the model cannot be had.
func Example() {
	model, err := silero.Open(silero.Options{})
	if err != nil {
		slog.Warn("Silero VAD unavailable, using the energy detector", "err", err,
			"no runtime", errors.Is(err, silero.ErrNoRuntime))
	} else {
		defer model.Close()
	}

	// For each stream:
	var det vad.Detector = vad.NewEnergyDetector()
	if model != nil {
		d, err := model.NewDetector()
		if err != nil {
			slog.Error("silero", "err", err)
			return
		}
		defer d.Close()
		det = d
	}
	pd, err := vad.NewPauseDetector(det, vad.Options{})
	if err != nil {
		slog.Error("vad", "err", err)
		return
	}
	_ = pd // feed it 16 kHz audio with pd.Process
}
