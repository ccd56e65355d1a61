package source

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"iter"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream/media"
)

// FFmpegOptions configure an FFmpeg source. The zero value gives 640x480
// at 30 fps, restarting ffmpeg whenever it exits.
type FFmpegOptions struct {
	Options
	// Size is the frames' size (ffmpeg scales to it). Default 640x480.
	Size image.Point
	// FrameRate is the frames' rate. Default 30.
	FrameRate int
	// Path is the ffmpeg binary. Default "ffmpeg" on PATH.
	Path string
	// Args are more input options, before -i ("-rtsp_transport", "tcp").
	Args []string
	// MinBackoff and MaxBackoff bound the wait before ffmpeg is started
	// again after it exits: doubling from the least to the most, back to
	// the least after a run that gave frames for 10 s. Defaults 1 s and
	// 30 s.
	MinBackoff, MaxBackoff time.Duration
}

// FFmpegSource is any input ffmpeg reads (a file of any format, an RTSP
// camera, HLS), decoded by an ffmpeg process into frames of video, audio
// or both. ffmpeg is started by Frames, Audio or an AudioVideo's first
// sequence and stopped when its ctx ends; when it exits by itself (the
// camera went away, the file ended without Loop) the exit is logged with
// what ffmpeg said, and it is started again after a backoff.
type FFmpegSource struct {
	input string
	opts  FFmpegOptions

	mu    sync.Mutex
	stats FFmpegStats
}

// FFmpegStats counts what an FFmpegSource did.
type FFmpegStats struct {
	Starts, Exits int
	Frames        int    // video frames
	AudioFrames   int    // 20 ms frames of audio
	LastExit      string // what ffmpeg said last, when it exited
}

// The audio an FFmpegSource gives: 20 ms frames of mono at 48 kHz, what
// WebRTC's Opus carries.
const (
	ffmpegAudioRate  = 48000
	ffmpegAudioFrame = ffmpegAudioRate / 50 // samples
)

// FFmpeg returns a source of input (a path or URL, as ffmpeg's -i takes
// it).
func FFmpeg(input string, opts *FFmpegOptions) *FFmpegSource {
	s := &FFmpegSource{input: input}
	if opts != nil {
		s.opts = *opts
	}
	o := &s.opts
	if o.Size.X <= 0 || o.Size.Y <= 0 {
		o.Size = image.Pt(640, 480)
	}
	o.Size.X, o.Size.Y = o.Size.X&^1, o.Size.Y&^1 // 4:2:0
	if o.FrameRate <= 0 {
		o.FrameRate = 30
	}
	if o.Path == "" {
		o.Path = "ffmpeg"
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	return s
}

// Stats reports what the source has done so far.
func (s *FFmpegSource) Stats() FFmpegStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// sinks are what one ffmpeg run gives its frames to: video, audio or
// both (a nil one is not asked of ffmpeg). Either returning false stops
// the run.
type sinks struct {
	video func(image.Image) bool
	audio func(media.AudioFrame) bool
}

// args is ffmpeg's command line for out: the video on stdout, and the
// audio there too when it is alone, or on fd 3 beside the video.
func (s *FFmpegSource) args(out sinks) []string {
	a := []string{"-hide_banner", "-loglevel", "error", "-nostdin"}
	if !strings.Contains(s.input, "://") { // a file: played in real time
		a = append(a, "-re")
		if s.opts.Loop {
			a = append(a, "-stream_loop", "-1")
		}
	}
	a = append(a, s.opts.Args...)
	a = append(a, "-i", s.input)
	if out.video != nil {
		a = append(a, "-map", "0:v:0",
			"-vf", fmt.Sprintf("scale=%d:%d,fps=%d", s.opts.Size.X, s.opts.Size.Y, s.opts.FrameRate),
			"-pix_fmt", "yuv420p", "-f", "rawvideo", "pipe:1")
	}
	if out.audio != nil {
		pipe := "pipe:1"
		if out.video != nil {
			pipe = "pipe:3"
		}
		a = append(a, "-map", "0:a:0", "-ac", "1", "-ar", strconv.Itoa(ffmpegAudioRate), "-f", "s16le", pipe)
	}
	return a
}

// Frames runs ffmpeg and yields its video frames, each the caller's to
// keep, until ctx ends or yield returns false; ffmpeg is restarted after
// a backoff whenever it exits. ffmpeg missing from the machine ends it,
// logged. An input without video is logged as ffmpeg's error each time
// ffmpeg is started.
func (s *FFmpegSource) Frames(ctx context.Context) iter.Seq[image.Image] {
	return func(yield func(image.Image) bool) {
		s.loop(ctx, sinks{video: yield})
	}
}

// Audio runs ffmpeg and yields the input's audio (its first audio
// stream), resampled to 20 ms frames of mono at 48 kHz, as Frames does
// video: a receive-mode audio stream's generator. Internet radio, a
// podcast's MP3 or a camera's microphone alike.
func (s *FFmpegSource) Audio(ctx context.Context) iter.Seq[media.AudioFrame] {
	return func(yield func(media.AudioFrame) bool) {
		s.loop(ctx, sinks{audio: yield})
	}
}

// loop runs ffmpeg for out until ctx ends or a sink asks to stop,
// starting it again after a backoff whenever it exits.
func (s *FFmpegSource) loop(ctx context.Context, out sinks) {
	log := s.opts.logger()
	if _, err := exec.LookPath(s.opts.Path); err != nil {
		log.Error("source: ffmpeg is not installed; the source ends", "err", err)
		return
	}
	backoff := s.opts.MinBackoff
	for ctx.Err() == nil {
		started := time.Now()
		n, stopped, err := s.run(ctx, out)
		if stopped || ctx.Err() != nil {
			return
		}
		if n > 0 && time.Since(started) > 10*time.Second {
			backoff = s.opts.MinBackoff
		}
		log.Warn("source: ffmpeg exited; starting it again", "input", s.input, "frames", n,
			"err", err, "again_in", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, s.opts.MaxBackoff)
	}
}

// run runs ffmpeg once: the frames it gave (video and audio), whether a
// sink asked to stop, and why it ended.
func (s *FFmpegSource) run(outer context.Context, out sinks) (n int, stopped bool, err error) {
	ctx, cancel := context.WithCancel(outer)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.opts.Path, s.args(out)...)
	var stderr tail
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, false, err
	}
	var audioIn io.ReadCloser = stdout
	if out.video != nil && out.audio != nil {
		r, w, err := os.Pipe()
		if err != nil {
			return 0, false, err
		}
		defer r.Close()
		defer w.Close()                // when Start fails; otherwise closed below
		cmd.ExtraFiles = []*os.File{w} // fd 3
		audioIn = r
	}
	if err := cmd.Start(); err != nil {
		return 0, false, err
	}
	if len(cmd.ExtraFiles) > 0 {
		_ = cmd.ExtraFiles[0].Close() // ffmpeg's now: its exit ends the reader's pipe
	}
	s.mu.Lock()
	s.stats.Starts++
	s.mu.Unlock()
	var video, audio int
	var videoStopped, audioStopped bool
	var wg sync.WaitGroup
	if out.audio != nil {
		wg.Go(func() {
			audio, audioStopped = s.readAudio(audioIn, out.audio)
			if audioStopped {
				cancel()
			}
		})
	}
	if out.video != nil {
		video, videoStopped = s.readVideo(stdout, out.video)
		if videoStopped {
			cancel()
		}
	}
	wg.Wait()
	stopped = videoStopped || audioStopped
	if stopped {
		cancel() // ffmpeg goes on until it is stopped
	}
	werr := cmd.Wait() // otherwise it exited: its output ended
	// An ffmpeg stopped because its caller is done did not exit by
	// itself: its last words (none) are not the source's last exit.
	if !stopped && outer.Err() == nil {
		msg := strings.TrimSpace(stderr.String())
		s.mu.Lock()
		s.stats.Exits++
		s.stats.LastExit = msg
		s.mu.Unlock()
		if msg != "" {
			err = fmt.Errorf("%v: %s", werr, msg)
		} else if werr != nil {
			err = werr
		}
	}
	return video + audio, stopped, err
}

