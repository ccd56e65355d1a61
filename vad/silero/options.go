package silero

import "github.com/rtcstream/rtcstream/internal/ort"

// ModelFile is the model's file name in the cache's models directory,
// where scripts/fetch-models.sh puts it.
const ModelFile = "silero_vad_v5.onnx"

// ErrNoRuntime is wrapped by the errors that say ONNX Runtime cannot be
// had: its library is not found or does not load, or the program was built
// without cgo. It is the same error that detect/yolo reports.
var ErrNoRuntime = ort.ErrNoRuntime

// ErrClosed is returned by a Detector's Prob after its Model or itself was
// closed.
var ErrClosed = ort.ErrClosed

// Options configures Open. The zero value means the defaults.
type Options struct {
	// ModelPath is the Silero VAD v5 ONNX file. Empty means ModelFile in
	// the cache that scripts/fetch-models.sh fills ($RTCSTREAM_CACHE, else
	// ~/.cache/rtcstream, then models/).
	ModelPath string

	// RuntimeLibrary is the path of libonnxruntime. Empty means
	// $ONNXRUNTIME_LIB, else the cached copy. A process loads one library,
	// the first one asked for.
	RuntimeLibrary string
}

// Model geometry for 16 kHz.
const (
	sampleRate  = 16000
	windowSize  = 512
	contextSize = 64 // samples of the previous window that v5 sees first
	stateSize   = 2 * 128
)
