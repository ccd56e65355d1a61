//go:build cgo

package opus

/*
#cgo pkg-config: opus
#include <opus.h>

typedef struct {
	int err;
	int val;
} rtc_opus_int;

// opus_encoder_ctl is variadic, which cgo cannot call: these wrappers pass
// the one argument each request takes with the type libopus reads.
static int rtc_opus_enc_set(OpusEncoder *e, int request, int value) {
	return opus_encoder_ctl(e, request, (opus_int32)value);
}

static int rtc_opus_enc_reset(OpusEncoder *e) {
	return opus_encoder_ctl(e, OPUS_RESET_STATE);
}

static rtc_opus_int rtc_opus_enc_get(OpusEncoder *e, int request) {
	opus_int32 v = 0;
	rtc_opus_int r;
	r.err = opus_encoder_ctl(e, request, &v);
	r.val = (int)v;
	return r;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/rtcstream/rtcstream/codec"
)

var _ codec.AudioEncoder = (*Encoder)(nil)

var errEncoderClosed = errors.New("opus: encoder is closed")

// maxFramePacket is the most bytes one Opus frame takes (RFC 6716, section
// 3.2.1); a packet holds at most 6 frames (120 ms of 20 ms CELT frames).
const maxFramePacket = 1275

// Encoder is a libopus encoder. It implements codec.AudioEncoder.
//
// Encode and Close must not be called concurrently with each other or with
// themselves. SetBitrate and SetPacketLossPercent may be called from any
// goroutine at any time, even during Encode: they record a request that the
// next Encode applies.
//
// An Encoder holds native memory: call Close when done. A cleanup
// registered with runtime.AddCleanup frees an unreachable, unclosed Encoder,
// but only as a safety net, at the garbage collector's pace.
type Encoder struct {
	c         *C.OpusEncoder // nil after Close
	cleanup   runtime.Cleanup
	cfg       EncoderConfig // defaults resolved
	frameSize int           // samples per channel in one frame
	lookahead int           // codec delay in samples per channel
	buf       []byte        // one packet, encoded before it is appended to dst

	bitrate int  // bit/s currently configured in libopus
	loss    int  // packet loss percentage currently configured in libopus
	inDTX   bool // the last frame was a DTX frame, and was returned

	pendingBitrate atomic.Int64 // SetBitrate's value, 0 if none pending
	pendingLoss    atomic.Int32 // SetPacketLossPercent's value + 1, 0 if none pending
	closed         atomic.Bool
}

// NewEncoder returns an Opus encoder configured by cfg (see EncoderConfig for
// the defaults). Without cgo, NewEncoder returns an error wrapping
// codec.ErrUnavailable.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	app := C.OPUS_APPLICATION_VOIP
	switch cfg.Application {
	case AppAudio:
		app = C.OPUS_APPLICATION_AUDIO
	case AppLowDelay:
		app = C.OPUS_APPLICATION_RESTRICTED_LOWDELAY
	}
	var rc C.int
	c := C.opus_encoder_create(C.opus_int32(cfg.SampleRate), C.int(cfg.Channels), C.int(app), &rc)
	if c == nil {
		return nil, opusError("create encoder", rc)
	}
	frames := max(1, int(cfg.FrameDuration/(20*time.Millisecond)))
	e := &Encoder{
		c:         c,
		cfg:       cfg,
		frameSize: cfg.frameSize(),
		buf:       make([]byte, frames*maxFramePacket+2*frames+8),
		bitrate:   cfg.BitRate,
		loss:      cfg.PacketLossPercent,
	}
	e.cleanup = runtime.AddCleanup(e, func(c *C.OpusEncoder) { C.opus_encoder_destroy(c) }, c)
	for _, s := range []struct {
		name     string
		req, val C.int
	}{
		{"set bitrate", C.OPUS_SET_BITRATE_REQUEST, C.int(cfg.BitRate)},
		{"set inband FEC", C.OPUS_SET_INBAND_FEC_REQUEST, b2i(cfg.InbandFEC == On)},
		{"set packet loss", C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, C.int(e.libLoss(cfg.PacketLossPercent))},
		{"set DTX", C.OPUS_SET_DTX_REQUEST, b2i(cfg.DTX == On)},
		{"set complexity", C.OPUS_SET_COMPLEXITY_REQUEST, C.int(cfg.complexity())},
	} {
		if rc := C.rtc_opus_enc_set(c, s.req, s.val); rc != C.OPUS_OK {
			e.Close()
			return nil, opusError(s.name, rc)
		}
	}
	la := C.rtc_opus_enc_get(c, C.OPUS_GET_LOOKAHEAD_REQUEST)
	if la.err != C.OPUS_OK {
		e.Close()
		return nil, opusError("get lookahead", la.err)
	}
	e.lookahead = int(la.val)
	return e, nil
}

func b2i(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// FrameSize returns the number of samples per channel in the frame that each
// Encode takes: SampleRate × FrameDuration, 960 with the defaults. Encode
// takes FrameSize() × Channels interleaved samples.
func (e *Encoder) FrameSize() int { return e.frameSize }

// Lookahead returns the codec's algorithmic delay: decoded audio lags the
// encoder's input by this much, encoder and decoder together (libopus's
// OPUS_GET_LOOKAHEAD). It is 6.5 ms, or 2.5 ms with AppLowDelay, at every
// sample rate. Skip that much of the decoder's output to align it with the
// input, or shift timestamps by it for A/V sync.
func (e *Encoder) Lookahead() time.Duration {
	return time.Duration(e.lookahead) * time.Second / time.Duration(e.cfg.SampleRate)
}

// Encode compresses one frame and appends the Opus packet (RFC 6716) to dst;
// see codec.AudioEncoder. pcm must hold exactly FrameSize() × Channels
// interleaved samples; Encode reads it only during the call and keeps no
// reference to it or to dst. In steady state, with a dst of enough
// capacity, Encode allocates nothing.
//
// With DTX on, a frame of silence makes libopus return a packet of one or
// two bytes that carries no audio. As libwebrtc does, Encode appends the
// first of a run of those, which tells the decoder that transmission
// pauses, and appends nothing for the others until the audio resumes;
// libopus itself emits a comfort-noise update every 400 ms.
//
// Errors carry libopus's text and are prefixed "opus: ". After Close,
// Encode returns an error.
func (e *Encoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	if e.c == nil {
		return dst, errEncoderClosed
	}
	defer runtime.KeepAlive(e) // e.c must outlive the C calls
	if len(pcm) != e.frameSize*e.cfg.Channels {
		return dst, fmt.Errorf("opus: Encode: got %d samples, want one frame of %d (%v of %d channel(s) at %d Hz)",
			len(pcm), e.frameSize*e.cfg.Channels, e.cfg.FrameDuration, e.cfg.Channels, e.cfg.SampleRate)
	}
	if err := e.applyPending(); err != nil {
		return dst, err
	}
	n := C.opus_encode(e.c, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(e.frameSize),
		(*C.uchar)(unsafe.Pointer(&e.buf[0])), C.opus_int32(len(e.buf)))
	if n < 0 {
		return dst, opusError("encode", n)
	}
	if e.cfg.DTX == On && n <= 2 {
		if e.inDTX {
			return dst, nil
		}
		e.inDTX = true
	} else {
		e.inDTX = false
	}
	return append(dst, e.buf[:n]...), nil
}

// applyPending hands libopus the settings that SetBitrate and
// SetPacketLossPercent recorded.
func (e *Encoder) applyPending() error {
	if bps := int(e.pendingBitrate.Swap(0)); bps != 0 && bps != e.bitrate {
		if rc := C.rtc_opus_enc_set(e.c, C.OPUS_SET_BITRATE_REQUEST, C.int(bps)); rc != C.OPUS_OK {
			return opusError("set bitrate", rc)
		}
		e.bitrate = bps
	}
	if v := int(e.pendingLoss.Swap(0)); v != 0 && v-1 != e.loss {
		if rc := C.rtc_opus_enc_set(e.c, C.OPUS_SET_PACKET_LOSS_PERC_REQUEST, C.int(e.libLoss(v-1))); rc != C.OPUS_OK {
			return opusError("set packet loss", rc)
		}
		e.loss = v - 1
	}
	return nil
}

// libLoss returns the packet loss percentage given to libopus for an expected
// loss of pct: at least 1 with in-band FEC, for libopus 1.3 sends no FEC
// data at 0.
func (e *Encoder) libLoss(pct int) int {
	if e.cfg.InbandFEC == On {
		return max(1, pct)
	}
	return pct
}

// SetBitrate sets the target bitrate, in bits per second, from the next
// Encode on, in place (OPUS_SET_BITRATE). It is safe to call from any
// goroutine; when called several times before one Encode, the last value
// wins. It fails if bitsPerSecond is outside [500, 512_000] or the encoder
// is closed.
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

// SetPacketLossPercent sets the packet loss the encoder expects, 0 to 100,
// from the next Encode on (see EncoderConfig.PacketLossPercent). Feed it the
// loss that receiver reports give; with InbandFEC, it decides how much FEC
// data the packets carry. It is safe to call from any goroutine; when called
// several times before one Encode, the last value wins. It fails if percent
// is out of range or the encoder is closed.
func (e *Encoder) SetPacketLossPercent(percent int) error {
	if e.closed.Load() {
		return errEncoderClosed
	}
	if err := checkLoss(percent); err != nil {
		return err
	}
	e.pendingLoss.Store(int32(percent) + 1)
	return nil
}

// Reset returns the encoder to its state when new, its settings kept:
// the next packet is coded as the first of a stream. A sender that stopped
// encoding for a while (sending stock silence packets instead) resets it
// before it encodes again, so the encoder predicts nothing from audio the
// receiver never got. It must not be called concurrently with Encode.
func (e *Encoder) Reset() error {
	if e.c == nil {
		return errEncoderClosed
	}
	defer runtime.KeepAlive(e)
	if r := C.rtc_opus_enc_reset(e.c); r != C.OPUS_OK {
		return opusError("reset", r)
	}
	return nil
}

// Close frees the libopus encoder. It is idempotent and always returns nil;
// Encode after Close fails. It must not be called concurrently with Encode.
func (e *Encoder) Close() error {
	if e.c == nil {
		return nil
	}
	e.closed.Store(true)
	e.cleanup.Stop()
	C.opus_encoder_destroy(e.c)
	e.c = nil
	return nil
}

// Requests that tests read with get.
const (
	getBitrate        = int(C.OPUS_GET_BITRATE_REQUEST)
	getPacketLoss     = int(C.OPUS_GET_PACKET_LOSS_PERC_REQUEST)
	getInbandFEC      = int(C.OPUS_GET_INBAND_FEC_REQUEST)
	getDTX            = int(C.OPUS_GET_DTX_REQUEST)
	getComplexity     = int(C.OPUS_GET_COMPLEXITY_REQUEST)
	getVBR            = int(C.OPUS_GET_VBR_REQUEST)
	getVBRConstraint  = int(C.OPUS_GET_VBR_CONSTRAINT_REQUEST)
	getBandwidth      = int(C.OPUS_GET_BANDWIDTH_REQUEST)
	getApplication    = int(C.OPUS_GET_APPLICATION_REQUEST)
	applicationVoIP   = int(C.OPUS_APPLICATION_VOIP)
	applicationAudio  = int(C.OPUS_APPLICATION_AUDIO)
	applicationLowDel = int(C.OPUS_APPLICATION_RESTRICTED_LOWDELAY)
)

// get reads an integer setting of the libopus encoder (tests use it).
func (e *Encoder) get(request int) (int, error) {
	defer runtime.KeepAlive(e)
	r := C.rtc_opus_enc_get(e.c, C.int(request))
	if r.err != C.OPUS_OK {
		return 0, opusError("get", r.err)
	}
	return int(r.val), nil
}
