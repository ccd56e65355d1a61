package source

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"iter"
	"os/exec"
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
// camera, HLS), decoded by an ffmpeg process into frames. ffmpeg is
// started by Frames and stopped when its ctx ends; when it exits by
// itself (the camera went away, the file ended without Loop) the exit is
// logged with what ffmpeg said, and it is started again after a backoff.
type FFmpegSource struct {
	input string
	opts  FFmpegOptions

	mu    sync.Mutex
	stats FFmpegStats
}

// FFmpegStats counts what an FFmpegSource did.
type FFmpegStats struct {
	Starts, Exits, Frames int
	LastExit              string // what ffmpeg said last, when it exited
}

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

func (s *FFmpegSource) args() []string {
	a := []string{"-hide_banner", "-loglevel", "error", "-nostdin"}
	if !strings.Contains(s.input, "://") { // a file: played in real time
		a = append(a, "-re")
		if s.opts.Loop {
			a = append(a, "-stream_loop", "-1")
		}
	}
	a = append(a, s.opts.Args...)
	return append(a, "-i", s.input, "-an",
		"-vf", fmt.Sprintf("scale=%d:%d,fps=%d", s.opts.Size.X, s.opts.Size.Y, s.opts.FrameRate),
		"-pix_fmt", "yuv420p", "-f", "rawvideo", "pipe:1")
}

// Frames runs ffmpeg and yields its frames, each the caller's to keep,
// until ctx ends or yield returns false; ffmpeg is restarted after a
// backoff whenever it exits. ffmpeg missing from the machine ends it,
// logged.
func (s *FFmpegSource) Frames(ctx context.Context) iter.Seq[image.Image] {
	return func(yield func(image.Image) bool) {
		log := s.opts.logger()
		if _, err := exec.LookPath(s.opts.Path); err != nil {
			log.Error("source: ffmpeg is not installed; the source ends", "err", err)
			return
		}
		backoff := s.opts.MinBackoff
		for ctx.Err() == nil {
			started := time.Now()
			n, stopped, err := s.run(ctx, yield)
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
}

// run runs ffmpeg once: the frames it gave, whether yield asked to stop,
// and why it ended.
func (s *FFmpegSource) run(ctx context.Context, yield func(image.Image) bool) (n int, stopped bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.opts.Path, s.args()...)
	var stderr tail
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, false, err
	}
	if err := cmd.Start(); err != nil {
		return 0, false, err
	}
	s.mu.Lock()
	s.stats.Starts++
	s.mu.Unlock()
	w, h := s.opts.Size.X, s.opts.Size.Y
	for {
		img := media.NewI420(w, h)
		if err = readI420(out, img); err != nil {
			break
		}
		n++
		s.mu.Lock()
		s.stats.Frames++
		s.mu.Unlock()
		if !yield(img) {
			stopped = true
			break
		}
	}
	if stopped {
		cancel() // ffmpeg goes on until it is stopped
	}
	werr := cmd.Wait() // otherwise it exited: its output ended
	if !stopped {
		s.mu.Lock()
		s.stats.Exits++
		s.stats.LastExit = strings.TrimSpace(stderr.String())
		s.mu.Unlock()
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("%v: %s", werr, msg)
		} else if werr != nil {
			err = werr
		}
	}
	return n, stopped, err
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
