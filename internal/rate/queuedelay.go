package rate

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// QueueDelayKey is the key of the estimator's GetStats under which a
// session finds the path's queueing delay, in milliseconds (float64): how
// much longer the packets of the latest transport-wide feedback took to
// arrive than the quickest packet so far. It is the plainest sign of a
// path that is full, seen within one feedback interval (about 100 ms),
// where GCC's delay detector, built to ignore jitter, can take seconds.
const QueueDelayKey = "queueDelayMs"

// queueSlots is how many sent packets' departure times are kept: a second
// of video at several Mbit/s, far more than one feedback covers.
const queueSlots = 1024

// queueWatch measures the queueing delay from transport-wide feedback:
// each packet's arrival (the receiver's clock) less its departure (ours)
// is the one-way delay plus a fixed clock offset, so its excess over the
// smallest value seen is the time the packet spent queued.
type queueWatch struct {
	mu   sync.Mutex
	sent [queueSlots]struct {
		seq uint16
		at  time.Time
		ok  bool
	}
	base     time.Duration // smallest arrival - departure so far
	haveBase bool
	queue    time.Duration // over the latest feedback's packets, the largest
}

func (q *queueWatch) onSent(seq uint16, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := &q.sent[seq%queueSlots]
	s.seq, s.at, s.ok = seq, at, true
}

// onFeedback reads the arrival times of a TWCC feedback (RFC draft
// holmer-rmcat-transport-wide-cc-extensions: chunks of packet statuses,
// a delta for every received packet, times from the reference time).
func (q *queueWatch) onFeedback(fb *rtcp.TransportLayerCC) {
	q.mu.Lock()
	defer q.mu.Unlock()
	arrival := time.Duration(fb.ReferenceTime) * 64 * time.Millisecond
	seq, left, deltas := fb.BaseSequenceNumber, int(fb.PacketStatusCount), fb.RecvDeltas
	var worst time.Duration
	found := false
	status := func(symbol uint16) {
		if left <= 0 {
			return
		}
		left--
		this := seq
		seq++
		received := symbol == rtcp.TypeTCCPacketReceivedSmallDelta || symbol == rtcp.TypeTCCPacketReceivedLargeDelta
		if !received || len(deltas) == 0 {
			return
		}
		arrival += time.Duration(deltas[0].Delta) * time.Microsecond
		deltas = deltas[1:]
		s := q.sent[this%queueSlots]
		if !s.ok || s.seq != this {
			return
		}
		owd := arrival - time.Duration(s.at.UnixNano())
		if !q.haveBase || owd < q.base {
			q.base, q.haveBase = owd, true
		}
		if d := owd - q.base; !found || d > worst {
			worst, found = d, true
		}
	}
	for _, chunk := range fb.PacketChunks {
		switch c := chunk.(type) {
		case *rtcp.RunLengthChunk:
			for range c.RunLength {
				status(c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			for _, symbol := range c.SymbolList {
				if c.SymbolSize == rtcp.TypeTCCSymbolSizeOneBit && symbol == 1 {
					symbol = rtcp.TypeTCCPacketReceivedSmallDelta
				}
				status(symbol)
			}
		}
	}
	if found {
		q.queue = worst
	}
}

func (q *queueWatch) delay() time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queue
}

// watchedEstimator is pion's estimator with a queueWatch beside it, whose
// reading GetStats adds under QueueDelayKey.
type watchedEstimator struct {
	cc.BandwidthEstimator
	q queueWatch
}

func (w *watchedEstimator) AddStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	var extID uint8
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == sdp.TransportCCURI {
			extID = uint8(e.ID) //nolint:gosec // header extension IDs are 1-255
		}
	}
	return w.BandwidthEstimator.AddStream(info, interceptor.RTPWriterFunc(
		func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
			if extID != 0 {
				var ext rtp.TransportCCExtension
				if b := h.GetExtension(extID); b != nil && ext.Unmarshal(b) == nil {
					w.q.onSent(ext.TransportSequence, time.Now())
				}
			}
			return writer.Write(h, payload, a)
		}))
}

func (w *watchedEstimator) WriteRTCP(pkts []rtcp.Packet, a interceptor.Attributes) error {
	for _, p := range pkts {
		if fb, ok := p.(*rtcp.TransportLayerCC); ok {
			w.q.onFeedback(fb)
		}
	}
	return w.BandwidthEstimator.WriteRTCP(pkts, a)
}

func (w *watchedEstimator) GetStats() map[string]any {
	stats := w.BandwidthEstimator.GetStats()
	stats[QueueDelayKey] = float64(w.q.delay().Microseconds()) / 1000
	return stats
}
