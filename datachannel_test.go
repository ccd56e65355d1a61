package rtcstream_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/ui"
)

// drainMessages returns the control messages that arrive within d.
func drainMessages(ctx context.Context, c *client.Conn, d time.Duration) []client.Message {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var got []client.Message
	for {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			return got
		}
		got = append(got, m)
	}
}

func TestDataChannelUnknownInputsGetOneWarning(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	values := map[string]any{}
	for i := range 5000 {
		values[fmt.Sprintf("in%04d", i)] = 1
	}
	if err := c.SendInput(values); err != nil {
		t.Fatal(err)
	}
	got := drainMessages(ctx, c, time.Second)
	if len(got) != 1 || got[0].Type != "warning" {
		t.Fatalf("%d messages (%+v), want one warning", len(got), got)
	}
	const want = `inputs "in0000", "in0001", "in0002" and 4997 more are not inputs of this stream`
	if got[0].Message != want {
		t.Fatalf("warning %q, want %q", got[0].Message, want)
	}
}

func TestDataChannelLargeMessageIsRefused(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	// The answer announces 64 KiB (max-message-size), which pion's SCTP,
	// like a browser's send(), holds the sender to. A client that ignores
	// it is dropped by the server (internal/peer's TestControlMessageTooLarge).
	if err := c.SendInput(map[string]any{"text": strings.Repeat("x", 100_000)}); err == nil {
		t.Fatal("a 100 kB control message was sent")
	}
	if err := c.SendInput(map[string]any{"text": "x"}); err != nil {
		t.Fatalf("a small message after it: %v", err)
	}
	if m := readMessage(t, ctx, c, "warning"); !strings.Contains(m.Message, `"text"`) {
		t.Fatalf("warning %q, want the unknown input named", m.Message)
	}
}

func TestDataChannelFloodIsBounded(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	demo, _, conf, _ := seedPage(t, brighten, func(video *rtcstream.WebRTC, conf *ui.Slider, text *ui.Textbox) rtcstream.StreamEvent {
		return rtcstream.StreamEvent{Inputs: []ui.Component{video, conf}, Outputs: []ui.Component{video, text}}
	})
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)
	confID, _ := demo.ID(conf)
	c := dial(t, ctx, srv.URL)
	sendFrames(t, ctx, c, 160, 120, 300, 30)

	// 3000 messages at once: the burst is taken, the rest dropped, and the
	// page told so once a second, not once a message.
	for i := range 3000 {
		if err := c.SendInput(map[string]any{confID: 0.5}); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	got := drainMessages(ctx, c, 1500*time.Millisecond)
	var warnings int
	for _, m := range got {
		if m.Type == "output" { // the textbox, when the level changes
			continue
		}
		if m.Type != "warning" || !strings.Contains(m.Message, "more than 100 control messages a second") {
			t.Fatalf("message %+v, want only the rate warning", m)
		}
		warnings++
	}
	if warnings < 1 || warnings > 3 {
		t.Fatalf("%d rate warnings in 1.5 s, want one a second", warnings)
	}
	// The session goes on, and takes inputs again.
	if err := c.SendInput(map[string]any{confID: 0.8}); err != nil {
		t.Fatal(err)
	}
	for {
		f, err := c.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("waiting for the slider's new value: %v", err)
		}
		if got := lumaAt(f.Image, 80, 60); got > 183 && got < 199 {
			break
		}
	}
}
