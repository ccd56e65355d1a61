package bind

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/rtcstream/rtcstream/internal/server"
	"github.com/rtcstream/rtcstream/ui"
)

// NewSession makes one session's handlers (server.Config.NewSession).
func (b *Binding) NewSession(h server.Hooks) (server.Handlers, error) {
	iv := b.newInputValues()
	out := &outputs{b: b, hooks: h}
	hs := server.Handlers{
		SetInput: func(id string, raw []byte) (bool, error) {
			i, ok := b.inputIndex(id)
			if !ok {
				return false, nil
			}
			return true, iv.set(b.params[i], i, raw)
		},
		Input:  func(c any) (any, bool) { return b.value(iv, c) },
		Output: out.sendTo,
	}
	switch {
	case b.encoded != nil:
		hs.Encoded = b.encoded.Encoded
	case b.spec.Modality == server.Audio:
		b.audioHandlers(&hs, h, iv, out)
	case b.spec.Modality == server.AudioVideo:
		if err := b.avHandlers(&hs); err != nil {
			return hs, err
		}
	default:
		if b.spec.Mode == server.Receive {
			hs.Frames = b.frames(iv)
		} else {
			hs.Video = b.videoHandler(iv, out)
		}
	}
	return hs, nil
}

// outputs sends a session's additional outputs to the page, each only
// when its value changed.
type outputs struct {
	b     *Binding
	hooks server.Hooks

	mu   sync.Mutex
	last map[int]string // last value sent per output
}

func (o *outputs) send(values map[int]any) {
	if err := o.sendValues(values); err != nil {
		o.hooks.HandlerError(err)
	}
}

// sendTo sends v as the value of the stream's output component c
// (server.Handlers.Output).
func (o *outputs) sendTo(c any, v any) error {
	for i, r := range o.b.results {
		if r.output != nil && any(r.output) == c {
			return o.sendValues(map[int]any{i: v})
		}
	}
	return fmt.Errorf("%s is not one of the stream's outputs (StreamEvent.Outputs)", describeAny(c))
}

// describeAny names a component, or says what c is.
func describeAny(c any) string {
	if uc, ok := c.(ui.Component); ok && uc != nil {
		return ui.Describe(uc)
	}
	return fmt.Sprintf("%T", c)
}

// sendValues sends the values that changed, by result index; it returns
// the first encoding error (the others are still sent).
func (o *outputs) sendValues(values map[int]any) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	changed := map[string]json.RawMessage{}
	var first error
	for i, v := range values {
		id := o.b.outputID(i)
		if id == "" {
			continue
		}
		out := o.b.results[i].output
		raw, err := out.Encode(v)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("output %s: %w", ui.Describe(out), err)
			}
			continue
		}
		if o.last == nil {
			o.last = map[int]string{}
		}
		if o.last[i] == string(raw) {
			continue
		}
		o.last[i] = string(raw)
		changed[id] = raw
	}
	if len(changed) > 0 {
		o.hooks.Send(map[string]any{"type": "output", "values": changed})
	}
	return first
}
