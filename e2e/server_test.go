package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
)

// signalExchange is one signalling request to the real server and its reply.
type signalExchange struct {
	path   string
	req    map[string]any
	status int
	header http.Header
	reply  map[string]any
}

// signalRecorder passes every request to the real handler (a Stream, or a
// Blocks page and its streams) unchanged. It remembers the method and path
// of every request, and keeps a copy of the signalling requests and replies
// (POSTs under /webrtc/), so tests can check what the browser sent (tokens
// on trickled candidates, the stop body, how often it fetched the RTC
// configuration) and what the server answered (the 503 message the page
// must show). It is not a stand-in: every reply comes from the real server.
type signalRecorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []string // "METHOD path" of every request
	log  []signalExchange
}

func (r *signalRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Method+" "+req.URL.Path)
	r.mu.Unlock()
	if req.URL.Path == browsertest.RecorderWorkletPath {
		browsertest.RecorderWorklet.ServeHTTP(w, req) // the test's audio recorder
		return
	}
	if req.Method != http.MethodPost || !strings.HasPrefix(req.URL.Path, "/webrtc/") {
		r.next.ServeHTTP(w, req)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	rw := httptest.NewRecorder()
	r.next.ServeHTTP(rw, req)
	for k, v := range rw.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rw.Code)
	_, _ = w.Write(rw.Body.Bytes())

	ex := signalExchange{path: req.URL.Path, status: rw.Code, header: rw.Header().Clone()}
	_ = json.Unmarshal(body, &ex.req)
	_ = json.Unmarshal(rw.Body.Bytes(), &ex.reply)
	r.mu.Lock()
	r.log = append(r.log, ex)
	r.mu.Unlock()
}

// count returns how many requests were "method path".
func (r *signalRecorder) count(request string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.reqs {
		if q == request {
			n++
		}
	}
	return n
}

// find returns the exchanges on path whose request type is typ ("" for any).
func (r *signalRecorder) find(path, typ string) []signalExchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []signalExchange
	for _, ex := range r.log {
		if ex.path == path && (typ == "" || ex.req["type"] == typ) {
			out = append(out, ex)
		}
	}
	return out
}

func (r *signalRecorder) offers() []signalExchange { return r.find("/webrtc/offer", "offer") }
func (r *signalRecorder) candidates() []signalExchange {
	return r.find("/webrtc/offer", "ice-candidate")
}
func (r *signalRecorder) stops() []signalExchange { return r.find("/webrtc/stop", "") }

// serveRecorded serves h on 127.0.0.1 through a signalRecorder; the server
// closes at cleanup.
func serveRecorded(t *testing.T, h http.Handler) (string, *signalRecorder) {
	t.Helper()
	rec := &signalRecorder{next: h}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv.URL, rec
}

// liveServer is a real Stream served on 127.0.0.1, its URL, and the
// recorder of its signalling.
type liveServer struct {
	*rtcstream.Stream
	url string
	rec *signalRecorder
}

// startStream serves a real Stream of modality and mode for handler on
// 127.0.0.1; its candidates stay on loopback. Close runs at cleanup.
func startStream(t *testing.T, modality rtcstream.Modality, mode rtcstream.Mode, handler any, opts rtcstream.Options) *liveServer {
	t.Helper()
	opts.Network = loopback
	s, err := rtcstream.NewStream(modality, mode, handler, &opts)
	if err != nil {
		t.Fatal(err)
	}
	url, rec := serveRecorded(t, s)
	t.Cleanup(func() { s.Close() }) // before the HTTP server closes
	return &liveServer{Stream: s, url: url, rec: rec}
}

// startLiveServer serves a send-receive video Stream for handler.
func startLiveServer(t *testing.T, handler any, opts rtcstream.Options) *liveServer {
	t.Helper()
	return startStream(t, rtcstream.Video, rtcstream.SendReceive, handler, opts)
}

// startAudioServer serves an audio Stream of mode for handler.
func startAudioServer(t *testing.T, mode rtcstream.Mode, handler any, opts rtcstream.Options) *liveServer {
	t.Helper()
	return startStream(t, rtcstream.Audio, mode, handler, opts)
}

// waitSessions polls until s holds n sessions and returns how long it took.
func waitSessions(t *testing.T, s *rtcstream.Stream, n int, d time.Duration) time.Duration {
	t.Helper()
	begin := time.Now()
	for s.ActiveSessions() != n {
		if time.Since(begin) > d {
			t.Fatalf("ActiveSessions = %d after %v, want %d", s.ActiveSessions(), d, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(begin)
}

// waitActive polls until the server holds n sessions and returns how long
// it took.
func (s *liveServer) waitActive(t *testing.T, n int, d time.Duration) time.Duration {
	t.Helper()
	return waitSessions(t, s.Stream, n, d)
}

// answered returns the reply to the single successful offer so far.
func (s *liveServer) answered(t *testing.T) map[string]any {
	t.Helper()
	var ok []map[string]any
	for _, ex := range s.rec.offers() {
		if ex.status == http.StatusOK {
			ok = append(ok, ex.reply)
		}
	}
	if len(ok) != 1 {
		t.Fatalf("%d answered offers, want 1", len(ok))
	}
	return ok[0]
}

// quietLogger drops the Stream's logs: a handler failing on every frame logs
// a stack trace per frame.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
