//go:build cgo

package opus

// #cgo pkg-config: opus
// #include <opus.h>
import "C"

import "fmt"

// opusError describes a failed libopus call with libopus's own text for rc
// (opus_strerror), for example "opus: decode: corrupted stream".
func opusError(op string, rc C.int) error {
	return fmt.Errorf("opus: %s: %s", op, C.GoString(C.opus_strerror(rc)))
}
