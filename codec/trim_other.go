//go:build !cgo || !linux

package codec

// ReleaseMemory does nothing in this build: see the cgo Linux build.
func ReleaseMemory() {}
