// Package agent builds voice agents on voice.ReplyOnPause: the user's
// turn is transcribed (STT), a language model writes the answer (LLM) and
// it is spoken (TTS), all streamed: the first sentence is spoken while the
// model still writes the rest, and talking over the agent (barge-in)
// cancels transcription, model and speech alike.
//
// The three parts are small interfaces. This package has:
//
//   - OpenAITranscriber, OpenAIChat and OpenAISpeech: OpenAI-compatible
//     HTTP endpoints (/audio/transcriptions, /chat/completions streamed
//     over server-sent events, /audio/speech), which local servers speak
//     too: Ollama, llama.cpp's server, vLLM, speaches;
//   - Espeak: text to speech with espeak-ng, run locally
//     (apt-get install espeak-ng);
//   - PocketSphinx: speech to text with CMU PocketSphinx, run locally
//     (apt-get install pocketsphinx pocketsphinx-en-us): small and
//     offline, and far less accurate than a Whisper endpoint.
//
// Handler makes the stream handler:
//
//	h, err := agent.Handler(agent.Options{
//		STT: &agent.OpenAITranscriber{Endpoint: ep, Model: "whisper-1"},
//		LLM: &agent.OpenAIChat{Endpoint: ep, Model: "gpt-4o-mini"},
//		TTS: &agent.Espeak{},
//		System: "You are a helpful voice assistant. Answer in one or two sentences.",
//		Chat: chatbot, // a ui.Chatbot among the stream's outputs: the transcript
//	})
//	err = audio.Stream(h, rtcstream.StreamEvent{Outputs: []ui.Component{audio, chatbot}})
package agent

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"strings"
	"sync"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
	"github.com/rtcstream/rtcstream/voice"
)

// Message is one message of a conversation: Role "system", "user" or
// "assistant". It is the ui.Chatbot's message, so a transcript shows as it
// is.
type Message = ui.Message

// STT turns speech into text.
type STT interface {
	// Transcribe returns what is said in utterance (any rate, mono or
	// stereo); "" when nothing is.
	Transcribe(ctx context.Context, utterance media.AudioFrame) (string, error)
}

// LLM writes the assistant's answer to a conversation.
type LLM interface {
	// Complete streams the answer to messages as pieces of text, in
	// order, as they are written. A failure ends the sequence with a
	// non-nil error; cancelling ctx stops it.
	Complete(ctx context.Context, messages []Message) iter.Seq2[string, error]
}

// TTS speaks text.
type TTS interface {
	// Speak streams text as audio frames (any rate, mono or stereo), each
	// as soon as it is made. A failure ends the sequence with a non-nil
	// error; cancelling ctx stops it.
	Speak(ctx context.Context, text string) iter.Seq2[media.AudioFrame, error]
}

// Options configure Handler. STT, LLM and TTS are required.
type Options struct {
	STT STT
	LLM LLM
	TTS TTS
	// System is the system prompt, the conversation's first message; ""
	// for none.
	System string
	// Chat, if set, is an output of the stream (a ui.Chatbot among its
	// StreamEvent.Outputs) that shows the conversation: each user turn as
	// it is transcribed, each answer sentence by sentence as it is spoken.
	Chat ui.Output
	// Turns configures the turn-taking (voice.ReplyOnPause's options).
	Turns *voice.ReplyOnPauseOptions
	// MaxMessages bounds the conversation kept and sent to the LLM, the
	// system prompt aside: the oldest go first. Default 20.
	MaxMessages int
	// Apology is said when transcription, the LLM or speech fails (the
	// page is also shown the error, and the agent goes on listening).
	// Default "Sorry, something went wrong."
	Apology string
}

// Handler returns the handler of an audio stream in send-receive mode that
// runs the agent: one conversation per session, replies on pauses.
func Handler(o Options) (rtcstream.AudioStreamFunc, error) {
	if o.STT == nil || o.LLM == nil || o.TTS == nil {
		return nil, errors.New("agent: Options.STT, LLM and TTS are required")
	}
	if o.MaxMessages <= 0 {
		o.MaxMessages = 20
	}
	if o.Apology == "" {
		o.Apology = "Sorry, something went wrong."
	}
	return func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
		c := &conversation{o: &o}
		return voice.ReplyOnPause(c.reply, o.Turns)(ctx, in, out)
	}, nil
}

// conversation is one session's: its messages, the system prompt aside.
type conversation struct {
	o  *Options
	mu sync.Mutex
	// msgs is the conversation; an answer being spoken is its last
	// message, growing.
	msgs []Message
}

