package bind

import (
	"context"
	"image"
	"iter"
	"reflect"
)

// frames returns a session's receive-mode generator: it calls the
// handler with the session's inputs and turns its result into one
// sequence.
func (b *Binding) frames(iv *inputValues) func(context.Context) (iter.Seq[image.Image], error) {
	return func(ctx context.Context) (iter.Seq[image.Image], error) {
		out := b.fn.Call(b.args(ctx, nil, iv))
		if err := b.errOf(out); err != nil {
			return nil, err
		}
		return framesOf(ctx, out[0]), nil
	}
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
