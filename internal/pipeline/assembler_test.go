package pipeline

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pion/rtp"
)

type packetLog struct{ pkts []rtp.Packet }

func (l *packetLog) WriteRTP(p *rtp.Packet) error {
	c := rtp.Packet{Header: p.Header, Payload: append([]byte(nil), p.Payload...)}
	l.pkts = append(l.pkts, c)
	return nil
}

// testFrame makes an encoded-looking frame: byte 0 is the VP8 frame tag
// (bit 0 clear for keyframes), the rest a recognisable pattern.
func testFrame(i, size int, key bool) []byte {
	f := make([]byte, size)
	for j := range f {
		f[j] = byte(i*31 + j)
	}
	f[0] = byte(i) &^ 1
	if !key {
		f[0] |= 1
	}
	return f
}

type sent struct {
	data []byte
	ts   uint32
}

func packetize(t *testing.T, frames []sent) []rtp.Packet {
	t.Helper()
	var log packetLog
	p := NewPacketizer(&log, 0)
	for _, f := range frames {
		if err := p.WriteFrame(f.data, f.ts); err != nil {
			t.Fatal(err)
		}
	}
	return log.pkts
}

func makeFrames(n int, keyEvery int) []sent {
	var out []sent
	for i := range n {
		size := 500 + (i*977)%6000
		out = append(out, sent{testFrame(i, size, i%keyEvery == 0), uint32(i * 3000)})
	}
	return out
}

func pushAll(a *Assembler, pkts []rtp.Packet, now time.Time) []sent {
	var got []sent
	for _, p := range pkts {
		a.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		for {
			f, ok := a.Pop(now)
			if !ok {
				break
			}
			got = append(got, sent{append([]byte(nil), f.Data...), f.Timestamp})
		}
	}
	return got
}

func sameFrames(t *testing.T, got, want []sent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ts != want[i].ts || !bytes.Equal(got[i].data, want[i].data) {
			t.Fatalf("frame %d differs (ts %d vs %d, %d vs %d bytes)", i, got[i].ts, want[i].ts, len(got[i].data), len(want[i].data))
		}
	}
}

func TestAssemblerInOrder(t *testing.T) {
	frames := makeFrames(50, 10)
	pkts := packetize(t, frames)
	if len(pkts) <= len(frames) {
		t.Fatalf("expected fragmentation, got %d packets for %d frames", len(pkts), len(frames))
	}
	a := NewAssembler(0)
	got := pushAll(a, pkts, time.Now())
	sameFrames(t, got, frames)
	if a.KeyFrameNeeded() {
		t.Fatal("keyframe needed after clean stream")
	}
}

func TestAssemblerReleasesOnMarker(t *testing.T) {
	// A frame must come out as soon as its last packet arrives, not when
	// the next frame starts (the samplebuilder's +1 frame of latency).
	pkts := packetize(t, makeFrames(1, 1))
	a := NewAssembler(0)
	if got := pushAll(a, pkts, time.Now()); len(got) != 1 {
		t.Fatalf("single frame not released: got %d", len(got))
	}
}

func TestAssemblerReorder(t *testing.T) {
	frames := makeFrames(40, 10)
	pkts := packetize(t, frames)
	r := rand.New(rand.NewPCG(1, 2))
	// Swap neighbours within small windows, as a network might.
	for i := 0; i+3 < len(pkts); i += 4 {
		j := i + r.IntN(4)
		pkts[i], pkts[j] = pkts[j], pkts[i]
	}
	got := pushAll(NewAssembler(0), pkts, time.Now())
	sameFrames(t, got, frames)
}

// withHole packetizes 20 frames and takes packet 7 out: it returns the
// frames, the packets without it, and the packet, to arrive late.
func withHole(t *testing.T) ([]sent, []rtp.Packet, rtp.Packet) {
	t.Helper()
	frames := makeFrames(20, 10)
	pkts := packetize(t, frames)
	const lost = 7
	late := pkts[lost]
	return frames, append(pkts[:lost:lost], pkts[lost+1:]...), late
}

func TestAssemblerRetransmissionFillsHole(t *testing.T) {
	frames, pkts, late := withHole(t)
	a := NewAssembler(time.Second)
	now := time.Now()
	got := pushAll(a, pkts, now)
	if len(got) >= len(frames) {
		t.Fatalf("frames released across a hole: %d", len(got))
	}
	// The retransmission arrives within the loss wait: nothing is lost.
	got = append(got, pushAll(a, []rtp.Packet{late}, now.Add(50*time.Millisecond))...)
	sameFrames(t, got, frames)
	if s := a.Stats(); s.Lost != 0 {
		t.Fatalf("lost = %d, want 0", s.Lost)
	}
}

