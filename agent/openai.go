package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/rtcstream/rtcstream/media"
)

// Endpoint is an OpenAI-compatible HTTP API: OpenAI's, or a server that
// speaks its wire format (Ollama, llama.cpp's server, vLLM, speaches, ...).
type Endpoint struct {
	// URL is the API's base, with its version: "https://api.openai.com/v1",
	// "http://localhost:11434/v1" (Ollama).
	URL string
	// APIKey is sent as a bearer token; "" sends none (most local servers).
	APIKey string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Timeout bounds the wait for the answer to begin and, for a streamed
	// answer, each pause in it; a request that stalls longer fails.
	// Default 30 s.
	Timeout time.Duration
}

// APIError is a failure the endpoint reported: its HTTP status and its
// error message.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("agent: the endpoint answered %d: %s", e.Status, e.Message)
}

// ErrStalled is the error of a request the endpoint took longer than
// Endpoint.Timeout to begin answering, or paused in longer.
var ErrStalled = errors.New("agent: the endpoint stalled past its timeout")

// post sends a request to path and returns the response's body once it
// begins, with a watchdog: each Read must make progress within the
// timeout. The caller closes the body (which stops the watchdog).
func (e *Endpoint) post(ctx context.Context, path, contentType string, body []byte) (io.ReadCloser, error) {
	if e.URL == "" {
		return nil, errors.New("agent: Endpoint.URL is not set")
	}
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(e.URL, "/")+path, bytes.NewReader(body))
	if err != nil {
		cancel(nil)
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	if e.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+e.APIKey)
	}
	hc := e.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	dog := time.AfterFunc(timeout, func() { cancel(ErrStalled) })
	resp, err := hc.Do(req)
	if err != nil {
		dog.Stop()
		if c := context.Cause(ctx); errors.Is(c, ErrStalled) {
			err = ErrStalled
		}
		cancel(nil)
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		defer cancel(nil)
		dog.Stop()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var m struct {
			Error json.RawMessage `json:"error"`
		}
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &m) == nil && len(m.Error) > 0 {
			var detail struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(m.Error, &detail) == nil && detail.Message != "" {
				msg = detail.Message
			} else if s := ""; json.Unmarshal(m.Error, &s) == nil && s != "" {
				msg = s
			}
		}
		return nil, &APIError{Status: resp.StatusCode, Message: clip(msg, 300)}
	}
	return &watchedBody{r: resp.Body, dog: dog, timeout: timeout, ctx: ctx, cancel: cancel}, nil
}

// watchedBody is a response body whose reads must each make progress
// within the timeout.
type watchedBody struct {
	r       io.ReadCloser
	dog     *time.Timer
	timeout time.Duration
	ctx     context.Context
	cancel  context.CancelCauseFunc
}

func (w *watchedBody) Read(p []byte) (int, error) {
	w.dog.Reset(w.timeout)
	n, err := w.r.Read(p)
	if err != nil && errors.Is(context.Cause(w.ctx), ErrStalled) {
		err = ErrStalled
	}
	return n, err
}

func (w *watchedBody) Close() error {
	w.dog.Stop()
	w.cancel(nil)
	return w.r.Close()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// OpenAITranscriber is speech to text over an endpoint's
// /audio/transcriptions: the utterance is uploaded as a 16 kHz WAV.
type OpenAITranscriber struct {
	Endpoint
	// Model is the endpoint's transcription model: "whisper-1",
	// "gpt-4o-mini-transcribe", or a local server's.
	Model string
	// Language, if set, is the ISO-639-1 language spoken ("en").
	Language string
}

// Transcribe implements STT.
func (t *OpenAITranscriber) Transcribe(ctx context.Context, utterance media.AudioFrame) (string, error) {
	wav, err := wav16k(utterance)
	if err != nil {
		return "", err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "utterance.wav")
	if err == nil {
		_, err = fw.Write(wav)
	}
	for _, f := range [][2]string{{"model", t.Model}, {"language", t.Language}, {"response_format", "json"}} {
		if err == nil && f[1] != "" {
			err = mw.WriteField(f[0], f[1])
		}
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", err
	}
	r, err := t.post(ctx, "/audio/transcriptions", mw.FormDataContentType(), body.Bytes())
	if err != nil {
		return "", err
	}
	defer r.Close()
	var res struct {
		Text string `json:"text"`
	}
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&res); err != nil {
		return "", fmt.Errorf("agent: reading the transcription: %w", err)
	}
	return res.Text, nil
}

