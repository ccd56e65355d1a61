package pipeline

import (
	"bytes"
	"testing"
	"time"
)

// A fuzzed packet stream is a sequence of 4-byte headers, each followed by
// its payload:
//
//	flags    bit 0 the RTP marker; bit 1 a jump of 600 sequence numbers
//	         (past the assembler's window); bits 2-4 how many 20 ms pass
//	         before the packet arrives
//	seq      the change of sequence number, an int8 (reorders, repeats)
//	ts       the change of RTP timestamp, in units of 100 ticks
//	length   the payload's length, modulo 64 (0: padding only)
const fuzzPacketHeader = 4

type fuzzPacket struct {
	flags   byte
	dseq    int8
	dts     byte
	payload []byte
}

// encodePackets writes packets in the fuzzed stream's format (for seeds).
func encodePackets(pkts []fuzzPacket) []byte {
	var b []byte
	for _, p := range pkts {
		b = append(b, p.flags, byte(p.dseq), p.dts, byte(len(p.payload)))
		b = append(b, p.payload...)
	}
	return b
}

// vp8Packet is a payload with the one-byte descriptor: S when start, and a
// frame whose tag says keyframe or not.
func vp8Packet(start, key bool, n int) []byte {
	p := make([]byte, 1+n)
	if start {
		p[0] = 0x10
	}
	for i := range n {
		p[1+i] = byte(7*i + n)
	}
	if start && n > 0 {
		p[1] &^= 1
		if !key {
			p[1] |= 1
		}
	}
	return p
}

// FuzzAssemblerStream feeds the assembler any stream of packets: reordered,
// repeated, lost, malformed, padding, far ahead, late. Invariants: no
// panic and no endless Pop; every frame's KeyFrame agrees with its tag;
// after a loss, or while a keyframe is needed, the next frame out is a
// keyframe; a frame starts with the payload of a frame-start packet of its
// timestamp and is never larger than the window can hold; the counters
// only grow, and Frames counts the frames handed out.
func FuzzAssemblerStream(f *testing.F) {
	clean := []fuzzPacket{
		{0, 1, 0, vp8Packet(true, true, 20)}, {0, 1, 0, vp8Packet(false, false, 20)}, {1, 1, 0, vp8Packet(false, false, 5)},
		{4, 1, 30, vp8Packet(true, false, 10)}, {1, 1, 0, vp8Packet(false, false, 10)},
		{4, 1, 30, vp8Packet(true, false, 10)}, {1, 1, 0, nil}, {0, 1, 0, vp8Packet(true, false, 3)}, {1, 1, 0, vp8Packet(false, false, 3)},
	}
	f.Add(encodePackets(clean))
	reordered := []fuzzPacket{
		{0, 1, 0, vp8Packet(true, true, 20)}, {1, 2, 0, vp8Packet(false, false, 5)}, {0, -1, 0, vp8Packet(false, false, 20)},
		{0, 2, 30, vp8Packet(true, false, 8)}, {0, 0, 0, vp8Packet(true, false, 8)}, {1, 1, 0, vp8Packet(false, false, 8)},
	}
	f.Add(encodePackets(reordered))
	lost := []fuzzPacket{
		{0, 1, 0, vp8Packet(true, true, 20)}, {1, 2, 0, vp8Packet(false, false, 5)},
		{8, 1, 30, vp8Packet(true, false, 8)}, {1, 1, 0, vp8Packet(false, false, 8)},
		{30, 1, 30, vp8Packet(true, true, 8)}, {1, 1, 0, vp8Packet(false, false, 8)},
	}
	f.Add(encodePackets(lost))
	jump := []fuzzPacket{
		{1, 1, 0, vp8Packet(true, true, 20)}, {2, 1, 30, vp8Packet(false, false, 5)}, {3, 1, 30, vp8Packet(true, true, 8)},
		{1, -128, 0, vp8Packet(true, true, 8)}, {1, 1, 0, []byte{0x90}}, {1, 1, 0, []byte{0x90, 0x80, 0x80, 0x01}},
	}
	f.Add(encodePackets(jump))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, stream []byte) {
		// A stream that makes the assembler loop would stall the fuzzer
		// with nothing to show; crash instead, so the input is kept.
		watchdog := time.AfterFunc(10*time.Second, func() { panic("the assembler is stuck on this stream") })
		defer watchdog.Stop()
		a := NewAssembler(DefaultLossWait)
		now := time.Unix(1000, 0)
		var seq uint16 = 65500 // wraps early
		var ts uint32 = 1 << 31
		startsByTS := map[uint32][][]byte{} // the payloads of frame-start packets
		maxBody := 0
		frames := uint64(0)
		prev := a.Stats()

		pop := func() {
			for range ringSize + 2 {
				needKey, lost := a.KeyFrameNeeded(), a.Stats().Lost
				fr, ok := a.Pop(now)
				st := a.Stats()
				if st.Frames < prev.Frames || st.Lost < prev.Lost || st.WaitingForKey < prev.WaitingForKey ||
					st.Malformed < prev.Malformed || st.Late < prev.Late {
					t.Fatalf("a counter went down: %+v after %+v", st, prev)
				}
				prev = st
				if !ok {
					return
				}
				frames++
				switch {
				case fr.KeyFrame != isVP8KeyFrame(fr.Data):
					t.Fatalf("frame %x: KeyFrame %v", fr.Data, fr.KeyFrame)
				case (needKey || st.Lost != lost) && !fr.KeyFrame:
					t.Fatalf("an inter frame came out while a keyframe was needed (lost %d -> %d)", lost, st.Lost)
				case len(fr.Data) > ringSize*maxBody:
					t.Fatalf("a frame of %d bytes from payloads of at most %d", len(fr.Data), maxBody)
				case st.Frames != frames:
					t.Fatalf("Frames %d, but %d frames came out", st.Frames, frames)
				}
				found := false
				for _, b := range startsByTS[fr.Timestamp] {
					if bytes.HasPrefix(fr.Data, b) {
						found = true
						break
					}
				}
				if !found {
					t.Fatalf("frame %x (timestamp %d) starts with no frame-start packet of its timestamp", fr.Data, fr.Timestamp)
				}
			}
			t.Fatalf("Pop kept returning frames")
		}

		for len(stream) >= fuzzPacketHeader {
			flags, dseq, dts, n := stream[0], int8(stream[1]), stream[2], int(stream[3]%64)
			stream = stream[fuzzPacketHeader:]
			n = min(n, len(stream))
			payload := stream[:n]
			stream = stream[n:]

			seq += uint16(int16(dseq))
			if flags&2 != 0 {
				seq += 600
			}
			ts += uint32(dts) * 100
			now = now.Add(time.Duration(flags>>2&7) * 20 * time.Millisecond)
			if d, err := parseVP8(payload); err == nil && len(payload) > 0 {
				if d.start {
					startsByTS[ts] = append(startsByTS[ts], bytes.Clone(d.payload))
				}
				maxBody = max(maxBody, len(d.payload))
			}
			a.Push(seq, ts, flags&1 != 0, payload)
			pop()
		}
		// Long after the last packet, every hole has been given up.
		now = now.Add(2 * MaxLossWait)
		pop()
	})
}
