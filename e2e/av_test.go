package e2e_test

import (
	"context"
	"image"
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
	s := startStream(t, rtcstream.AudioVideo, rtcstream.SendReceive,
		func() rtcstream.AudioVideoHandler { return avInvertEcho{&heard} }, rtcstream.Options{})
	p := openBrowser(t, browsertest.Options{
		FakeVideo: writeCameraClip(t), FakeAudio: speechWAV(t, 500*time.Millisecond, time.Second),
	})
	p.open(s.url)
	if got := p.attr("modality"); got != "audio-video" {
		t.Fatalf("modality %q, want audio-video", got)
	}
	p.start()
	offer, _ := s.rec.offers()[0].req["sdp"].(string)
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
	s.waitActive(t, 0, 5*time.Second)
}
