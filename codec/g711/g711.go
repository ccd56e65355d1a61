// Package g711 is G.711 μ-law (PCMU), the telephone network's codec: 8 kHz,
// 8 bits a sample, each a logarithmic code of a 14-bit sample (ITU-T
// G.711). Twilio's Media Streams carry it. Pure Go, no cgo.
package g711

import (
	"errors"
	"fmt"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/media"
)

// Rate is G.711's sample rate.
const Rate = 8000

const (
	bias = 0x84 // added before the segment search (132)
	clip = 32635
)

// EncodeMuLaw appends the μ-law codes of pcm (16-bit samples at 8 kHz) to
// dst and returns the extended slice.
func EncodeMuLaw(dst []byte, pcm []int16) []byte {
	for _, s := range pcm {
		dst = append(dst, muLaw(s))
	}
	return dst
}

func muLaw(s int16) byte {
	v := int(s)
	sign := 0
	if v < 0 {
		v, sign = -v, 0x80
	}
	v = min(v, clip) + bias
	exp := 7
	for mask := 0x4000; v&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

// DecodeMuLaw appends the samples of μ-law codes b to dst and returns the
// extended slice.
func DecodeMuLaw(dst []int16, b []byte) []int16 {
	for _, c := range b {
		dst = append(dst, linear[c])
	}
	return dst
}

var linear = func() (t [256]int16) {
	for i := range t {
		c := ^byte(i)
		exp, mant := int(c>>4)&7, int(c&0x0f)
		v := ((mant<<3)+bias)<<exp - bias
		if c&0x80 != 0 {
			v = -v
		}
		t[i] = int16(v)
	}
	return t
}()

// Encoder encodes 20 ms frames of mono audio at its input rate to μ-law
// at 8 kHz (160 bytes). It implements codec.AudioEncoder; the bitrate is
// fixed (64 kbit/s), so SetBitrate does nothing.
type Encoder struct {
	rs  *media.Resampler
	in  int // samples a frame at the input rate
	buf []int16
}

var _ codec.AudioEncoder = (*Encoder)(nil)

// NewEncoder returns an Encoder of frames at inputRate (48000 from an
// rtcstream output).
func NewEncoder(inputRate int) (*Encoder, error) {
	if inputRate <= 0 || inputRate%50 != 0 {
		return nil, fmt.Errorf("g711: input rate %d Hz: want a positive multiple of 50", inputRate)
	}
	rs, err := media.NewResampler(inputRate, Rate, 1, media.QualityMedium)
	if err != nil {
		return nil, err
	}
	return &Encoder{rs: rs, in: inputRate / 50}, nil
}

// Encode implements codec.AudioEncoder: pcm is exactly 20 ms at the input
// rate. The resampler's delay (under a millisecond) leaves a packet a
// sample or two short or long now and then; packets stay 20 ms on average.
func (e *Encoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	if len(pcm) != e.in {
		return dst, fmt.Errorf("g711: a frame of %d samples, want %d (20 ms)", len(pcm), e.in)
	}
	e.buf = e.rs.Process(e.buf[:0], pcm)
	return EncodeMuLaw(dst, e.buf), nil
}

// SetBitrate does nothing: G.711 is 64 kbit/s.
func (e *Encoder) SetBitrate(int) error { return nil }

// Reset forgets the resampler's history, for a stream that starts again.
func (e *Encoder) Reset() error {
	e.rs.Reset()
	return nil
}

// Close does nothing; it returns nil.
func (e *Encoder) Close() error { return nil }

// Decoder decodes μ-law packets to 8 kHz mono. It implements
// codec.AudioDecoder: a lost packet is concealed by fading the last
// packet's samples out (G.711 has no FEC).
type Decoder struct {
	last   []int16
	fade   float64
	closed bool
}

var _ codec.AudioDecoder = (*Decoder)(nil)

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder { return &Decoder{} }

var errClosed = errors.New("g711: decoder closed")

// Decode implements codec.AudioDecoder.
func (d *Decoder) Decode(dst []int16, packet []byte) ([]int16, error) {
	if d.closed {
		return dst, errClosed
	}
	if len(packet) == 0 {
		return d.conceal(dst), nil
	}
	n := len(dst)
	dst = DecodeMuLaw(dst, packet)
	d.last = append(d.last[:0], dst[n:]...)
	d.fade = 1
	return dst, nil
}

// DecodeFEC conceals the lost packet: G.711 carries no FEC.
func (d *Decoder) DecodeFEC(dst []int16, _ []byte) ([]int16, error) {
	if d.closed {
		return dst, errClosed
	}
	return d.conceal(dst), nil
}

// conceal repeats the last packet, each repetition at half the level.
func (d *Decoder) conceal(dst []int16) []int16 {
	d.fade /= 2
	for _, v := range d.last {
		dst = append(dst, int16(float64(v)*d.fade))
	}
	return dst
}

// Close frees nothing; Decode after it fails.
func (d *Decoder) Close() error {
	d.closed = true
	return nil
}
