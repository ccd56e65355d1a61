// Package openaitest is a local server that speaks the wire format of
// OpenAI's speech and chat endpoints, for tests: /v1/audio/transcriptions
// (a multipart upload of a WAV), /v1/chat/completions (streamed as
// server-sent events, chunk by chunk) and /v1/audio/speech (raw 16-bit PCM
// at 24 kHz, streamed), with OpenAI's error bodies. Its answers, delays and
// failures are the test's to set; it checks each request as OpenAI would
// and refuses a malformed one with a 400.
package openaitest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
)

// SpeechRate is the rate of /audio/speech's PCM, as OpenAI's.
const SpeechRate = 24000

// Options set the server's answers. Every field has a default.
type Options struct {
	// Transcribe answers a transcription of audio (as uploaded). Default:
	// "hello".
	Transcribe func(audio media.AudioFrame) string
	// Answer gives the chat answer's pieces, streamed one event each.
	// Default: "You said: " and the last user message, then "." .
	Answer func(messages []ui.Message) []string
	// PieceDelay is waited before each piece after the first.
	PieceDelay time.Duration
	// Pause, if set, is called before piece i is sent, and waited out.
	Pause func(i int) time.Duration
	// Speak gives the speech of text at SpeechRate. Default: a 440 Hz
	// tone, 60 ms a character.
	Speak func(text string) []int16
	// Fail, by path ("/v1/chat/completions"), makes the server answer
	// that status with an OpenAI error body.
	Fail map[string]int
	// Stall, by path, makes the server wait that long before answering.
	Stall map[string]time.Duration
	// NoDone leaves "data: [DONE]" out of streamed answers.
	NoDone bool
}

// Request is one request the server took.
type Request struct {
	Path   string
	Model  string
	Text   string        // /audio/speech's input
	Chat   []ui.Message  // /chat/completions' messages
	Audio  time.Duration // /audio/transcriptions' upload's length
	Rate   int           // and its rate
	Closed bool          // the client went away before the answer ended
}

// Server is a running test server.
type Server struct {
	// URL is the API's base: "http://127.0.0.1:port/v1".
	URL string
	o   Options
	mu  sync.Mutex
	req []Request
}

// Start starts a server on loopback; it stops when the test ends.
func Start(t testing.TB, o Options) *Server {
	s := &Server{o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/audio/transcriptions", s.transcribe)
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/audio/speech", s.speech)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := s.o.Stall[r.URL.Path]; d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		s.mu.Lock()
		code := s.o.Fail[r.URL.Path]
		s.mu.Unlock()
		if code != 0 {
			apiError(w, code, fmt.Sprintf("the test server fails %s with %d", r.URL.Path, code))
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/v1"
	return s
}

// SetFail makes the server fail path with code from now on; 0 stops it
// failing.
func (s *Server) SetFail(path string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.o.Fail == nil {
		s.o.Fail = map[string]int{}
	}
	s.o.Fail[path] = code
}

// Requests returns the requests taken so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.req...)
}

func (s *Server) record(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.req = append(s.req, r)
	return len(s.req) - 1
}

func (s *Server) closed(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.req[i].Closed = true
}

// apiError writes OpenAI's error body.
func apiError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": "invalid_request_error", "param": nil, "code": nil}})
}

func (s *Server) transcribe(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		apiError(w, http.StatusBadRequest, "want multipart/form-data")
		return
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		apiError(w, http.StatusBadRequest, "malformed multipart body: "+err.Error())
		return
	}
	model := r.FormValue("model")
	if model == "" {
		apiError(w, http.StatusBadRequest, "you must provide a model parameter")
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		apiError(w, http.StatusBadRequest, "no file: "+err.Error())
		return
	}
	b, _ := io.ReadAll(f)
	audio, err := media.DecodeWAV(b)
	if err != nil {
		apiError(w, http.StatusBadRequest, "the file is not audio this server reads: "+err.Error())
		return
	}
	s.record(Request{Path: r.URL.Path, Model: model, Audio: audio.Duration(), Rate: audio.SampleRate})
	text := "hello"
	if s.o.Transcribe != nil {
		text = s.o.Transcribe(audio)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"text": text})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string       `json:"model"`
		Messages []ui.Message `json:"messages"`
		Stream   bool         `json:"stream"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model == "" || len(req.Messages) == 0 {
		apiError(w, http.StatusBadRequest, fmt.Sprintf("want JSON with model and messages (%v)", err))
		return
	}
	for _, m := range req.Messages {
		if m.Role != "system" && m.Role != "user" && m.Role != "assistant" {
			apiError(w, http.StatusBadRequest, "unknown role "+m.Role)
			return
		}
	}
	i := s.record(Request{Path: r.URL.Path, Model: req.Model, Chat: req.Messages})
	pieces := []string{"You said: ", lastUser(req.Messages), "."}
	if s.o.Answer != nil {
		pieces = s.o.Answer(req.Messages)
	}
	if !req.Stream {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "chat.completion", "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": map[string]string{"role": "assistant", "content": strings.Join(pieces, "")}, "finish_reason": "stop"}}})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	event := func(v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	chunk := func(delta map[string]string, finish any) map[string]any {
		return map[string]any{"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	if !event(chunk(map[string]string{"role": "assistant", "content": ""}, nil)) {
		return
	}
	for k, p := range pieces {
		wait := time.Duration(0)
		if k > 0 {
			wait = s.o.PieceDelay
		}
		if s.o.Pause != nil {
			wait += s.o.Pause(k)
		}
		if wait > 0 {
			select {
			case <-time.After(wait):
			case <-r.Context().Done():
				s.closed(i)
				return
			}
		}
		if !event(chunk(map[string]string{"content": p}, nil)) {
			s.closed(i)
			return
		}
	}
	event(chunk(map[string]string{}, "stop"))
	if !s.o.NoDone {
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
	}
}

func lastUser(msgs []ui.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return msgs[i].Content
		}
	}
	return ""
}

func (s *Server) speech(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model  string `json:"model"`
		Input  string `json:"input"`
		Voice  string `json:"voice"`
		Format string `json:"response_format"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model == "" || req.Input == "" || req.Voice == "" {
		apiError(w, http.StatusBadRequest, fmt.Sprintf("want JSON with model, input and voice (%v)", err))
		return
	}
	if req.Format != "pcm" {
		apiError(w, http.StatusBadRequest, "this server speaks response_format pcm only, not "+req.Format)
		return
	}
	i := s.record(Request{Path: r.URL.Path, Model: req.Model, Text: req.Input})
	var pcm []int16
	if s.o.Speak != nil {
		pcm = s.o.Speak(req.Input)
	} else {
		pcm = make([]int16, SpeechRate*60/1000*len([]rune(req.Input)))
		for k := range pcm {
			pcm[k] = int16(8000 * math.Sin(2*math.Pi*440*float64(k)/SpeechRate))
		}
	}
	w.Header().Set("Content-Type", "audio/pcm")
	fl, _ := w.(http.Flusher)
	// Streamed in 50 ms chunks, in real time's half: as a live TTS does.
	const chunk = SpeechRate / 20
	b := make([]byte, 2*chunk)
	for off := 0; off < len(pcm); off += chunk {
		part := pcm[off:min(off+chunk, len(pcm))]
		for k, v := range part {
			binary.LittleEndian.PutUint16(b[2*k:], uint16(v))
		}
		if _, err := w.Write(b[:2*len(part)]); err != nil {
			s.closed(i)
			return
		}
		fl.Flush()
		select {
		case <-time.After(25 * time.Millisecond):
		case <-r.Context().Done():
			s.closed(i)
			return
		}
	}
}