func TestAssemblerLossDropsUntilKeyFrame(t *testing.T) {
	frames := makeFrames(30, 10) // keyframes at 0, 10, 20
	pkts := packetize(t, frames)
	// Drop a packet inside frame 3.
	var cut int
	for i, p := range pkts {
		if p.Timestamp == frames[3].ts && !p.Marker {
			cut = i
			break
		}
	}
	pkts = append(pkts[:cut:cut], pkts[cut+1:]...)
	a := NewAssembler(20 * time.Millisecond)
	start := time.Now()
	var got []sent
	for i, p := range pkts {
		a.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		now := start.Add(time.Duration(i) * 5 * time.Millisecond)
		for {
			f, ok := a.Pop(now)
			if !ok {
				break
			}
			got = append(got, sent{append([]byte(nil), f.Data...), f.Timestamp})
		}
		if p.Timestamp == frames[9].ts && p.Marker && !a.KeyFrameNeeded() {
			t.Fatal("KeyFrameNeeded false while waiting for a keyframe after a loss")
		}
	}
	want := append(append([]sent{}, frames[:3]...), frames[10:]...)
	sameFrames(t, got, want)
	s := a.Stats()
	if s.Lost != 1 || s.WaitingForKey == 0 {
		t.Fatalf("stats = %+v", s)
	}
	if a.KeyFrameNeeded() {
		t.Fatal("still needs a keyframe after one arrived")
	}
}

func TestAssemblerWaitsForFirstKeyFrame(t *testing.T) {
	frames := makeFrames(15, 10)
	pkts := packetize(t, frames[1:]) // starts with an inter frame
	a := NewAssembler(0)
	got := pushAll(a, pkts, time.Now())
	sameFrames(t, got, frames[10:])
}

func TestAssemblerIgnoresGarbage(t *testing.T) {
	a := NewAssembler(0)
	a.Push(1, 0, true, nil) // padding: not garbage, but no frame either
	a.Push(2, 0, true, []byte{0x80})
	a.Push(3, 0, true, []byte{0x80, 0x80})
	if _, ok := a.Pop(time.Now()); ok {
		t.Fatal("frame from garbage")
	}
	if a.Stats().Malformed != 2 {
		t.Fatalf("malformed = %d", a.Stats().Malformed)
	}
}

func TestParseVP8Descriptor(t *testing.T) {
	for _, tc := range []struct {
		in    []byte
		start bool
		n     int
	}{
		{[]byte{0x10, 9}, true, 1},
		{[]byte{0x00, 9}, false, 1},
		{[]byte{0x90, 0x80, 0x81, 0x02, 9}, true, 4},       // 15-bit picture ID
		{[]byte{0x90, 0x80, 0x01, 9}, true, 3},             // 7-bit picture ID
		{[]byte{0x90, 0xe0, 0x81, 0x02, 7, 5, 9}, true, 6}, // + TL0PICIDX + TID
		{[]byte{0x11, 9}, false, 1},                        // S=1 but partition 1
	} {
		d, err := parseVP8(tc.in)
		if err != nil {
			t.Fatalf("%x: %v", tc.in, err)
		}
		if d.start != tc.start || len(d.payload) != len(tc.in)-tc.n {
			t.Fatalf("%x: start=%v payload=%d", tc.in, d.start, len(d.payload))
		}
	}
}

func FuzzAssembler(f *testing.F) {
	f.Add([]byte{0x10, 1, 2, 3}, uint16(5), true)
	f.Fuzz(func(t *testing.T, payload []byte, seq uint16, marker bool) {
		a := NewAssembler(0)
		for i := range 3 {
			a.Push(seq+uint16(i), 0, marker, payload)
			a.Pop(time.Now())
		}
	})
}

func BenchmarkAssembler(b *testing.B) {
	var log packetLog
	p := NewPacketizer(&log, 0)
	frame := testFrame(0, 4200, true)
	if err := p.WriteFrame(frame, 0); err != nil {
		b.Fatal(err)
	}
	a := NewAssembler(0)
	now := time.Now()
	b.ReportAllocs()
	var seq uint16
	for b.Loop() {
		for _, pk := range log.pkts {
			a.Push(seq, pk.Timestamp, pk.Marker, pk.Payload)
			seq++
		}
		if _, ok := a.Pop(now); !ok {
			b.Fatal("no frame")
		}
	}
}

