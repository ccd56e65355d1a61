// Package silero runs Silero VAD v5, a small recurrent network (2.3 MB)
// that scores 32 ms windows of 16 kHz audio for speech, over ONNX Runtime.
// It is the accurate vad.Detector; vad.EnergyDetector is the pure-Go
// fallback.
//
// # Files
//
// The model is dist/silero_vad_v5.onnx of the npm package
// @ricky0123/vad-web@0.0.31 (the model is MIT-licensed, by Silero Team);
// scripts/fetch-models.sh puts it in the cache as models/silero_vad_v5.onnx,
// beside the ONNX Runtime library, and checks its SHA-256. [Open] looks
// there unless told otherwise; the runtime library is found as
// detect/yolo finds it ($ONNXRUNTIME_LIB, else the cache).
//
// # The model
//
// Inputs: "input" float32 [1, 576], the window's 512 samples after the
// last 64 samples of the window before (zeros at first), which v5 needs as
// context; "state" float32 [2, 1, 128], the recurrent state (zeros at
// first); "sr" int64 scalar, the sample rate (16000). Outputs: "output"
// float32 [1, 1], the speech probability; "stateN", the next state. Open
// checks these names, types and shapes and refuses other models.
//
// # Building
//
// The bindings (github.com/yalue/onnxruntime_go) use cgo. Built with
// CGO_ENABLED=0 the package compiles, and Open returns an error wrapping
// ErrNoRuntime; fall back to vad.EnergyDetector then.
//
// # Concurrency and memory
//
// A [Model] is safe for concurrent use and is meant to be shared: open one
// per process. Each stream gets its own [Detector] (Model.NewDetector),
// which holds that stream's state and tensors and is not safe for
// concurrent use. Inference runs on one thread per call (many streams use
// many cores, one each). A Detector's Close frees its tensors; the Model's
// Close waits for the calls in flight and makes later ones fail with
// ErrClosed.
package silero
