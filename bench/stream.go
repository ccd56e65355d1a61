package bench

import (
	"context"
	"errors"
	"image"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/media"
)

// probeRing is how many of its latest frames a probe remembers by counter:
// at 30 fps, about 34 s, far longer than any frame stays in flight.
const probeRing = 1024

// probeSent is what a probe remembers of one sent frame.
type probeSent struct {
	valid    bool
	counter  uint16
	ts       uint32    // RTP timestamp
	encStart time.Time // before the pattern was drawn and encoded
	sent     time.Time // encoded, handed to the packetizer
}

// totals are counters shared by the streams of one run, for the progress
// line.
type totals struct {
	connected, failed atomic.Int64
	sent, returned    atomic.Uint64
}

// stream is one send-receive session of a run.
type stream struct {
	idx   int
	probe bool
	o     *Options
	seq   [][]byte // the replayed sequence (replaying streams)
	pat   *pattern // the picture (probes)
	tot   *totals

	keyRequested atomic.Bool

	mu       sync.Mutex
	sentAt   map[uint32]time.Time // RTP timestamp -> sent, until returned
	lat      []time.Duration      // timestamp-matched latencies, in arrival order
	progress int                  // lat[:progress] was seen by the progress line
	first    time.Time            // first frame returned
	returned uint64
	matched  uint64
	bytes    uint64
	keys     uint64
	// probes only
	ring       []probeSent     // probeRing of them
	probeLat   []time.Duration // counter-matched, same span as lat
	probeE2E   []time.Duration // encode start to decoded frame read
	probeRead  uint64          // frames decoded and read
	unreadable uint64          // frames whose counter could not be read
	unknown    uint64          // counters read that were not recently sent
	mismatch   uint64          // counter and RTP timestamp name different frames

	// Set by run, read after it returns.
	dialStart time.Time
	connected time.Time
	dialErr   error
	sent      uint64
	sendStart time.Time
	sendEnd   time.Time
	late      uint64 // frame slots missed because the sender was late
	ended     string // why the connection ended early, if it did
	stats     client.Stats
	dropped   uint64 // decoded probe frames not read in time
}

func newStream(idx int, probe bool, o *Options, seq [][]byte, pat *pattern, tot *totals) *stream {
	s := &stream{idx: idx, probe: probe, o: o, seq: seq, pat: pat, tot: tot, sentAt: make(map[uint32]time.Time)}
	if probe {
		s.ring = make([]probeSent, probeRing)
	}
	return s
}

// run dials at startAt, sends until endAt, waits for the frames still on
// their way, and hangs up. dialed is called once Dial has returned.
func (s *stream) run(ctx context.Context, base string, startAt, endAt time.Time, dialed func()) {
	dialOnce := sync.OnceFunc(dialed)
	defer dialOnce()
	if !sleepUntil(ctx, startAt) {
		s.dialErr = ctx.Err()
		return
	}
	opts := s.o.clientOptions(base)
	opts.Bitrate = s.o.Bitrate
	opts.VideoCodec = s.o.VideoCodec
	opts.SkipDecode = !s.probe
	opts.OnFrame = s.onFrame
	if s.probe {
		opts.FrameBuffer = 2 * s.o.FPS
	}

	var enc codec.VideoEncoder
	if s.probe {
		var err error
		if enc, err = newEncoder(s.o); err != nil {
			s.dialErr = err
			s.tot.failed.Add(1)
			return
		}
		defer enc.Close()
		opts.OnKeyFrameRequest = enc.RequestKeyFrame
	} else {
		opts.OnKeyFrameRequest = func() { s.keyRequested.Store(true) }
	}

	s.dialStart = time.Now()
	dctx, cancel := context.WithTimeout(ctx, s.o.ConnectTimeout)
	conn, err := s.o.dial(dctx, s.idx, base, &opts)
	cancel()
	if err != nil {
		s.dialErr = err
		s.tot.failed.Add(1)
		return
	}
	s.connected = time.Now()
	s.tot.connected.Add(1)
	dialOnce()

	var readers sync.WaitGroup
	rctx, stopReading := context.WithCancel(context.Background())
	if s.probe {
		readers.Go(func() { s.readProbe(rctx, conn) })
	}
	s.send(ctx, conn, enc, endAt)
	s.drain(ctx, conn)
	select {
	case <-conn.Done():
		s.ended = endReason(conn)
	default:
	}
	s.stats = conn.Stats()
	s.dropped = conn.DroppedFrames()
	_ = conn.Close()
	stopReading()
	readers.Wait()
}

