package rtcstream_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
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

// A video session's input and output, recorded: ffprobe reads VP8, the 90
// frames sent (3 s at 30 fps) in both, 3 s long.
func TestRecordVideoSession(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	dir := t.TempDir()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback, Record: recordTo(dir)})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, ctx, serve(t, s))
	<-sendFrames(t, ctx, c, 320, 240, 90, 30)
	time.Sleep(300 * time.Millisecond) // the last frames through
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	waitSessions(t, s, 0, 5*time.Second)
	for _, what := range []string{rtcstream.RecordInput, rtcstream.RecordOutput} {
		v := streamtest.Probe(t, filepath.Join(dir, c.ID()+"-"+what+".webm"))["video"]
		t.Logf("%s: %+v", what, v)
		if v.Codec != "vp8" || !within2(float64(v.Frames), 90) || !within2(v.Duration, 3.0) {
			t.Errorf("the %s recording: %+v; want vp8, 90 frames and 3.0 s within 2%%", what, v)
		}
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
