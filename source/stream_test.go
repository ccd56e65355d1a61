package source_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
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
	if hz := heardHz(t, ctx, ac); hz < 400 || hz > 480 {
		t.Errorf("the client heard %.0f Hz; want the file's 440 Hz tone", hz)
	}
}

// untilTone reads c's audio until a frame holds a tone: past the silence
// before the source has started.
func untilTone(t *testing.T, ctx context.Context, c *client.Conn) {
	t.Helper()
	for {
		fr, err := c.ReadAudio(ctx)
		if err != nil {
			t.Fatalf("waiting for the tone: %v", err)
		}
		var energy float64
		for _, v := range fr.Samples {
			energy += float64(v) * float64(v)
		}
		if len(fr.Samples) > 0 && energy/float64(len(fr.Samples)) >= 1000*1000 {
			return
		}
	}
}

// heardHz reads a second of c's audio and returns the frequency of its
// tone, counted by zero crossings in the frames that hold it (a file
// looped has a few quieter ones where it ends and begins again, whose
// noise would count).
func heardHz(t *testing.T, ctx context.Context, c *client.Conn) float64 {
	t.Helper()
	crossings, samples, read := 0, 0, 0
	for read < 48000 {
		fr, err := c.ReadAudio(ctx)
		if err != nil {
			t.Fatal(err)
		}
		read += len(fr.Samples)
		var energy float64
		for _, v := range fr.Samples {
			energy += float64(v) * float64(v)
		}
		if len(fr.Samples) < 2 || energy/float64(len(fr.Samples)) < 1000*1000 {
			continue
		}
		for i := 1; i < len(fr.Samples); i++ {
			if (fr.Samples[i] >= 0) != (fr.Samples[i-1] >= 0) {
				crossings++
			}
		}
		samples += len(fr.Samples) - 1
	}
	if samples < 24000 {
		t.Fatalf("the tone was in %d of %d samples heard, want half at least", samples, read)
	}
	return float64(crossings) / 2 / (float64(samples) / 48000)
}

// Anything ffmpeg reads with sound (here an MPEG-4 file, AAC audio) plays
// through a receive-mode audio stream: the client hears its 440 Hz tone.
func TestFFmpegAudioThroughAStream(t *testing.T) {
	streamtest.CheckLeaks(t)
	path := ffmpegMake(t, "tone.m4a", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:a", "aac")
	src := source.FFmpeg(path, &source.FFmpegOptions{Options: source.Options{Loop: true}})
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.Receive, src.Audio, &rtcstream.Options{Network: streamtest.Loopback})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, streamtest.Serve(t, s), &client.Options{Loopback: true, Audio: true, VideoOff: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	untilTone(t, ctx, c)
	if hz := heardHz(t, ctx, c); hz < 400 || hz > 480 {
		t.Errorf("the client heard %.0f Hz; want the file's 440 Hz tone", hz)
	}
	if st := src.Stats(); st.AudioFrames < 50 || st.Frames != 0 {
		t.Errorf("stats %+v; want audio frames only", st)
	}
}

// An input with picture and sound through a receive-mode AudioVideo
// stream, one ffmpeg process a session (FFmpegAV): the client sees the
// picture at the size asked and hears the 440 Hz tone, and the process
// ends with the session.
func TestFFmpegAudioVideoThroughAStream(t *testing.T) {
	streamtest.CheckLeaks(t)
	path := ffmpegMake(t, "clip.mp4", append(testsrc("2"), "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:v", "mpeg4", "-c:a", "aac")...)
	src := source.FFmpeg(path, &source.FFmpegOptions{Options: source.Options{Loop: true}, Size: image.Pt(160, 120)})
	s, err := rtcstream.NewStream(rtcstream.AudioVideo, rtcstream.Receive,
		func() rtcstream.AudioVideoGenerator { return src.AudioVideo() }, &rtcstream.Options{Network: streamtest.Loopback})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, streamtest.Serve(t, s), &client.Options{Loopback: true, Audio: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	frames := make(chan error, 1)
	go func() {
		for i := range 45 {
			fr, err := c.ReadFrame(ctx)
			if err == nil && fr.Image.Bounds().Size() != image.Pt(160, 120) {
				err = fmt.Errorf("a frame of %v, want 160x120", fr.Image.Bounds().Size())
			}
			if err == nil {
				if lo, hi := lumaRange(fr.Image); hi-lo < 100 {
					err = fmt.Errorf("a flat frame (luma %d-%d), want ffmpeg's test picture", lo, hi)
				}
			}
			if err != nil {
				frames <- fmt.Errorf("frame %d: %w", i, err)
				return
			}
		}
		frames <- nil
	}()
	untilTone(t, ctx, c)
	if hz := heardHz(t, ctx, c); hz < 400 || hz > 480 {
		t.Errorf("the client heard %.0f Hz; want the file's 440 Hz tone", hz)
	}
	if err := <-frames; err != nil {
		t.Error(err)
	}
	st := src.Stats()
	if st.Starts != 1 || st.Frames < 45 || st.AudioFrames < 50 {
		t.Errorf("stats %+v; want one ffmpeg giving both", st)
	}
	c.Close()
	waitFor(t, ctx, "the session to end", func() bool { return s.ActiveSessions() == 0 })
	// What was in ffmpeg's pipes when it was stopped may still be read:
	// then nothing more, where a running ffmpeg gives a frame every 33 ms.
	for end := time.Now().Add(10 * time.Second); ; {
		before := src.Stats()
		time.Sleep(300 * time.Millisecond)
		after := src.Stats()
		if after.Frames == before.Frames && after.AudioFrames == before.AudioFrames {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("ffmpeg still gave frames 10 s after the session ended: %+v, then %+v", before, after)
		}
	}
}

// waitFor polls cond every 20 ms until it holds, failing t when ctx ends
// first.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// lumaRange returns the least and greatest luma of img.
func lumaRange(img image.Image) (lo, hi int) {
	lo = 255
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			l := int(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y)
			lo, hi = min(lo, l), max(hi, l)
		}
	}
	return lo, hi
}
