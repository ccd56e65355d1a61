//go:build cgo

package vpx

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8dx.h>

// rtc_vpx_dec lives in C memory so that libvpx never holds a pointer into
// Go memory.
typedef struct {
	vpx_codec_ctx_t ctx;
} rtc_vpx_dec;

typedef struct {
	vpx_codec_err_t err;
	int corrupt;      // libvpx decoded the frame but marked it corrupt
	vpx_image_t *img; // the picture to show, NULL if none; owned by libvpx
} rtc_vpx_decoded;

static rtc_vpx_dec *rtc_vpx_dec_new(vpx_codec_err_t *err) {
	vpx_codec_dec_cfg_t cfg = {1, 0, 0}; // one thread, size from the stream
	rtc_vpx_dec *d = calloc(1, sizeof(rtc_vpx_dec));
	if (d == NULL) {
		*err = VPX_CODEC_MEM_ERROR;
		return NULL;
	}
	*err = vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0);
	if (*err != VPX_CODEC_OK) {
		free(d);
		return NULL;
	}
	return d;
}

static void rtc_vpx_dec_free(rtc_vpx_dec *d) {
	if (d == NULL) return;
	vpx_codec_destroy(&d->ctx);
	free(d);
}

// rtc_vpx_decode decodes one frame and returns its picture, if any. data
// (Go memory) is not referenced after the call: VP8 without input
// fragments decodes synchronously.
static rtc_vpx_decoded rtc_vpx_decode(rtc_vpx_dec *d, const unsigned char *data, unsigned int size) {
	rtc_vpx_decoded r = {VPX_CODEC_OK, 0, NULL};
	vpx_codec_iter_t iter = NULL;
	vpx_image_t *img;
	r.err = vpx_codec_decode(&d->ctx, data, size, NULL, 0);
	if (r.err != VPX_CODEC_OK) return r;
	if (vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &r.corrupt) != VPX_CODEC_OK) r.corrupt = 0;
	while ((img = vpx_codec_get_frame(&d->ctx, &iter)) != NULL) r.img = img;
	return r;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"math"
	"runtime"
	"unsafe"

	"github.com/rtcstream/rtcstream/codec"
)

var _ codec.VideoDecoder = (*Decoder)(nil)

var (
	errDecoderClosed = errors.New("vpx: decoder is closed")
	errCorrupt       = errors.New("vpx: decode: frame is corrupt (damaged data or a lost reference); wait for a keyframe")
)

// Decoder is a libvpx VP8 decoder. It implements codec.VideoDecoder. Its
// methods are not safe for concurrent use.
//
// A Decoder holds native memory: call Close when done. A cleanup registered
// with runtime.AddCleanup frees an unreachable, unclosed Decoder, but only as
// a safety net, at the garbage collector's pace.
type Decoder struct {
	c        *C.rtc_vpx_dec // nil after Close
	cleanup  runtime.Cleanup
	max      image.Point // SetMaxFrameSize's bound; zero: none
	refusing bool        // the last keyframe was over max
}

// NewDecoder returns a VP8 decoder that takes its frame size from the
// stream. Without cgo, NewDecoder returns an error wrapping
// codec.ErrUnavailable.
func NewDecoder() (*Decoder, error) {
	var rc C.vpx_codec_err_t
	c := C.rtc_vpx_dec_new(&rc)
	if c == nil {
		return nil, ctxError("init decoder", nil, rc)
	}
	d := &Decoder{c: c}
	d.cleanup = runtime.AddCleanup(d, func(c *C.rtc_vpx_dec) { C.rtc_vpx_dec_free(c) }, c)
	return d, nil
}

// SetMaxFrameSize makes Decode refuse a keyframe that declares more pixels
// than max.X*max.Y or a side longer than the longer of max.X and max.Y
// (either orientation of max fits), and every inter frame after it until a
// keyframe within the bound: they fail with an error wrapping
// ErrFrameTooLarge, read by libvpx's header parser
// (vpx_codec_peek_stream_info), before libvpx allocates anything for them.
// The decoder keeps the stream it had. The zero Point, the default, bounds
// nothing beyond VP8's own 16383x16383.
func (d *Decoder) SetMaxFrameSize(max image.Point) { d.max = max }

