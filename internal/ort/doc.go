// Package ort is the ONNX Runtime glue shared by rtcstream's ONNX detectors
// (detect/yolo, vad/silero, and the tests that check the glue on MediaPipe
// BlazeFace): finding and loading the runtime library once per process,
// opening a model, describing its tensors and running it on one float32
// input with preallocated tensors. Models that need more (several inputs,
// recurrent state) call [LoadRuntime] and drive the bindings themselves.
//
// # The runtime library
//
// ONNX Runtime is a shared library loaded at run time (dlopen), not linked:
// [FindLibrary] picks it from an explicit path, else $ONNXRUNTIME_LIB, else
// the copy that scripts/fetch-models.sh keeps in the cache directory
// ([CacheDir]/onnxruntime/libonnxruntime.so). A process loads one library,
// the first that [Open] is given, and keeps it until it exits; asking for a
// different one later is an error.
//
// # Building
//
// The bindings (github.com/yalue/onnxruntime_go) use cgo. Built with
// CGO_ENABLED=0 this package still compiles, but [Open] returns an error
// wrapping [ErrNoRuntime].
//
// # Concurrency and memory
//
// A [Session] is safe for concurrent use. It owns a fixed number of runners
// (Options.Concurrency, default 1), each with its own input and output
// tensors; [Session.Run] waits for a free runner, so a session with one
// runner runs one inference at a time and callers queue. Tensors passed to
// Run's callbacks are valid only during the callback. Close waits for the
// runs in flight, then frees the native memory.
package ort
