package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// The control protocol on the session's data channel, JSON objects with a
// "type". From the page: "stop", and "input" {"values": {id: value}}.
// To the page: "time_limit" {"seconds"}, "tick", "output" {"values"},
// "error" and "warning" {"message"}, "end" {"reason", "error",
// "message"}, and whatever handlers send (Session.Send in the root).
//
// What a page may send is bounded: messages of at most
// peer.MaxMessageSize (larger ones are dropped, and the page told once),
// controlRate a second (the excess is dropped, and the page told at most
// once a second), one warning per message however many unknown inputs it
// names, one control channel (others are closed). Each refusal is logged,
// and costs no other session anything.

// controlRate and controlBurst bound the control messages a page sends:
// a slider dragged sends a few dozen a second.
const (
	controlRate  = 100 // a second
	controlBurst = 100
)

// unknownShown is how many unknown input ids a warning names.
const unknownShown = 3

// errorMessageInterval rate-limits handler error messages to the page.
const errorMessageInterval = time.Second

// errorReports rate-limits a session's handler error reports.
type errorReports struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// Send sends a control message to the page, if its channel is open.
func (ss *Session) Send(msg any) {
	if b, err := json.Marshal(msg); err == nil {
		ss.SendJSON(b)
	}
}

// SendJSON sends an encoded control message to the page, if its channel
// is open. It does not block on the network.
func (ss *Session) SendJSON(b []byte) {
	if c := ss.conn.Load(); c != nil {
		c.Send(b)
	}
}

// HandlerError reports a handler failure to the page (rate-limited, so a
// handler failing on every frame does not flood it) and the log, and says
// whether the session should end.
func (ss *Session) HandlerError(err error) bool {
	ss.s.obs.handlerFailed()
	stop := ss.s.cfg.EndOnError
	e := &ss.errs
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	if !stop && now.Sub(e.last) < errorMessageInterval {
		e.suppressed++ // counted in the next report, to page and log alike
		return false
	}
	msg := err.Error()
	if e.suppressed > 0 {
		msg = fmt.Sprintf("%s (and %d more errors)", msg, e.suppressed)
	}
	var herr *pipeline.HandlerError
	if errors.As(err, &herr) && herr.Panic {
		ss.log.Error("handler panicked", "err", herr.Err, "more", e.suppressed, "stack", string(herr.Stack))
	} else {
		ss.log.Warn("handler failed", "err", err, "more", e.suppressed)
	}
	ss.Send(map[string]string{"type": "error", "message": msg})
	e.last, e.suppressed = now, 0
	return stop
}

// onMessage handles a control message from the page. It is called from
// the control channel's reader, one message at a time.
func (ss *Session) onMessage(msg []byte) {
	if ok, warn := ss.ctl.take(time.Now()); !ok {
		if warn {
			ss.log.Warn("control messages over the rate: dropped", "rate", controlRate, "dropped", ss.ctl.droppedCount())
			ss.warn(fmt.Sprintf("the page sends more than %d control messages a second: the excess is dropped", controlRate))
		}
		return
	}
	var m struct {
		Type   string                     `json:"type"`
		Values map[string]json.RawMessage `json:"values"`
	}
	if json.Unmarshal(msg, &m) != nil {
		ss.warn("the server could not read a control message")
		return
	}
	switch m.Type {
	case "stop":
		go ss.end(endClientStop, nil)
	case "input":
		ApplyInputs(m.Values, ss.input, ss.Send)
	}
}

// ApplyInputs applies the values of an "input" control message with set
// (Handlers.SetInput; nil: the stream has no inputs), and tells the
// sender with send: an "error" for each value refused (the previous one
// stays), one "warning" naming the ids that are no inputs.
func ApplyInputs(values map[string]json.RawMessage, set func(id string, raw []byte) (bool, error), send func(msg any)) {
	var unknown []string
	for id, raw := range values {
		ok, err := false, error(nil)
		if set != nil {
			ok, err = set(id, raw)
		}
		switch {
		case !ok:
			unknown = append(unknown, id)
		case err != nil:
			// Only real inputs get here, so these are few.
			send(map[string]string{"type": "error", "message": err.Error()})
		}
	}
	if len(unknown) > 0 {
		send(map[string]string{"type": "warning", "message": unknownInputs(unknown)})
	}
}

// unknownInputs is the one warning for a message's unknown input ids,
// naming the first few in order.
func unknownInputs(ids []string) string {
	slices.Sort(ids)
	if len(ids) == 1 {
		return fmt.Sprintf("input %s is not an input of this stream", quoteID(ids[0]))
	}
	var b strings.Builder
	b.WriteString("inputs ")
	for i, id := range ids[:min(len(ids), unknownShown)] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteID(id))
	}
	if more := len(ids) - unknownShown; more > 0 {
		fmt.Fprintf(&b, " and %d more", more)
	}
	b.WriteString(" are not inputs of this stream")
	return b.String()
}

// quoteID quotes an id the page sent, cut to a length fit for a message.
func quoteID(id string) string {
	if len(id) > 64 {
		id = strings.ToValidUTF8(id[:64], "") + "…"
	}
	return fmt.Sprintf("%q", id)
}

// warn sends the page a warning.
func (ss *Session) warn(msg string) {
	ss.Send(map[string]string{"type": "warning", "message": msg})
}

// controlRefused is told when the page breaks the control channel's rules
// (peer.OnControlRefused: once for each kind).
func (ss *Session) controlRefused(err error) {
	ss.log.Warn("control channel: refused", "err", err)
	if errors.Is(err, peer.ErrMessageTooLarge) {
		ss.warn(fmt.Sprintf("a control message over %d bytes was dropped", peer.MaxMessageSize))
	}
}

// FrameTooLarge tells the page, once, that its camera's frames are over
// the stream's bound; the pipeline drops them and ends the video if they
// go on (pipeline.MaxOversizeKeyFrames, pipeline.OversizeWait). Carrier.
func (ss *Session) FrameTooLarge(err *pipeline.FrameTooLargeError) {
	if ss.toldSize.Swap(true) {
		return
	}
	ss.log.Warn("video frames over the size bound: dropped", "size", err.Size, "max", err.Max)
	ss.Send(map[string]string{"type": "error", "message": err.Error()})
}

// controlBudget is a token bucket for the page's control messages, which
// counts what it drops and has it told at most once a second.
type controlBudget struct {
	mu       sync.Mutex
	tokens   float64
	at       time.Time // when tokens was counted; zero: full
	dropped  uint64
	lastWarn time.Time
}

// take takes a token at now. Without one it returns false, and whether a
// warning is due: at the first drop, then at most once a second.
func (b *controlBudget) take(now time.Time) (ok, warn bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.at.IsZero() {
		b.tokens = controlBurst
	} else {
		b.tokens = min(controlBurst, b.tokens+now.Sub(b.at).Seconds()*controlRate)
	}
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, false
	}
	b.dropped++
	if !b.lastWarn.IsZero() && now.Sub(b.lastWarn) < time.Second {
		return false, false
	}
	b.lastWarn = now
	return false, true
}

// droppedCount is the number of messages dropped so far.
func (b *controlBudget) droppedCount() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
