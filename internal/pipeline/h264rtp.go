package pipeline

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/pion/rtp"
)

// H.264 over RTP (RFC 6184), packetization-mode 1 as browsers offer it:
// single NAL unit packets, STAP-A (aggregation, types 24) and FU-A
// (fragmentation, type 28). Frames are Annex B access units: each NAL
// unit after a four-byte start code, as codec/h264 makes and takes them.

const (
	nalSTAPA = 24
	nalFUA   = 28
	nalIDR   = 5
	nalSPS   = 7
)

var (
	errShortH264 = errors.New("h264: RTP payload truncated")
	errH264Type  = errors.New("h264: RTP payload of an unsupported NAL unit type (STAP-B, MTAP or FU-B)")
)

var startCode = []byte{0, 0, 0, 1}

// h264Format depacketizes H.264 for the Assembler. Its frames are told
// apart by RTP timestamp: a packet starts a frame when its timestamp
// differs from the one before it; start marks packets that begin a NAL
// unit (all but FU-A continuations).
type h264Format struct{}

func (h264Format) frameByTimestamp() bool { return true }

// begins checks a payload and reports whether it begins a NAL unit.
func (f h264Format) begins(b []byte) (bool, error) {
	if len(b) < 1 {
		return false, errShortH264
	}
	switch typ := b[0] & 0x1f; {
	case typ >= 1 && typ <= 23:
		return true, nil
	case typ == nalSTAPA: // its sizes must add up
		rest := b[1:]
		for len(rest) > 0 {
			if len(rest) < 2 {
				return false, errShortH264
			}
			n := int(rest[0])<<8 | int(rest[1])
			if n == 0 || len(rest) < 2+n {
				return false, errShortH264
			}
			rest = rest[2+n:]
		}
		return len(b) > 1, nil
	case typ == nalFUA:
		if len(b) < 3 {
			return false, errShortH264
		}
		return b[1]&0x80 != 0, nil
	}
	return false, errH264Type
}

// appendPayload appends the Annex B bytes of one RTP payload (checked by
// begins) to dst.
func (f h264Format) appendPayload(dst, b []byte) []byte {
	out, _, err := f.parse(dst, b)
	if err != nil {
		return dst
	}
	return out
}

// parse appends the Annex B bytes of one RTP payload to dst.
func (h264Format) parse(dst, b []byte) ([]byte, bool, error) {
	if len(b) < 1 {
		return dst, false, errShortH264
	}
	switch typ := b[0] & 0x1f; {
	case typ >= 1 && typ <= 23: // a single NAL unit
		return append(append(dst, startCode...), b...), true, nil
	case typ == nalSTAPA:
		for rest := b[1:]; len(rest) > 0; {
			if len(rest) < 2 {
				return dst, false, errShortH264
			}
			n := int(rest[0])<<8 | int(rest[1])
			if n == 0 || len(rest) < 2+n {
				return dst, false, errShortH264
			}
			dst = append(append(dst, startCode...), rest[2:2+n]...)
			rest = rest[2+n:]
		}
		return dst, true, nil
	case typ == nalFUA:
		if len(b) < 3 {
			return dst, false, errShortH264
		}
		if b[1]&0x80 != 0 { // S: the NAL unit starts here; rebuild its header
			dst = append(append(dst, startCode...), b[0]&0xe0|b[1]&0x1f)
			return append(dst, b[2:]...), true, nil
		}
		return append(dst, b[2:]...), false, nil
	}
	return dst, false, errH264Type
}

// keyFrame reports whether an access unit holds an IDR slice.
func (h264Format) keyFrame(au []byte) bool { return hasNAL(au, nalIDR) }

// hasNAL reports whether an access unit holds a NAL unit of type typ.
func hasNAL(au []byte, typ byte) bool {
	for nal := range NALUnits(au) {
		if len(nal) > 0 && nal[0]&0x1f == typ {
			return true
		}
	}
	return false
}

// NALUnits yields the NAL units of an Annex B byte stream (three- or
// four-byte start codes), without their start codes.
func NALUnits(b []byte) func(yield func([]byte) bool) {
	return func(yield func([]byte) bool) {
		start := -1
		for i := 0; i+2 < len(b); {
			if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
				if start >= 0 {
					end := i
					if end > start && b[end-1] == 0 {
						end--
					}
					if !yield(b[start:end]) {
						return
					}
				}
				i += 3
				start = i
				continue
			}
			i++
		}
		if start >= 0 && start < len(b) {
			yield(b[start:])
		}
	}
}

// NewH264Assembler returns an Assembler of H.264 access units.
func NewH264Assembler(lossWait time.Duration) *Assembler {
	a := NewAssembler(lossWait)
	a.format = h264Format{}
	return a
}

// H264Packetizer splits Annex B access units into RTP packets (RFC 6184,
// packetization-mode 1): a NAL unit that fits the MTU in a packet of its
// own, a larger one in FU-A fragments; the access unit's last packet
// carries the marker. It reuses one buffer and is not safe for concurrent
// use.
type H264Packetizer struct {
	w   RTPWriter
	mtu int
	seq uint16
	buf []byte
	pkt rtp.Packet
}

// NewH264Packetizer returns a packetizer writing to w; mtu <= 0 means
// DefaultMTU.
func NewH264Packetizer(w RTPWriter, mtu int) *H264Packetizer {
	if mtu <= 3 {
		mtu = DefaultMTU
	}
	return &H264Packetizer{w: w, mtu: mtu, seq: uint16(rand.Uint32()), buf: make([]byte, mtu)}
}

// WriteFrame packetizes one access unit stamped ts (90 kHz).
func (p *H264Packetizer) WriteFrame(au []byte, ts uint32) error {
	var nals [][]byte
	for nal := range NALUnits(au) {
		if len(nal) > 0 {
			nals = append(nals, nal)
		}
	}
	for i, nal := range nals {
		last := i == len(nals)-1
		if len(nal) <= p.mtu {
			if err := p.write(nal, ts, last); err != nil {
				return err
			}
			continue
		}
		indicator := nal[0]&0xe0 | nalFUA
		header := nal[0] & 0x1f
		body := nal[1:]
		for first := true; len(body) > 0; first = false {
			n := min(p.mtu-2, len(body))
			fu := p.buf[:2+n]
			fu[0], fu[1] = indicator, header
			if first {
				fu[1] |= 0x80
			}
			if n == len(body) {
				fu[1] |= 0x40
			}
			copy(fu[2:], body[:n])
			body = body[n:]
			if err := p.write(fu, ts, last && len(body) == 0); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *H264Packetizer) write(payload []byte, ts uint32, marker bool) error {
	p.pkt.Header = rtp.Header{Version: 2, Marker: marker, SequenceNumber: p.seq, Timestamp: ts}
	p.pkt.Payload = payload
	p.seq++
	return p.w.WriteRTP(&p.pkt)
}
