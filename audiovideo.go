package rtcstream

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/media"
)

// AudioVideoHandler handles a session's camera and microphone together,
// on one connection (Modality AudioVideo, send-receive): one value per
// session, so what its Audio method hears, its Video method can draw (a
// level meter, captions), and the other way round. Video is called per
// frame under VideoHandlerFunc's contract, with the frame's presentation
// time; Audio runs for the session under AudioStreamFunc's, and its
// frames carry theirs (media.AudioFrame.Timestamp). Each counts from its
// own stream's first frame. The two run on different goroutines: guard
// what they share.
type AudioVideoHandler interface {
	Video(ctx context.Context, frame *image.YCbCr, pts time.Duration) (image.Image, error)
	Audio(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error
}

// bindAudioVideo checks an audio-video handler: a func() AudioVideoHandler
// that NewStream calls once per session (fastrtc's copy()).
func bindAudioVideo(mode Mode, fn any) (func() AudioVideoHandler, error) {
	if mode != SendReceive {
		return nil, fmt.Errorf("%w: audio-video streams are send-receive in this version, not %v", ErrUnsupported, mode)
	}
	f, ok := fn.(func() AudioVideoHandler)
	if !ok {
		return nil, fmt.Errorf("%w: an audio-video handler is a func() rtcstream.AudioVideoHandler, made per session; got %T", ErrBadHandler, fn)
	}
	return f, nil
}

// videoOf adapts an AudioVideoHandler's Video method to the frame path.
func videoOf(h AudioVideoHandler) pipeline.VideoHandler {
	return h.Video
}

// runAudioVideo runs the session's video frame path and audio handler
// together; the first to stop stops the other.
func (ss *session) runAudioVideo(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- ss.video.Run(ctx) }()
	go func() { errs <- ss.runAudio(ctx) }()
	err := <-errs
	cancel()
	if err2 := <-errs; err == nil {
		err = err2
	}
	return err
}
