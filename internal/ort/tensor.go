package ort

import (
	"fmt"
	"strings"
)

// Options configures Open. The zero value means the documented defaults.
type Options struct {
	// RuntimeLibrary is the path of libonnxruntime; empty means
	// FindLibrary's search. Only the first library a process loads counts.
	RuntimeLibrary string

	// Threads is the number of threads one inference may use (ONNX
	// Runtime's intra-op threads). 0 means ONNX Runtime's default, one per
	// physical core.
	Threads int

	// Concurrency is the number of inferences the session runs at once,
	// each with its own tensors. 0 means 1.
	Concurrency int

	// InputShape, if not nil, chooses the shape of the tensor fed to the
	// model from the input the model declares; it may also reject the
	// model. The shape must agree with every fixed dimension of the
	// model's. nil means the model's own shape, which must then have no
	// dynamic dimension.
	InputShape func(model TensorInfo) ([]int64, error)
}

// TensorInfo describes a model input or output.
type TensorInfo struct {
	Name string
	// Shape has -1 for a dimension that the model leaves dynamic.
	Shape []int64
}

func (t TensorInfo) String() string { return t.Name + formatShape(t.Shape) }

// Tensor is a float32 tensor handed to Run's callback.
type Tensor struct {
	Shape []int64
	Data  []float32
}

func formatShape(s []int64) string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// resolveShape returns the input shape to feed: want if given, after
// checking it against the model's shape, else the model's shape if it is
// fully fixed.
func resolveShape(model, want []int64) ([]int64, error) {
	if want == nil {
		for _, d := range model {
			if d <= 0 {
				return nil, fmt.Errorf("onnxruntime: the model's input %s has dynamic dimensions; give a shape", formatShape(model))
			}
		}
		return append([]int64(nil), model...), nil
	}
	if len(want) != len(model) {
		return nil, fmt.Errorf("onnxruntime: input shape %s does not fit the model's %s", formatShape(want), formatShape(model))
	}
	for i, d := range want {
		if d <= 0 || (model[i] > 0 && model[i] != d) {
			return nil, fmt.Errorf("onnxruntime: input shape %s does not fit the model's %s", formatShape(want), formatShape(model))
		}
	}
	return append([]int64(nil), want...), nil
}

// elements returns the number of elements of a fixed shape.
func elements(shape []int64) int {
	n := 1
	for _, d := range shape {
		n *= int(d)
	}
	return n
}

// fixed reports whether shape has no dynamic dimension.
func fixed(shape []int64) bool {
	for _, d := range shape {
		if d <= 0 {
			return false
		}
	}
	return true
}
