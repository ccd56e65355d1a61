package bind

import (
	"context"
	"image"
	"reflect"
	"time"

	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// The general video handler's type; rtcstream.VideoHandlerFunc is a named
// form of it.
var typeVideoFunc = reflect.TypeFor[func(context.Context, *image.YCbCr, time.Duration) (image.Image, error)]()

// plainVideo turns a plain video handler (frame in, frame out) into the
// pipeline's form, which calls it directly.
func plainVideo(fn any) (pipeline.VideoHandler, bool) {
	if t := reflect.TypeOf(fn); t != nil && t.Kind() == reflect.Func && t != typeVideoFunc && t.ConvertibleTo(typeVideoFunc) {
		fn = reflect.ValueOf(fn).Convert(typeVideoFunc).Interface()
	}
	switch f := fn.(type) {
	case func(context.Context, *image.YCbCr, time.Duration) (image.Image, error):
		return f, true
	case func(image.Image) image.Image:
		return func(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
			return f(in), nil
		}, true
	case func(image.Image) (image.Image, error):
		return func(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
			return f(in)
		}, true
	case func(context.Context, image.Image) (image.Image, error):
		return func(ctx context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
			return f(ctx, in)
		}, true
	case func(*image.YCbCr) *image.YCbCr:
		return func(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
			return nonNil(f(in)), nil
		}, true
	case func(*image.YCbCr) (*image.YCbCr, error):
		return func(_ context.Context, in *image.YCbCr, _ time.Duration) (image.Image, error) {
			out, err := f(in)
			return nonNil(out), err
		}, true
	}
	return nil, false
}

// nonNil keeps a nil *image.YCbCr from becoming a non-nil image.Image.
func nonNil(img *image.YCbCr) image.Image {
	if img == nil {
		return nil
	}
	return img
}

// frameOf extracts the output frame from a call's results; nil when the
// handler returned none.
func frameOf(v reflect.Value) image.Image {
	if !v.IsValid() || (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return nil
	}
	return v.Interface().(image.Image)
}

// videoHandler returns a session's frame handler: it reads the session's
// current inputs and passes additional outputs to out.
func (b *Binding) videoHandler(iv *inputValues, out *outputs) pipeline.VideoHandler {
	if b.direct != nil {
		return b.direct
	}
	return func(ctx context.Context, frame *image.YCbCr, _ time.Duration) (image.Image, error) {
		res := b.fn.Call(b.args(ctx, frame, iv))
		var img image.Image
		var extra map[int]any
		for i, r := range b.results {
			if r.output == nil {
				img = frameOf(res[i])
				continue
			}
			if extra == nil {
				extra = make(map[int]any, len(b.results))
			}
			extra[i] = res[i].Interface()
		}
		if err := b.errOf(res); err != nil {
			return nil, err
		}
		if extra != nil {
			out.send(extra)
		}
		return img, nil
	}
}
