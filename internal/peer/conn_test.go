package peer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/goleak"
)

// checkLeaks fails the test if goroutines it started outlive it (its
// connections are closed by cleanups registered later, which run first).
func checkLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

var loopback = NetConfig{Interfaces: []string{"lo"}, IncludeLoopback: true, DisableMDNS: true}

// browser is the offering side of a test connection, with its control
// channel open.
type browser struct {
	pc *webrtc.PeerConnection
	dc *webrtc.DataChannel
}

// connect answers an offer carrying a control channel with opts, and
// returns both ends once the channel is open. rewrite, when set, edits the
// answer before the offerer applies it; the answer returned is the
// server's.
func connect(t *testing.T, opts AnswerOptions, rewrite func(string) string) (*browser, *Conn, string) {
	t.Helper()
	api, err := NewAPI(loopback)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	dc, err := pc.CreateDataChannel(ControlLabel, nil)
	if err != nil {
		t.Fatal(err)
	}
	open := make(chan struct{})
	dc.OnOpen(func() { close(open) })
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, answer, err := Answer(ctx, api, pc.LocalDescription().SDP, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pc.Close()
		c.Close()
	})
	applied := answer
	if rewrite != nil {
		applied = rewrite(answer)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: applied}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-open:
	case <-time.After(10 * time.Second):
		t.Fatal("the control channel did not open")
	}
	return &browser{pc: pc, dc: dc}, c, answer
}

// messages collects what OnMessage and OnControlRefused are told.
type messages struct {
	mu      sync.Mutex
	got     []string
	refused []error
	changed chan struct{}
}

func newMessages() *messages { return &messages{changed: make(chan struct{}, 100)} }

func (m *messages) options() AnswerOptions {
	return AnswerOptions{
		OnMessage: func(b []byte) {
			m.mu.Lock()
			m.got = append(m.got, string(b))
			m.mu.Unlock()
			m.changed <- struct{}{}
		},
		OnControlRefused: func(err error) {
			m.mu.Lock()
			m.refused = append(m.refused, err)
			m.mu.Unlock()
			m.changed <- struct{}{}
		},
	}
}

// wait waits until cond holds of what was collected.
func (m *messages) wait(t *testing.T, what string, cond func(got []string, refused []error) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		m.mu.Lock()
		ok := cond(m.got, m.refused)
		m.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-m.changed:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; got %d messages, refused %v", what, len(m.got), m.refused)
		}
	}
}

func TestControlMessageTooLarge(t *testing.T) {
	checkLeaks(t)
	m := newMessages()
	// A client that ignores the limit the answer announces.
	b, _, answer := connect(t, m.options(), func(sdp string) string {
		return strings.ReplaceAll(sdp, "a=max-message-size:65536", "a=max-message-size:1048576")
	})
	if !strings.Contains(answer, "a=max-message-size:65536") {
		t.Fatalf("the answer does not announce the limit:\n%s", answer)
	}
	fits := strings.Repeat("a", MaxMessageSize)
	if err := b.dc.SendText(fits); err != nil {
		t.Fatal(err)
	}
	m.wait(t, "the message at the limit", func(got []string, _ []error) bool { return len(got) == 1 })
	if err := b.dc.SendText(strings.Repeat("b", 100_000)); err != nil {
		t.Fatal(err)
	}
	m.wait(t, "the refusal", func(_ []string, refused []error) bool { return len(refused) > 0 })
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.got) != 1 || len(m.got[0]) != MaxMessageSize {
		t.Fatalf("got %d messages", len(m.got))
	}
	if len(m.refused) != 1 || !errors.Is(m.refused[0], ErrMessageTooLarge) {
		t.Fatalf("refused %v, want ErrMessageTooLarge once", m.refused)
	}
}