// readVideo reads raw frames from r into yield until r ends or yield
// returns false (stopped).
func (s *FFmpegSource) readVideo(r io.Reader, yield func(image.Image) bool) (n int, stopped bool) {
	w, h := s.opts.Size.X, s.opts.Size.Y
	for {
		img := media.NewI420(w, h)
		if readI420(r, img) != nil {
			return n, false
		}
		n++
		s.mu.Lock()
		s.stats.Frames++
		s.mu.Unlock()
		if !yield(img) {
			return n, true
		}
	}
}

// ffmpegAudioCushion is the audio held back when ffmpeg starts, then
// given at once: the stream plays a live source's audio as it comes, so
// without a cushion every late read of ffmpeg's is a gap heard. It puts
// the sound this much behind the picture, inside what viewers notice
// (sound up to 125 ms late, ITU-R BT.1359).
const ffmpegAudioCushion = 80 * time.Millisecond

// readAudio reads 20 ms frames of s16le mono from r into yield, stamped
// with the time of their first sample since ffmpeg started, until r ends
// or yield returns false (stopped). The first ffmpegAudioCushion of them
// are yielded together.
func (s *FFmpegSource) readAudio(r io.Reader, yield func(media.AudioFrame) bool) (n int, stopped bool) {
	buf := make([]byte, 2*ffmpegAudioFrame)
	var at time.Duration
	var held []media.AudioFrame
	for {
		if _, err := io.ReadFull(r, buf); err != nil {
			for _, fr := range held { // a source shorter than the cushion
				if !yield(fr) {
					return n, true
				}
			}
			return n, false
		}
		pcm := make([]int16, ffmpegAudioFrame)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(buf[2*i:]))
		}
		n++
		s.mu.Lock()
		s.stats.AudioFrames++
		s.mu.Unlock()
		held = append(held, media.AudioFrame{Samples: pcm, SampleRate: ffmpegAudioRate, Channels: 1, Timestamp: at})
		if at += 20 * time.Millisecond; at < ffmpegAudioCushion {
			continue
		}
		for _, fr := range held {
			if !yield(fr) {
				return n, true
			}
		}
		held = held[:0]
	}
}

// readI420 reads one raw yuv420p frame into img.
func readI420(r io.Reader, img *image.YCbCr) error {
	for _, p := range [][]byte{img.Y, img.Cb, img.Cr} {
		if _, err := io.ReadFull(r, p); err != nil {
			return err
		}
	}
	return nil
}

// tail keeps the last 2 KiB written to it: ffmpeg's last words.
type tail struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - 2048; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
