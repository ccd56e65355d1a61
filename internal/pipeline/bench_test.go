package pipeline

import (
	"context"
	"image"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec/vpx"
)

// benchFrames is the length of the replayed sequence; its first frame is a
// keyframe, so the replay decodes cleanly each time round.
const benchFrames = 60

// replay feeds an endless, continuous RTP stream from a recorded one.
type replay struct {
	packets [][]rtp.Packet
	i       int
	seq     uint16
}

func (r *replay) next(v *Video, now time.Time) {
	frame := r.packets[r.i%benchFrames]
	ts := uint32(r.i) * 3000
	for _, p := range frame {
		v.PushRTP(r.seq, ts, p.Marker, p.Payload, now)
		r.seq++
	}
	r.i++
}

// BenchmarkServerPath measures the whole per-frame server path for 640x480
// video at 1 Mbps: assemble RTP, decode, latest-frame slot, identity
// handler, encode, packetize. BenchmarkBareCodec is the same decode and
// encode alone; the ratio of the two is the frame path's overhead.
func BenchmarkServerPath(b *testing.B) {
	_, packets := encodedStream(b, 640, 480, benchFrames)
	v := newTestVideo(b, identity, &discard{}, nil, nil)
	ctx := context.Background()
	now := time.Now()
	r := &replay{packets: packets}
	step := func() {
		r.next(v, now)
		f := v.slot.take(ctx, nil)
		if err := v.process(ctx, f); err != nil {
			b.Fatal(err)
		}
		v.slot.release(f)
	}
	// Warm up until the encoder is made and every buffer, the assembler's
	// packet ring included, has grown to its steady size.
	for r.i < 4*benchFrames || int(r.seq) < 2*ringSize {
		step()
	}
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
	if st := v.Stats(); st.DecodeErrors != 0 || st.Assembler.Lost != 0 {
		b.Fatalf("stats %+v", st)
	}
}

// BenchmarkBareCodec is libvpx's decode+encode of the same frames, with
// nothing around it.
func BenchmarkBareCodec(b *testing.B) {
	frames, _ := encodedStream(b, 640, 480, benchFrames)
	dec, err := vpx.NewDecoder()
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	enc, err := vpx.NewEncoder(vpx.EncoderConfig{})
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	var img *image.YCbCr
	var buf []byte
	i := 0
	step := func() {
		img, err = dec.Decode(img, frames[i%benchFrames])
		if err != nil || img == nil {
			b.Fatal("decode", err)
		}
		buf, _, err = enc.Encode(buf[:0], img, time.Duration(i)*time.Second/30)
		if err != nil {
			b.Fatal(err)
		}
		i++
	}
	for range benchFrames {
		step()
	}
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}