func TestExtraDataChannelsAreClosed(t *testing.T) {
	checkLeaks(t)
	m := newMessages()
	b, _, _ := connect(t, m.options(), nil)
	var closed sync.WaitGroup
	for _, label := range []string{ControlLabel, ControlLabel, "other"} {
		dc, err := b.pc.CreateDataChannel(label, nil)
		if err != nil {
			t.Fatal(err)
		}
		closed.Add(1)
		var once sync.Once
		dc.OnClose(func() { once.Do(closed.Done) })
		dc.OnOpen(func() { _ = dc.SendText("from an extra channel") })
	}
	done := make(chan struct{})
	go func() { closed.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the extra channels were not closed")
	}
	// The first channel still works, and is the only one heard.
	if err := b.dc.SendText("first"); err != nil {
		t.Fatal(err)
	}
	m.wait(t, "the first channel's message", func(got []string, _ []error) bool { return len(got) > 0 })
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.got) != 1 || m.got[0] != "first" {
		t.Fatalf("got %q, want only the first channel's message", m.got)
	}
	if len(m.refused) != 1 || !errors.Is(m.refused[0], ErrExtraChannel) {
		t.Fatalf("refused %v, want ErrExtraChannel once", m.refused)
	}
}

func TestSendDropsWhenThePageDoesNotRead(t *testing.T) {
	checkLeaks(t)
	b, c, _ := connect(t, AnswerOptions{}, nil)
	// The page stops reading: its receive window fills, then the
	// server's send buffer.
	block := make(chan struct{})
	b.dc.OnMessage(func(webrtc.DataChannelMessage) { <-block })
	defer close(block)
	msg := []byte(strings.Repeat("x", 8<<10))
	dc := serverChannel(t, c)
	var most uint64
	for range 1000 { // 8 MiB
		c.Send(msg)
		most = max(most, dc.BufferedAmount())
	}
	if c.Dropped() == 0 {
		t.Fatal("no message dropped")
	}
	if most > maxBuffered+uint64(len(msg)) {
		t.Fatalf("%d bytes buffered, bound %d", most, maxBuffered)
	}
}

// serverChannel waits for the server's end of the control channel to open:
// the page's end opens first, and pion may not yet have told the server.
func serverChannel(t *testing.T, c *Conn) *webrtc.DataChannel {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		dc := c.dc
		c.mu.Unlock()
		if dc != nil && dc.ReadyState() == webrtc.DataChannelStateOpen {
			return dc
		}
		if time.Now().After(deadline) {
			t.Fatal("the server's control channel did not open")
		}
		time.Sleep(time.Millisecond)
	}
}

// An offer's Opus parameters cannot size anything: pion declines another
// rate or channel count, the answer keeps the registered 48 kHz stereo
// codec (pion echoes the offer's fmtp, which nothing in rtcstream reads),
// and the server's decoder is made at 48 kHz mono whatever was negotiated
// (internal/server/audio.go).
func TestBogusOpusOffer(t *testing.T) {
	checkLeaks(t)
	api, err := NewAPI(loopback)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new string
		declined       bool
	}{
		{"fmtp", "a=fmtp:111 minptime=10;useinbandfec=1",
			"a=fmtp:111 maxplaybackrate=4294967295;sprop-maxcapturerate=4294967295;stereo=1;sprop-stereo=1;" +
				"maxaveragebitrate=4294967295;ptime=4294967295;maxptime=4294967295;minptime=0;useinbandfec=1", false},
		{"channels", "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/48000/255", true},
		{"rate", "a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/4294967295/2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bogus := strings.ReplaceAll(offer.SDP, tc.old, tc.new)
			if bogus == offer.SDP {
				t.Fatalf("no %q to replace in:\n%s", tc.old, offer.SDP)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c, answer, err := Answer(ctx, api, bogus, AnswerOptions{OnAudioRTP: func(*rtp.Packet, time.Time) {}, AnswerWait: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if declined := strings.Contains(answer, "m=audio 0 "); declined != tc.declined {
				t.Errorf("declined = %v, want %v:\n%s", declined, tc.declined, answer)
			}
			for _, line := range strings.Split(answer, "\r\n") {
				if strings.HasPrefix(line, "a=rtpmap:") && line != "a=rtpmap:111 opus/48000/2" {
					t.Errorf("the answer negotiates %q", line)
				}
			}
		})
	}
}
