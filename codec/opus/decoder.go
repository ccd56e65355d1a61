//go:build cgo

package opus

// #cgo pkg-config: opus
// #include <opus.h>
import "C"

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"time"
	"unsafe"

	"github.com/rtcstream/rtcstream/codec"
)

var _ codec.AudioDecoder = (*Decoder)(nil)

var errDecoderClosed = errors.New("opus: decoder is closed")

// Decoder is a libopus decoder with packet-loss concealment and in-band FEC
// recovery. It implements codec.AudioDecoder. Its methods are not safe for
// concurrent use.
//
// A Decoder holds native memory: call Close when done. A cleanup registered
// with runtime.AddCleanup frees an unreachable, unclosed Decoder, but only as
// a safety net, at the garbage collector's pace.
type Decoder struct {
	c        *C.OpusDecoder // nil after Close
	cleanup  runtime.Cleanup
	cfg      DecoderConfig // defaults resolved
	lastSize int           // samples per channel of the last packet decoded, 0 before the first
}

// NewDecoder returns an Opus decoder that produces PCM at cfg's sample rate
// and channel count (see DecoderConfig for the defaults), whatever the
// stream's. Without cgo, NewDecoder returns an error wrapping
// codec.ErrUnavailable.
func NewDecoder(cfg DecoderConfig) (*Decoder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	var rc C.int
	c := C.opus_decoder_create(C.opus_int32(cfg.SampleRate), C.int(cfg.Channels), &rc)
	if c == nil {
		return nil, opusError("create decoder", rc)
	}
	d := &Decoder{c: c, cfg: cfg}
	d.cleanup = runtime.AddCleanup(d, func(c *C.OpusDecoder) { C.opus_decoder_destroy(c) }, c)
	return d, nil
}

// Decode decodes one Opus packet and appends its samples, interleaved, to
// dst; see codec.AudioDecoder. A packet holds 2.5 to 120 ms of audio; Decode
// appends all of it. Decode keeps no reference to dst or packet, and
// allocates nothing when dst has the capacity.
//
// A nil or empty packet is a lost one: Decode runs libopus's packet-loss
// concealment for the duration of the last packet (20 ms before the first
// packet, which conceals to silence). Concealment extrapolates the last
// pitch period, then fades: a single lost 20 ms frame comes out within 1 dB
// of the one before, with no click. Over a longer burst, the SILK and
// hybrid modes (speech) fade to silence within about 120 ms; the CELT mode
// (music, tones, AppLowDelay) fades towards the background noise level it
// has tracked and stays there as long as the losses last, which for a
// steady sound was only 18 dB down. Over a long outage, play silence
// rather than conceal for ever. A packet of one or two bytes, as DTX
// sends, decodes to a frame of comfort noise.
//
// A packet whose framing is invalid (RFC 6716, section 3.4) yields an error
// carrying libopus's text, "opus: decode: corrupted stream", dst unchanged
// and the decoder as it was. Note that Opus has no checksum: damaged bytes
// inside well-framed packets decode, without an error, to a burst of noise.
// After Close, Decode returns an error.
func (d *Decoder) Decode(dst []int16, packet []byte) ([]int16, error) {
	if d.c == nil {
		return dst, errDecoderClosed
	}
	if len(packet) == 0 {
		return d.conceal(dst)
	}
	defer runtime.KeepAlive(d) // d.c must outlive the C calls
	data, size, err := cPacket(packet)
	if err != nil {
		return dst, err
	}
	n, err := d.packetSamples(data, size, "decode")
	if err != nil {
		return dst, err
	}
	dst, n, err = d.decode(dst, data, size, n, 0)
	if err == nil {
		d.lastSize = int(n)
	}
	return dst, err
}

// DecodeFEC recovers the packet lost just before nextPacket from the
// in-band FEC data in nextPacket, and appends the recovered samples to dst;
// see codec.AudioDecoder. It appends as many samples as the last packet
// decoded held (nextPacket's duration before the first), which is the
// lost packet's duration when the packet duration is steady. Should that be
// longer than what the FEC data covers, libopus conceals the start and
// recovers the end; should it be shorter, libopus conceals it all. Then
// decode nextPacket with Decode.
//
// libopus finds FEC data only in SILK and hybrid packets from an encoder
// with in-band FEC on and an expected loss above zero (see
// EncoderConfig.InbandFEC); otherwise DecodeFEC conceals the loss exactly as
// Decode(dst, nil) does. libopus does not say which of the two happened.
// A nil or empty nextPacket conceals too. Errors are as for Decode.
func (d *Decoder) DecodeFEC(dst []int16, nextPacket []byte) ([]int16, error) {
	if d.c == nil {
		return dst, errDecoderClosed
	}
	if len(nextPacket) == 0 {
		return d.conceal(dst)
	}
	defer runtime.KeepAlive(d)
	data, size, err := cPacket(nextPacket)
	if err != nil {
		return dst, err
	}
	n, err := d.packetSamples(data, size, "decode FEC")
	if err != nil {
		return dst, err
	}
	if d.lastSize > 0 {
		n = C.int(d.lastSize)
	}
	dst, _, err = d.decode(dst, data, size, n, 1)
	return dst, err
}

// packetSamples returns the number of samples per channel that the packet
// decodes to, at the decoder's rate.
func (d *Decoder) packetSamples(data *C.uchar, size C.opus_int32, op string) (C.int, error) {
	n := C.opus_decoder_get_nb_samples(d.c, data, size)
	if n == 0 {
		// A code 3 packet that counts zero frames (RFC 6716, rule R5):
		// libopus counts it, and rejects it only when decoding.
		n = C.OPUS_INVALID_PACKET
	}
	if n < 0 {
		return 0, opusError(op, n)
	}
	return n, nil
}

// conceal appends one packet's worth of packet-loss concealment.
func (d *Decoder) conceal(dst []int16) ([]int16, error) {
	defer runtime.KeepAlive(d)
	n := d.lastSize
	if n == 0 {
		n = d.cfg.SampleRate * int(defaultFrameDuration/time.Millisecond) / 1000
	}
	dst, _, err := d.decode(dst, nil, 0, C.int(n), 0)
	return dst, err
}

// decode runs opus_decode for n samples per channel into dst's spare
// capacity, growing dst if needed.
func (d *Decoder) decode(dst []int16, data *C.uchar, size C.opus_int32, n, fec C.int) ([]int16, C.int, error) {
	ch := d.cfg.Channels
	old := len(dst)
	out := slices.Grow(dst, int(n)*ch)[:old+int(n)*ch]
	got := C.opus_decode(d.c, data, size, (*C.opus_int16)(unsafe.Pointer(&out[old])), n, fec)
	if got < 0 {
		op := "decode"
		if fec != 0 {
			op = "decode FEC"
		}
		return dst, 0, opusError(op, got)
	}
	return out[:old+int(got)*ch], got, nil
}

// cPacket returns packet as libopus takes it.
func cPacket(packet []byte) (*C.uchar, C.opus_int32, error) {
	if len(packet) > math.MaxInt32 {
		return nil, 0, errors.New("opus: decode: packet too large")
	}
	return (*C.uchar)(unsafe.Pointer(&packet[0])), C.opus_int32(len(packet)), nil
}

// Close frees the libopus decoder. It is idempotent and always returns nil;
// Decode and DecodeFEC after Close fail.
func (d *Decoder) Close() error {
	if d.c == nil {
		return nil
	}
	d.cleanup.Stop()
	C.opus_decoder_destroy(d.c)
	d.c = nil
	return nil
}
