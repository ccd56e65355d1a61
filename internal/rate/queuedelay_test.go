package rate

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// The queueing delay is read from transport-wide feedback: packets sent
// 10 ms apart that arrive 10 ms apart have none; when they arrive 30 ms
// apart, each waited 20 ms more than the one before. Lost packets (no
// delta) and packets never recorded as sent are skipped, and both kinds of
// status chunk are read.
func TestQueueWatch(t *testing.T) {
	var q queueWatch
	t0 := time.Unix(5000, 0)
	for i := range 8 {
		q.onSent(uint16(100+i), t0.Add(time.Duration(i)*10*time.Millisecond))
	}
	delta := func(ms int) *rtcp.RecvDelta {
		return &rtcp.RecvDelta{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: int64(ms) * 1000}
	}
	// Packets 100-103 arrive in step: no queue.
	q.onFeedback(&rtcp.TransportLayerCC{
		BaseSequenceNumber: 100, PacketStatusCount: 4, ReferenceTime: 1000,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{
			PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 4,
		}},
		RecvDeltas: []*rtcp.RecvDelta{delta(3), delta(10), delta(10), delta(10)},
	})
	if d := q.delay(); d != 0 {
		t.Errorf("in step: queue %v, want 0", d)
	}
	// 104 lost, 105-107 arriving 30 ms apart though sent 10 ms apart.
	q.onFeedback(&rtcp.TransportLayerCC{
		BaseSequenceNumber: 104, PacketStatusCount: 4, ReferenceTime: 1000,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.StatusVectorChunk{
			SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit,
			SymbolList: []uint16{rtcp.TypeTCCPacketNotReceived, rtcp.TypeTCCPacketReceivedSmallDelta,
				rtcp.TypeTCCPacketReceivedSmallDelta, rtcp.TypeTCCPacketReceivedSmallDelta},
		}},
		// 105 at 113 ms from the reference time (sent at 50 ms)
		RecvDeltas: []*rtcp.RecvDelta{delta(113), delta(30), delta(30)},
	})
	// Packet 100, sent at 0, arrived at 3 ms: the quickest. 107, sent at
	// 70 ms, arrives at 113+30+30 = 173 ms: 100 ms more.
	if d := q.delay(); d != 100*time.Millisecond {
		t.Errorf("growing queue: %v, want 100ms", d)
	}
	// Feedback about packets never sent (or long overwritten) changes nothing.
	before := q.delay()
	q.onFeedback(&rtcp.TransportLayerCC{
		BaseSequenceNumber: 9000, PacketStatusCount: 1, ReferenceTime: 2000,
		PacketChunks: []rtcp.PacketStatusChunk{&rtcp.RunLengthChunk{
			PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 1,
		}},
		RecvDeltas: []*rtcp.RecvDelta{delta(1)},
	})
	if d := q.delay(); d != before {
		t.Errorf("feedback on unknown packets moved the queue from %v to %v", before, d)
	}
}
