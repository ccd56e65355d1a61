package pipeline

import "time"

// transitWindow is how long a frame's transit time counts toward the
// least: long enough to remember a calm moment through seconds of
// overload, short enough that clocks drifting apart by a few hundred
// parts per million change the least by a millisecond or two.
const transitWindow = 5 * time.Second

// readLag estimates how long a session's frames waited to be read: the
// queue in front of the decoder that builds when the server's CPUs cannot
// keep up, which a frame's time in the pipeline does not show. A frame's
// transit is the time its first packet was read less its RTP timestamp
// (in one clock); its lag is its transit less the least of the last one
// to two transitWindows. On a calm path and an idle server it is about
// zero.
//
// It trusts the sender to stamp its frames in real time, as cameras,
// browsers and encoders do: a sender whose stamps run ahead of its
// sending (a program that stamps frames 1/30 s apart but sends them
// further apart) looks late by its drift over up to two windows. A jump
// of over a second between two frames (a sender that restarts its
// timestamps, a long pause) starts afresh.
type readLag struct {
	have      bool
	epoch     time.Time // the first frame's read time
	firstTS   uint32    // and RTP timestamp
	prevAt    time.Time
	prevTS    uint32
	cur, prev time.Duration // the least transit of this window and the last
	rotated   time.Time     // when this window began
}

// next returns the lag of the frame stamped ts whose first packet was
// read at at. Frames must come in order.
func (r *readLag) next(at time.Time, ts uint32) time.Duration {
	if r.have {
		stamped := time.Duration(int32(ts-r.prevTS)) * time.Second / 90000
		read := at.Sub(r.prevAt)
		if stamped <= 0 || stamped > time.Second || read-stamped > time.Second {
			r.have = false
		}
	}
	if !r.have {
		*r = readLag{have: true, epoch: at, firstTS: ts, prevAt: at, prevTS: ts, rotated: at}
		return 0
	}
	r.prevAt, r.prevTS = at, ts
	sent := time.Duration(int32(ts-r.firstTS)) * time.Second / 90000
	transit := at.Sub(r.epoch) - sent
	if at.Sub(r.rotated) >= transitWindow {
		r.prev, r.cur, r.rotated = r.cur, transit, at
	}
	r.cur = min(r.cur, transit)
	return max(0, transit-min(r.cur, r.prev))
}
