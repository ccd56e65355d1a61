//go:build cgo

package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	onnx "github.com/yalue/onnxruntime_go"
)

// env is the process's ONNX Runtime environment: onnxruntime_go keeps one,
// global, which is never torn down.
var env struct {
	mu  sync.Mutex
	lib string // the library loaded, "" until one is
}

// initRuntime loads the runtime library once per process.
func initRuntime(want string) error {
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.lib != "" || onnx.IsInitialized() {
		if env.lib == "" {
			env.lib = "(loaded by other code)"
		}
		if want != "" && !sameFile(want, env.lib) {
			return fmt.Errorf("onnxruntime: this process already loaded %s; it cannot also load %s", env.lib, want)
		}
		return nil
	}
	path, err := FindLibrary(want)
	if err != nil {
		return err
	}
	onnx.SetSharedLibraryPath(path)
	if err := onnx.InitializeEnvironment(onnx.WithLogLevelError()); err != nil {
		return fmt.Errorf("%w: loading %s: %w; %s", ErrNoRuntime, path, err, fetchHint)
	}
	env.lib = path
	return nil
}

// LoadRuntime loads the ONNX Runtime library once per process, as Open
// does, for code that drives github.com/yalue/onnxruntime_go itself because
// its model does not fit Session (vad/silero: three inputs, one of them
// int64, and recurrent state). library is as Options.RuntimeLibrary; errors
// are those of Open.
func LoadRuntime(library string) error { return initRuntime(library) }

func sameFile(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// Session is an opened model with one float32 input and float32 outputs.
// It is safe for concurrent use; see the package documentation.
type Session struct {
	sess    *onnx.DynamicAdvancedSession
	input   TensorInfo
	shape   []int64 // the input shape fed to the model
	outputs []TensorInfo

	runners   chan *runner
	nrunners  int // how many exist: those in runners plus those in use
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// runner is one inference's worth of tensors.
type runner struct {
	inputs  []onnx.Value // the one input tensor
	data    []float32    // its contents
	fixed   []onnx.Value // preallocated outputs; nil where the shape is dynamic
	outputs []onnx.Value // what Run fills in: fixed plus the runtime's allocations
	views   []Tensor
}

// Open loads the runtime library if the process has none yet (see
// FindLibrary), reads the model at modelPath and prepares it to run. The
// model must have exactly one input, and it and every output must be float32
// tensors. Errors that come from a missing file wrap fs.ErrNotExist; those
// from a missing runtime wrap ErrNoRuntime.
func Open(modelPath string, opts Options) (*Session, error) {
	if opts.Threads < 0 || opts.Concurrency < 0 {
		return nil, fmt.Errorf("onnxruntime: negative Threads (%d) or Concurrency (%d)", opts.Threads, opts.Concurrency)
	}
	if err := initRuntime(opts.RuntimeLibrary); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(modelPath)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: reading the model: %w", err)
	}
	ins, outs, err := onnx.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: loading %s: %w", modelPath, err)
	}
	if len(ins) != 1 {
		return nil, fmt.Errorf("onnxruntime: %s has %d inputs; only models with one input are supported", modelPath, len(ins))
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("onnxruntime: %s has no outputs", modelPath)
	}
	s := &Session{done: make(chan struct{})}
	var inNames, outNames []string
	for i, io := range append(ins, outs...) {
		if io.OrtValueType != onnx.ONNXTypeTensor || io.DataType != onnx.TensorElementDataTypeFloat {
			return nil, fmt.Errorf("onnxruntime: %s: %s; only float32 tensors are supported", modelPath, io.String())
		}
		info := TensorInfo{Name: io.Name, Shape: append([]int64(nil), io.Dimensions...)}
		if i == 0 {
			s.input = info
			inNames = append(inNames, io.Name)
		} else {
			s.outputs = append(s.outputs, info)
			outNames = append(outNames, io.Name)
		}
	}
	var want []int64
	if opts.InputShape != nil {
		if want, err = opts.InputShape(s.input); err != nil {
			return nil, err
		}
	}
	if s.shape, err = resolveShape(s.input.Shape, want); err != nil {
		return nil, err
	}

	so, err := onnx.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: session options: %w", err)
	}
	defer so.Destroy()
	if opts.Threads > 0 {
		if err := so.SetIntraOpNumThreads(opts.Threads); err != nil {
			return nil, fmt.Errorf("onnxruntime: setting %d threads: %w", opts.Threads, err)
		}
	}
	if s.sess, err = onnx.NewDynamicAdvancedSessionWithONNXData(data, inNames, outNames, so); err != nil {
		return nil, fmt.Errorf("onnxruntime: loading %s: %w", modelPath, err)
	}

	n := max(opts.Concurrency, 1)
	s.runners = make(chan *runner, n)
	for range n {
		r, err := s.newRunner()
		if err != nil {
			s.Close()
			return nil, err
		}
		s.runners <- r
		s.nrunners++
	}
	return s, nil
}

