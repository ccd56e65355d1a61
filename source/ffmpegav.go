package source

import (
	"context"
	"image"
	"iter"
	"sync"

	"github.com/rtcstream/rtcstream/media"
)

// FFmpegAV is one ffmpeg process's video and audio, for one session of a
// receive-mode AudioVideo stream: an rtcstream.AudioVideoGenerator. Its
// Frames and AudioFrames are read from the same process, so picture and
// sound keep the input's timing; the process starts with the first of
// them and stops when both have ended or their ctx has. A sequence whose
// reader falls behind loses its oldest frames, never the other's.
//
// The input must have both (an input without audio is ffmpeg's error,
// logged each time it is started again): use Frames or Audio of the
// FFmpegSource for one alone.
type FFmpegAV struct {
	src   *FFmpegSource
	video chan image.Image
	audio chan media.AudioFrame

	once    sync.Once
	cancel  context.CancelFunc
	ended   chan struct{} // the process's loop ended: ctx, or no ffmpeg
	mu      sync.Mutex
	readers int // sequences running; the loop stops with the last
}

// AudioVideo returns a new FFmpegAV of s's input: call it once per
// session (rtcstream.NewStream(rtcstream.AudioVideo, rtcstream.Receive,
// func() rtcstream.AudioVideoGenerator { return cam.AudioVideo() }, nil)).
func (s *FFmpegSource) AudioVideo() *FFmpegAV {
	return &FFmpegAV{
		src:   s,
		video: make(chan image.Image, 2),       // latest wins: video is paced downstream
		audio: make(chan media.AudioFrame, 50), // a second
		ended: make(chan struct{}),
	}
}

// start runs the process for ctx, once, and counts a reader.
func (av *FFmpegAV) start(ctx context.Context) {
	av.once.Do(func() {
		ctx, av.cancel = context.WithCancel(ctx)
		go func() {
			defer close(av.ended)
			av.src.loop(ctx, sinks{
				video: func(img image.Image) bool { keepLatest(av.video, img); return true },
				audio: func(f media.AudioFrame) bool { keepLatest(av.audio, f); return true },
			})
		}()
	})
	av.mu.Lock()
	av.readers++
	av.mu.Unlock()
}

// done counts a reader out, stopping the process with the last.
func (av *FFmpegAV) done() {
	av.mu.Lock()
	defer av.mu.Unlock()
	if av.readers--; av.readers == 0 {
		av.cancel()
	}
}

// Frames yields the input's video, as FFmpegSource.Frames does.
func (av *FFmpegAV) Frames(ctx context.Context) iter.Seq[image.Image] {
	return relay(av, ctx, av.video)
}

// AudioFrames yields the input's audio, as FFmpegSource.Audio does.
func (av *FFmpegAV) AudioFrames(ctx context.Context) iter.Seq[media.AudioFrame] {
	return relay(av, ctx, av.audio)
}

// relay yields what the process puts on ch until ctx ends, the process's
// loop does, or yield returns false.
func relay[T any](av *FFmpegAV, ctx context.Context, ch <-chan T) iter.Seq[T] {
	return func(yield func(T) bool) {
		av.start(ctx)
		defer av.done()
		for {
			select {
			case v := <-ch:
				if !yield(v) {
					return
				}
			case <-ctx.Done():
				return
			case <-av.ended:
				return
			}
		}
	}
}

// keepLatest puts v on ch, dropping the oldest when ch is full. Its
// caller is ch's only sender.
func keepLatest[T any](ch chan T, v T) {
	for {
		select {
		case ch <- v:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}
