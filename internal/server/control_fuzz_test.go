package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// fuzzSession is a session with no connection (what it sends the page is
// dropped) whose resources are already freed, so a "stop" from the page
// ends it at once, and whose one input is a number from 0 to 1.
func fuzzSession(s *Stream, input func(id string, raw []byte) (bool, error)) *Session {
	done := make(chan struct{})
	close(done)
	return &Session{s: s, id: "fuzz", log: slog.New(slog.DiscardHandler), cancel: func() {}, done: done, input: input}
}

// FuzzControlMessage hands any data-channel message to a session's control
// handler, as the page's control channel does. Invariants: no panic; the
// handler gives the stream's inputs exactly the values of an "input"
// message, once each, each a single valid JSON value (what the inputs'
// Decode is written for), and nothing for any other message; an input
// that refuses a value, or an id that is no input, costs nothing more.
func FuzzControlMessage(f *testing.F) {
	for _, seed := range []string{
		`{"type":"input","values":{"conf":0.5}}`,
		`{"type":"input","values":{"conf":2,"nope":1,"n2":"x","n3":null,"n4":[]}}`,
		`{"type":"input","values":{"conf":{"deep":[1,2,{"x":null}]}}}`,
		`{"type":"input","values":null}`,
		`{"type":"input","values":[]}`,
		`{"type":"input","values":{"conf":1e999}}`,
		`{"type":"input","values":{"conf":0.1},"values":{"conf":0.2}}`,
		`{"type":"input","values":{"":1,"\u0000":2}}`,
		`{"type":"stop"}`,
		`{"type":"STOP"}`,
		`{"type":1}`,
		`{"values":{"conf":0.5}}`,
		`{}`, `[]`, `null`, `"input"`, ``, `{`, "\xff",
		`{"type":"input","values":{"conf":0.5}} trailing`,
		`{"type":"input","values":{"` + strings.Repeat("k", 300) + `":1}}`,
	} {
		f.Add([]byte(seed))
	}
	streams := fuzzStreams(f)
	f.Fuzz(func(t *testing.T, msg []byte) {
		// What the page meant, read independently of the handler.
		var want struct {
			Type   string                     `json:"type"`
			Values map[string]json.RawMessage `json:"values"`
		}
		isInput := json.Unmarshal(msg, &want) == nil && want.Type == "input"

		got := map[string]int{}
		input := func(id string, raw []byte) (bool, error) {
			got[id]++
			if !json.Valid(raw) {
				t.Fatalf("input %q got %q, which is not JSON", id, raw)
			}
			var v float64
			if id != "conf" {
				return false, nil
			}
			if err := json.Unmarshal(raw, &v); err != nil || v < 0 || v > 1 {
				return true, errors.New("conf: want a number from 0 to 1")
			}
			return true, nil
		}
		for _, s := range streams {
			clear(got)
			fuzzSession(s, input).onMessage(msg)
			if !isInput {
				if len(got) > 0 {
					t.Fatalf("a message of type %q gave values to %v", want.Type, got)
				}
				continue
			}
			for id, n := range got {
				if _, ok := want.Values[id]; !ok || n != 1 {
					t.Fatalf("input %q was given a value %d times; the message holds %d values", id, n, len(want.Values))
				}
			}
			if len(got) != len(want.Values) {
				t.Fatalf("%d of the message's %d values reached the inputs", len(got), len(want.Values))
			}
		}
	})
}
