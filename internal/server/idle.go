package server

import (
	"strings"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/internal/peer"
)

// A connected session that hears nothing from its browser for
// Config.IdleTimeout ends ("no media for 30s"). What counts as hearing:
//
//   - a session that receives media (send-receive and send modes): RTP on
//     its incoming tracks, and nothing else; a client that holds a
//     connection open and sends no media is idle however chatty it is.
//   - a receive-mode session: anything its browser sends (peer.Conn.Heard:
//     RTCP, control messages, its answers to ICE's consent checks). A
//     viewer whose browser is alive is never idle, however long the
//     generator pauses; one that is gone is ended sooner by ICE (about
//     6 s). RTCP alone would not do: Chromium reports on received audio
//     only every 5 s or so.
//
// The receive paths store the time with one atomic write per packet; a
// receive-mode session's wait loop reads Heard at each check.

// idleCheck is how often the wait loop looks at the last activity: the
// timeout is honoured to within this.
func idleCheck(timeout time.Duration) time.Duration {
	return min(max(timeout/4, 10*time.Millisecond), time.Second)
}

// touch records activity from the browser at t.
func (ss *Session) touch(t time.Time) { ss.lastSeen.Store(t.UnixNano()) }

// idleSince returns how long the session has heard nothing at now.
func (ss *Session) idleSince(now time.Time) time.Duration {
	return now.Sub(time.Unix(0, ss.lastSeen.Load()))
}

// watchActivity wraps the answer's receive callbacks so that each packet
// counts as activity.
func (ss *Session) watchActivity(o *peer.AnswerOptions) {
	for _, fn := range []*peer.RTPFunc{&o.OnVideoRTP, &o.OnAudioRTP} {
		if next := *fn; next != nil {
			*fn = func(p *rtp.Packet, at time.Time) {
				ss.touch(at)
				next(p, at)
			}
		}
	}
}

// idleWatch is the wait loop's view of a session's activity.
type idleWatch struct {
	ss    *Session
	conn  *peer.Conn
	heard uint64 // conn.Heard at the last check (receive mode)
}

// idle reports whether the session has heard nothing for its timeout at
// now.
func (w *idleWatch) idle(now time.Time) bool {
	if !w.ss.s.cfg.Mode.receives() {
		if n := w.conn.Heard(); n != w.heard {
			w.heard = n
			w.ss.touch(now)
		}
	}
	return w.ss.idleSince(now) >= w.ss.idleTimeout()
}

// idleTimeout is the session's, 0 for none.
func (ss *Session) idleTimeout() time.Duration {
	return max(ss.s.cfg.IdleTimeout, 0)
}

// shortDuration is d as time.Duration writes it, without zero units
// after the first: "30s", "2m", "1h30m".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
