package pipeline

import (
	"bytes"
	"image"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec/h264"
	"github.com/rtcstream/rtcstream/media"
)

// movingPattern is a 640x480 picture of texture that shifts with i:
// inter frames of several packets.
func movingPattern(i int) *image.YCbCr {
	img := media.NewI420(640, 480)
	for y := range 480 {
		for x := range 640 {
			u := x + 3*i
			img.Y[y*img.YStride+x] = uint8((u*u/7 + y*y/5) ^ (u * y))
		}
	}
	for j := range img.Cb {
		img.Cb[j], img.Cr[j] = 128, 128
	}
	return img
}

// packetSink keeps copies of a packetizer's packets.
type packetSink struct{ packets []rtp.Packet }

func (s *packetSink) WriteRTP(p *rtp.Packet) error {
	c := *p
	c.Payload = bytes.Clone(p.Payload)
	s.packets = append(s.packets, c)
	return nil
}

// h264Frames encodes n frames of the test pattern with OpenH264.
func h264Frames(t *testing.T, n int) [][]byte {
	t.Helper()
	enc, err := h264.NewEncoder(h264.EncoderConfig{BitRate: 1_000_000})
	if err != nil {
		t.Skipf("no H.264 encoder: %v", err)
	}
	defer enc.Close()
	var frames [][]byte
	for i := range n {
		if i == 20 {
			enc.RequestKeyFrame()
		}
		data, _, err := enc.Encode(nil, movingPattern(i), time.Duration(i)*time.Second/30)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, data)
	}
	return frames
}

