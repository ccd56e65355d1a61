package rtcstream

import (
	"reflect"
	"sync"

	"github.com/rtcstream/rtcstream/internal/bind"
)

// Live is an extra input that a long-running handler reads while it runs,
// such as a receive-mode generator that should follow a slider:
//
//	func(ctx context.Context, speed rtcstream.Live[float64]) iter.Seq[image.Image]
//
// Get returns the input's current value; it is safe for concurrent use
// and cheap enough to call for every frame. A handler called per frame
// simply takes the value (float64) instead.
type Live[T any] struct {
	mu  *sync.Mutex
	val *reflect.Value
}

// Get returns the input's current value.
func (l Live[T]) Get() T {
	if l.mu == nil {
		var zero T
		return zero
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.val.Interface().(T)
}

// liveParam is implemented by every Live[T]: the binding recognises live
// parameters and makes them through liveHooks.
type liveParam interface {
	liveType() reflect.Type
	bound(mu *sync.Mutex, val *reflect.Value) any
}

func (Live[T]) liveType() reflect.Type { return reflect.TypeFor[T]() }

func (Live[T]) bound(mu *sync.Mutex, val *reflect.Value) any { return Live[T]{mu: mu, val: val} }

var typeLiveParam = reflect.TypeFor[liveParam]()

var liveHooks = bind.Live{
	Elem: func(t reflect.Type) (reflect.Type, bool) {
		if !t.Implements(typeLiveParam) {
			return nil, false
		}
		return reflect.Zero(t).Interface().(liveParam).liveType(), true
	},
	Make: func(t reflect.Type, mu *sync.Mutex, val *reflect.Value) reflect.Value {
		return reflect.ValueOf(reflect.Zero(t).Interface().(liveParam).bound(mu, val))
	},
}