// wav16k encodes a frame as a 16 kHz mono WAV, the rate speech models
// take.
func wav16k(f media.AudioFrame) ([]byte, error) {
	if f.SampleRate <= 0 || f.Channels <= 0 {
		return nil, fmt.Errorf("agent: an utterance of %d Hz, %d channels", f.SampleRate, f.Channels)
	}
	mono := media.ToMono(nil, f.Samples, f.Channels)
	if f.SampleRate != 16000 {
		rs, err := media.NewResampler(f.SampleRate, 16000, 1, media.QualityMedium)
		if err != nil {
			return nil, err
		}
		mono = rs.Flush(rs.Process(nil, mono))
	}
	return media.EncodeWAV(media.AudioFrame{Samples: mono, SampleRate: 16000, Channels: 1})
}

// OpenAIChat is a language model over an endpoint's /chat/completions,
// its answer streamed (server-sent events).
type OpenAIChat struct {
	Endpoint
	// Model is the endpoint's model: "gpt-4o-mini", "llama3.2", ...
	Model string
	// MaxTokens, if positive, bounds the answer's length.
	MaxTokens int
	// Temperature, if set, is the sampling temperature.
	Temperature *float64
}

// Complete implements LLM.
func (c *OpenAIChat) Complete(ctx context.Context, messages []Message) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		req := map[string]any{"model": c.Model, "messages": messages, "stream": true}
		if c.MaxTokens > 0 {
			req["max_tokens"] = c.MaxTokens
		}
		if c.Temperature != nil {
			req["temperature"] = *c.Temperature
		}
		body, err := json.Marshal(req)
		if err != nil {
			yield("", err)
			return
		}
		r, err := c.post(ctx, "/chat/completions", "application/json", body)
		if err != nil {
			yield("", err)
			return
		}
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			data, ok := strings.CutPrefix(line, "data:")
			if !ok {
				continue // event names, comments, blank separators
			}
			data = strings.TrimSpace(data)
			if data == "[DONE]" {
				return
			}
			var chunk struct {
				Choices []struct {
					Delta struct {
						Content string `json:"content"`
					} `json:"delta"`
				} `json:"choices"`
				Error *struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal([]byte(data), &chunk); err != nil {
				yield("", fmt.Errorf("agent: a malformed event in the answer: %w", err))
				return
			}
			if chunk.Error != nil {
				yield("", &APIError{Status: http.StatusOK, Message: chunk.Error.Message})
				return
			}
			for _, ch := range chunk.Choices {
				if ch.Delta.Content != "" && !yield(ch.Delta.Content, nil) {
					return
				}
			}
		}
		if err := sc.Err(); err != nil {
			yield("", fmt.Errorf("agent: reading the answer: %w", err))
			return
		}
		if ctx.Err() == nil {
			yield("", errors.New("agent: the answer ended without [DONE]"))
		}
	}
}

// OpenAISpeech is text to speech over an endpoint's /audio/speech, the
// audio streamed as raw 16-bit PCM ("response_format": "pcm").
type OpenAISpeech struct {
	Endpoint
	// Model and Voice are the endpoint's: "tts-1" and "alloy" at OpenAI.
	Model, Voice string
	// SampleRate is the rate of the endpoint's PCM: 24000 (the default)
	// at OpenAI.
	SampleRate int
}

// Speak implements TTS: frames of 100 ms as the audio arrives.
func (s *OpenAISpeech) Speak(ctx context.Context, text string) iter.Seq2[media.AudioFrame, error] {
	return func(yield func(media.AudioFrame, error) bool) {
		rate := s.SampleRate
		if rate <= 0 {
			rate = 24000
		}
		body, err := json.Marshal(map[string]any{"model": s.Model, "voice": s.Voice, "input": text, "response_format": "pcm"})
		if err != nil {
			yield(media.AudioFrame{}, err)
			return
		}
		r, err := s.post(ctx, "/audio/speech", "application/json", body)
		if err != nil {
			yield(media.AudioFrame{}, err)
			return
		}
		defer r.Close()
		streamPCM(r, rate, yield)
	}
}

// streamPCM reads 16-bit little-endian mono PCM at rate from r and yields
// it in frames of 100 ms (the last shorter).
func streamPCM(r io.Reader, rate int, yield func(media.AudioFrame, error) bool) {
	buf := make([]byte, rate/10*2)
	var at time.Duration
	for {
		n, err := io.ReadFull(r, buf)
		if n >= 2 {
			samples := make([]int16, n/2)
			for i := range samples {
				samples[i] = int16(binary.LittleEndian.Uint16(buf[2*i:]))
			}
			f := media.AudioFrame{Samples: samples, SampleRate: rate, Channels: 1, Timestamp: at}
			at += f.Duration()
			if !yield(f, nil) {
				return
			}
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return
		case err != nil:
			yield(media.AudioFrame{}, fmt.Errorf("agent: reading the speech: %w", err))
			return
		}
	}
}
