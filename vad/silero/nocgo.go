//go:build !cgo

package silero

import (
	"fmt"

	"github.com/rtcstream/rtcstream/vad"
)

// Model is Silero VAD v5 loaded into ONNX Runtime. This build has no ONNX
// Runtime (it was built without cgo): Open always fails.
type Model struct{}

// Open returns an error wrapping ErrNoRuntime: the ONNX Runtime bindings
// need cgo.
func Open(opts Options) (*Model, error) {
	return nil, fmt.Errorf("silero: built without cgo; build with CGO_ENABLED=1 and a C compiler, or use vad.EnergyDetector: %w", ErrNoRuntime)
}

// Close does nothing and returns nil.
func (m *Model) Close() error { return nil }

// Detector is the Silero vad.Detector of one stream. This build cannot
// make one.
type Detector struct{}

var _ vad.Detector = (*Detector)(nil)

// NewDetector returns ErrClosed.
func (m *Model) NewDetector() (*Detector, error) { return nil, ErrClosed }

// Prob returns ErrClosed.
func (d *Detector) Prob(window []float32) (float32, error) { return 0, ErrClosed }

// Reset does nothing.
func (d *Detector) Reset() {}

// Close does nothing and returns nil.
func (d *Detector) Close() error { return nil }
