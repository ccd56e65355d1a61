package vad

import "time"

// The audio contract of the package: 16 kHz mono float32 PCM in [-1, 1],
// scored in windows of 512 samples (32 ms), the size Silero VAD v5 was
// trained on at 16 kHz.
const (
	// SampleRate is the only sample rate the package accepts, in Hz.
	// Resample other rates first (the media package has a resampler).
	SampleRate = 16000

	// WindowSize is the number of samples a Detector scores at once.
	WindowSize = 512

	// Window is the duration of WindowSize samples at SampleRate: 32 ms.
	// It is the step of every timing decision the PauseDetector makes.
	Window = WindowSize * time.Second / SampleRate
)

// Detector scores consecutive windows of audio: it returns the probability,
// in [0, 1], that a window of WindowSize samples at SampleRate contains
// speech. Detectors keep state from window to window (a recurrent network's
// state, a noise estimate), so the windows of one stream must be given in
// order, and a Detector serves one stream at a time.
//
// A probability of 0.5 or more means speech, as with Silero VAD; the
// PauseDetector's default thresholds (0.5 to start, 0.35 to keep going)
// assume that calibration.
//
// Implementations in rtcstream: [EnergyDetector] (pure Go, this package) and
// the Silero VAD v5 model over ONNX Runtime (package vad/silero).
type Detector interface {
	// Prob scores window, which has exactly WindowSize samples. The
	// detector does not keep window after Prob returns. An error means the
	// detector cannot score (its runtime failed); the window is lost.
	Prob(window []float32) (float32, error)

	// Reset forgets everything learnt from earlier windows, as for a new
	// stream.
	Reset()
}
