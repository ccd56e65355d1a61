package rtcstream_test

import (
	"context"
	"errors"
	"image"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/media"
)

// avInvertEcho inverts the video's colours and echoes the audio, and counts what it
// hears, which its Video method could draw: one handler for both.
type avInvertEcho struct{ heard *atomic.Int64 }

func (h avInvertEcho) Video(_ context.Context, frame *image.YCbCr, _ time.Duration) (image.Image, error) {
	return negative(frame), nil
}

func (h avInvertEcho) Audio(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
	for f := range in {
		h.heard.Add(1)
		select {
		case out <- f:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// TestBrowserAudioVideo: camera and microphone on one connection, one
// handler per session seeing both: the output video is the inverted camera
// and the output audio is the microphone's speech.
func TestBrowserAudioVideo(t *testing.T) {
	checkLeaks(t)
	var heard atomic.Int64
	s, err := rtcstream.NewStream(rtcstream.AudioVideo, rtcstream.SendReceive,
		func() rtcstream.AudioVideoHandler { return avInvertEcho{&heard} },
		&rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	rec := &signalRecorder{next: s}
	srv := httptest.NewServer(rec)
	t.Cleanup(func() { s.Close(); srv.Close() })
	p := tab{t, browsertest.New(t, browsertest.Options{
		FakeVideo: writeCameraClip(t), FakeAudio: speechWAV(t, 500*time.Millisecond, time.Second), Timeout: browserLife,
	})}
	p.open(srv.URL)
	if got := evalOn[string](p, `document.querySelector("rtc-stream").getAttribute("modality")`); got != "audio-video" {
		t.Fatalf("modality %q, want audio-video", got)
	}
	p.start()
	offer, _ := rec.offers()[0].req["sdp"].(string)
	if !strings.Contains(offer, "m=audio") || !strings.Contains(offer, "m=video") {
		t.Fatalf("the offer does not carry both:\n%s", offer)
	}
	// The video comes back inverted: a bright camera quadrant comes back dark.
	if w, h := p.videoSize(selOutput); w != 640 || h != 480 {
		t.Errorf("output video %dx%d", w, h)
	}
	p.waitColors(selOutput, 48, negColors)
	// The speech comes back too.
	p.waitLevel(selLevelOut, waitAudio, "the echoed speech never reached the output meter", func(v float64) bool { return v > speechLevel })
	if heard.Load() == 0 {
		t.Error("the handler's Audio heard nothing")
	}
	p.stop()
	deadline := time.Now().Add(5 * time.Second)
	for s.ActiveSessions() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := s.ActiveSessions(); n != 0 {
		t.Fatalf("%d sessions after Stop", n)
	}
}

func TestAudioVideoHandlerChecks(t *testing.T) {
	for _, tc := range []struct {
		mode rtcstream.Mode
		fn   any
		want error
	}{
		{rtcstream.SendReceive, invert, rtcstream.ErrBadHandler},
		{rtcstream.SendReceive, avInvertEcho{}, rtcstream.ErrBadHandler}, // a value, not a per-session factory
		{rtcstream.Receive, func() rtcstream.AudioVideoHandler { return avInvertEcho{} }, rtcstream.ErrUnsupported},
	} {
		if _, err := rtcstream.NewStream(rtcstream.AudioVideo, tc.mode, tc.fn, nil); !errors.Is(err, tc.want) {
			t.Errorf("%v %T: %v, want %v", tc.mode, tc.fn, err, tc.want)
		}
	}
}
