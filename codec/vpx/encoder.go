//go:build cgo

package vpx

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

// rtc_vpx_enc lives in C memory so that libvpx never holds a pointer into Go
// memory: the codec context, its configuration and the packet iterator.
typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
	vpx_codec_iter_t iter;
	int live; // ctx is initialised
} rtc_vpx_enc;

typedef struct {
	const void *buf;
	size_t sz;
	int key;
} rtc_vpx_packet;

static rtc_vpx_enc *rtc_vpx_enc_new(void) {
	rtc_vpx_enc *e = calloc(1, sizeof(rtc_vpx_enc));
	if (e == NULL) return NULL;
	if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0) != VPX_CODEC_OK) {
		free(e);
		return NULL;
	}
	return e;
}

static void rtc_vpx_enc_destroy(rtc_vpx_enc *e) {
	if (e->live) {
		vpx_codec_destroy(&e->ctx);
		e->live = 0;
	}
}

static void rtc_vpx_enc_free(rtc_vpx_enc *e) {
	if (e == NULL) return;
	rtc_vpx_enc_destroy(e);
	free(e);
}

// rtc_vpx_enc_init (re)creates the codec from e->cfg and applies the
// real-time controls. On failure the context is left destroyed, but its
// error fields still describe the failure.
static vpx_codec_err_t rtc_vpx_enc_init(rtc_vpx_enc *e, int cpu_used, unsigned int max_intra_pct) {
	vpx_codec_err_t err;
	rtc_vpx_enc_destroy(e);
	err = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0);
	if (err != VPX_CODEC_OK) return err;
	e->live = 1;
	if ((err = vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, cpu_used)) != VPX_CODEC_OK) return err;
	if ((err = vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, 0u)) != VPX_CODEC_OK) return err;
	if ((err = vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0u)) != VPX_CODEC_OK) return err;
	if ((err = vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, max_intra_pct)) != VPX_CODEC_OK) return err;
	return VPX_CODEC_OK;
}

static vpx_codec_err_t rtc_vpx_enc_config_set(rtc_vpx_enc *e) {
	return vpx_codec_enc_config_set(&e->ctx, &e->cfg);
}

// rtc_vpx_encode wraps the caller's planes in a vpx_image_t on the C stack
// and encodes it. libvpx copies the picture before returning, so the planes
// (Go memory) are not referenced after this call.
static vpx_codec_err_t rtc_vpx_encode(rtc_vpx_enc *e,
		const unsigned char *y, const unsigned char *u, const unsigned char *v,
		int y_stride, int c_stride, unsigned int w, unsigned int h,
		vpx_codec_pts_t pts, unsigned long duration, long flags) {
	vpx_image_t img;
	memset(&img, 0, sizeof img);
	img.fmt = VPX_IMG_FMT_I420;
	img.cs = VPX_CS_BT_601;
	img.range = VPX_CR_STUDIO_RANGE;
	img.w = img.d_w = w;
	img.h = img.d_h = h;
	img.x_chroma_shift = 1;
	img.y_chroma_shift = 1;
	img.bps = 12;
	img.planes[VPX_PLANE_Y] = (unsigned char *)y;
	img.planes[VPX_PLANE_U] = (unsigned char *)u;
	img.planes[VPX_PLANE_V] = (unsigned char *)v;
	img.stride[VPX_PLANE_Y] = y_stride;
	img.stride[VPX_PLANE_U] = c_stride;
	img.stride[VPX_PLANE_V] = c_stride;
	e->iter = NULL;
	return vpx_codec_encode(&e->ctx, &img, pts, duration, (vpx_enc_frame_flags_t)flags, VPX_DL_REALTIME);
}

// rtc_vpx_next_packet returns the next compressed frame of the last encode,
// or a packet with buf == NULL when there are no more. The buffer belongs to
// libvpx and stays valid until the next encode.
static rtc_vpx_packet rtc_vpx_next_packet(rtc_vpx_enc *e) {
	rtc_vpx_packet p = {NULL, 0, 0};
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &e->iter)) != NULL) {
		if (pkt->kind == VPX_CODEC_CX_FRAME_PKT) {
			p.buf = pkt->data.frame.buf;
			p.sz = pkt->data.frame.sz;
			p.key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
			return p;
		}
	}
	return p;
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