// Access units packetized (FU-A for the large NAL units, a marker on each
// unit's last packet) come back whole from the H.264 assembler, keyframes
// marked, and decode; after a lost fragment the assembler drops frames
// until the next IDR, which decodes again.
func TestH264RTPRoundTrip(t *testing.T) {
	frames := h264Frames(t, 30)
	sink := &packetSink{}
	pack := NewH264Packetizer(sink, 0)
	var first []int // each frame's first packet
	for i, f := range frames {
		first = append(first, len(sink.packets))
		if err := pack.WriteFrame(f, uint32(i*3000)); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range sink.packets {
		if len(p.Payload) > DefaultMTU {
			t.Fatalf("packet %d: %d bytes, over the MTU", i, len(p.Payload))
		}
	}
	if got := sink.packets[first[1]-1]; !got.Marker {
		t.Error("the first frame's last packet has no marker")
	}
	dec, err := h264.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	asm := NewH264Assembler(time.Millisecond)
	// Lose the second packet of the first frame after frame 5 that has
	// two or more (an FU-A fragment of its slice).
	at := 5
	for first[at+1]-first[at] < 2 {
		at++
	}
	if at >= 20 {
		t.Fatal("no frame of two packets to lose one of")
	}
	lost := first[at] + 1
	var got []Frame
	now := time.Now()
	for i, p := range sink.packets {
		if i == lost {
			continue
		}
		asm.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		now = now.Add(5 * time.Millisecond)
		for {
			f, ok := asm.Pop(now)
			if !ok {
				break
			}
			f.Data = bytes.Clone(f.Data)
			got = append(got, f)
		}
	}
	// Frames before the damaged one whole, then none until the IDR at 20.
	if len(got) != at+10 {
		t.Fatalf("%d frames came out, want %d (%d before the damaged one, 10 from the IDR)", len(got), at+10, at)
	}
	for k, f := range got {
		i := k
		if k >= at {
			i = k - at + 20
		}
		if !bytes.Equal(f.Data, frames[i]) {
			t.Errorf("frame %d came out different (%d bytes, want %d)", i, len(f.Data), len(frames[i]))
		}
		if want := i == 0 || i == 20; f.KeyFrame != want {
			t.Errorf("frame %d: KeyFrame %v, want %v", i, f.KeyFrame, want)
		}
		if f.Timestamp != uint32(i*3000) {
			t.Errorf("frame %d: timestamp %d", i, f.Timestamp)
		}
		// What comes out decodes: the frames before the loss, and from
		// the IDR on (the frames between never reach the decoder).
		if img, err := dec.Decode(nil, f.Data); err != nil || img.Rect.Dx() != 640 {
			t.Errorf("frame %d does not decode: %v", i, err)
		}
	}
	if st := asm.Stats(); st.Lost == 0 {
		t.Errorf("stats %+v: want the loss counted", st)
	}
}

// STAP-A packets (SPS and PPS aggregated, as browsers send them) become
// NAL units with start codes; payloads of unsupported types are counted
// as malformed and dropped.
func TestH264Depacketize(t *testing.T) {
	sps, pps, idr := []byte{0x67, 1, 2, 3}, []byte{0x68, 4, 5}, []byte{0x65, 9, 9, 9}
	stap := []byte{nalSTAPA, 0, byte(len(sps))}
	stap = append(stap, sps...)
	stap = append(stap, 0, byte(len(pps)))
	stap = append(stap, pps...)
	asm := NewH264Assembler(0)
	asm.Push(1, 90, false, stap)
	asm.Push(2, 90, true, idr)
	f, ok := asm.Pop(time.Now())
	want := bytes.Join([][]byte{nil, sps, pps, idr}, startCode)
	if !ok || !bytes.Equal(f.Data, want) || !f.KeyFrame {
		t.Fatalf("frame %x (ok %v, key %v), want %x and a keyframe", f.Data, ok, f.KeyFrame, want)
	}
	for _, bad := range [][]byte{{25, 1, 2}, {29, 0x80, 1}, {nalSTAPA, 0, 9, 1}, {nalFUA}} {
		asm.Push(3, 180, true, bad)
	}
	if st := asm.Stats(); st.Malformed != 4 {
		t.Errorf("%d malformed, want 4", st.Malformed)
	}
}

// FuzzH264Assembler pushes arbitrary packets (each: a sequence step, a
// timestamp step, a marker bit, a length and the payload) into the H.264
// assembler: it never panics, and a frame never holds more than the start
// codes and payload bytes pushed.
func FuzzH264Assembler(f *testing.F) {
	sps, pps := []byte{0x67, 1, 2}, []byte{0x68, 3}
	stap := append(append([]byte{nalSTAPA, 0, 3}, sps...), append([]byte{0, 2}, pps...)...)
	pkt := func(seq, ts int8, marker bool, payload []byte) []byte {
		m := byte(0)
		if marker {
			m = 1
		}
		return append([]byte{byte(seq), byte(ts), m, byte(len(payload))}, payload...)
	}
	var seed []byte
	seed = append(seed, pkt(1, 0, false, stap)...)
	seed = append(seed, pkt(1, 0, false, []byte{nalFUA | 0x60, 0x85, 1, 2, 3})...)
	seed = append(seed, pkt(1, 0, true, []byte{nalFUA | 0x60, 0x45, 4, 5})...)
	seed = append(seed, pkt(1, 30, true, []byte{0x41, 7, 7})...)
	seed = append(seed, pkt(-1, 0, true, []byte{0x41, 8})...)
	f.Add(seed)
	f.Add([]byte{1, 0, 1, 3, nalSTAPA, 0, 9})
	f.Fuzz(func(t *testing.T, stream []byte) {
		a := NewH264Assembler(time.Millisecond)
		now := time.Unix(1000, 0)
		var seq uint16 = 65530
		var ts uint32
		pushed := 0
		for len(stream) >= 4 {
			seq += uint16(int16(int8(stream[0])))
			ts += uint32(stream[1]) * 100
			marker := stream[2]&1 == 1
			n := min(int(stream[3]), len(stream)-4)
			payload := stream[4 : 4+n]
			stream = stream[4+n:]
			pushed += 2*n + 4 // a STAP-A's sizes become start codes
			a.Push(seq, ts, marker, payload)
			now = now.Add(2 * time.Millisecond)
			for range ringSize + 2 {
				fr, ok := a.Pop(now)
				if !ok {
					break
				}
				if len(fr.Data) == 0 || len(fr.Data) > pushed {
					t.Fatalf("a frame of %d bytes from %d pushed", len(fr.Data), pushed)
				}
			}
		}
	})
}
