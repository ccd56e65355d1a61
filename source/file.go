package source

import (
	"context"
	"fmt"
	"image"
	"iter"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rtcstream/rtcstream/codec/opus"
	"github.com/rtcstream/rtcstream/codec/vpx"
	"github.com/rtcstream/rtcstream/media"
)

// MaxFileBytes bounds a file a File reads: it is read whole.
const MaxFileBytes = 512 << 20

// Options configure a source. The zero value plays once.
type Options struct {
	// Loop plays the file again from its start when it ends, for ever.
	Loop bool
	// Logger logs why a source ended early (a damaged file, an ffmpeg
	// that exits). Default slog.Default().
	Logger *slog.Logger
}

func (o *Options) logger() *slog.Logger {
	if o == nil || o.Logger == nil {
		return slog.Default()
	}
	return o.Logger
}

// File is a media file's VP8 video and Opus audio, read and demuxed:
// WebM (.webm, .mkv) holds either or both, IVF (.ivf) VP8 video, Ogg
// (.ogg, .opus) Opus audio. Its methods are safe for concurrent use; each
// Frames call plays the file afresh.
type File struct {
	path         string
	opts         Options
	video, audio *track
}

// Open reads and demuxes the file at path. A file with neither VP8 video
// nor Opus audio, a damaged one and one over MaxFileBytes are errors.
func Open(path string, opts *Options) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	if st.Size() > MaxFileBytes {
		return nil, fmt.Errorf("source: %s is %d bytes, over MaxFileBytes", path, st.Size())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	f := &File{path: path}
	if opts != nil {
		f.opts = *opts
	}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".webm", ".mkv":
		f.video, f.audio, err = readWebM(b)
	case ".ivf":
		f.video, err = readIVF(b)
	case ".ogg", ".opus":
		f.audio, err = readOgg(b)
	default:
		err = fmt.Errorf("%q files do not play: WebM, IVF or Ogg (or source.FFmpeg for anything else)", ext)
	}
	if err != nil {
		return nil, fmt.Errorf("source: %s: %w", path, err)
	}
	return f, nil
}

// HasVideo and HasAudio report the file's tracks.
func (f *File) HasVideo() bool { return f.video != nil }
func (f *File) HasAudio() bool { return f.audio != nil }

// Size is the video's size, as the file declares it.
func (f *File) Size() image.Point {
	if f.video == nil {
		return image.Point{}
	}
	return f.video.size
}

// Duration is how long one play of the file lasts.
func (f *File) Duration() time.Duration {
	var d time.Duration
	for _, t := range []*track{f.video, f.audio} {
		if t != nil {
			d = max(d, t.end)
		}
	}
	return d
}

// play yields a track's packets at their times from now, once or in a
// loop, until ctx ends or yield returns false; at is the packet's time on
// the play's timeline (increasing across loops).
func (f *File) play(ctx context.Context, t *track, yield func(p packet, at time.Duration) bool) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	start := time.Now()
	for base := time.Duration(0); ; base += t.end - t.packets[0].pts {
		for _, p := range t.packets {
			at := base + p.pts - t.packets[0].pts
			if wait := time.Until(start.Add(at)); wait > 0 {
				timer.Reset(wait)
				select {
				case <-timer.C:
				case <-ctx.Done():
					return
				}
			}
			if ctx.Err() != nil || !yield(p, at) {
				return
			}
		}
		if !f.opts.Loop {
			return
		}
	}
}

// Frames plays the video, decoded, in real time: a receive-mode video
// stream's generator. A frame the decoder refuses is skipped (the picture
// recovers at the next keyframe); a file whose every frame fails ends it,
// logged. Without video it yields nothing.
func (f *File) Frames(ctx context.Context) iter.Seq[image.Image] {
	return func(yield func(image.Image) bool) {
		if f.video == nil {
			f.opts.logger().Error("source: no video to play", "path", f.path)
			return
		}
		dec, err := vpx.NewDecoder()
		if err != nil {
			f.opts.logger().Error("source: VP8 decoder", "err", err)
			return
		}
		defer dec.Close()
		var img *image.YCbCr
		failed := 0
		f.play(ctx, f.video, func(p packet, _ time.Duration) bool {
			out, err := dec.Decode(img, p.data)
			if err != nil {
				if failed++; failed == len(f.video.packets) {
					f.opts.logger().Error("source: no frame of the file decodes; it ends", "path", f.path, "err", err)
					return false
				}
				return true
			}
			failed = 0
			img = out
			return yield(out)
		})
	}
}

// Audio plays the audio, decoded to 20 ms frames of mono at 48 kHz, in
// real time: a receive-mode audio stream's generator. Without audio it
// yields nothing.
func (f *File) Audio(ctx context.Context) iter.Seq[media.AudioFrame] {
	return func(yield func(media.AudioFrame) bool) {
		if f.audio == nil {
			f.opts.logger().Error("source: no audio to play", "path", f.path)
			return
		}
		dec, err := opus.NewDecoder(opus.DecoderConfig{SampleRate: 48000, Channels: 1})
		if err != nil {
			f.opts.logger().Error("source: Opus decoder", "err", err)
			return
		}
		defer dec.Close()
		var at time.Duration
		f.play(ctx, f.audio, func(p packet, _ time.Duration) bool {
			pcm, err := dec.Decode(nil, p.data)
			if err != nil {
				return true // concealed by the gap: the next packet goes on
			}
			fr := media.AudioFrame{Samples: pcm, SampleRate: 48000, Channels: 1, Timestamp: at}
			at += time.Duration(len(pcm)) * time.Second / 48000
			return yield(fr)
		})
	}
}

// Encoded is the file's VP8 frames and Opus packets as they are, each
// yielded when it is due (looped with Loop): a receive-mode stream given
// the File itself as its handler sends them without decoding or encoding
// (rtcstream.NewStream(rtcstream.Video, rtcstream.Receive, file, nil)).
// Either is nil when the file has no such track.
func (f *File) Encoded(ctx context.Context) (video, audio iter.Seq[media.EncodedFrame]) {
	if f.video != nil {
		video = f.encoded(ctx, f.video, true)
	}
	if f.audio != nil {
		audio = f.encoded(ctx, f.audio, false)
	}
	return video, audio
}

func (f *File) encoded(ctx context.Context, t *track, isVideo bool) iter.Seq[media.EncodedFrame] {
	step := t.end - t.packets[len(t.packets)-1].pts // the last packet's length
	return func(yield func(media.EncodedFrame) bool) {
		next := 1
		f.play(ctx, t, func(p packet, at time.Duration) bool {
			e := media.EncodedFrame{Data: p.data, Timestamp: at, KeyFrame: !isVideo || len(p.data) > 0 && p.data[0]&1 == 0}
			switch {
			case !isVideo:
				e.Duration = opusDuration(p.data)
			case next < len(t.packets):
				e.Duration = t.packets[next].pts - p.pts
			default:
				e.Duration = step
			}
			if next++; next > len(t.packets) {
				next = 1
			}
			return yield(e)
		})
	}
}