// reply answers one user turn.
func (c *conversation) reply(ctx context.Context, utterance media.AudioFrame) iter.Seq[media.AudioFrame] {
	return func(yield func(media.AudioFrame) bool) {
		ss := rtcstream.SessionFrom(ctx)
		text, err := c.o.STT.Transcribe(ctx, utterance)
		if err != nil {
			c.fail(ctx, ss, yield, "transcribing", err)
			return
		}
		if text = strings.TrimSpace(text); text == "" {
			return // nothing said that the recogniser knew
		}
		c.add(Message{Role: "user", Content: text}, ss)
		history := c.history()

		// The model writes into sentences; each is spoken as it is done.
		lctx, cancel := context.WithCancel(ctx)
		defer cancel()
		sentences := make(chan string, 16)
		failed := make(chan error, 1)
		go func() {
			defer close(sentences)
			var sp splitter
			send := func(s string) bool {
				select {
				case sentences <- s:
					return true
				case <-lctx.Done():
					return false
				}
			}
			for piece, err := range c.o.LLM.Complete(lctx, history) {
				if err != nil {
					failed <- err
					return
				}
				for _, s := range sp.push(piece) {
					if !send(s) {
						return
					}
				}
			}
			if s := sp.flush(); s != "" {
				send(s)
			}
		}()
		var said strings.Builder
		answered := false
		for s := range sentences {
			if !answered {
				answered = true
				c.add(Message{Role: "assistant"}, ss)
			}
			if said.Len() > 0 {
				said.WriteByte(' ')
			}
			said.WriteString(s)
			c.setAnswer(said.String(), ss)
			for f, err := range c.o.TTS.Speak(ctx, s) {
				if err != nil {
					c.fail(ctx, ss, nil, "speaking", err) // TTS failed: nothing more can be said
					return
				}
				if !yield(f) {
					return // barge-in, or the session ended
				}
			}
		}
		select {
		case err := <-failed:
			c.fail(ctx, ss, yield, "the language model", err)
		default:
		}
	}
}

// fail tells the page and the log of a failed step, and says the apology
// when say is set (the TTS still works). The agent goes on listening.
func (c *conversation) fail(ctx context.Context, ss *rtcstream.Session, say func(media.AudioFrame) bool, step string, err error) {
	if ctx.Err() != nil {
		return // cancelled: barge-in, or the session ended
	}
	log := slog.Default()
	if ss != nil {
		log = ss.Logger()
		_ = ss.Send(map[string]string{"type": "error", "message": fmt.Sprintf("The agent failed %s: %v", step, err)})
	}
	log.Warn("agent: a turn failed", "step", step, "err", err)
	if say == nil {
		return
	}
	for f, err := range c.o.TTS.Speak(ctx, c.o.Apology) {
		if err != nil || !say(f) {
			return
		}
	}
}

// add appends m to the conversation, dropping the oldest beyond
// MaxMessages, and shows it.
func (c *conversation) add(m Message, ss *rtcstream.Session) {
	c.mu.Lock()
	c.msgs = append(c.msgs, m)
	if over := len(c.msgs) - c.o.MaxMessages; over > 0 {
		c.msgs = append(c.msgs[:0], c.msgs[over:]...)
	}
	c.mu.Unlock()
	c.show(ss)
}

// setAnswer sets the text of the answer being spoken, and shows it.
func (c *conversation) setAnswer(text string, ss *rtcstream.Session) {
	c.mu.Lock()
	if n := len(c.msgs); n > 0 && c.msgs[n-1].Role == "assistant" {
		c.msgs[n-1].Content = text
	}
	c.mu.Unlock()
	c.show(ss)
}

// history is what the LLM is sent: the system prompt and the
// conversation.
func (c *conversation) history() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := make([]Message, 0, len(c.msgs)+1)
	if c.o.System != "" {
		h = append(h, Message{Role: "system", Content: c.o.System})
	}
	return append(h, c.msgs...)
}

// show sends the conversation to the page's chat, if there is one.
func (c *conversation) show(ss *rtcstream.Session) {
	if c.o.Chat == nil || ss == nil {
		return
	}
	c.mu.Lock()
	msgs := append([]Message(nil), c.msgs...)
	c.mu.Unlock()
	if err := ss.Output(c.o.Chat, msgs); err != nil {
		ss.Logger().Warn("agent: showing the conversation failed", "err", err)
	}
}
