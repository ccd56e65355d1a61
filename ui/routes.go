package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/rtcstream/rtcstream/internal/httpjson"
)

// maxBodyBytes bounds the body of a value or click request.
const maxBodyBytes = 1 << 20

// servePage renders the page.
func (p *page) servePage(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	if err := p.render(&b); err != nil {
		p.blocks.logger.Error("ui: rendering the page failed", "err", err)
		http.Error(w, "rendering the page failed: "+err.Error(), http.StatusInternalServerError)
		return
	}
	p.setPageHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b.Bytes())
}

// valueRequest is the body of a value request: the current values of the
// function's inputs, keyed by component id.
type valueRequest struct {
	Inputs map[string]json.RawMessage `json:"inputs"`
}

// valueReply is the body of a successful value request.
type valueReply struct {
	Value json.RawMessage `json:"value"`
}

// serveValue recomputes a component's ValueFunc: GET with the inputs'
// initial values, POST with {"inputs": {id: value}}; it answers
// {"value": v}.
func (p *page) serveValue(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		httpjson.WriteError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET or POST")
		return
	}
	id := r.PathValue("id")
	c, ok := p.byID[id]
	if !ok {
		httpjson.WriteError(w, http.StatusNotFound, "unknown_component", "no component has the id "+quoteValue(id))
		return
	}
	f := p.funcs[c]
	if f == nil {
		httpjson.WriteError(w, http.StatusNotFound, "no_value_function", Describe(c)+" ("+id+") has no ValueFunc")
		return
	}
	var req valueRequest
	if r.Method == http.MethodPost {
		if !readJSON(w, r, &req) {
			return
		}
	}
	v, err := f.call(r.Context(), req.Inputs)
	var fe *funcError
	switch {
	case err == nil:
		httpjson.Write(w, http.StatusOK, valueReply{Value: v})
	case errors.As(err, &fe):
		if errors.Is(r.Context().Err(), context.Canceled) {
			return // the page went away
		}
		p.blocks.logger.Error("ui: value function failed", "component", Describe(c), "id", id, "err", err)
		msg := fe.Error()
		if fe.panicked {
			msg = "the value function panicked; the server log has the details"
		}
		httpjson.WriteError(w, http.StatusInternalServerError, "value_function_failed", msg)
	default:
		httpjson.WriteError(w, http.StatusBadRequest, "invalid_value", err.Error())
	}
}

// serveClick runs a Button's OnClick handlers.
func (p *page) serveClick(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		httpjson.WriteError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
		return
	}
	id := r.PathValue("id")
	c, ok := p.byID[id]
	if !ok {
		httpjson.WriteError(w, http.StatusNotFound, "unknown_component", "no component has the id "+quoteValue(id))
		return
	}
	b, ok := c.(*Button)
	if !ok {
		httpjson.WriteError(w, http.StatusNotFound, "not_a_button", Describe(c)+" ("+id+") is not a Button")
		return
	}
	if !p.interactive[c] {
		httpjson.WriteError(w, http.StatusForbidden, "not_interactive", Describe(c)+" ("+id+") is not interactive")
		return
	}
	// The body is ignored, but read (bounded) so the connection is reusable.
	_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err := b.click(r.Context()); err != nil {
		p.blocks.logger.Error("ui: click handler failed", "component", Describe(c), "id", id, "err", err)
		msg := err.Error()
		var pe *panicError
		if errors.As(err, &pe) {
			msg = "the click handler panicked; the server log has the details"
		}
		httpjson.WriteError(w, http.StatusInternalServerError, "click_failed", msg)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readJSON decodes a request body into v, answering 400 or 413 itself when
// it can't. An empty body leaves v as it is.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpjson.WriteError(w, http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than 1 MiB")
		} else {
			httpjson.WriteError(w, http.StatusBadRequest, "bad_body", "reading the body failed: "+err.Error())
		}
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	if err := json.Unmarshal(body, v); err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, "bad_json", "the body is not the expected JSON: "+err.Error())
		return false
	}
	return true
}
