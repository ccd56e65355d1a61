//go:build cgo

package vpx

// #cgo pkg-config: vpx
// #include <vpx/vpx_codec.h>
import "C"

import "fmt"

// ctxError describes a failed libvpx call on ctx, with libvpx's error string
// and, when it has one, its detail. ctx must point to C memory.
func ctxError(op string, ctx *C.vpx_codec_ctx_t, rc C.vpx_codec_err_t) error {
	msg := C.GoString(C.vpx_codec_err_to_string(rc))
	if ctx != nil {
		if d := C.vpx_codec_error_detail(ctx); d != nil {
			msg += ": " + C.GoString(d)
		}
	}
	return fmt.Errorf("vpx: %s: %s", op, msg)
}
