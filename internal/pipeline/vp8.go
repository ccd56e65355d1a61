package pipeline

import "errors"

// VP8 RTP payload descriptor (RFC 7741, section 4.2):
//
//	 0 1 2 3 4 5 6 7
//	+-+-+-+-+-+-+-+-+
//	|X|R|N|S|R| PID | (required)
//	+-+-+-+-+-+-+-+-+
//	|I|L|T|K| RSV   | (present when X)
//	+-+-+-+-+-+-+-+-+
//	|M| PictureID   | (present when I; 15 bits when M)
//	+-+-+-+-+-+-+-+-+
//	|   TL0PICIDX   | (present when L)
//	+-+-+-+-+-+-+-+-+
//	|TID|Y| KEYIDX  | (present when T or K)
//	+-+-+-+-+-+-+-+-+

var errShortVP8 = errors.New("vp8: payload descriptor truncated")

// vp8Descriptor is the part of a VP8 payload descriptor the frame path needs.
type vp8Descriptor struct {
	start   bool // S=1 and PID=0: first packet of a frame
	payload []byte
}

// parseVP8 splits an RTP payload into its descriptor and the VP8 bitstream
// bytes that follow. It does not allocate.
func parseVP8(b []byte) (vp8Descriptor, error) {
	if len(b) < 1 {
		return vp8Descriptor{}, errShortVP8
	}
	d := vp8Descriptor{start: b[0]&0x10 != 0 && b[0]&0x07 == 0}
	n := 1
	if b[0]&0x80 != 0 { // X
		if len(b) < 2 {
			return vp8Descriptor{}, errShortVP8
		}
		x := b[1]
		n = 2
		if x&0x80 != 0 { // I
			if len(b) < n+1 {
				return vp8Descriptor{}, errShortVP8
			}
			if b[n]&0x80 != 0 { // M: 15-bit picture ID
				n += 2
			} else {
				n++
			}
		}
		if x&0x40 != 0 { // L
			n++
		}
		if x&0x30 != 0 { // T or K
			n++
		}
	}
	if len(b) < n {
		return vp8Descriptor{}, errShortVP8
	}
	d.payload = b[n:]
	return d, nil
}

// vp8Format depacketizes VP8 for the Assembler (the default): frames
// start at the descriptor's S bit with partition 0.
type vp8Format struct{}

func (vp8Format) frameByTimestamp() bool { return false }

func (vp8Format) begins(b []byte) (bool, error) {
	d, err := parseVP8(b)
	return d.start, err
}

func (vp8Format) appendPayload(dst, b []byte) []byte {
	d, err := parseVP8(b)
	if err != nil {
		return dst
	}
	return append(dst, d.payload...)
}

func (vp8Format) keyFrame(frame []byte) bool { return isVP8KeyFrame(frame) }

// isVP8KeyFrame reports whether a VP8 frame (the bitstream, not the RTP
// payload) starts a keyframe: bit 0 of the frame tag is 0 for keyframes
// (RFC 6386, section 9.1).
func isVP8KeyFrame(frame []byte) bool {
	return len(frame) > 0 && frame[0]&0x01 == 0
}

// vp8DescriptorSize is the descriptor the packetizer writes: X=1, I=1 with a
// 15-bit picture ID, as browsers do, so receivers can spot lost frames.
const vp8DescriptorSize = 4

// putVP8Descriptor writes the packetizer's descriptor into b[:4].
func putVP8Descriptor(b []byte, start bool, pictureID uint16) {
	b[0] = 0x80 // X
	if start {
		b[0] |= 0x10 // S, PID=0
	}
	b[1] = 0x80 // I
	b[2] = 0x80 | byte(pictureID>>8)&0x7f
	b[3] = byte(pictureID)
}
