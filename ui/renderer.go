package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
)

// Renderer writes one page's HTML. Blocks makes one per page request and
// hands it to each component's Render; it is not safe for concurrent use and
// is only valid during the call.
//
// Everything written with Write or WriteString is HTML as is; use Text and
// Attr (or html/template) for anything that came from a person.
type Renderer struct {
	buf     bytes.Buffer
	page    *page
	assets  string
	modules []string
	styles  []string
}

func newRenderer(p *page, assetsURL string) *Renderer {
	return &Renderer{page: p, assets: assetsURL}
}

// Write writes p as HTML, unescaped. It never fails.
func (r *Renderer) Write(p []byte) (int, error) { return r.buf.Write(p) }

// WriteString writes s as HTML, unescaped. It never fails.
func (r *Renderer) WriteString(s string) (int, error) { return r.buf.WriteString(s) }

// Text writes s as text: escaped for use between tags or inside a quoted
// attribute value.
func (r *Renderer) Text(s string) { r.buf.WriteString(template.HTMLEscapeString(s)) }

// Attr writes ` name="value"` with value escaped. A name that is not lower
// case letters, digits and hyphens (starting with a letter) is dropped, so
// that no attribute can start a script (on*) by accident: names beginning
// with "on" are dropped too.
func (r *Renderer) Attr(name, value string) {
	if !validAttrName(name) {
		return
	}
	r.buf.WriteByte(' ')
	r.buf.WriteString(name)
	r.buf.WriteString(`="`)
	r.Text(value)
	r.buf.WriteByte('"')
}