func TestAssemblerPaddingPacketsAreNotLosses(t *testing.T) {
	frames := makeFrames(30, 10)
	pkts := packetize(t, frames)
	// Insert padding-only packets (empty payload) between frames and
	// inside one, renumbering so they take sequence numbers as a browser's
	// bandwidth probes do.
	var out []rtp.Packet
	for i, p := range pkts {
		out = append(out, p)
		if p.Marker || i == 3 {
			out = append(out, rtp.Packet{Header: rtp.Header{Timestamp: p.Timestamp}})
		}
	}
	seq := uint16(65530) // and wrap around
	for i := range out {
		out[i].SequenceNumber = seq
		seq++
	}
	a := NewAssembler(10 * time.Millisecond)
	start := time.Now()
	var got []sent
	for i, p := range out {
		a.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		for {
			f, ok := a.Pop(start.Add(time.Duration(i) * 20 * time.Millisecond))
			if !ok {
				break
			}
			got = append(got, sent{append([]byte(nil), f.Data...), f.Timestamp})
		}
	}
	sameFrames(t, got, frames)
	if s := a.Stats(); s.Lost != 0 || s.Malformed != 0 {
		t.Fatalf("stats %+v: padding counted as loss or garbage", s)
	}
}

func TestLossWaitFor(t *testing.T) {
	for _, c := range []struct{ rtt, want time.Duration }{
		{0, DefaultLossWait},
		{2 * time.Millisecond, DefaultLossWait}, // loopback
		{25 * time.Millisecond, DefaultLossWait},
		{50 * time.Millisecond, 150 * time.Millisecond},
		{150 * time.Millisecond, 350 * time.Millisecond}, // across an ocean
		{300 * time.Millisecond, MaxLossWait},
		{2 * time.Second, MaxLossWait},
	} {
		if got := LossWaitFor(c.rtt); got != c.want {
			t.Errorf("LossWaitFor(%v) = %v, want %v", c.rtt, got, c.want)
		}
	}
}

// A retransmission that comes back after one 150 ms round trip, or after
// two 50 ms ones (the first was lost), fills its hole once the wait follows
// the round trip; with the default wait the frame was already given up and
// the stream waits for a keyframe.
func TestAssemblerLossWaitFollowsRTT(t *testing.T) {
	for _, c := range []struct {
		rtt, after time.Duration // the round trip; when the retransmission lands
		lost       uint64
	}{
		{0, 165 * time.Millisecond, 1},
		{150 * time.Millisecond, 165 * time.Millisecond, 0},
		{50 * time.Millisecond, 2*50*time.Millisecond + 15*time.Millisecond, 0},
		{50 * time.Millisecond, 3*50*time.Millisecond + 15*time.Millisecond, 1}, // a third round trip: the keyframe is sooner
	} {
		frames := makeFrames(20, 10)
		pkts := packetize(t, frames)
		late := pkts[7]
		a := NewAssembler(0)
		if c.rtt > 0 {
			a.SetLossWait(LossWaitFor(c.rtt))
		}
		now := time.Now()
		// The hole is seen at once; the rest of the frames keep arriving
		// until the retransmission lands.
		pushAll(a, pkts[:7], now)
		pushAll(a, pkts[8:9], now)
		pushAll(a, pkts[9:], now.Add(c.after-time.Millisecond))
		pushAll(a, []rtp.Packet{late}, now.Add(c.after))
		if s := a.Stats(); s.Lost != c.lost {
			t.Errorf("round trip %v, retransmission after %v: %d packets given up on, want %d", c.rtt, c.after, s.Lost, c.lost)
		}
	}
}

// TestAssemblerMarksHeldFrames: the frames a retransmission releases
// together are Held; frames that flow without a hole are not.
func TestAssemblerMarksHeldFrames(t *testing.T) {
	_, pkts, late := withHole(t)
	a := NewAssembler(time.Second)
	now := time.Now()
	pop := func() (held []bool) {
		for {
			f, ok := a.Pop(now)
			if !ok {
				return held
			}
			held = append(held, f.Held)
		}
	}
	var before []bool
	for _, p := range pkts {
		a.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
		before = append(before, pop()...)
	}
	for i, h := range before {
		if h {
			t.Fatalf("frame %d, released before any hole, is Held", i)
		}
	}
	a.Push(late.SequenceNumber, late.Timestamp, late.Marker, late.Payload)
	after := pop()
	if len(after) < 2 || slices.Contains(after, false) {
		t.Fatalf("the retransmission released %v; want the held frames, all Held", after)
	}
	// The next frame flows normally again.
	next := packetize(t, []sent{{testFrame(20, 800, false), 20 * 3000}})
	for i := range next {
		next[i].SequenceNumber = pkts[len(pkts)-1].SequenceNumber + 1 + uint16(i)
		a.Push(next[i].SequenceNumber, next[i].Timestamp, next[i].Marker, next[i].Payload)
	}
	if h := pop(); len(h) != 1 || h[0] {
		t.Fatalf("the frame after the burst: %v, want one not Held", h)
	}
}
