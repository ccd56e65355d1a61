//go:build !cgo

package ort

import "fmt"

// Session is an opened model. This build has no ONNX Runtime (it was built
// without cgo): Open always fails.
type Session struct{}

// Open returns an error wrapping ErrNoRuntime: the ONNX Runtime bindings
// need cgo.
func Open(modelPath string, opts Options) (*Session, error) {
	return nil, fmt.Errorf("onnxruntime: built without cgo; build with CGO_ENABLED=1 and a C compiler: %w", ErrNoRuntime)
}

// LoadRuntime returns an error wrapping ErrNoRuntime: the ONNX Runtime
// bindings need cgo.
func LoadRuntime(library string) error {
	return fmt.Errorf("onnxruntime: built without cgo; build with CGO_ENABLED=1 and a C compiler: %w", ErrNoRuntime)
}

// Input describes the model's input.
func (s *Session) Input() TensorInfo { return TensorInfo{} }

// InputShape returns the shape fed to the model.
func (s *Session) InputShape() []int64 { return nil }

// Outputs describes the model's outputs.
func (s *Session) Outputs() []TensorInfo { return nil }

// Run returns ErrClosed.
func (s *Session) Run(fill func(input []float32) error, use func(outputs []Tensor) error) error {
	return ErrClosed
}

// Close does nothing and returns nil.
func (s *Session) Close() error { return nil }
