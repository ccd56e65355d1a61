package rtcstream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// answers is an http.RoundTripper for a client's signalling that keeps the
// SDP of every offer it sends and answer it gets.
type answers struct {
	mu     sync.Mutex
	sdps   []string
	offers []string
}

func (a *answers) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/offer") && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		var m struct {
			SDP  string `json:"sdp"`
			Type string `json:"type"`
		}
		if json.Unmarshal(body, &m) == nil && m.Type == "offer" {
			a.mu.Lock()
			a.offers = append(a.offers, m.SDP)
			a.mu.Unlock()
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "/offer") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var m struct {
		SDP string `json:"sdp"`
	}
	if json.Unmarshal(body, &m) == nil && m.SDP != "" {
		a.mu.Lock()
		a.sdps = append(a.sdps, m.SDP)
		a.mu.Unlock()
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func (a *answers) all() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.sdps...)
}

// candidatePorts lists the ports of an SDP's UDP candidates and of its
// passive TCP ones.
func candidatePorts(sdp string) (udp, tcp []int) {
	for line := range strings.Lines(sdp) {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "a="))
		if len(f) < 8 || !strings.HasPrefix(f[0], "candidate:") {
			continue
		}
		port, err := strconv.Atoi(f[5])
		if err != nil {
			continue
		}
		switch {
		case strings.EqualFold(f[2], "udp"):
			udp = append(udp, port)
		case strings.EqualFold(f[2], "tcp") && strings.Contains(line, "tcptype passive"):
			tcp = append(tcp, port)
		}
	}
	return udp, tcp
}

// serveShared serves s with NewHTTPServer on a loopback port, and returns
// its URL and port.
func serveShared(t *testing.T, s *rtcstream.Stream) (string, int) {
	t.Helper()
	return streamtest.ServeOn(t, s, "127.0.0.1")
}

// inverted reports whether f is the invert handler's output of a w x h
// pattern frame (sendFrames): its left half bright, its right dark.
func inverted(f client.Frame, w, h int) bool {
	return lumaAt(f.Image, w/4, h/2) > 150 && lumaAt(f.Image, 3*w/4+20, h/2) < 100
}

// sharedInvert serves an inverting video Stream with NewHTTPServer on a
// loopback port, and returns its URL and port.
func sharedInvert(t *testing.T) (*rtcstream.Stream, string, int) {
	t.Helper()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url, port := serveShared(t, s)
	return s, url, port
}

// echoes sends frames on c and checks that some come back inverted.
func echoes(t *testing.T, ctx context.Context, c *client.Conn, what string) {
	t.Helper()
	const w, h = 320, 240
	sent := sendFrames(t, ctx, c, w, h, 60, 30)
	defer func() { <-sent }()
	for got := 0; got < 10; {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		f, err := c.ReadFrame(rctx)
		cancel()
		if err != nil {
			t.Fatalf("%s: %d frames back, then %v", what, got, err)
		}
		if inverted(f, w, h) {
			got++
		}
	}
}

// Every session's media comes to the HTTP port's number over UDP, and the
// answer offers ICE-TCP on the HTTP port itself; two sessions share both.
func TestMediaSharesTheHTTPPort(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	_, url, port := sharedInvert(t)
	rec := &answers{}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			c, err := client.Dial(ctx, url, &client.Options{Loopback: true, HTTPClient: &http.Client{Transport: rec}})
			if err != nil {
				t.Errorf("dial %d: %v", i, err)
				return
			}
			defer c.Close()
			echoes(t, ctx, c, fmt.Sprintf("client %d", i))
		})
	}
	wg.Wait()
	sdps := rec.all()
	if len(sdps) != 2 {
		t.Fatalf("%d answers recorded, want 2", len(sdps))
	}
	for i, sdp := range sdps {
		udp, tcp := candidatePorts(sdp)
		t.Logf("answer %d: UDP candidate ports %v, passive TCP %v (HTTP port %d)", i, udp, tcp, port)
		if len(udp) == 0 || len(tcp) == 0 {
			t.Errorf("answer %d has %d UDP and %d passive TCP candidates, want both", i, len(udp), len(tcp))
		}
		for _, p := range append(udp, tcp...) {
			if p != port {
				t.Errorf("answer %d has a candidate on port %d, want every one on the HTTP port %d", i, p, port)
			}
		}
	}
}