var errEncoderClosed = errors.New("vpx: encoder is closed")

// ticksPerSecond is the encoder's timebase: pts are counted in 1/90000 s,
// the RTP clock rate of video (RFC 3551).
const ticksPerSecond = 90000

// maxGap is the longest time between two frames that counts as an interval
// of the video rather than a pause.
const maxGap = time.Second

// Encoder is a libvpx VP8 encoder tuned for real-time streaming. It
// implements codec.VideoEncoder.
//
// Encode and Close must not be called concurrently with each other or with
// themselves. RequestKeyFrame and SetBitrate may be called from any
// goroutine at any time, even during Encode or after Close: they only record
// a request that the next Encode applies.
//
// An Encoder holds native memory (libvpx's frame buffers): call Close when
// done. A cleanup registered with runtime.AddCleanup frees an unreachable,
// unclosed Encoder, but only as a safety net, at the garbage collector's pace.
type Encoder struct {
	c       *C.rtc_vpx_enc // nil after Close
	cleanup runtime.Cleanup
	cfg     EncoderConfig // defaults resolved

	w, h    int // size the codec is set up for; 0 while it does not exist
	setups  int // times the codec was created (tests watch it)
	bitrate int // target in bit/s currently configured

	started     bool          // a frame has been encoded
	lastIn      time.Duration // pts of the previous frame, as given
	lastTick    int64         // pts of the previous frame, as given to libvpx
	interval    int64         // frame interval given to libvpx, in ticks
	avgInterval int64         // moving average of the real frame interval, in ticks

	keyFrame       atomic.Bool  // RequestKeyFrame was called
	pendingBitrate atomic.Int64 // SetBitrate's value, 0 if none pending
	closed         atomic.Bool
}