// validAttrName reports whether name is an attribute Attr writes.
func validAttrName(name string) bool {
	if name == "" || name[0] < 'a' || name[0] > 'z' || strings.HasPrefix(name, "on") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Child renders c, a component on this page, with its id. Containers call
// it for each child.
func (r *Renderer) Child(c Component) error {
	id, ok := r.page.ids[c]
	if !ok {
		return fmt.Errorf("ui: %s is not on the page", Describe(c))
	}
	if err := c.Render(r, id); err != nil {
		return fmt.Errorf("ui: rendering %s (%s): %w", Describe(c), id, err)
	}
	return nil
}

// AssetsURL is the URL of the embedded assets (ui/web's Assets), relative
// to the page, without a trailing slash: "assets".
func (r *Renderer) AssetsURL() string { return r.assets }

// Module adds <script type="module" src="{AssetsURL}/{name}"> to the page's
// head, once however often it is asked for: a component's script, such as
// "rtc-stream.js".
func (r *Renderer) Module(name string) {
	if !slices.Contains(r.modules, name) {
		r.modules = append(r.modules, name)
	}
}

// Stylesheet adds <link rel="stylesheet" href="{AssetsURL}/{name}"> to the
// page's head, once.
func (r *Renderer) Stylesheet(name string) {
	if !slices.Contains(r.styles, name) {
		r.styles = append(r.styles, name)
	}
}

// ID returns the id of c on this page, and whether c is on it.
func (r *Renderer) ID(c Component) (string, bool) {
	id, ok := r.page.ids[c]
	return id, ok
}

// MountURL returns the URL, relative to the page, of the routes of c, a
// stream component on this page: "webrtc" for the first (its routes got the
// prefix "/webrtc"), "webrtc/<id>" for later ones. It is what goes in
// <rtc-stream src="...">.
func (r *Renderer) MountURL(c Component) (string, bool) {
	p, ok := r.page.prefixes[c]
	if !ok {
		return "", false
	}
	return strings.TrimPrefix(p, "/"), true
}

// Interactive reports whether a person can change c's value: Props.Interactive,
// or when it is InteractiveAuto, what the page's use of c implies (see
// Interactivity). Render disabled controls when it is false.
func (r *Renderer) Interactive(c Component) bool {
	return r.page.interactive[c]
}

// Block describes the root element that Renderer.Block writes.
type Block struct {
	// Kind is the kind of component, for the runtime and for CSS: the
	// root's data-kind and a class. Built-in kinds are slider, number,
	// checkbox, dropdown, radio, textbox, button, label, json, chatbot, html
	// and markdown; the runtime holds a value for a kind it does not know
	// but shows nothing.
	Kind string
	// Value is the component's value as the page holds it (data-value), in
	// the JSON form Output.Encode returns; nil for a component without one.
	Value json.RawMessage
	// NoContainer draws no box, whatever Props.NoContainer says.
	NoContainer bool
	// SizesItself leaves Props.Height and Width to the component, which
	// applies them inside (the WebRTC component sizes its video area), so
	// the root is not given them too.
	SizesItself bool
}

// Block writes the root element of component c with id: class "block" and
// b.Kind, data-component, data-kind, and everything the Props ask for (DOM
// id, classes, hidden, sizes, scale, value function attributes). It calls
// body to write the inside, then adds the box where the page shows errors
// about c, and closes the element.
func (r *Renderer) Block(id string, c Component, b Block, body func() error) error {
	p := c.Common()
	classes := []string{"block", b.Kind}
	if b.NoContainer || p.NoContainer {
		classes = append(classes, "no-container")
	}
	if !r.Interactive(c) {
		classes = append(classes, "static")
	}
	r.open("div", id, c, b.Kind, classes, b.SizesItself)
	if b.Value != nil {
		r.Attr("data-value", string(b.Value))
	}
	r.buf.WriteString(">")
	if body != nil {
		if err := body(); err != nil {
			return err
		}
	}
	r.buf.WriteString(`<div class="block-error" role="alert" hidden></div></div>`)
	return nil
}

// Label writes c's label as a <label> for the control with DOM id control
// (a <span> when control is ""). It writes nothing for a component without
// a label, and a label for screen readers only with Props.HideLabel.
func (r *Renderer) Label(id string, c Component, control string) {
	p := c.Common()
	if p.Label == "" {
		return
	}
	tag := "label"
	if control == "" {
		tag = "span"
	}
	r.buf.WriteString("<" + tag)
	r.Attr("id", id+"-label")
	class := "block-label"
	if p.HideLabel {
		class += " sr-only"
	}
	r.Attr("class", class)
	if control != "" {
		r.Attr("for", control)
	}
	r.buf.WriteString(">")
	r.Text(p.Label)
	r.buf.WriteString("</" + tag + ">")
}

// container writes a layout container and its children.
func (r *Renderer) container(id string, c Component, kind string, classes []string, children []Component) error {
	r.open("div", id, c, kind, classes, false)
	r.buf.WriteString(">")
	for _, child := range children {
		if err := r.Child(child); err != nil {
			return err
		}
	}
	r.buf.WriteString("</div>")
	return nil
}

// open writes the start of a component's root element, without its closing
// '>': the attributes every component has.
func (r *Renderer) open(tag, id string, c Component, kind string, classes []string, sizesItself bool) {
	p := c.Common()
	classes = append(classes, p.ElemClasses...)
	r.buf.WriteString("<" + tag)
	if p.ElemID != "" {
		r.Attr("id", p.ElemID)
	}
	r.Attr("class", strings.Join(classes, " "))
	r.Attr("data-component", id)
	r.Attr("data-kind", kind)
	if p.Hidden {
		r.buf.WriteString(" hidden")
	}
	if style := r.style(c, sizesItself); style != "" {
		r.Attr("style", style)
	}
	if f := r.page.funcs[c]; f != nil {
		r.Attr("data-fn", "")
		if p.Every > 0 {
			r.Attr("data-every", strconv.FormatInt(max(p.Every.Milliseconds(), 1), 10))
		}
		if len(f.inputs) > 0 {
			ids := make([]string, len(f.inputs))
			for i, in := range f.inputs {
				ids[i] = in.id
			}
			r.Attr("data-inputs", strings.Join(ids, " "))
		}
	}
}

// style is the inline style of c's root: scale and minimum width as custom
// properties the layout CSS reads, and the CSS sizes (checked by Build).
func (r *Renderer) style(c Component, sizesItself bool) string {
	p := c.Common()
	var parts []string
	switch {
	case p.Scale == NoGrow:
		parts = append(parts, "--scale:0")
	case p.Scale > 0:
		parts = append(parts, "--scale:"+strconv.Itoa(p.Scale))
	}
	switch {
	case p.MinWidth < 0:
		parts = append(parts, "--min-width:0px")
	case p.MinWidth > 0:
		parts = append(parts, "--min-width:"+strconv.Itoa(p.MinWidth)+"px")
	}
	if sizesItself {
		return strings.Join(parts, ";")
	}
	if h, err := cssSize(p.Height); err == nil && h != "" {
		parts = append(parts, "height:"+h)
	}
	if w, err := cssSize(p.Width); err == nil && w != "" {
		parts = append(parts, "width:"+w)
	}
	return strings.Join(parts, ";")
}

// html returns what was written.
func (r *Renderer) html() template.HTML { return template.HTML(r.buf.String()) }
