package rtcstream

import (
	"context"
	"image"
	"iter"
	"time"

	"github.com/rtcstream/rtcstream/media"
)

// VideoHandlerFunc is the most general video handler: it gets the session's
// context, the frame and its presentation time (since the session's first
// frame). Returning a nil image sends nothing for this frame.
//
// Every handler form below follows the same contract. The input frame is a
// *image.YCbCr (4:2:0, BT.601 limited range) owned by the call: the handler
// may read it, draw on it and return it, which costs no conversion. It must
// not keep it after returning; copy what it needs. The returned image may be
// any image.Image; a 4:2:0 *image.YCbCr is encoded as is, anything else is
// converted. It is read before the next call, so a handler may reuse one
// output image. Handlers of one session run on one goroutine, one frame at
// a time; different sessions run concurrently.
type VideoHandlerFunc func(ctx context.Context, frame *image.YCbCr, pts time.Duration) (image.Image, error)

// AudioStreamFunc is the general audio handler, the Go form of fastrtc's
// StreamHandler: it runs once per session, for as long as the session
// lasts, reading the browser's audio from in (mono, at
// Options.AudioInputRate) and writing audio to out (any rate, mono or
// stereo, any length per frame), which is paced to the browser in real
// time. in closes when the session ends; ctx ends with it. Code before its
// loop is the start-up, code after it the shutdown; its locals are the
// per-connection state fastrtc's copy() provides. Writing to out blocks
// while a second of audio is already queued.
//
// In send-receive mode, out is live audio, made from the input as it
// arrives: its delay is bounded. When audio has waited in the output
// queue for a whole second beyond a frame or so (the handler or the
// network stalled, then caught up), the excess is dropped at a quiet
// moment, so the delay does not grow. Audio produced ahead of real time,
// such as a spoken reply, is played whole with Session.Play.
//
// A frame received from in belongs to the handler, as a video frame
// belongs to its call: keep it or change it freely. Its Timestamp is its
// presentation time since the session's first audio frame.
type AudioStreamFunc func(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error

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

// AudioVideoGenerator generates a session's video and audio together, for
// an AudioVideo stream in Receive mode (a func() AudioVideoGenerator,
// called once per session): Frames as a video generator (paced at
// Options.FrameRate), AudioFrames as an audio generator (chunks of any
// length and rate, played whole). Both start when the browser connects and
// run on their own goroutines; the session ends once both have ended.
type AudioVideoGenerator interface {
	Frames(ctx context.Context) iter.Seq[image.Image]
	AudioFrames(ctx context.Context) iter.Seq[media.AudioFrame]
}

// EncodedSource is media already encoded: a receive-mode stream given one
// as its handler sends its VP8 frames and Opus packets as they are, no
// decoder, no encoder, each when its source yields it (package source's
// *File, a WebM, IVF or Ogg file played in real time). Either sequence
// may be nil when there is no such track. A browser's request for a
// keyframe (after a loss) waits for the source's next one.
type EncodedSource interface {
	Encoded(ctx context.Context) (video, audio iter.Seq[media.EncodedFrame])
}
