package source_test

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/source"
)

// ffmpegMake makes a test file with ffmpeg (its lavfi test sources).
func ffmpegMake(t *testing.T, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		streamtest.Unavailable(t, "ffmpeg is not installed (scripts/install-deps.sh installs it)")
	}
	path := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-loglevel", "error", "-y"}, args...), path)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, out)
	}
	return path
}

// testsrc is ffmpeg's test picture, 320x240 at 30 fps for d seconds.
func testsrc(d string) []string {
	return []string{"-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", d}
}

// A WebM file made by ffmpeg (VP8 and Opus) plays its 60 frames in real
// time (about 2 s), and its 2 s of audio.
func TestFileWebM(t *testing.T) {
	path := ffmpegMake(t, "clip.webm", append(testsrc("2"), "-f", "lavfi", "-i", "sine=frequency=440", "-t", "2", "-c:v", "libvpx", "-b:v", "500k", "-c:a", "libopus")...)
	f, err := source.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !f.HasVideo() || !f.HasAudio() || f.Size() != image.Pt(320, 240) {
		t.Fatalf("video %v, audio %v, size %v; want both, 320x240", f.HasVideo(), f.HasAudio(), f.Size())
	}
	n, size, took := 0, image.Point{}, time.Duration(0)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	for img := range f.Frames(ctx) {
		n++
		size = img.Bounds().Size()
	}
	took = time.Since(start)
	t.Logf("%d frames of %v in %v", n, size, took)
	if n != 60 || size != image.Pt(320, 240) || took < 1800*time.Millisecond || took > 4*time.Second {
		t.Errorf("played %d frames of %v in %v; want 60 of 320x240 in about 2 s (real time)", n, size, took)
	}
	var samples int
	var loud bool
	for fr := range f.Audio(ctx) {
		samples += len(fr.Samples)
		for _, v := range fr.Samples {
			loud = loud || v > 1000
		}
	}
	if d := time.Duration(samples) * time.Second / 48000; d < 1900*time.Millisecond || d > 2100*time.Millisecond || !loud {
		t.Errorf("played %v of audio (loud: %v); want the 2 s tone", d, loud)
	}
}

