package pipeline

import "time"

// transitWindow is how long a transit time counts toward the least: long
// enough to hold a moment of calm, short enough that the sender's and our
// clocks, drifting apart by up to a few hundred parts per million, do not
// make an old least wrong by more than a millisecond or two.
const transitWindow = 5 * time.Second

// transitMin tells how late a frame's first packet was read: its transit
// (read time less RTP timestamp, in one clock) against the least transit
// of the last one to two transitWindows. On a quiet path and an idle
// server the lag is about zero; it grows with queues on the path and with
// packets left unread while the server's CPUs are busy.
type transitMin struct {
	have      bool
	epoch     time.Time // the first frame's read time
	firstTS   uint32    // and RTP timestamp
	cur, prev time.Duration
	rotated   time.Time
}

// lag returns how much later than the least transit the frame stamped ts,
// whose first packet was read at, came in.
func (t *transitMin) lag(at time.Time, ts uint32) time.Duration {
	if !t.have {
		*t = transitMin{have: true, epoch: at, firstTS: ts, rotated: at}
		return 0
	}
	sent := time.Duration(int32(ts-t.firstTS)) * time.Second / 90000
	transit := at.Sub(t.epoch) - sent
	if at.Sub(t.rotated) >= transitWindow {
		t.prev, t.cur, t.rotated = t.cur, transit, at
	}
	t.cur = min(t.cur, transit)
	return max(0, transit-min(t.cur, t.prev))
}
