package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/peer"
)

// relayServer is a fastrtc-style server: plain {"sdp", "type"} answers
// with no token, refusals as 200 {"status": "failed", ...} past its limit,
// and video sent back as it came but with timestamps of its own, as
// servers that re-stamp frames do. With dead set, it answers and then
// closes its peer connection, so ICE never connects.
type relayServer struct {
	t     *testing.T
	limit int
	dead  bool

	mu       sync.Mutex
	sessions int
	pcs      []*webrtc.PeerConnection
	wg       sync.WaitGroup
}

func newRelayServer(t *testing.T, limit int, dead bool) string {
	rs := &relayServer{t: t, limit: limit, dead: dead}
	srv := httptest.NewServer(http.HandlerFunc(rs.offer))
	t.Cleanup(func() {
		srv.Close()
		rs.mu.Lock()
		pcs := rs.pcs
		rs.mu.Unlock()
		for _, pc := range pcs {
			_ = pc.Close()
		}
		rs.wg.Wait()
	})
	return srv.URL
}

func (rs *relayServer) offer(w http.ResponseWriter, r *http.Request) {
	var req struct{ SDP, Type, WebRTCID string }
	if r.URL.Path != "/webrtc/offer" || json.NewDecoder(r.Body).Decode(&req) != nil || req.Type != "offer" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	rs.mu.Lock()
	full := rs.limit > 0 && rs.sessions >= rs.limit
	if !full {
		rs.sessions++
	}
	rs.mu.Unlock()
	if full {
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "failed", "meta": map[string]any{"error": "concurrency_limit_reached", "limit": rs.limit}})
		return
	}
	answer, err := rs.answer(req.SDP)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"sdp": answer, "type": "answer"})
}

func (rs *relayServer) answer(offer string) (string, error) {
	api, err := peer.NewAPI(peer.NetConfig{Interfaces: []string{"lo"}, IncludeLoopback: true, DisableMDNS: true})
	if err != nil {
		return "", err
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	rs.mu.Lock()
	rs.pcs = append(rs.pcs, pc)
	rs.mu.Unlock()
	out, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "relay")
	if err != nil {
		return "", err
	}
	sender, err := pc.AddTrack(out)
	if err != nil {
		return "", err
	}
	var inSSRC uint32
	var ssrcMu sync.Mutex
	rs.wg.Go(func() { // PLIs for our video become PLIs for the client's
		for {
			pkts, _, err := sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if _, ok := p.(*rtcp.PictureLossIndication); ok {
					ssrcMu.Lock()
					ssrc := inSSRC
					ssrcMu.Unlock()
					_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}})
				}
			}
		}
	})
	pc.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		ssrcMu.Lock()
		inSSRC = uint32(t.SSRC())
		ssrcMu.Unlock()
		for {
			p, _, err := t.ReadRTP()
			if err != nil {
				return
			}
			p.Timestamp += 0x12345678 // a clock of its own
			if out.WriteRTP(p) != nil {
				return
			}
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(ans); err != nil {
		return "", err
	}
	<-gathered
	sdp := pc.LocalDescription().SDP
	if rs.dead {
		_ = pc.Close()
	}
	return sdp, nil
}

// Against a server that re-stamps frames, the report says timestamps were
// not carried, and the probes' counters still measure the latency.
func TestRunAgainstRestampingServer(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	url := newRelayServer(t, 0, false)
	r, err := Run(ctx, url, &Options{Streams: 2, Probes: 1, Duration: 2 * time.Second, Width: 320, Height: 240})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	_ = r.WriteText(&text)
	t.Logf("\n%s", text.String())
	if r.Connected != 2 || r.ReturnedRatio < 0.9 {
		t.Fatalf("connected %d, returned %.3f", r.Connected, r.ReturnedRatio)
	}
	if r.TimestampsCarried || r.MatchedRatio > 0.01 || r.Latency.N != 0 {
		t.Errorf("timestamps carried %v, matched %.3f, latency %+v", r.TimestampsCarried, r.MatchedRatio, r.Latency)
	}
	p := r.Streams[0]
	if !p.Probe || float64(p.ProbeLatency.N) < 0.9*float64(p.Returned) || p.ProbeUnreadable != 0 || p.ProbeMismatch != uint64(p.ProbeLatency.N) {
		t.Errorf("probe: %d counter latencies for %d returned, %d unreadable, %d mismatched",
			p.ProbeLatency.N, p.Returned, p.ProbeUnreadable, p.ProbeMismatch)
	}
	// The bar judges the probes' latency then.
	if err := (Bar{MaxP95: time.Second}).Check(r); err != nil {
		t.Errorf("bar: %v", err)
	}
	if !strings.Contains(text.String(), "timestamps carried     no") {
		t.Errorf("text does not say timestamps were not carried:\n%s", text.String())
	}
}

// Streams that cannot connect are counted by cause.
func TestConnectFailureCauses(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()

	for _, tc := range []struct {
		name    string
		url     string
		streams int
		cause   string
	}{
		{"rtcstream at its limit", identityServer(t, &rtcstream.Options{ConcurrencyLimit: 1}), 2, "HTTP 503 too_many_sessions"},
		{"fastrtc at its limit", newRelayServer(t, 1, false), 2, "HTTP 200 concurrency_limit_reached"},
		{"nothing listening", refused, 1, "connection refused"},
		{"ICE never connects", newRelayServer(t, 0, true), 1, "ICE/DTLS connect timeout"},
		{"not a stream server", identityServer(t, nil) + "/nope", 1, "HTTP 404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Run(ctx, tc.url, &Options{
				Streams: tc.streams, Duration: time.Second, Width: 320, Height: 240,
				ConnectTimeout: time.Second, Drain: 100 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.Failures[tc.cause] != 1 || r.Connected != tc.streams-1 || len(r.Failures) != 1 {
				t.Fatalf("failures %v, connected %d; want one %q", r.Failures, r.Connected, tc.cause)
			}
			if err := (Bar{}).Check(r); err == nil || !strings.Contains(err.Error(), "failed to connect") {
				t.Errorf("bar: %v", err)
			}
		})
	}
	// When every stream has failed, the run ends without waiting out its
	// duration.
	start := time.Now()
	r, err := Run(ctx, refused, &Options{Streams: 2, Duration: time.Minute, Width: 320, Height: 240})
	if err != nil || r.Connected != 0 || time.Since(start) > 10*time.Second {
		t.Errorf("all refused: %v, connected %d, took %v", err, r.Connected, time.Since(start))
	}
	if got := failureCause(context.Canceled); got != "canceled" {
		t.Errorf("cause of a canceled dial: %q", got)
	}
	if got := failureCause(errors.New("odd")); got != "dial failed" {
		t.Errorf("cause of an odd error: %q", got)
	}
}