// NewEncoder returns a VP8 encoder configured by cfg (see EncoderConfig for
// the defaults). If cfg gives a size, the libvpx encoder is created now and
// its errors are reported here; otherwise it is created by the first Encode.
// Without cgo, NewEncoder returns an error wrapping codec.ErrUnavailable.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := C.rtc_vpx_enc_new()
	if c == nil {
		return nil, errors.New("vpx: cannot allocate encoder")
	}
	e := &Encoder{c: c, cfg: cfg, bitrate: cfg.BitRate}
	e.cleanup = runtime.AddCleanup(e, func(c *C.rtc_vpx_enc) { C.rtc_vpx_enc_free(c) }, c)
	if cfg.Width != 0 {
		if err := e.setup(cfg.Width, cfg.Height); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// setup (re)creates the libvpx encoder for frames of w x h pixels, with the
// current bitrate.
func (e *Encoder) setup(w, h int) error {
	cfg := &e.c.cfg
	cfg.g_w = C.uint(w)
	cfg.g_h = C.uint(h)
	cfg.g_threads = C.uint(e.cfg.Threads)
	cfg.g_timebase.num = 1
	cfg.g_timebase.den = ticksPerSecond
	cfg.g_pass = C.VPX_RC_ONE_PASS
	cfg.g_lag_in_frames = 0
	cfg.g_error_resilient = C.VPX_ERROR_RESILIENT_DEFAULT

	cfg.rc_end_usage = C.VPX_CBR
	cfg.rc_target_bitrate = C.uint(kbps(e.bitrate))
	cfg.rc_resize_allowed = 0
	cfg.rc_dropframe_thresh = 0
	if e.cfg.DropFrames {
		// libwebrtc's threshold for camera video: drop while the buffer is
		// below 30% of its optimal level.
		cfg.rc_dropframe_thresh = 30
	}
	// Quantizer range and buffer model as in libwebrtc's VP8 encoder: a
	// 1 s buffer that starts at 0.5 s and aims for 0.6 s, so rate control
	// reacts within a few frames, and no quantizer so coarse that the
	// picture falls apart.
	cfg.rc_min_quantizer = 2
	cfg.rc_max_quantizer = 56
	cfg.rc_undershoot_pct = 100
	cfg.rc_overshoot_pct = 15
	cfg.rc_buf_sz = 1000
	cfg.rc_buf_initial_sz = 500
	cfg.rc_buf_optimal_sz = 600

	if e.cfg.KeyFrameInterval < 0 {
		cfg.kf_mode = C.VPX_KF_DISABLED
		cfg.kf_min_dist = 0
		cfg.kf_max_dist = 0
	} else {
		cfg.kf_mode = C.VPX_KF_AUTO
		cfg.kf_min_dist = 0
		cfg.kf_max_dist = C.uint(e.cfg.KeyFrameInterval)
	}

	// Cap a keyframe at this percentage of an average frame's bits (the
	// libwebrtc formula: half the optimal buffer, scaled by the frame rate),
	// so that a keyframe on request does not flood the network.
	maxIntra := C.uint(max(300, 600*e.cfg.FrameRate/20))

	if rc := C.rtc_vpx_enc_init(e.c, C.int(e.cfg.CPUUsed), maxIntra); rc != C.VPX_CODEC_OK {
		err := ctxError("init encoder", &e.c.ctx, rc)
		C.rtc_vpx_enc_destroy(e.c)
		e.w, e.h = 0, 0
		return err
	}
	e.w, e.h = w, h
	e.setups++
	return nil
}

// Encode compresses img and appends the VP8 frame to dst; see
// codec.VideoEncoder. img must be 4:2:0 and may be a sub-image; Encode reads
// it only during the call and keeps no reference to it or to dst. Unless
// EncoderConfig.DropFrames is set, every successful call appends exactly
// one frame; with it, a call that rate control skipped appends nothing.
//
// pts is the frame's presentation time; only differences between
// successive values matter, and they need not be regular. Rate control
// budgets bits by the time between frames, so Encode gives libvpx a
// smoothed clock: jitter is averaged out, a pts that does not
// advance costs nothing, and a gap over one second (an idle source, a
// paused handler) counts as a pause, so the frame after it gets no burst of
// bits that the network would have to queue.
//
// A frame whose size differs from the previous frame's recreates the libvpx
// encoder and is encoded as a keyframe. libvpx can shrink a VP8 encoder in
// place but cannot grow it past its initial size; with libvpx 1.12,
// shrinking in place measured no faster than recreating and no better in
// quality, and it broke inter frames after some changes between tiny sizes.
//
// Errors carry libvpx's detail and are prefixed "vpx: ". After Close,
// Encode returns an error.
func (e *Encoder) Encode(dst []byte, img *image.YCbCr, pts time.Duration) (out []byte, keyframe bool, err error) {
	if e.c == nil {
		return dst, false, errEncoderClosed
	}
	defer runtime.KeepAlive(e) // e.c must outlive the C calls
	if img == nil {
		return dst, false, errors.New("vpx: Encode: nil image")
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return dst, false, fmt.Errorf("vpx: Encode: image is %v, want 4:2:0", img.SubsampleRatio)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if err := checkSize(w, h); err != nil {
		return dst, false, err
	}
	cw, ch := (w+1)/2, (h+1)/2
	if img.YStride < w || img.CStride < cw ||
		len(img.Y) < (h-1)*img.YStride+w ||
		len(img.Cb) < (ch-1)*img.CStride+cw ||
		len(img.Cr) < (ch-1)*img.CStride+cw {
		return dst, false, fmt.Errorf("vpx: Encode: planes too short for a %dx%d image", w, h)
	}

	var flags C.long
	newBitrate := false
	if bps := int(e.pendingBitrate.Swap(0)); bps != 0 && bps != e.bitrate {
		e.bitrate, newBitrate = bps, true
	}
	if w != e.w || h != e.h {
		if err := e.setup(w, h); err != nil { // at the new bitrate
			return dst, false, err
		}
		flags |= C.VPX_EFLAG_FORCE_KF
	} else if newBitrate {
		old := e.c.cfg.rc_target_bitrate
		e.c.cfg.rc_target_bitrate = C.uint(kbps(e.bitrate))
		if rc := C.rtc_vpx_enc_config_set(e.c); rc != C.VPX_CODEC_OK {
			e.c.cfg.rc_target_bitrate = old
			return dst, false, ctxError("set bitrate", &e.c.ctx, rc)
		}
	}
	requested := e.keyFrame.Swap(false)
	if requested {
		flags |= C.VPX_EFLAG_FORCE_KF
	}

	tick, dur := e.nextTick(pts)
	rc := C.rtc_vpx_encode(e.c,
		(*C.uchar)(unsafe.Pointer(&img.Y[0])),
		(*C.uchar)(unsafe.Pointer(&img.Cb[0])),
		(*C.uchar)(unsafe.Pointer(&img.Cr[0])),
		C.int(img.YStride), C.int(img.CStride), C.uint(w), C.uint(h),
		C.vpx_codec_pts_t(tick), C.ulong(dur), flags)
	if rc != C.VPX_CODEC_OK {
		if requested {
			e.keyFrame.Store(true)
		}
		return dst, false, ctxError("encode", &e.c.ctx, rc)
	}
	e.started, e.lastIn, e.lastTick = true, pts, tick
	produced := false
	for {
		p := C.rtc_vpx_next_packet(e.c)
		if p.buf == nil {
			break
		}
		dst = append(dst, unsafe.Slice((*byte)(p.buf), int(p.sz))...)
		keyframe = keyframe || p.key != 0
		produced = true
	}
	if requested && !produced {
		e.keyFrame.Store(true) // rate control dropped it: the next frame is the keyframe
	}
	return dst, keyframe, nil
}

// nextTick returns the 90 kHz timestamp given to libvpx for a frame whose
// pts is pts, and the frame's nominal duration.
//
// libvpx's VP8 rate control budgets each frame from the time since the
// previous one and jumps to a new frame rate whenever that time changes by
// 10%. Fed raw timestamps, capture jitter makes it lurch, a stall of a few
// hundred milliseconds buys one frame a burst of tens of kilobytes, and a
// pts that repeats or goes back breaks it. So libvpx gets a smoothed clock
// instead: each frame advances it by a moving average of the real frame
// interval, where intervals that are not positive or are longer than
// maxGap (the source paused) do not count.
func (e *Encoder) nextTick(pts time.Duration) (tick, dur int64) {
	dur = max(1, ticksPerSecond/int64(e.cfg.FrameRate))
	if !e.started {
		e.interval, e.avgInterval = dur, dur
		return 0, dur
	}
	if delta := pts - e.lastIn; delta > 0 && delta <= maxGap {
		d := int64(delta) * ticksPerSecond / int64(time.Second)
		e.avgInterval += (d - e.avgInterval) / 8
	}
	// Slew towards the average by less than 10% a frame, below libvpx's
	// threshold for a step change.
	limit := max(1, e.interval/11)
	e.interval += min(limit, max(-limit, e.avgInterval-e.interval))
	e.interval = max(1, e.interval)
	return e.lastTick + e.interval, dur
}

// RequestKeyFrame makes the next encoded frame a keyframe, for example in
// answer to an RTCP PLI or FIR (RFC 4585, RFC 5104). It is safe to call from
// any goroutine; requests made before one Encode coalesce into one keyframe.
func (e *Encoder) RequestKeyFrame() {
	e.keyFrame.Store(true)
}

// SetBitrate sets the target bitrate, in bits per second, from the next
// Encode on. The libvpx encoder is reconfigured in place; no keyframe
// results. It is safe to call from any goroutine; when called several times
// before one Encode, the last value wins. It fails if bitsPerSecond is
// outside [1000, 1e9] or the encoder is closed.
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

// Close frees the libvpx encoder. It is idempotent and always returns nil;
// Encode after Close fails. It must not be called concurrently with Encode.
func (e *Encoder) Close() error {
	if e.c == nil {
		return nil
	}
	e.closed.Store(true)
	e.cleanup.Stop()
	C.rtc_vpx_enc_free(e.c)
	e.c = nil
	return nil
}

// kbps converts bits per second to libvpx's kbit/s, rounding to nearest.
func kbps(bps int) int {
	return max(1, (bps+500)/1000)
}

// targetKbps returns the bitrate libvpx is configured with, in kbit/s.
func (e *Encoder) targetKbps() int { return int(e.c.cfg.rc_target_bitrate) }
