package rtcstream

import (
	"context"
	"image"
	"iter"
	"reflect"
	"time"

	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// generate runs a receive-mode handler: it calls the generator with the
// session's inputs and sends its frames, paced at Options.FrameRate, until
// the generator ends or ctx does. A generator slower than the frame rate
// is sent as fast as it yields; a faster one is held back, never bursted.
func (ss *session) generate(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
			ss.handlerError(err)
		}
	}()
	b := ss.s.bind
	out := b.fn.Call(b.args(ctx, nil, ss.inputs))
	if err := b.errOf(out); err != nil {
		herr := &pipeline.HandlerError{Err: err}
		ss.handlerError(herr)
		return herr
	}
	frames := framesOf(ctx, out[0])
	interval := time.Second / time.Duration(ss.s.opts.FrameRate)
	start := time.Now()
	next := start
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for img := range frames {
		if img == nil {
			continue
		}
		if wait := time.Until(next); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return nil
			}
		} else if -wait > interval {
			next = time.Now() // behind: don't burst to catch up
		}
		next = next.Add(interval)
		pts := time.Since(start)
		if err := ss.out.Send(img, pts, uint32(pts*90000/time.Second)); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
	return nil
}

// framesOf turns a generator's result into one sequence.
func framesOf(ctx context.Context, v reflect.Value) iter.Seq[image.Image] {
	switch g := v.Interface().(type) {
	case iter.Seq[image.Image]:
		if g == nil {
			return func(func(image.Image) bool) {}
		}
		return g
	case iter.Seq[*image.YCbCr]:
		return func(yield func(image.Image) bool) {
			if g == nil {
				return
			}
			for img := range g {
				if img != nil && !yield(img) {
					return
				}
			}
		}
	case <-chan image.Image:
		return func(yield func(image.Image) bool) {
			for {
				select {
				case img, ok := <-g:
					if !ok || !yield(img) {
						return
					}
				case <-ctx.Done():
					return
				}
			}
		}
	}
	return func(func(image.Image) bool) {}
}
