package pipeline

import (
	"testing"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/vpx"
)

// keyFrames records, per frame sent, whether it was a VP8 keyframe.
type keyFrames struct {
	start bool // the next packet begins a frame
	keys  []bool
}

func (k *keyFrames) WriteRTP(p *rtp.Packet) error {
	if len(k.keys) == 0 || k.start {
		// VP8 payload descriptor (RFC 7741): one byte, more with X; the
		// frame's first byte's low bit is 0 on a keyframe.
		d := 1
		if p.Payload[0]&0x80 != 0 {
			d++
			x := p.Payload[1]
			if x&0x80 != 0 {
				d++
				if p.Payload[d-1]&0x80 != 0 {
					d++
				}
			}
			if x&0x40 != 0 {
				d++
			}
			if x&0x30 != 0 {
				d++
			}
		}
		k.keys = append(k.keys, p.Payload[d]&1 == 0)
	}
	k.start = p.Marker
	return nil
}

// A Sender whose packets nobody receives encodes nothing; the first frame
// it encodes after is a keyframe.
func TestSenderEncodesOnlyWhenWanted(t *testing.T) {
	out := &keyFrames{}
	s := NewSender(codec.VP8, func() (codec.VideoEncoder, error) {
		e, err := vpx.NewEncoder(vpx.EncoderConfig{})
		if err != nil {
			return nil, err
		}
		return e, nil
	}, out, 0)
	defer s.Close()
	wanted := true
	s.SetWanted(func() bool { return wanted })
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if err := s.Send(source(160, 120, i), 0, uint32(i*3000)); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(0, 5)
	wanted = false
	send(5, 15)
	wanted = true
	send(15, 20)
	if s.Encoded() != 10 || s.Unwatched() != 10 {
		t.Errorf("%d frames encoded, %d unwatched; want 10 and 10", s.Encoded(), s.Unwatched())
	}
	want := []bool{true, false, false, false, false, true, false, false, false, false}
	if len(out.keys) != len(want) {
		t.Fatalf("%d frames sent; want %d", len(out.keys), len(want))
	}
	for i := range want {
		if out.keys[i] != want[i] {
			t.Errorf("frame %d sent: keyframe %v; want %v (keyframes %v)", i, out.keys[i], want[i], out.keys)
			break
		}
	}
}