// An IVF file loops when asked: 1 s of frames, played for 2.5 s, gives
// about 75.
func TestFileIVFLoops(t *testing.T) {
	path := ffmpegMake(t, "clip.ivf", append(testsrc("1"), "-c:v", "libvpx", "-b:v", "500k", "-f", "ivf")...)
	f, err := source.Open(path, &source.Options{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	n := 0
	for range f.Frames(ctx) {
		n++
	}
	if n < 65 || n > 80 {
		t.Errorf("%d frames in 2.5 s of a looped 1 s, 30 fps file; want about 75", n)
	}
}

// An Ogg Opus file plays its audio.
func TestFileOgg(t *testing.T) {
	path := ffmpegMake(t, "tone.ogg", "-f", "lavfi", "-i", "sine=frequency=440", "-t", "1", "-c:a", "libopus")
	f, err := source.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.HasVideo() || !f.HasAudio() || f.Duration() < 990*time.Millisecond {
		t.Fatalf("video %v, audio %v, %v; want 1 s of audio", f.HasVideo(), f.HasAudio(), f.Duration())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	samples, crossings, last := 0, 0, int16(0)
	for fr := range f.Audio(ctx) {
		for _, v := range fr.Samples {
			if (v >= 0) != (last >= 0) {
				crossings++
			}
			last = v
		}
		samples += len(fr.Samples)
	}
	hz := float64(crossings) / 2 / (float64(samples) / 48000)
	if samples < 47000 || hz < 420 || hz > 460 {
		t.Errorf("%d samples at %.0f Hz; want 1 s of the 440 Hz tone", samples, hz)
	}
}

// Whatever a file holds, Open refuses it with an error or plays it; it
// never panics.
func TestFileRefusesGarbage(t *testing.T) {
	dir := t.TempDir()
	good := ffmpegMake(t, "clip.webm", append(testsrc("1"), "-c:v", "libvpx")...)
	webm, _ := os.ReadFile(good)
	rng := rand.New(rand.NewPCG(1, 2))
	cases := map[string][]byte{
		"empty.webm":     nil,
		"text.ivf":       []byte("hello, world, this is not a video file at all"),
		"noise.ogg":      []byte("OggS\x00\x02garbage"),
		"truncated.webm": webm[:len(webm)/2],
		"clip.mp4":       webm,
	}
	for i := range 8 { // the WebM with bytes flipped
		b := append([]byte(nil), webm...)
		for range 10 {
			b[rng.IntN(len(b))] ^= byte(1 + rng.IntN(255))
		}
		cases["flipped"+strings.Repeat("x", i)+".webm"] = b
	}
	for name, b := range cases {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := source.Open(path, nil)
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		for range f.Frames(ctx) {
		}
		cancel()
	}
	if _, err := source.Open(filepath.Join(dir, "clip.mp4"), nil); err == nil || !strings.Contains(err.Error(), "FFmpeg") {
		t.Errorf("an .mp4: %v; want an error pointing to source.FFmpeg", err)
	}
}

// Any file ffmpeg reads (here an MPEG-4 one) comes as frames of the size
// asked; when ffmpeg exits (the file ended, no Loop) it is started again
// after the backoff, and the frames go on.
func TestFFmpegRestarts(t *testing.T) {
	path := ffmpegMake(t, "clip.mp4", append(testsrc("1"), "-c:v", "mpeg4")...)
	src := source.FFmpeg(path, &source.FFmpegOptions{Size: image.Pt(160, 120), MinBackoff: 200 * time.Millisecond})
	// Bounded by frames, not time: on a busy machine ffmpeg takes a while
	// to start.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := 0
	for img := range src.Frames(ctx) {
		if img.Bounds().Size() != image.Pt(160, 120) {
			t.Fatalf("a frame of %v, want 160x120", img.Bounds().Size())
		}
		if n++; n >= 45 && src.Stats().Starts >= 2 {
			break
		}
	}
	st := src.Stats()
	t.Logf("%d frames; %+v", n, st)
	if st.Starts < 2 || st.Exits < 1 || n < 45 {
		t.Errorf("%d frames, stats %+v; want ffmpeg started again after the 1 s file ended, and its frames", n, st)
	}
}

// An ffmpeg stopped because its ctx ended is not an exit: the stats keep
// the last time ffmpeg ended by itself (once, a stop cleared the
// complaint of a missing file that the exit before it had recorded).
func TestFFmpegStopIsNotAnExit(t *testing.T) {
	path := ffmpegMake(t, "clip.mp4", append(testsrc("1"), "-c:v", "mpeg4")...)
	src := source.FFmpeg(path, &source.FFmpegOptions{Options: source.Options{Loop: true}, Size: image.Pt(160, 120)})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := 0
	for range src.Frames(ctx) {
		if n++; n == 10 {
			cancel() // the caller is done; the sequence ends
		}
	}
	if st := src.Stats(); st.Starts != 1 || st.Exits != 0 || st.LastExit != "" {
		t.Errorf("stats %+v after the caller stopped ffmpeg; want one start and no exit", st)
	}
}

// An input ffmpeg cannot open is reported (what ffmpeg said), retried
// with backoff, and never yields.
func TestFFmpegReportsAFailingInput(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		streamtest.Unavailable(t, "ffmpeg is not installed")
	}
	src := source.FFmpeg(filepath.Join(t.TempDir(), "missing.mp4"), &source.FFmpegOptions{MinBackoff: 100 * time.Millisecond, MaxBackoff: 400 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan int)
	go func() {
		n := 0
		for range src.Frames(ctx) {
			n++
		}
		done <- n
	}()
	for st := src.Stats(); ctx.Err() == nil && (st.Exits < 2 || st.LastExit == ""); st = src.Stats() {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if n := <-done; n > 0 {
		t.Errorf("%d frames from a missing file", n)
	}
	st := src.Stats()
	if st.Exits < 2 || !strings.Contains(st.LastExit, "No such file") {
		t.Errorf("%+v; want ffmpeg's complaint, retried", st)
	}
}

// startCamera starts the RTSP camera (testdata/rtsp_camera.py, GStreamer's
// RTSP server) on port; it stops at cleanup or when stop is called.
func startCamera(t *testing.T, port int) (stop func()) {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import gi; gi.require_version('GstRtspServer', '1.0')").Run(); err != nil {
		streamtest.Unavailable(t, "GStreamer's RTSP server for Python is not installed (scripts/install-deps.sh installs gir1.2-gst-rtsp-server-1.0)")
	}
	cmd := exec.Command(py, "testdata/rtsp_camera.py", strconv.Itoa(port))
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		t.Fatalf("the RTSP camera said %q", line)
	}
	var once sync.Once
	stop = func() { once.Do(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) }
	t.Cleanup(stop)
	return stop
}

// An RTSP IP camera through ffmpeg: its frames come (white, as it sends);
// when the camera goes away ffmpeg's exit is reported, and when it comes
// back the frames do too.
func TestFFmpegRTSPCamera(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		streamtest.Unavailable(t, "ffmpeg is not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	stop := startCamera(t, port)
	src := source.FFmpeg(fmt.Sprintf("rtsp://127.0.0.1:%d/cam", port), &source.FFmpegOptions{
		Size: image.Pt(320, 240), Args: []string{"-rtsp_transport", "tcp"}, MinBackoff: 200 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var white, before, after int
	restarted := false
	for img := range src.Frames(ctx) {
		yc := img.(*image.YCbCr)
		if yc.Y[120*yc.YStride+160] > 200 {
			white++
		}
		switch {
		case !restarted:
			before++
			if before == 45 {
				stop() // the camera goes away
				time.Sleep(time.Second)
				startCamera(t, port) // and comes back
				restarted = true
			}
		default:
			after++
		}
		if after == 30 {
			break
		}
	}
	st := src.Stats()
	t.Logf("%d frames before the camera went away, %d after it came back, %d white; %+v", before, after, white, st)
	if before < 45 || after < 30 || white < (before+after)*9/10 || st.Exits < 1 {
		t.Errorf("%d frames, then %d after the camera's return (%d white), stats %+v: want 45, then 30, white, and an exit", before, after, white, st)
	}
}
