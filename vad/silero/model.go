//go:build cgo

package silero

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/rtcstream/rtcstream/internal/ort"
	"github.com/rtcstream/rtcstream/vad"
	onnx "github.com/yalue/onnxruntime_go"
)

// Model is Silero VAD v5 loaded into ONNX Runtime. It is safe for
// concurrent use; see the package documentation.
type Model struct {
	sess *onnx.DynamicAdvancedSession

	mu     sync.RWMutex // held for reading by each inference, for writing by Close
	closed bool
}

// The model's tensors, as Open checks them: name, element type and shape
// (-1 for a dynamic dimension).
var (
	wantInputs = []tensorSpec{
		{"input", onnx.TensorElementDataTypeFloat, []int64{-1, -1}},
		{"state", onnx.TensorElementDataTypeFloat, []int64{2, -1, 128}},
		{"sr", onnx.TensorElementDataTypeInt64, []int64{}},
	}
	wantOutputs = []tensorSpec{
		{"output", onnx.TensorElementDataTypeFloat, []int64{-1, 1}},
		{"stateN", onnx.TensorElementDataTypeFloat, nil}, // any rank-3 shape
	}
)

type tensorSpec struct {
	name  string
	dtype onnx.TensorElementDataType
	shape []int64
}

func (s tensorSpec) check(got onnx.InputOutputInfo) error {
	ok := got.Name == s.name && got.OrtValueType == onnx.ONNXTypeTensor && got.DataType == s.dtype
	if s.shape != nil {
		ok = ok && slices.Equal([]int64(got.Dimensions), s.shape)
	} else {
		ok = ok && len(got.Dimensions) == 3
	}
	if !ok {
		return fmt.Errorf("tensor %s, want %s %v %v", got.String(), s.name, s.dtype, s.shape)
	}
	return nil
}

// Open loads ONNX Runtime if the process has not yet, and the model. Errors
// from a missing runtime wrap ErrNoRuntime, from a missing model file
// fs.ErrNotExist; both say how to get them.
func Open(opts Options) (*Model, error) {
	if err := ort.LoadRuntime(opts.RuntimeLibrary); err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	path := opts.ModelPath
	if path == "" {
		p, err := ort.CachedModel(ModelFile)
		if err != nil {
			return nil, fmt.Errorf("silero: %w", err)
		}
		path = p
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("silero: reading the model (run scripts/fetch-models.sh to fetch it): %w", err)
	}
	ins, outs, err := onnx.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return nil, fmt.Errorf("silero: loading %s: %w", path, err)
	}
	if len(ins) != len(wantInputs) || len(outs) != len(wantOutputs) {
		return nil, fmt.Errorf("silero: %s has %d inputs and %d outputs; not Silero VAD v5 (3 and 2)", path, len(ins), len(outs))
	}
	for i, w := range append(slices.Clone(wantInputs), wantOutputs...) {
		got := ins
		j := i
		if i >= len(ins) {
			got, j = outs, i-len(ins)
		}
		if err := w.check(got[j]); err != nil {
			return nil, fmt.Errorf("silero: %s is not Silero VAD v5: %w", path, err)
		}
	}

	so, err := onnx.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("silero: session options: %w", err)
	}
	defer so.Destroy()
	// One thread per inference: a window takes a fraction of a millisecond,
	// less than waking a thread pool costs, and many streams run at once.
	if err := so.SetIntraOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("silero: session options: %w", err)
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("silero: session options: %w", err)
	}
	names := func(specs []tensorSpec) []string {
		var n []string
		for _, s := range specs {
			n = append(n, s.name)
		}
		return n
	}
	sess, err := onnx.NewDynamicAdvancedSessionWithONNXData(data, names(wantInputs), names(wantOutputs), so)
	if err != nil {
		return nil, fmt.Errorf("silero: loading %s: %w", path, err)
	}
	return &Model{sess: sess}, nil
}

// Close waits for the inferences in flight and frees the model. Later
// calls to its Detectors' Prob return ErrClosed. Close is idempotent.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	if err := m.sess.Destroy(); err != nil {
		return fmt.Errorf("silero: close: %w", err)
	}
	return nil
}

// Detector is the Silero vad.Detector of one stream: the model's recurrent
// state and context, and the tensors of its inferences. It is not safe for
// concurrent use. Close it when the stream ends.
type Detector struct {
	m *Model

	input        *onnx.Tensor[float32] // [1, contextSize+windowSize]
	state, next  *onnx.Tensor[float32] // [2, 1, 128]
	rate         *onnx.Scalar[int64]
	output       *onnx.Tensor[float32] // [1, 1]
	inputs, outs []onnx.Value
	closed       bool
}

var _ vad.Detector = (*Detector)(nil)

// NewDetector returns a Detector for a new stream, with zero state.
func (m *Model) NewDetector() (*Detector, error) {
	d := &Detector{m: m}
	var err error
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if d.input, err = onnx.NewEmptyTensor[float32](onnx.NewShape(1, contextSize+windowSize)); err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	if d.state, err = onnx.NewEmptyTensor[float32](onnx.NewShape(2, 1, 128)); err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	if d.next, err = onnx.NewEmptyTensor[float32](onnx.NewShape(2, 1, 128)); err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	if d.rate, err = onnx.NewScalar(int64(sampleRate)); err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	if d.output, err = onnx.NewEmptyTensor[float32](onnx.NewShape(1, 1)); err != nil {
		return nil, fmt.Errorf("silero: %w", err)
	}
	d.inputs = []onnx.Value{d.input, d.state, d.rate}
	d.outs = []onnx.Value{d.output, d.next}
	return d, nil
}

// Prob implements vad.Detector: it returns the probability that window,
// vad.WindowSize samples at 16 kHz, is speech, and advances the stream's
// state.
func (d *Detector) Prob(window []float32) (float32, error) {
	if len(window) != windowSize {
		return 0, fmt.Errorf("silero: window of %d samples, want %d", len(window), windowSize)
	}
	if d.closed {
		return 0, ErrClosed
	}
	d.m.mu.RLock()
	defer d.m.mu.RUnlock()
	if d.m.closed {
		return 0, ErrClosed
	}
	in := d.input.GetData()
	copy(in[contextSize:], window)
	if err := d.m.sess.Run(d.inputs, d.outs); err != nil {
		return 0, fmt.Errorf("silero: %w", err)
	}
	// The new state is the next call's input: swap the two tensors.
	d.state, d.next = d.next, d.state
	d.inputs[1], d.outs[1] = d.state, d.next
	copy(in[:contextSize], window[windowSize-contextSize:])
	return d.output.GetData()[0], nil
}

// Reset implements vad.Detector: it zeroes the state and the context, as
// for a new stream.
func (d *Detector) Reset() {
	if d.closed {
		return
	}
	clear(d.input.GetData())
	clear(d.state.GetData())
}

// Close frees the detector's tensors. It is idempotent; Prob then returns
// ErrClosed.
func (d *Detector) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	var errs []error
	if d.input != nil {
		errs = append(errs, d.input.Destroy())
	}
	if d.state != nil {
		errs = append(errs, d.state.Destroy())
	}
	if d.next != nil {
		errs = append(errs, d.next.Destroy())
	}
	if d.rate != nil {
		errs = append(errs, d.rate.Destroy())
	}
	if d.output != nil {
		errs = append(errs, d.output.Destroy())
	}
	return errors.Join(errs...)
}
