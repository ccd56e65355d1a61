package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LibraryEnv names the environment variable that gives the path of the ONNX
// Runtime shared library when no explicit path is given.
const LibraryEnv = "ONNXRUNTIME_LIB"

// CacheEnv names the environment variable that overrides the cache
// directory that scripts/fetch-models.sh fills.
const CacheEnv = "RTCSTREAM_CACHE"

// ErrNoRuntime is wrapped by the errors that say the ONNX Runtime library
// cannot be had: not found, not loadable, or a build without cgo.
var ErrNoRuntime = errors.New("ONNX Runtime is not available")

// ErrClosed is returned by Run on a closed Session.
var ErrClosed = errors.New("onnxruntime: session closed")

// fetchHint tells a user how to get the runtime library.
const fetchHint = "run scripts/fetch-models.sh (it fetches ONNX Runtime from the npm package onnxruntime-node), " +
	"or set $" + LibraryEnv + " to a libonnxruntime.so"

// CacheDir returns the directory where scripts/fetch-models.sh keeps the
// runtime library and models: $RTCSTREAM_CACHE, else $HOME/.cache/rtcstream.
func CacheDir() (string, error) {
	if d := os.Getenv(CacheEnv); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("onnxruntime: no cache directory: set $%s or $HOME: %w", CacheEnv, err)
	}
	return filepath.Join(home, ".cache", "rtcstream"), nil
}

// CachedLibrary returns where scripts/fetch-models.sh puts the runtime
// library, whether or not it is there.
func CachedLibrary() (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "onnxruntime", "libonnxruntime.so"), nil
}

// CachedModel returns the path of the model file name in the cache's models
// directory, whether or not it is there.
func CachedModel(name string) (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "models", name), nil
}

// FindLibrary returns the path of the ONNX Runtime library to load:
// explicit if it is not empty, else $ONNXRUNTIME_LIB, else the cached copy
// if it exists. A path with no slash is returned as it is, for the dynamic
// loader to search; any other path must exist. Errors wrap ErrNoRuntime and
// say how to get the library.
func FindLibrary(explicit string) (string, error) {
	check := func(p, from string) (string, error) {
		if !strings.ContainsRune(p, '/') {
			return p, nil
		}
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: %s %q: %w; %s", ErrNoRuntime, from, p, err, fetchHint)
		}
		return p, nil
	}
	if explicit != "" {
		return check(explicit, "runtime library")
	}
	if p := os.Getenv(LibraryEnv); p != "" {
		return check(p, "$"+LibraryEnv)
	}
	p, err := CachedLibrary()
	if err != nil {
		return "", fmt.Errorf("%w: %w; %s", ErrNoRuntime, err, fetchHint)
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w: no runtime library given, $%s is not set and %s does not exist; %s",
			ErrNoRuntime, LibraryEnv, p, fetchHint)
	}
	return p, nil
}
