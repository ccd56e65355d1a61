//go:build cgo

package h264

/*
#cgo LDFLAGS: -lopenh264
#include <stdlib.h>
#include <string.h>
#include <wels/codec_api.h>

typedef struct {
	ISVCDecoder *dec;
	SBufferInfo info;
	unsigned char *planes[3];
} rtc_h264_dec;

// rtc_h264_dec_open creates d's OpenH264 decoder; 0 on success, else
// d->dec is NULL.
static int rtc_h264_dec_open(rtc_h264_dec *d) {
	SDecodingParam p;
	d->dec = NULL;
	if (WelsCreateDecoder(&d->dec) != 0 || d->dec == NULL) {
		d->dec = NULL;
		return -1;
	}
	int quiet = WELS_LOG_QUIET;
	(*d->dec)->SetOption(d->dec, DECODER_OPTION_TRACE_LEVEL, &quiet);
	memset(&p, 0, sizeof p);
	p.eEcActiveIdc = ERROR_CON_DISABLE; // a damaged frame is an error, not a guess
	p.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
	if ((*d->dec)->Initialize(d->dec, &p) != 0) {
		WelsDestroyDecoder(d->dec);
		d->dec = NULL;
		return -1;
	}
	return 0;
}

static void rtc_h264_dec_close(rtc_h264_dec *d) {
	if (d->dec == NULL) return;
	(*d->dec)->Uninitialize(d->dec);
	WelsDestroyDecoder(d->dec);
	d->dec = NULL;
}

static rtc_h264_dec *rtc_h264_dec_new(void) {
	rtc_h264_dec *d = calloc(1, sizeof(rtc_h264_dec));
	if (d == NULL) return NULL;
	if (rtc_h264_dec_open(d) != 0) {
		free(d);
		return NULL;
	}
	return d;
}

// rtc_h264_dec_reset replaces d's OpenH264 decoder with a new one, in
// place (d stays valid for its owner); 0 on success.
static int rtc_h264_dec_reset(rtc_h264_dec *d) {
	rtc_h264_dec_close(d);
	return rtc_h264_dec_open(d);
}

static void rtc_h264_dec_free(rtc_h264_dec *d) {
	if (d == NULL) return;
	rtc_h264_dec_close(d);
	free(d);
}

// rtc_h264_decode decodes one access unit (data is Go memory, read during
// the call); a picture, if one is ready, is in d->planes and d->info.
static int rtc_h264_decode(rtc_h264_dec *d, const unsigned char *data, int size) {
	memset(&d->info, 0, sizeof d->info);
	d->planes[0] = d->planes[1] = d->planes[2] = NULL;
	if (d->dec == NULL) return -1;
	return (*d->dec)->DecodeFrameNoDelay(d->dec, data, size, d->planes, &d->info);
}

static int rtc_h264_ready(rtc_h264_dec *d) { return d->info.iBufferStatus == 1; }
static int rtc_h264_width(rtc_h264_dec *d) { return d->info.UsrData.sSystemBuffer.iWidth; }
static int rtc_h264_height(rtc_h264_dec *d) { return d->info.UsrData.sSystemBuffer.iHeight; }
static int rtc_h264_stride(rtc_h264_dec *d, int i) { return d->info.UsrData.sSystemBuffer.iStride[i]; }
static unsigned char *rtc_h264_plane(rtc_h264_dec *d, int i) { return d->planes[i]; }
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"unsafe"

	"github.com/rtcstream/rtcstream/codec"
)

var _ codec.VideoDecoder = (*Decoder)(nil)

var errDecoderClosed = errors.New("h264: decoder is closed")

// Decoder is an OpenH264 decoder. It implements codec.VideoDecoder; its
// methods are not safe for concurrent use. Error concealment is off: a
// damaged or unreferenced frame is an error, and the decoder recovers at
// the next IDR.
type Decoder struct {
	c       *C.rtc_h264_dec
	cleanup runtime.Cleanup
	max     image.Point
	kept    []byte // an access unit's NAL units of the types decoded
}

// NewDecoder returns an H.264 decoder that takes its size from the stream.
func NewDecoder() (*Decoder, error) {
	c := C.rtc_h264_dec_new()
	if c == nil {
		return nil, errors.New("h264: cannot create an OpenH264 decoder")
	}
	d := &Decoder{c: c}
	d.cleanup = runtime.AddCleanup(d, func(c *C.rtc_h264_dec) { C.rtc_h264_dec_free(c) }, c)
	return d, nil
}

// SetMaxFrameSize bounds the pictures Decode returns: a larger one is an
// error. Zero: no bound.
func (d *Decoder) SetMaxFrameSize(max image.Point) { d.max = max }

// Decode decodes one access unit (Annex B) into dst; see
// codec.VideoDecoder. Data with no NAL unit, or that yields no picture, is
// an error.
func (d *Decoder) Decode(dst *image.YCbCr, data []byte) (*image.YCbCr, error) {
	if d.c == nil {
		return nil, errDecoderClosed
	}
	defer runtime.KeepAlive(d)
	if len(data) == 0 {
		return nil, errors.New("h264: decode: no data")
	}
	if !hasStartCode(data) {
		return nil, errors.New("h264: decode: no NAL unit (Annex B start code)")
	}
	types := nalTypes(data)
	if types&^decodedNAL != 0 {
		data, types = d.keep(data), types&decodedNAL
	}
	if types == 0 {
		return nil, errors.New("h264: decode: no NAL unit of a type decoded here (slices, SEI, parameter sets)")
	}
	if types&(1<<nalSPS) != 0 && d.max.X > 0 && d.max.Y > 0 {
		// A parameter set is weighed before OpenH264 allocates for it.
		size, err := SPSSize(data)
		if err != nil {
			return nil, fmt.Errorf("h264: decode: %w", err)
		}
		if !fits(size, d.max) {
			return nil, fmt.Errorf("h264: decode: a sequence parameter set of %dx%d, over the bound %dx%d", size.X, size.Y, d.max.X, d.max.Y)
		}
	}
	state := C.rtc_h264_decode(d.c, (*C.uchar)(unsafe.Pointer(&data[0])), C.int(len(data)))
	if state&dsNoParamSets != 0 && types&selfContained == selfContained {
		// OpenH264 (2.3) can be left by a stranger's parameter set that
		// replaced the one in use, with a slice after it, unable to take
		// the next keyframe's own parameter sets: it fails that keyframe
		// as having none and decodes the one after. An access unit that
		// carries its SPS, PPS and IDR needs nothing from before it, so a
		// new decoder takes it now.
		if C.rtc_h264_dec_reset(d.c) != 0 {
			return nil, errors.New("h264: decode: cannot recreate the OpenH264 decoder after a bitstream error")
		}
		state = C.rtc_h264_decode(d.c, (*C.uchar)(unsafe.Pointer(&data[0])), C.int(len(data)))
	}
	if state < 0 {
		return nil, errors.New("h264: decode: no OpenH264 decoder (it could not be recreated after a bitstream error)")
	}
	// After a damaged access unit OpenH264 reports its error again with
	// the IDR that follows, though it decoded that IDR whole (concealment
	// is off: a picture it hands out is a correct one): the IDR is the
	// recovery, not a second failure.
	if state != 0 && (C.rtc_h264_ready(d.c) == 0 || types&(1<<nalIDR) == 0) {
		return nil, fmt.Errorf("h264: decode: OpenH264 state %#x%s", int(state), stateText(int(state)))
	}
	if C.rtc_h264_ready(d.c) == 0 {
		return nil, errors.New("h264: decode: no picture (parameter sets only, or a frame that needs one before it)")
	}
	w, h := int(C.rtc_h264_width(d.c)), int(C.rtc_h264_height(d.c))
	if d.max.X > 0 && d.max.Y > 0 && !fits(image.Pt(w, h), d.max) {
		return nil, fmt.Errorf("h264: decode: a %dx%d picture, over the bound %dx%d", w, h, d.max.X, d.max.Y)
	}
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		dst = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	ys, cs := int(C.rtc_h264_stride(d.c, 0)), int(C.rtc_h264_stride(d.c, 1))
	cw, ch := (w+1)/2, (h+1)/2
	copyPlane(dst.Y, dst.YStride, C.rtc_h264_plane(d.c, 0), ys, w, h)
	copyPlane(dst.Cb, dst.CStride, C.rtc_h264_plane(d.c, 1), cs, cw, ch)
	copyPlane(dst.Cr, dst.CStride, C.rtc_h264_plane(d.c, 2), cs, cw, ch)
	return dst, nil
}

func copyPlane(dst []byte, dstStride int, src *C.uchar, srcStride, w, h int) {
	s := unsafe.Slice((*byte)(unsafe.Pointer(src)), (h-1)*srcStride+w)
	for y := range h {
		copy(dst[y*dstStride:y*dstStride+w], s[y*srcStride:y*srcStride+w])
	}
}

// NAL unit types read here.
const (
	nalIDR = 5
	nalSPS = 7
	nalPPS = 8
)

// selfContained is the set of NAL unit types an access unit needs to
// decode without any before it: an IDR slice and its parameter sets.
const selfContained uint32 = 1<<nalIDR | 1<<nalSPS | 1<<nalPPS

// dsNoParamSets is OpenH264's decoding state bit for a slice whose
// parameter sets it does not have.
const dsNoParamSets = C.dsNoParamSets

// decodedNAL is the set of NAL unit types (bit n: type n) that reach
// OpenH264: slices (1-5), SEI (6), parameter sets (7, 8), delimiters and
// fillers (9-12). The rest are the scalable and multiview extensions'
// (14, 15, 20), which no browser sends and after which OpenH264 stops
// handing out pictures, and reserved types.
const decodedNAL uint32 = 0x1ffe

// nalTypes returns the set of NAL unit types (bit n: type n) in an access
// unit. Units are found by their three-byte start codes (a four-byte one
// is a zero and a three-byte one).
func nalTypes(data []byte) uint32 {
	var types uint32
	for i := 0; i+3 < len(data); i++ {
		if data[i] == 0 && data[i+1] == 0 && data[i+2] == 1 {
			types |= 1 << (data[i+3] & 0x1f)
			i += 2
		}
	}
	return types
}

// keep returns a copy of data without its NAL units of types not decoded
// here, in d.kept.
func (d *Decoder) keep(data []byte) []byte {
	d.kept = d.kept[:0]
	start, keep := -1, false
	for i := 0; i <= len(data); i++ {
		if i+3 < len(data) && data[i] == 0 && data[i+1] == 0 && data[i+2] == 1 || i == len(data) {
			if start >= 0 && keep {
				d.kept = append(append(d.kept, 0, 0, 1), data[start:i]...)
			}
			if i == len(data) {
				break
			}
			start, keep = i+3, decodedNAL&(1<<(data[i+3]&0x1f)) != 0
			i += 2
		}
	}
	return d.kept
}

// fits reports whether size is within bound: no more pixels, and no
// longer side (either orientation of the bound).
func fits(size, bound image.Point) bool {
	return size.X*size.Y <= bound.X*bound.Y && max(size.X, size.Y) <= max(bound.X, bound.Y)
}

// hasStartCode reports whether b begins with an Annex B start code.
func hasStartCode(b []byte) bool {
	return len(b) >= 4 && b[0] == 0 && b[1] == 0 && (b[2] == 1 || b[2] == 0 && b[3] == 1)
}

func stateText(s int) string {
	var parts string
	for _, x := range []struct {
		bit  int
		name string
	}{{1, "frame pending"}, {2, "reference lost"}, {4, "bitstream error"}, {8, "dependent layer lost"},
		{16, "no parameter sets"}, {32, "concealed"}, {64, "reference list null"}} {
		if s&x.bit != 0 {
			parts += ", " + x.name
		}
	}
	if parts == "" {
		return ""
	}
	return " (" + parts[2:] + ")"
}

// Close frees the decoder; it is idempotent.
func (d *Decoder) Close() error {
	if d.c == nil {
		return nil
	}
	d.cleanup.Stop()
	C.rtc_h264_dec_free(d.c)
	d.c = nil
	return nil
}