func (s *Session) newRunner() (*runner, error) {
	r := &runner{
		data:    make([]float32, elements(s.shape)),
		fixed:   make([]onnx.Value, len(s.outputs)),
		outputs: make([]onnx.Value, len(s.outputs)),
		views:   make([]Tensor, len(s.outputs)),
	}
	in, err := onnx.NewTensor(onnx.NewShape(s.shape...), r.data)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: input tensor %s: %w", formatShape(s.shape), err)
	}
	r.inputs = []onnx.Value{in}
	for i, o := range s.outputs {
		if !fixed(o.Shape) {
			continue // the runtime allocates it on each run
		}
		t, err := onnx.NewEmptyTensor[float32](onnx.NewShape(o.Shape...))
		if err != nil {
			r.destroy()
			return nil, fmt.Errorf("onnxruntime: output tensor %s: %w", o, err)
		}
		r.fixed[i] = t
	}
	return r, nil
}

func (r *runner) destroy() {
	for _, v := range r.inputs {
		v.Destroy()
	}
	for _, v := range r.fixed {
		if v != nil {
			v.Destroy()
		}
	}
}

// Input describes the model's input as the model declares it.
func (s *Session) Input() TensorInfo { return s.input }

// InputShape returns the shape of the tensor fed to the model.
func (s *Session) InputShape() []int64 { return append([]int64(nil), s.shape...) }

// Outputs describes the model's outputs as the model declares them.
func (s *Session) Outputs() []TensorInfo { return s.outputs }

// Run runs one inference. It waits for a free runner, calls fill with the
// input tensor's data (flattened, row-major, of InputShape) for the caller
// to write every element, runs the model and calls use with the outputs in
// the model's order. The slices given to fill and use belong to the session
// and are valid only until the callback returns. An error from fill or use
// is returned as it is.
func (s *Session) Run(fill func(input []float32) error, use func(outputs []Tensor) error) error {
	var r *runner
	select {
	case <-s.done:
		return ErrClosed
	case r = <-s.runners:
	}
	defer func() { s.runners <- r }()
	if err := fill(r.data); err != nil {
		return err
	}
	copy(r.outputs, r.fixed)
	defer func() {
		for i, v := range r.outputs {
			if r.fixed[i] == nil && v != nil {
				v.Destroy()
			}
			r.outputs[i] = nil
		}
	}()
	if err := s.sess.Run(r.inputs, r.outputs); err != nil {
		return fmt.Errorf("onnxruntime: run: %w", err)
	}
	for i, v := range r.outputs {
		t, ok := v.(*onnx.Tensor[float32])
		if !ok {
			return fmt.Errorf("onnxruntime: output %s is a %T, not a float32 tensor", s.outputs[i].Name, v)
		}
		r.views[i] = Tensor{Shape: t.GetShape(), Data: t.GetData()}
	}
	return use(r.views)
}

// Close waits for the runs in flight and frees the session's native memory.
// Later calls to Run return ErrClosed. Close is idempotent.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		for range s.nrunners {
			(<-s.runners).destroy()
		}
		if s.sess != nil {
			if err := s.sess.Destroy(); err != nil {
				s.closeErr = errors.Join(s.closeErr, fmt.Errorf("onnxruntime: close: %w", err))
			}
		}
	})
	return s.closeErr
}