// sleepUntil waits for t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// send writes a frame every frame interval until endAt. A frame is due at
// its slot; a sender that falls more than one interval behind (a loaded
// client) skips the slots it missed, as a camera would, and counts them.
func (s *stream) send(ctx context.Context, conn Conn, enc codec.VideoEncoder, endAt time.Time) {
	interval := frameInterval(s.o.FPS)
	// A random start makes the RTP timestamps unlike any a server would
	// make up, so a match means the server carried them.
	base := time.Duration(rand.Int64N(int64(10 * time.Hour)))
	var img *image.YCbCr
	var buf []byte
	if s.probe {
		img = media.NewI420(s.o.Width, s.o.Height)
	}
	t0 := time.Now()
	s.sendStart = t0
	defer func() { s.sendEnd = time.Now() }()
	tm := time.NewTimer(0)
	defer tm.Stop()
	pos := 0 // position in the sequence (replaying) or the pattern (probes)
	for slot := 0; ; slot++ {
		due := t0.Add(time.Duration(slot) * interval)
		if !due.Before(endAt) {
			return
		}
		tm.Reset(time.Until(due))
		select {
		case <-tm.C:
		case <-ctx.Done():
			return
		case <-conn.Done():
			return
		}
		if behind := time.Since(due); behind > interval {
			// Send the slot whose time it is now; the ones before are lost.
			skip := int(behind / interval)
			slot += skip
			s.late += uint64(skip)
			if !t0.Add(time.Duration(slot) * interval).Before(endAt) {
				return
			}
		}
		pts := base + time.Duration(slot)*interval
		ts := client.RTPTimestamp(pts)
		counter := uint16(slot)
		var frame []byte
		var encStart time.Time
		if s.probe {
			encStart = time.Now()
			s.pat.draw(img, pos)
			stampCounter(img, counter)
			var err error
			if buf, _, err = enc.Encode(buf[:0], img, pts); err != nil {
				return
			}
			frame = buf
		} else {
			if s.keyRequested.Swap(false) {
				pos = 0 // the sequence starts with its keyframe
			}
			frame = s.seq[pos%len(s.seq)]
		}
		pos++
		now := time.Now()
		s.mu.Lock()
		s.sentAt[ts] = now
		if s.probe {
			s.ring[counter%probeRing] = probeSent{valid: true, counter: counter, ts: ts, encStart: encStart, sent: now}
		}
		s.mu.Unlock()
		if err := conn.WriteEncoded(frame, pts); err != nil {
			return
		}
		s.sent++
		s.tot.sent.Add(1)
	}
}

// drain waits, up to the drain time, for the frames still on their way,
// and for a probe to have read the ones that came.
func (s *stream) drain(ctx context.Context, conn Conn) {
	deadline := time.Now().Add(s.o.Drain)
	for time.Now().Before(deadline) {
		st := conn.Stats()
		s.mu.Lock()
		done := s.returned >= s.sent &&
			(!s.probe || s.probeRead+conn.DroppedFrames()+st.DecodeErrors >= s.returned)
		s.mu.Unlock()
		if done {
			return
		}
		select {
		case <-time.After(10 * time.Millisecond):
		case <-ctx.Done():
			return
		case <-conn.Done():
			return
		}
	}
}

// onFrame counts a returned frame and matches it to a sent one by RTP
// timestamp. It runs on the client's video reader.
func (s *stream) onFrame(f client.FrameInfo) {
	s.mu.Lock()
	s.returned++
	s.bytes += uint64(f.Size)
	if f.KeyFrame {
		s.keys++
	}
	if s.first.IsZero() {
		s.first = f.Received
	}
	if at, ok := s.sentAt[f.RTPTimestamp]; ok {
		delete(s.sentAt, f.RTPTimestamp)
		s.matched++
		s.lat = append(s.lat, f.Received.Sub(at))
	}
	s.mu.Unlock()
	s.tot.returned.Add(1)
}

// readProbe reads the probe's decoded frames and their counters.
func (s *stream) readProbe(ctx context.Context, conn Conn) {
	for {
		f, err := conn.ReadFrame(ctx)
		if err != nil {
			return
		}
		read := time.Now()
		counter, ok := readCounter(f.Image)
		s.mu.Lock()
		s.probeRead++
		switch e := s.ring[counter%probeRing]; {
		case !ok:
			s.unreadable++
		case !e.valid || e.counter != counter:
			s.unknown++
		default:
			s.probeLat = append(s.probeLat, f.Received.Sub(e.sent))
			s.probeE2E = append(s.probeE2E, read.Sub(e.encStart))
			if f.RTPTimestamp != e.ts {
				s.mismatch++
			}
		}
		s.mu.Unlock()
	}
}

// newLatencies returns the latencies measured since the last call.
func (s *stream) newLatencies(dst []time.Duration) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst = append(dst, s.lat[s.progress:]...)
	s.progress = len(s.lat)
	return dst
}

// endReason says why a connection ended before the run did: the server's
// "end" message if it sent one.
func endReason(conn Conn) string {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		m, err := conn.ReadMessage(ctx)
		cancel()
		if err != nil {
			if errors.Is(err, client.ErrClosed) || errors.Is(err, context.DeadlineExceeded) {
				return "connection closed"
			}
			return err.Error()
		}
		if m.Type == "end" {
			if m.Reason != "" {
				return "ended by the server: " + m.Reason
			}
			return "ended by the server"
		}
	}
}
