package pipeline

import (
	"math/rand/v2"

	"github.com/pion/rtp"
)

// RTPWriter takes packets from a Packetizer. pion's TrackLocalStaticRTP
// satisfies it; it fills in SSRC and payload type itself. WriteRTP must not
// keep the packet or its payload after it returns.
type RTPWriter interface {
	WriteRTP(*rtp.Packet) error
}

// DefaultMTU is the largest RTP payload the packetizer emits. 1200 bytes
// leaves room for RTP, SRTP, UDP, IP and TURN headers on a 1500-byte path.
const DefaultMTU = 1200

// Packetizer splits encoded VP8 frames into RTP packets (RFC 7741). It reuses
// one packet buffer, so it does not allocate per frame. It is not safe for
// concurrent use.
type Packetizer struct {
	w         RTPWriter
	mtu       int
	seq       uint16
	pictureID uint16
	buf       []byte
	pkt       rtp.Packet
}

// NewPacketizer returns a packetizer writing to w, with random initial
// sequence number and picture ID as RFC 3550 recommends. mtu <= 0 means
// DefaultMTU.
func NewPacketizer(w RTPWriter, mtu int) *Packetizer {
	if mtu <= vp8DescriptorSize {
		mtu = DefaultMTU
	}
	return &Packetizer{
		w:         w,
		mtu:       mtu,
		seq:       uint16(rand.Uint32()),
		pictureID: uint16(rand.Uint32()) & 0x7fff,
		buf:       make([]byte, mtu),
	}
}

// WriteFrame packetizes one encoded frame stamped with the 90 kHz RTP
// timestamp ts and writes the packets in order; the last carries the marker
// bit. An empty frame writes nothing.
func (p *Packetizer) WriteFrame(frame []byte, ts uint32) error {
	if len(frame) == 0 {
		return nil
	}
	chunk := p.mtu - vp8DescriptorSize
	first := true
	for len(frame) > 0 {
		n := min(chunk, len(frame))
		putVP8Descriptor(p.buf, first, p.pictureID)
		copy(p.buf[vp8DescriptorSize:], frame[:n])
		frame = frame[n:]
		p.pkt.Header = rtp.Header{
			Version:        2,
			Marker:         len(frame) == 0,
			SequenceNumber: p.seq,
			Timestamp:      ts,
		}
		p.pkt.Payload = p.buf[:vp8DescriptorSize+n]
		p.seq++
		first = false
		if err := p.w.WriteRTP(&p.pkt); err != nil {
			return err
		}
	}
	p.pictureID = (p.pictureID + 1) & 0x7fff
	return nil
}
