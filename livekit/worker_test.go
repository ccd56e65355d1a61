package livekit_test

import (
	"context"
	"fmt"
	"image"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/lktest"
	"github.com/rtcstream/rtcstream/livekit"
)

// The camera's colour, and what the inverting handler makes of it.
const (
	camY, camU, camV = 60, 100, 170
	colorTol         = 12 // VP8 at a flat colour: a few levels
)

// invert is the handler of the tests: every sample v becomes 255-v.
func invert(img *image.YCbCr) *image.YCbCr {
	for _, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		for i, v := range p {
			p[i] = 255 - v
		}
	}
	return img
}

// inverted says whether a frame is the camera's colour inverted.
func inverted(f lktest.Frame) bool {
	near := func(got uint8, want int) bool { return abs(int(got)-want) <= colorTol }
	return near(f.Y, 255-camY) && near(f.U, 255-camU) && near(f.V, 255-camV)
}

func abs(x int) int { return max(x, -x) }

// startWorker runs a worker of the inverting stream against url until the
// test ends.
func startWorker(t *testing.T, url string, o livekit.Options) *livekit.Worker {
	t.Helper()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	o.URL, o.APIKey, o.APISecret = url, lktest.APIKey, lktest.APISecret
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	w, err := livekit.NewWorker(s, o)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, w)
	return w
}

// serve runs w until the test ends, and checks that it drains then.
func serve(t *testing.T, w *livekit.Worker) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("worker: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("the worker did not stop in 30 s")
		}
	})
}

// TestWorkerProcessesACamera: a worker dispatched to a room by LiveKit
// runs the handler on a participant's camera and publishes the result,
// which the participant receives: the pixels are the camera's, inverted.
// A camera in H.264 is processed and published in H.264.
func TestWorkerProcessesACamera(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	w := startWorker(t, node.URL, livekit.Options{AgentName: "invert"})
	waitFor(t, 10*time.Second, "the worker registered", w.Registered)

	for i, vc := range []codec.VideoCodec{codec.VP8, codec.H264} {
		t.Run(string(vc), func(t *testing.T) {
			room := fmt.Sprintf("room-%d", i)
			p := lktest.JoinWith(t, node.URL, lktest.Token(t, room, "alice", "invert"), livekit.ParticipantOptions{VideoCodec: vc})
			p.SetColor(camY, camU, camV)
			start := time.Now()
			p.PublishCamera(image.Pt(320, 240))
			took, ok := p.WaitFrames(start, 30, 20*time.Second, inverted)
			if !ok {
				fs := p.Frames(start)
				t.Fatalf("alice got %d frames back, none or too few of them the camera inverted (last: %+v)", len(fs), last(fs))
			}
			t.Logf("30 inverted frames %v after publishing", took.Round(time.Millisecond))
			if got := p.ProcessedCodec(); got != vc {
				t.Errorf("the processed track is %s; want the camera's %s", got, vc)
			}
			if n := w.Jobs(); n < 1 || n > i+1 { // the last room's may not have ended yet
				t.Errorf("the worker holds %d jobs, want 1 (or %d)", n, i+1)
			}
			p.Leave()
		})
	}
}

func last(fs []lktest.Frame) any {
	if len(fs) == 0 {
		return nil
	}
	return fs[len(fs)-1]
}

// publishing joins identity to room at url (with agent dispatched) and
// publishes the test camera; it returns the participant and when it began.
func publishing(t *testing.T, url, room, identity, agent string) (*lktest.Participant, time.Time) {
	t.Helper()
	p := lktest.Join(t, url, lktest.Token(t, room, identity, agent))
	p.SetColor(camY, camU, camV)
	start := time.Now()
	p.PublishCamera(image.Pt(320, 240))
	return p, start
}
