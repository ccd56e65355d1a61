package rtcstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/media"
)

// TestSessionFromAVideoHandler: a handler that takes a context reaches its
// session: Send delivers a typed message to the client, refuses one
// without a "type", and Play says a video session has no audio to play.
func TestSessionFromAVideoHandler(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	type result struct {
		id               string
		sendErr, typeErr error
		playErr          error
	}
	got := make(chan result, 1)
	handler := func(ctx context.Context, img image.Image) (image.Image, error) {
		ss := rtcstream.SessionFrom(ctx)
		if ss == nil {
			t.Error("SessionFrom(ctx) = nil in a handler")
			return img, nil
		}
		r := result{id: ss.ID()}
		r.sendErr = ss.Send(map[string]any{"type": "custom", "n": 7})
		r.typeErr = ss.Send(map[string]any{"n": 7})
		r.playErr = ss.Play(ctx, media.AudioFrame{Samples: make([]int16, 960), SampleRate: 48000, Channels: 1})
		select {
		case got <- r:
		default:
		}
		return img, nil
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, handler, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	sendFrames(t, ctx, c, 320, 240, 30, 10)
	r := <-got
	if r.id == "" || r.sendErr != nil {
		t.Errorf("ID %q, Send: %v", r.id, r.sendErr)
	}
	if r.typeErr == nil || !strings.Contains(r.typeErr.Error(), `"type"`) {
		t.Errorf("Send of a message without a type: %v, want an error naming \"type\"", r.typeErr)
	}
	if !errors.Is(r.playErr, rtcstream.ErrNoAudioOutput) {
		t.Errorf("Play in a video session: %v, want ErrNoAudioOutput", r.playErr)
	}
	for {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("no custom message reached the client: %v", err)
		}
		if m.Type != "custom" {
			continue
		}
		var v struct{ N int }
		if json.Unmarshal(m.Raw, &v); v.N != 7 {
			t.Errorf("custom message %s, want n 7", m.Raw)
		}
		break
	}
	if rtcstream.SessionFrom(context.Background()) != nil {
		t.Error("SessionFrom of a context that is no handler's is not nil")
	}
}

// TestSessionPlayAfterEnd: Play and WaitPlayed return ErrClosed once the
// session has ended.
func TestSessionPlayAfterEnd(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	ended := make(chan *rtcstream.Session, 1)
	handler := func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
		for range in {
		}
		ended <- rtcstream.SessionFrom(ctx)
		return nil
	}
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, handler, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	c := audioConn(t, ctx, serve(t, s))
	if err := c.WriteAudio(make([]int16, 960), 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	c.Close()
	ss := <-ended
	for s.ActiveSessions() != 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	f := media.AudioFrame{Samples: make([]int16, 960), SampleRate: 48000, Channels: 1}
	if err := ss.Play(ctx, f); !errors.Is(err, rtcstream.ErrClosed) {
		t.Errorf("Play after the session ended: %v, want ErrClosed", err)
	}
	if err := ss.WaitPlayed(ctx); err != nil && !errors.Is(err, rtcstream.ErrClosed) {
		t.Errorf("WaitPlayed after the session ended: %v, want nil or ErrClosed", err)
	}
}
