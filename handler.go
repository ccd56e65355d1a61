package rtcstream

import (
	"context"
	"fmt"
	"image"
	"time"

	"github.com/rtcstream/rtcstream/internal/pipeline"
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

// adaptVideo turns a user's video handler into the pipeline's form. The
// accepted forms are listed in NewStream's documentation.
func adaptVideo(fn any) (pipeline.VideoHandler, error) {
	switch f := fn.(type) {
	case nil:
		return nil, fmt.Errorf("%w: handler is nil", ErrBadHandler)
	case VideoHandlerFunc:
		return pipeline.VideoHandler(f), nil
	case func(context.Context, *image.YCbCr, time.Duration) (image.Image, error):
		return f, nil
	case func(image.Image) image.Image:
		return func(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
			return f(in), nil
		}, nil
	case func(image.Image) (image.Image, error):
		return func(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
			return f(in)
		}, nil
	case func(context.Context, image.Image) (image.Image, error):
		return func(ctx context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
			return f(ctx, in)
		}, nil
	case func(*image.YCbCr) *image.YCbCr:
		return func(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
			return nonNil(f(in)), nil
		}, nil
	case func(*image.YCbCr) (*image.YCbCr, error):
		return func(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
			out, err := f(in)
			return nonNil(out), err
		}, nil
	}
	return nil, fmt.Errorf("%w: a video handler must be func(image.Image) image.Image, "+
		"func(image.Image) (image.Image, error), func(*image.YCbCr) *image.YCbCr, "+
		"func(*image.YCbCr) (*image.YCbCr, error), func(context.Context, image.Image) (image.Image, error) "+
		"or a VideoHandlerFunc; got %T", ErrBadHandler, fn)
}

// nonNil keeps a nil *image.YCbCr from becoming a non-nil image.Image.
func nonNil(img *image.YCbCr) image.Image {
	if img == nil {
		return nil
	}
	return img
}