// Decode decodes one complete VP8 frame (all its partitions, as reassembled
// from RTP) and copies the picture into dst; see codec.VideoDecoder. dst is
// reused when it is 4:2:0, of the decoded size, with an even Rect.Min and
// planes large enough; otherwise a new image is allocated. The returned
// image never aliases libvpx's memory: the caller owns it, may keep it and
// may write to it. Decode keeps no reference to data or dst.
//
// A frame libvpx rejects yields an error carrying libvpx's detail. So does a
// frame libvpx decodes but marks corrupt: a damaged frame it accepted, or an
// inter frame whose reference an earlier, failed frame spoilt. Either way
// the decoder stays usable and recovers at the next keyframe; the caller
// should ask the sender for one (RTCP PLI). libvpx cannot tell that a frame
// never arrived, so watch RTP sequence numbers for that. Empty data is an
// error. After Close, Decode returns an error.
func (d *Decoder) Decode(dst *image.YCbCr, data []byte) (*image.YCbCr, error) {
	if d.c == nil {
		return nil, errDecoderClosed
	}
	if len(data) == 0 {
		return nil, errors.New("vpx: decode: empty frame")
	}
	if uint64(len(data)) > math.MaxUint32 {
		return nil, errors.New("vpx: decode: frame too large")
	}
	if err := d.checkSize(data); err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(d) // d.c must outlive the C calls
	r := C.rtc_vpx_decode(d.c, (*C.uchar)(unsafe.Pointer(&data[0])), C.uint(len(data)))
	if r.err != C.VPX_CODEC_OK {
		return nil, ctxError("decode", &d.c.ctx, r.err)
	}
	if r.corrupt != 0 {
		// libvpx can return VPX_CODEC_OK for a damaged frame (a truncated
		// token partition, say) and for every inter frame after a failed
		// one; only this flag tells.
		return nil, errCorrupt
	}
	if r.img == nil {
		return nil, nil
	}
	return copyImage(dst, r.img)
}

// checkSize applies SetMaxFrameSize's bound to a frame. A keyframe whose
// header libvpx cannot parse is left to vpx_codec_decode, which refuses it.
func (d *Decoder) checkSize(data []byte) error {
	if d.max.X <= 0 || d.max.Y <= 0 {
		return nil
	}
	if data[0]&0x01 != 0 { // an inter frame (RFC 6386, section 9.1)
		if d.refusing {
			return fmt.Errorf("%w: an inter frame after a refused keyframe", ErrFrameTooLarge)
		}
		return nil
	}
	si := C.vpx_codec_stream_info_t{sz: C.uint(unsafe.Sizeof(C.vpx_codec_stream_info_t{}))}
	if C.vpx_codec_peek_stream_info(C.vpx_codec_vp8_dx(), (*C.uint8_t)(unsafe.Pointer(&data[0])), C.uint(len(data)), &si) != C.VPX_CODEC_OK {
		return nil
	}
	if size := image.Pt(int(si.w), int(si.h)); !fitsWithin(size, d.max) {
		d.refusing = true
		return fmt.Errorf("%w: a %dx%d keyframe, over %dx%d", ErrFrameTooLarge, size.X, size.Y, d.max.X, d.max.Y)
	}
	d.refusing = false
	return nil
}

// copyImage copies the I420 picture src (libvpx memory) into dst, or into a
// new image if dst cannot hold it.
func copyImage(dst *image.YCbCr, src *C.vpx_image_t) (*image.YCbCr, error) {
	if src.fmt != C.VPX_IMG_FMT_I420 {
		return nil, errors.New("vpx: decode: libvpx returned a picture that is not I420")
	}
	w, h := int(src.d_w), int(src.d_h)
	cw, ch := (w+1)/2, (h+1)/2
	if !fits(dst, w, h) {
		dst = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	copyPlane(dst.Y, dst.YStride, src.planes[C.VPX_PLANE_Y], int(src.stride[C.VPX_PLANE_Y]), w, h)
	copyPlane(dst.Cb, dst.CStride, src.planes[C.VPX_PLANE_U], int(src.stride[C.VPX_PLANE_U]), cw, ch)
	copyPlane(dst.Cr, dst.CStride, src.planes[C.VPX_PLANE_V], int(src.stride[C.VPX_PLANE_V]), cw, ch)
	return dst, nil
}

// fits reports whether dst is a 4:2:0 image of w x h pixels whose planes
// hold (w+1)/2 x (h+1)/2 chroma samples.
func fits(dst *image.YCbCr, w, h int) bool {
	if dst == nil || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 ||
		dst.Rect.Dx() != w || dst.Rect.Dy() != h ||
		dst.Rect.Min.X%2 != 0 || dst.Rect.Min.Y%2 != 0 {
		return false
	}
	cw, ch := (w+1)/2, (h+1)/2
	return dst.YStride >= w && dst.CStride >= cw &&
		len(dst.Y) >= (h-1)*dst.YStride+w &&
		len(dst.Cb) >= (ch-1)*dst.CStride+cw &&
		len(dst.Cr) >= (ch-1)*dst.CStride+cw
}

func copyPlane(dst []byte, dstStride int, src *C.uchar, srcStride, w, h int) {
	s := unsafe.Slice((*byte)(unsafe.Pointer(src)), (h-1)*srcStride+w)
	if dstStride == w && srcStride == w {
		copy(dst[:w*h], s)
		return
	}
	for y := range h {
		copy(dst[y*dstStride:y*dstStride+w], s[y*srcStride:y*srcStride+w])
	}
}

// Close frees the libvpx decoder. It is idempotent and always returns nil;
// Decode after Close fails.
func (d *Decoder) Close() error {
	if d.c == nil {
		return nil
	}
	d.cleanup.Stop()
	C.rtc_vpx_dec_free(d.c)
	d.c = nil
	return nil
}
