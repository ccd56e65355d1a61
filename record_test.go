package rtcstream_test

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// within2 reports whether got is within 2% of want.
func within2(got, want float64) bool { return math.Abs(got-want) <= 0.02*want }

// recordTo records every session's input and output into dir.
func recordTo(dir string) *rtcstream.Record {
	return &rtcstream.Record{Input: true, Output: true, Path: func(id, what string) string {
		return filepath.Join(dir, id+"-"+what+".webm")
	}}
}

// A video session's input and output, recorded, with each video codec:
// ffprobe reads the codec, the 90 frames sent (3 s at 30 fps) in both, 3
// s long, and ffmpeg decodes the input to the pattern sent and the output
// to it inverted. An H.264 session's files are Matroska, named .mkv.
func TestRecordVideoSession(t *testing.T) {
	for _, tc := range []struct {
		codec       codec.VideoCodec
		ext, probed string
	}{{codec.VP8, ".webm", "vp8"}, {codec.H264, ".mkv", "h264"}} {
		t.Run(string(tc.codec), func(t *testing.T) {
			checkLeaks(t)
			ctx := testContext(t, 30*time.Second)
			dir := t.TempDir()
			s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback, Record: recordTo(dir)})
			if err != nil {
				t.Fatal(err)
			}
			var received atomic.Int64 // output frames: what the server sent
			c, err := client.Dial(ctx, serve(t, s), &client.Options{Loopback: true, VideoCodec: tc.codec,
				OnFrame: func(client.FrameInfo) { received.Add(1) }})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			<-sendFrames(t, ctx, c, 320, 240, 90, 30)
			time.Sleep(300 * time.Millisecond) // the last frames through
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			waitSessions(t, s, 0, 5*time.Second)
			for _, what := range []string{rtcstream.RecordInput, rtcstream.RecordOutput} {
				path := filepath.Join(dir, c.ID()+"-"+what+tc.ext)
				v := streamtest.Probe(t, path)["video"]
				// The input is every frame sent; the output every frame
				// the server sent back, which a busy machine makes fewer
				// (88 of 90 at a load of 4 on 2 cores: stale frames
				// dropped while the handler was behind).
				want := 90
				if what == rtcstream.RecordOutput {
					want = int(received.Load())
				}
				t.Logf("%s: %+v (%d frames sent)", what, v, want)
				if v.Codec != tc.probed || !within2(float64(v.Frames), float64(want)) || !within2(v.Duration, 3.0) || want < 45 {
					t.Errorf("the %s recording: %+v; want %s, %d frames and 3.0 s within 2%% (and half the frames at least)", what, v, tc.probed, want)
				}
				// The pattern: left half dark (40), right half bright
				// (200); the handler inverted the output's.
				dark, bright := 40, 200
				if what == rtcstream.RecordOutput {
					dark, bright = 255-dark, 255-bright
				}
				for i, y := range streamtest.Luma(t, path, 320, 240) {
					img := &image.YCbCr{Y: y, YStride: 320, Rect: image.Rect(0, 0, 320, 240)}
					// Two points a half: the moving bar covers one at most.
					l := [2]int{lumaAt(img, 40, 120), lumaAt(img, 120, 120)}
					r := [2]int{lumaAt(img, 200, 120), lumaAt(img, 280, 120)}
					near := func(v [2]int, want int) bool { return abs(v[0]-want) < 20 || abs(v[1]-want) < 20 }
					if !near(l, dark) || !near(r, bright) {
						t.Errorf("%s frame %d: luma %v left, %v right; want about %d and %d", what, i, l, r, dark, bright)
						break
					}
				}
			}
		})
	}
}

// An audio session's input and output (an echo), recorded: Opus, the 150
// packets sent (3 s) in both, 3 s long.
func TestRecordAudioSession(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	dir := t.TempDir()
	probe := &audioProbe{}
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, probe.Echo, &rtcstream.Options{Network: loopback, Record: recordTo(dir)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(ctx, serve(t, s), &client.Options{Loopback: true, Audio: true, VideoOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pcm := make([]int16, client.AudioFrameSamples)
	start := time.Now()
	for k := range 150 {
		for j := range pcm {
			pcm[j] = int16(8000 * math.Sin(2*math.Pi*440*float64(k*len(pcm)+j)/48000))
		}
		if err := c.WriteAudio(pcm, time.Duration(k)*20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(start.Add(time.Duration(k+1) * 20 * time.Millisecond)))
	}
	time.Sleep(200 * time.Millisecond) // the echo's last packets
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitSessions(t, s, 0, 5*time.Second)
	in := streamtest.Probe(t, filepath.Join(dir, c.ID()+"-input.webm"))["audio"]
	out := streamtest.Probe(t, filepath.Join(dir, c.ID()+"-output.webm"))["audio"]
	t.Logf("input %+v, output %+v", in, out)
	if in.Codec != "opus" || !within2(float64(in.Frames), 150) || !within2(in.Duration, 3.0) {
		t.Errorf("the input recording: %+v; want opus, 150 packets and 3.0 s within 2%%", in)
	}
	// The output runs from the session's start to its end: the echo, and
	// the silence the pacer sends around it.
	if out.Codec != "opus" || out.Duration < 3.0 {
		t.Errorf("the output recording: %+v; want opus, at least 3.0 s", out)
	}
}

// A recording whose file cannot be made is logged; the session goes on.
func TestRecordBadPathSessionGoesOn(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	missing := filepath.Join(t.TempDir(), "missing")
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback, Record: recordTo(missing)})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	sendFrames(t, ctx, c, 160, 120, 60, 30)
	f, err := c.ReadFrame(ctx)
	if err != nil {
		t.Fatalf("no frame back from a session whose recording failed: %v", err)
	}
	_ = f
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("%s: %v", missing, err)
	}
	if _, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Record: &rtcstream.Record{Input: true}}); err == nil {
		t.Error("a Record without a Path was taken")
	}
}

func abs(x int) int { return max(x, -x) }
