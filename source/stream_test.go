package source_test

import (
	"context"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/source"
)

// A file played through a receive-mode stream: the Go client gets its
// frames, at the file's size.
func TestFileThroughAStream(t *testing.T) {
	streamtest.CheckLeaks(t)
	path := ffmpegMake(t, "clip.webm", append(testsrc("1"), "-c:v", "libvpx", "-b:v", "500k")...)
	f, err := source.Open(path, &source.Options{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Receive, f.Frames, &rtcstream.Options{Network: streamtest.Loopback})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, streamtest.Serve(t, s), &client.Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 45 { // past the first loop
		fr, err := c.ReadFrame(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got := fr.Image.Bounds().Size(); got.X != 320 || got.Y != 240 {
			t.Fatalf("frame %d is %v, want the file's 320x240", i, got)
		}
	}
}

// The File itself as a receive-mode stream's handler: its VP8 frames go
// out as they are (the client gets frames of exactly the file's sizes, at
// the file's times), and an Ogg file's Opus packets too (the client
// hears the 440 Hz tone).
func TestFilePassedThrough(t *testing.T) {
	streamtest.CheckLeaks(t)
	path := ffmpegMake(t, "clip.webm", append(testsrc("1"), "-c:v", "libvpx", "-b:v", "500k", "-g", "300")...)
	f, err := source.Open(path, &source.Options{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var want []int
	var wantTicks []uint32 // the file's times (WebM's are in ms), on the 90 kHz clock
	fileCtx, stop := context.WithCancel(ctx)
	video, _ := f.Encoded(fileCtx)
	for e := range video {
		wantTicks = append(wantTicks, uint32(e.Timestamp*90000/time.Second))
		if want = append(want, len(e.Data)); len(want) == 30 {
			break
		}
	}
	stop()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Receive, f, &rtcstream.Options{Network: streamtest.Loopback})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan client.FrameInfo, 100)
	c, err := client.Dial(ctx, streamtest.Serve(t, s), &client.Options{Loopback: true, SkipDecode: true,
		OnFrame: func(fi client.FrameInfo) {
			select {
			case got <- fi:
			default:
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var first uint32
	for i := range 30 {
		var fi client.FrameInfo
		select {
		case fi = <-got:
		case <-ctx.Done():
			t.Fatalf("frame %d never came", i)
		}
		if i == 0 {
			first = fi.RTPTimestamp
		}
		if fi.Size != want[i] || fi.RTPTimestamp-first != wantTicks[i]-wantTicks[0] {
			t.Fatalf("frame %d: %d bytes at +%d ticks; want the file's %d bytes at +%d", i, fi.Size, fi.RTPTimestamp-first, want[i], wantTicks[i]-wantTicks[0])
		}
	}

	ogg := ffmpegMake(t, "tone.ogg", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:a", "libopus")
	tone, err := source.Open(ogg, &source.Options{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	as, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.Receive, tone, &rtcstream.Options{Network: streamtest.Loopback})
	if err != nil {
		t.Fatal(err)
	}
	ac, err := client.Dial(ctx, streamtest.Serve(t, as), &client.Options{Loopback: true, Audio: true, VideoOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ac.Close()
	crossings, samples, last := 0, 0, int16(0)
	for samples < 48000 {
		fr, err := ac.ReadAudio(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range fr.Samples {
			if (v >= 0) != (last >= 0) {
				crossings++
			}
			last = v
		}
		samples += len(fr.Samples)
	}
	if hz := float64(crossings) / 2 / (float64(samples) / 48000); hz < 400 || hz > 480 {
		t.Errorf("the client heard %.0f Hz; want the file's 440 Hz tone", hz)
	}
}
