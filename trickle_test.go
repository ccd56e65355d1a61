package rtcstream_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/impair"
	"github.com/rtcstream/rtcstream/internal/turntest"
)

// signalLog records the signalling requests' types and the answers.
type signalLog struct {
	mu      sync.Mutex
	types   []string
	answers []string
}

func (l *signalLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/offer") {
			h.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var req struct{ Type string }
		_ = json.Unmarshal(body, &req)
		rec := &teeWriter{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.types = append(l.types, req.Type)
		if req.Type == "offer" {
			var ans struct{ SDP string }
			_ = json.Unmarshal(rec.buf.Bytes(), &ans)
			l.answers = append(l.answers, ans.SDP)
		}
	})
}

type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (t *teeWriter) Write(b []byte) (int, error) {
	t.buf.Write(b)
	return t.ResponseWriter.Write(b)
}

// The server's own candidates can be late: a Stream that relays through a
// TURN server 300 ms away (each way) answers after DefaultAnswerWait with
// none of them, says more are coming, and trickles its relayed candidate
// to the client, which fetches it ("server-candidates") and connects over
// it, its only path.
func TestServerTricklesLateCandidates(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	srv := turntest.Start(t, nil)
	far, err := impair.NewRelay(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: srv.Port}, impair.Config{Delay: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer far.Close()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{
		Network: loopback,
		RTCConfiguration: &rtcstream.RTCConfiguration{
			ICEServers:         []rtcstream.ICEServer{{URLs: []string{"turn:" + far.Addr().String() + "?transport=udp"}, Username: srv.Username, Credential: srv.Password}},
			ICETransportPolicy: "relay", // the server's only candidates are the late ones
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var log signalLog
	hs := httptest.NewServer(log.wrap(s))
	defer func() { s.Close(); hs.Close() }()
	url := hs.URL
	start := time.Now()
	// The client's own (empty) ICE servers: host candidates only.
	c, err := client.Dial(ctx, url, &client.Options{Loopback: true, ICEServers: []webrtc.ICEServer{}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	p, err := c.Path()
	t.Logf("connected in %v over %v (%v); requests %q", time.Since(start).Round(time.Millisecond), p, err, log.types)
	if p.Remote != "relay" {
		t.Errorf("path %v, want the server's relayed candidate", p)
	}
	log.mu.Lock()
	if len(log.answers) != 1 || strings.Contains(log.answers[0], "a=candidate") {
		t.Errorf("answers %q, want one without candidates (sent before the relay was allocated)", log.answers)
	}
	fetched := strings.Count(strings.Join(log.types, " "), "server-candidates")
	log.mu.Unlock()
	if fetched == 0 {
		t.Error("the client never asked for the server's late candidates")
	}
	const w, h = 320, 240
	sent := sendFrames(t, ctx, c, w, h, 30, 30)
	got := 0
	readFrames(ctx, c, 5*time.Second, func(f client.Frame) bool {
		if inverted(f, w, h) {
			got++
		}
		return got >= 10
	})
	<-sent
	if got < 10 {
		t.Errorf("%d inverted frames back over the trickled candidate", got)
	}
}