// A client that cannot use UDP connects over ICE-TCP through the page's own
// port, while the same port goes on serving the page.
func TestICETCPThroughTheHTTPPort(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	_, url, _ := sharedInvert(t)
	rec := &answers{}
	c, err := client.Dial(ctx, url, &client.Options{Loopback: true, TCPOnly: true, HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatalf("dial over ICE-TCP: %v", err)
	}
	defer c.Close()
	echoes(t, ctx, c, "over ICE-TCP")
	// The client gathers no UDP at all (pion pairs its active TCP
	// candidates with the answer's passive ones without announcing them),
	// so the media came over TCP.
	rec.mu.Lock()
	for _, o := range rec.offers {
		if udp, _ := candidatePorts(o); len(udp) > 0 {
			t.Errorf("the TCP-only client offered UDP candidates on %v", udp)
		}
	}
	offers := len(rec.offers)
	rec.mu.Unlock()
	if offers != 1 {
		t.Errorf("%d offers recorded, want 1", offers)
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the page beside ICE-TCP: %s", resp.Status)
	}
}

// The shared UDP port is the sessions': held while one runs, free again
// once the last has ended. When the port is taken, sessions get ports of
// their own and still stream.
func TestSharedUDPPortIsReleasedAndFallsBack(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	_, url, port := sharedInvert(t)
	udpFree := func() bool {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
	if !udpFree() {
		t.Skipf("UDP port %d is taken before any session", port)
	}
	c := dial(t, ctx, url)
	echoes(t, ctx, c, "first session")
	if udpFree() {
		t.Error("the shared UDP port is free while a session streams on it")
	}
	c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for !udpFree() {
		if time.Now().After(deadline) {
			t.Fatal("the shared UDP port is still held 20 s after its only session ended")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Someone else takes the port: the next session has its own.
	other, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	rec := &answers{}
	c2, err := client.Dial(ctx, url, &client.Options{Loopback: true, HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatalf("dial with the UDP port taken: %v", err)
	}
	defer c2.Close()
	echoes(t, ctx, c2, "with the port taken")
	for _, sdp := range rec.all() {
		if udp, _ := candidatePorts(sdp); len(udp) == 0 || udp[0] == port {
			t.Errorf("UDP candidates on %v with port %d taken", udp, port)
		}
	}
}

// Garbage sprayed at the shared ports (random datagrams, STUN requests for
// sessions that do not exist, TCP connections that send junk or framed
// STUN) costs a streaming session nothing, and the page is still served.
func TestSharedPortsShrugOffGarbage(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	_, url, port := sharedInvert(t)
	c := dial(t, ctx, url)
	echoes(t, ctx, c, "before the garbage")

	rng := rand.New(rand.NewPCG(1, 2))
	junk := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	// A STUN binding request naming a session that does not exist.
	stun := func() []byte {
		user := "nosuchufrag:" + strconv.Itoa(rng.IntN(1000))
		b := []byte{0x00, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42}
		b = append(b, junk(12)...)
		attr := []byte{0x00, 0x06, 0, byte(len(user))}
		attr = append(attr, user...)
		for len(attr)%4 != 0 {
			attr = append(attr, 0)
		}
		b = append(b, attr...)
		b[3] = byte(len(b) - 20)
		return b
	}
	u, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for i := range 3000 {
		b := junk(1 + rng.IntN(1400))
		if i%3 == 0 {
			b = stun()
		}
		_, _ = u.Write(b)
		if i%100 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	for i := range 60 {
		tc, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatal(err)
		}
		b := junk(1 + rng.IntN(300))
		switch i % 3 {
		case 0: // framed STUN for no session
			m := stun()
			b = append([]byte{byte(len(m) >> 8), byte(len(m))}, m...)
		case 1: // a frame length, then junk
			b[0] = 0
		}
		_, _ = tc.Write(b)
		tc.Close()
	}
	echoes(t, ctx, c, "after the garbage")
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the page after the garbage: %s", resp.Status)
	}
	// And a new session still connects, over UDP and over TCP.
	echoes(t, ctx, dial(t, ctx, url), "a new session")
	tcpOnly, err := client.Dial(ctx, url, &client.Options{Loopback: true, TCPOnly: true})
	if err != nil {
		t.Fatalf("a new ICE-TCP session: %v", err)
	}
	defer tcpOnly.Close()
	echoes(t, ctx, tcpOnly, "a new ICE-TCP session")
}
