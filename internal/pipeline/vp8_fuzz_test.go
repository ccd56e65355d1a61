package pipeline

import (
	"errors"
	"testing"
)

// vp8DescriptorLen is the length of the VP8 payload descriptor at the
// start of b by RFC 7741, section 4.2, counted from the flag bits alone.
func vp8DescriptorLen(b []byte) int {
	bit := func(i, mask int) int {
		if i < len(b) && int(b[i])&mask != 0 {
			return 1
		}
		return 0
	}
	x := bit(0, 0x80)
	i, l, tk := bit(1, 0x80)*x, bit(1, 0x40)*x, bit(1, 0x30)*x
	m := bit(2, 0x80) * i
	return 1 + x + i*(1+m) + l + tk
}

// FuzzParseVP8 parses any RTP payload as VP8. Invariants: no panic; a
// payload is refused exactly when it is shorter than its descriptor, with
// errShortVP8; an accepted one yields the bytes after the descriptor, in
// place (no copy), and start exactly when S=1 and PID=0. And what the
// packetizer writes parses back to its own start flag and payload.
func FuzzParseVP8(f *testing.F) {
	for _, seed := range [][]byte{
		{}, {0x10}, {0x10, 0x9d, 0x01, 0x2a}, {0x00, 0xff}, {0x90}, {0x90, 0x80}, {0x90, 0x80, 0x80},
		{0x90, 0x80, 0x80, 0x01, 0xaa}, {0x90, 0xf0, 0x05, 0x06, 0x07, 0xbb}, {0x97, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x80, 0x40}, {0x80, 0x30, 0x01}, {0x17, 0x00},
	} {
		f.Add(seed, uint16(0x1234), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, pictureID uint16, start bool) {
		d, err := parseVP8(b)
		want := vp8DescriptorLen(b)
		switch {
		case len(b) < want:
			if !errors.Is(err, errShortVP8) {
				t.Fatalf("parseVP8(%x): %v, want errShortVP8 (the descriptor needs %d bytes)", b, err, want)
			}
			return
		case err != nil:
			t.Fatalf("parseVP8(%x): %v, want a %d-byte descriptor", b, err, want)
		case len(d.payload) != len(b)-want:
			t.Fatalf("parseVP8(%x): %d payload bytes, want %d", b, len(d.payload), len(b)-want)
		case len(d.payload) > 0 && &d.payload[0] != &b[want]:
			t.Fatalf("parseVP8(%x): the payload is a copy", b)
		case d.start != (b[0]&0x10 != 0 && b[0]&0x07 == 0):
			t.Fatalf("parseVP8(%x): start %v", b, d.start)
		}

		// The packetizer's own descriptor, in front of b.
		pkt := make([]byte, vp8DescriptorSize+len(b))
		putVP8Descriptor(pkt, start, pictureID)
		copy(pkt[vp8DescriptorSize:], b)
		d, err = parseVP8(pkt)
		if err != nil || d.start != start || string(d.payload) != string(b) {
			t.Fatalf("the packetizer's descriptor (start %v, picture %d) parses to start %v, %d payload bytes, %v",
				start, pictureID, d.start, len(d.payload), err)
		}
	})
}
