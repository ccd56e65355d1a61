package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime/debug"
	"strconv"
	"sync"
)

// Variant is the look of a Button.
type Variant uint8

const (
	// VariantSecondary is a quiet button: Gradio's default.
	VariantSecondary Variant = iota
	// VariantPrimary stands out: the main action of a page.
	VariantPrimary
	// VariantStop is red: an action that stops or deletes.
	VariantStop
)

// String returns "secondary", "primary" or "stop".
func (v Variant) String() string {
	switch v {
	case VariantSecondary:
		return "secondary"
	case VariantPrimary:
		return "primary"
	case VariantStop:
		return "stop"
	}
	return "Variant(" + strconv.Itoa(int(v)) + ")"
}

// Button is a trigger: Gradio's gr.Button. Its value is its text, a string.
// A click reaches the OnClick handlers on the server (POST ui/click/{id}),
// and in the page fires a "blocks:click" event (detail {id}) and the
// runtime's onClick listeners; an <rtc-stream trigger="{id}"> starts on it.
// It is an Input (handlers get its text) and an Output (its text can change).
type Button struct {
	Props

	// Value is the button's text. Default: "Run".
	Value string

	// Variant is its look. Default: VariantSecondary.
	Variant Variant

	mu       sync.Mutex
	handlers []func(context.Context) error
}

// OnClick adds fn to the functions called, in the order added, when the
// button is clicked in a page. ctx is the click request's: it ends if the
// page goes away. An error (or a panic) stops the chain and is shown next
// to the button. fn may run concurrently for clicks from several pages. It
// is safe to call OnClick at any time.
func (b *Button) OnClick(fn func(ctx context.Context) error) {
	if fn == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handlers = append(b.handlers, fn)
}

// click runs the handlers.
func (b *Button) click(ctx context.Context) error {
	b.mu.Lock()
	handlers := append([]func(context.Context) error(nil), b.handlers...)
	b.mu.Unlock()
	for _, fn := range handlers {
		if err := callClick(ctx, fn); err != nil {
			return err
		}
	}
	return nil
}

// panicError is a panic in a click handler.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string {
	return fmt.Sprintf("the click handler panicked: %v\n%s", e.value, e.stack)
}

func callClick(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return fn(ctx)
}

func (b *Button) text() string {
	if b.Value == "" {
		return "Run"
	}
	return b.Value
}

func (b *Button) check() error {
	if b.Variant > VariantStop {
		return fmt.Errorf("Variant is %v, not one of VariantSecondary, VariantPrimary, VariantStop", b.Variant)
	}
	return nil
}

// ValueType is string.
func (b *Button) ValueType() reflect.Type { return reflect.TypeFor[string]() }

// Initial returns the button's text.
func (b *Button) Initial() any { return b.text() }

// Decode takes a JSON string.
func (b *Button) Decode(raw json.RawMessage) (any, error) {
	var s string
	if err := decodeJSON(b, raw, &s, "a string"); err != nil {
		return nil, err
	}
	return s, nil
}

// Encode takes a string: the button's new text.
func (b *Button) Encode(v any) (json.RawMessage, error) {
	s, ok := toString(v)
	if !ok {
		return nil, valueErr(b, "got a %s; want a string", goKind(v))
	}
	return mustJSON(s), nil
}

// Render writes a <button>.
func (b *Button) Render(r *Renderer, id string) error {
	return r.Block(id, b, Block{Kind: "button", Value: mustJSON(b.text()), NoContainer: true}, func() error {
		r.WriteString(`<button type="button"`)
		r.Attr("id", id+"-button")
		r.Attr("class", "btn btn-"+b.Variant.String())
		if !r.Interactive(b) {
			r.WriteString(" disabled")
		}
		r.WriteString(">")
		r.Text(b.text())
		r.WriteString("</button>")
		return nil
	})
}
