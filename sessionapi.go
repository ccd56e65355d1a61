package rtcstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/server"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
)

// Session is a handler's view of the session it runs in: what it can do
// besides reading its input and inputs and producing its output. Helpers
// such as voice.ReplyOnPause are built on it alone, so a user can write
// their own. In a LiveKit worker (package livekit) it is the participant's
// stream, and the page is the participant. Its methods are safe for
// concurrent use.
type Session struct{ ss server.Handle }

// SessionFrom returns the session whose handler got ctx (every handler
// form that takes a context.Context), or nil when ctx is not a handler's,
// for example in a test that calls the handler directly.
func SessionFrom(ctx context.Context) *Session {
	ss := server.FromContext(ctx)
	if ss == nil {
		return nil
	}
	return &Session{ss}
}

// Input returns the current value of input c, one of the stream's extra
// inputs (StreamEvent.Inputs), as the page last set it: its initial value
// until then, converted as a handler parameter would be. ok is false when
// c is not one of the stream's inputs. Handlers of a fixed signature (an
// AudioStreamFunc such as voice.ReplyOnPause's, an AudioVideoHandler, a
// reply) read their inputs this way; others get them as parameters.
func (s *Session) Input(c ui.Input) (v any, ok bool) { return s.ss.Input(c) }

// Output sends v to the page as the value of output c, one of the
// stream's additional outputs (StreamEvent.Outputs): a transcript to a
// ui.Chatbot, a reading to a Textbox. A value equal to the one last sent
// is not sent again. It returns an error when c is not one of the
// stream's outputs or v does not encode for it; it does not block on the
// network. Handlers of a fixed signature send their outputs this way;
// others return them as results.
func (s *Session) Output(c ui.Output, v any) error {
	if err := s.ss.Output(c, v); err != nil {
		return fmt.Errorf("rtcstream: Output: %w", err)
	}
	return nil
}

// ReportTurn tells the Stream's Observer of a turn of conversation, when
// it is a TurnObserver (package metrics keeps its timings); otherwise it
// does nothing. Turn-taking handlers call it as each reply begins.
func (s *Session) ReportTurn(t Turn) {
	if eo, ok := s.ss.Observer().(engineObserver); ok {
		if to, ok := eo.o.(TurnObserver); ok {
			to.Turn(t)
		}
	}
}

// ErrNoAudioOutput is returned by Session.Play in a session that sends no
// audio to the browser (video, or send mode).
var ErrNoAudioOutput = errors.New("rtcstream: the session sends no audio")

// ID is the session's webrtc_id, as the page chose it; in a LiveKit
// worker, the participant's identity.
func (s *Session) ID() string { return s.ss.ID() }

// Identity is what Options.Authorize returned for the request that
// started the session (a user name, a token's claims); nil without
// Authorize. In a LiveKit worker it is the participant's identity (a
// string), which the token that let it join named.
func (s *Session) Identity() any { return s.ss.Identity() }

// Logger is the Stream's logger with the session's ID attached.
func (s *Session) Logger() *slog.Logger { return s.ss.Logger() }

// Send sends msg to the page as JSON over the session's data channel.
// The page's stream element dispatches every message as a
// "servermessage" event; msg must marshal to an object with a string
// "type". The element itself acts on the types it knows: "vad" events
// ({"type": "vad", "event": name}, with name one of started_talking,
// pause_detected, reply_started, reply_ended, barge_in) move its turn
// chip, "warning" and "error" ({"message": text}) show in its message
// box. Send does not block on the network; a message for a page that has
// gone is dropped.
func (s *Session) Send(msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("rtcstream: Send: %w", err)
	}
	var head struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(b, &head) != nil || head.Type == "" {
		return fmt.Errorf(`rtcstream: Send: the message must be a JSON object with a "type"; got %s`, clip(b, 60))
	}
	s.ss.SendJSON(b)
	return nil
}

// Play queues f to be played to the browser in full, after the audio
// queued before it: a reply, a prompt, anything produced ahead of real
// time. (Audio a send-receive handler writes to its out channel is live
// instead: its delay is bounded by dropping what stands in the queue.)
// Frames may have any rate and length, mono or stereo. Play blocks while
// a second of audio waits, so a fast producer is paced; it returns ctx's
// error when ctx ends first, ErrClosed once the session has ended, and
// ErrNoAudioOutput in a session that sends no audio.
func (s *Session) Play(ctx context.Context, f media.AudioFrame) error {
	out, err := s.output()
	if err != nil {
		return err
	}
	return closedAs(out.Queue(ctx, f))
}

// WaitPlayed waits until every sample queued so far has been sent to the
// browser (the browser plays it a network trip and its jitter buffer
// later) or dropped by FlushAudio. It returns ctx's error when ctx ends
// first and ErrClosed once the session has ended.
func (s *Session) WaitPlayed(ctx context.Context) error {
	out, err := s.output()
	if err != nil {
		return err
	}
	return closedAs(out.WaitPlayed(ctx, out.End()))
}

// FlushAudio drops the audio queued for the browser (barge-in: the user
// talks over a reply); the next packets are silence, and WaitPlayed
// returns.
func (s *Session) FlushAudio() {
	if out, err := s.output(); err == nil {
		out.Flush()
	}
}

func (s *Session) output() (*pipeline.AudioOut, error) {
	if out := s.ss.AudioOut(); out != nil {
		return out, nil
	}
	return nil, ErrNoAudioOutput
}

// closedAs reports the output's closing as ErrClosed.
func closedAs(err error) error {
	if errors.Is(err, pipeline.ErrOutputClosed) {
		return ErrClosed
	}
	return err
}

// clip shortens b for an error message.
func clip(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}
