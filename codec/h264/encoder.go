//go:build cgo

package h264

/*
#cgo LDFLAGS: -lopenh264
#include <stdlib.h>
#include <string.h>
#include <wels/codec_api.h>

typedef struct {
	ISVCEncoder *enc;
	SFrameBSInfo info;
	int live; // initialised
} rtc_h264_enc;

static rtc_h264_enc *rtc_h264_enc_new(void) {
	rtc_h264_enc *e = calloc(1, sizeof(rtc_h264_enc));
	if (e == NULL) return NULL;
	if (WelsCreateSVCEncoder(&e->enc) != 0 || e->enc == NULL) {
		free(e);
		return NULL;
	}
	return e;
}

static void rtc_h264_enc_uninit(rtc_h264_enc *e) {
	if (e->live) {
		(*e->enc)->Uninitialize(e->enc);
		e->live = 0;
	}
}

static void rtc_h264_enc_free(rtc_h264_enc *e) {
	if (e == NULL) return;
	rtc_h264_enc_uninit(e);
	WelsDestroySVCEncoder(e->enc);
	free(e);
}

// rtc_h264_enc_init (re)initialises the encoder for w x h at bitrate:
// real-time camera video, constrained baseline, one thread, one slice, no
// frame skipping, an IDR only when asked (or every intra frames).
static int rtc_h264_enc_init(rtc_h264_enc *e, int w, int h, int bitrate, float fps, int intra) {
	SEncParamExt p;
	int rc;
	int quiet = WELS_LOG_QUIET;
	rtc_h264_enc_uninit(e);
	(*e->enc)->SetOption(e->enc, ENCODER_OPTION_TRACE_LEVEL, &quiet);
	(*e->enc)->GetDefaultParams(e->enc, &p);
	p.iUsageType = CAMERA_VIDEO_REAL_TIME;
	p.iPicWidth = w;
	p.iPicHeight = h;
	p.iTargetBitrate = bitrate;
	p.iMaxBitrate = UNSPECIFIED_BIT_RATE;
	p.iRCMode = RC_BITRATE_MODE;
	p.fMaxFrameRate = fps;
	p.iTemporalLayerNum = 1;
	p.iSpatialLayerNum = 1;
	p.bEnableFrameSkip = false;
	p.uiIntraPeriod = intra;
	p.iMultipleThreadIdc = 1;
	p.iEntropyCodingModeFlag = 0; // CAVLC: baseline
	p.bEnableDenoise = false;
	p.bEnableBackgroundDetection = true;
	p.bEnableAdaptiveQuant = true;
	p.bEnableSceneChangeDetect = false;
	p.bEnableLongTermReference = false;
	p.eSpsPpsIdStrategy = CONSTANT_ID;
	p.bPrefixNalAddingCtrl = false;
	p.iLoopFilterDisableIdc = 0;
	p.sSpatialLayers[0].iVideoWidth = w;
	p.sSpatialLayers[0].iVideoHeight = h;
	p.sSpatialLayers[0].fFrameRate = fps;
	p.sSpatialLayers[0].iSpatialBitrate = bitrate;
	p.sSpatialLayers[0].iMaxSpatialBitrate = UNSPECIFIED_BIT_RATE;
	p.sSpatialLayers[0].uiProfileIdc = PRO_BASELINE;
	p.sSpatialLayers[0].sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
	rc = (*e->enc)->InitializeExt(e->enc, &p);
	if (rc != 0) return rc;
	e->live = 1;
	int fmt = videoFormatI420;
	return (*e->enc)->SetOption(e->enc, ENCODER_OPTION_DATAFORMAT, &fmt);
}

static int rtc_h264_enc_bitrate(rtc_h264_enc *e, int bitrate) {
	SBitrateInfo b;
	memset(&b, 0, sizeof b);
	b.iLayer = SPATIAL_LAYER_ALL;
	b.iBitrate = bitrate;
	return (*e->enc)->SetOption(e->enc, ENCODER_OPTION_BITRATE, &b);
}

static int rtc_h264_enc_idr(rtc_h264_enc *e) { return (*e->enc)->ForceIntraFrame(e->enc, true); }

// rtc_h264_encode encodes one picture whose planes are the caller's (Go
// memory, read during the call only); the output stays in the encoder's
// buffers (e->info) until the next call.
static int rtc_h264_encode(rtc_h264_enc *e,
		unsigned char *y, unsigned char *u, unsigned char *v,
		int y_stride, int c_stride, int w, int h, long long ms) {
	SSourcePicture pic;
	memset(&pic, 0, sizeof pic);
	pic.iColorFormat = videoFormatI420;
	pic.iPicWidth = w;
	pic.iPicHeight = h;
	pic.iStride[0] = y_stride;
	pic.iStride[1] = c_stride;
	pic.iStride[2] = c_stride;
	pic.pData[0] = y;
	pic.pData[1] = u;
	pic.pData[2] = v;
	pic.uiTimeStamp = ms;
	memset(&e->info, 0, sizeof e->info);
	return (*e->enc)->EncodeFrame(e->enc, &pic, &e->info);
}

static int rtc_h264_frame_type(rtc_h264_enc *e) { return e->info.eFrameType; }
static int rtc_h264_layers(rtc_h264_enc *e) { return e->info.iLayerNum; }

typedef struct {
	const unsigned char *buf;
	int size;
} rtc_h264_bytes;

// rtc_h264_layer returns layer i's bitstream: its NAL units, each with its
// start code, back to back.
static rtc_h264_bytes rtc_h264_layer(rtc_h264_enc *e, int i) {
	SLayerBSInfo *l = &e->info.sLayerInfo[i];
	rtc_h264_bytes b = {l->pBsBuf, 0};
	for (int k = 0; k < l->iNalCount; k++) b.size += l->pNalLengthInByte[k];
	return b;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/rtcstream/rtcstream/codec"
)

var _ codec.VideoEncoder = (*Encoder)(nil)

var errEncoderClosed = errors.New("h264: encoder is closed")

// Encoder is an OpenH264 encoder tuned for real-time streaming. It
// implements codec.VideoEncoder: Encode and Close from one goroutine,
// RequestKeyFrame and SetBitrate from any.
//
// An Encoder holds native memory: call Close when done (a cleanup frees
// an unreachable one, as a safety net).
type Encoder struct {
	c       *C.rtc_h264_enc // nil after Close
	cleanup runtime.Cleanup
	cfg     EncoderConfig

	w, h    int // the coded size (even); 0 before the first frame
	bitrate int
	pad     *image.YCbCr // an odd-sized frame, padded to even

	keyFrame       atomic.Bool
	pendingBitrate atomic.Int64
	closed         atomic.Bool
}

// NewEncoder returns an encoder configured by cfg (see EncoderConfig).
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := C.rtc_h264_enc_new()
	if c == nil {
		return nil, errors.New("h264: cannot create an OpenH264 encoder")
	}
	e := &Encoder{c: c, cfg: cfg, bitrate: cfg.BitRate}
	e.cleanup = runtime.AddCleanup(e, func(c *C.rtc_h264_enc) { C.rtc_h264_enc_free(c) }, c)
	if cfg.Width != 0 {
		if err := e.setup(even(cfg.Width), even(cfg.Height)); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

func even(n int) int { return n + n&1 }

func (e *Encoder) setup(w, h int) error {
	intra := 0 // only on request
	if e.cfg.KeyFrameInterval > 0 {
		intra = e.cfg.KeyFrameInterval
	}
	if rc := C.rtc_h264_enc_init(e.c, C.int(w), C.int(h), C.int(e.bitrate), C.float(e.cfg.FrameRate), C.int(intra)); rc != 0 {
		e.w, e.h = 0, 0
		return fmt.Errorf("h264: initialise the encoder for %dx%d at %d bit/s: OpenH264 error %d", w, h, e.bitrate, int(rc))
	}
	e.w, e.h = w, h
	return nil
}

// Encode compresses img and appends the H.264 access unit (Annex B) to
// dst; see codec.VideoEncoder. A frame of another size reinitialises the
// encoder and is an IDR; an odd side is padded to even by repeating the
// last column or row.
func (e *Encoder) Encode(dst []byte, img *image.YCbCr, pts time.Duration) (out []byte, keyframe bool, err error) {
	if e.c == nil {
		return dst, false, errEncoderClosed
	}
	defer runtime.KeepAlive(e)
	if img == nil {
		return dst, false, errors.New("h264: Encode: nil image")
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return dst, false, fmt.Errorf("h264: Encode: image is %v, want 4:2:0", img.SubsampleRatio)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if w < 2 || h < 2 || w > maxDim || h > maxDim {
		return dst, false, fmt.Errorf("h264: Encode: size %dx%d, want 2x2 to %dx%d", w, h, maxDim, maxDim)
	}
	cw, ch := (w+1)/2, (h+1)/2
	if img.YStride < w || img.CStride < cw ||
		len(img.Y) < (h-1)*img.YStride+w ||
		len(img.Cb) < (ch-1)*img.CStride+cw ||
		len(img.Cr) < (ch-1)*img.CStride+cw {
		return dst, false, fmt.Errorf("h264: Encode: planes too short for a %dx%d image", w, h)
	}
	if w&1 != 0 || h&1 != 0 {
		img = e.padded(img)
	}
	ew, eh := img.Rect.Dx(), img.Rect.Dy()
	if bps := int(e.pendingBitrate.Swap(0)); bps != 0 && bps != e.bitrate {
		e.bitrate = bps
		if e.w != 0 {
			if rc := C.rtc_h264_enc_bitrate(e.c, C.int(bps)); rc != 0 {
				return dst, false, fmt.Errorf("h264: set the bitrate to %d: OpenH264 error %d", bps, int(rc))
			}
		}
	}
	if ew != e.w || eh != e.h {
		if err := e.setup(ew, eh); err != nil {
			return dst, false, err
		}
		e.keyFrame.Store(true)
	}
	requested := e.keyFrame.Swap(false)
	if requested {
		C.rtc_h264_enc_idr(e.c)
	}
	rc := C.rtc_h264_encode(e.c,
		(*C.uchar)(unsafe.Pointer(&img.Y[0])), (*C.uchar)(unsafe.Pointer(&img.Cb[0])), (*C.uchar)(unsafe.Pointer(&img.Cr[0])),
		C.int(img.YStride), C.int(img.CStride), C.int(ew), C.int(eh), C.longlong(pts.Milliseconds()))
	if rc != 0 {
		if requested {
			e.keyFrame.Store(true)
		}
		return dst, false, fmt.Errorf("h264: encode: OpenH264 error %d", int(rc))
	}
	ft := C.rtc_h264_frame_type(e.c)
	if ft == C.videoFrameTypeSkip || ft == C.videoFrameTypeInvalid {
		if requested {
			e.keyFrame.Store(true)
		}
		return dst, false, nil
	}
	for i := range int(C.rtc_h264_layers(e.c)) {
		if l := C.rtc_h264_layer(e.c, C.int(i)); l.size > 0 {
			dst = append(dst, unsafe.Slice((*byte)(unsafe.Pointer(l.buf)), int(l.size))...)
		}
	}
	return dst, ft == C.videoFrameTypeIDR || ft == C.videoFrameTypeI, nil
}

// padded copies img into an even-sized picture, repeating its last column
// and row.
func (e *Encoder) padded(img *image.YCbCr) *image.YCbCr {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	ew, eh := even(w), even(h)
	if e.pad == nil || e.pad.Rect.Dx() != ew || e.pad.Rect.Dy() != eh {
		e.pad = image.NewYCbCr(image.Rect(0, 0, ew, eh), image.YCbCrSubsampleRatio420)
	}
	p := e.pad
	for y := range eh {
		sy := min(y, h-1)
		row := p.Y[y*p.YStride : y*p.YStride+ew]
		copy(row, img.Y[sy*img.YStride:sy*img.YStride+w])
		for x := w; x < ew; x++ {
			row[x] = row[w-1]
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	for y := range eh / 2 {
		sy := min(y, ch-1)
		copy(p.Cb[y*p.CStride:y*p.CStride+cw], img.Cb[sy*img.CStride:sy*img.CStride+cw])
		copy(p.Cr[y*p.CStride:y*p.CStride+cw], img.Cr[sy*img.CStride:sy*img.CStride+cw])
	}
	return p
}

// RequestKeyFrame makes the next encoded frame an IDR. Safe from any
// goroutine.
func (e *Encoder) RequestKeyFrame() { e.keyFrame.Store(true) }

// SetBitrate sets the target from the next Encode on, in place (no IDR).
// Safe from any goroutine.
func (e *Encoder) SetBitrate(bitsPerSecond int) error {
	if e.closed.Load() {
		return errEncoderClosed
	}
	if err := checkBitRate(bitsPerSecond); err != nil {
		return err
	}
	e.pendingBitrate.Store(int64(bitsPerSecond))
	return nil
}

// Close frees the encoder; it is idempotent.
func (e *Encoder) Close() error {
	if e.c == nil {
		return nil
	}
	e.closed.Store(true)
	e.cleanup.Stop()
	C.rtc_h264_enc_free(e.c)
	e.c = nil
	return nil
}
