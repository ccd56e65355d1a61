package ui

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rtcstream/rtcstream/internal/uiext"
)

// Props are the parameters every component shares: Gradio's label,
// show_label, height, width, container, scale, min_width, interactive,
// visible, elem_id, elem_classes, key, render, value (as a function), every
// and inputs. Embed it in a component; its Common method then makes the
// component satisfy half of Component. The zero value is Gradio's defaults.
//
// Components are read, never written, by a Blocks; once a Blocks is built,
// don't change them.
type Props struct {
	// Label is shown above (or beside) the component. Default: none.
	Label string

	// HideLabel keeps the label for screen readers only (show_label=False).
	// Default: shown.
	HideLabel bool

	// Height and Width are CSS sizes of the component: a bare number means
	// pixels ("300"), anything else is a CSS length ("50vh", "20em",
	// "calc(100% - 8px)"). Default: the layout decides.
	Height, Width string

	// NoContainer drops the padded, bordered box around the component
	// (container=False). Default: boxed. HTML, Markdown and Button never
	// have a box.
	NoContainer bool

	// Scale is the component's width relative to its siblings in a Row (and
	// its height relative to its siblings at the top of a FillHeight
	// Blocks): 2 is twice as wide as 1. Default (0): 1 in a Row, no growth
	// at the top of a FillHeight Blocks. NoGrow keeps the component at its
	// minimum width (Gradio's scale=0).
	Scale int

	// MinWidth is the narrowest the component gets in a Row, in pixels; a
	// Row wraps when its children don't fit. Default (0): 160, 320 for a
	// Column. A negative value means no minimum.
	MinWidth int

	// Interactive says whether a person can change the component's value.
	// Default (InteractiveAuto): inferred, see Interactivity.
	Interactive Interactivity

	// Hidden hides the component (visible=False). Default: shown.
	Hidden bool

	// ElemID is the DOM id of the component's root element, for CSS.
	// Default: none. Two components on a page can't share one.
	ElemID string

	// ElemClasses are CSS classes added to the component's root element.
	// Default: none.
	ElemClasses []string

	// Key is the component's id on the page (data-component, routes,
	// messages) instead of one derived from its position: letters, digits,
	// '-' and '_'. Default: "component-N", N counting the components in
	// page order, which stays the same across reloads of one Blocks.
	Key string

	// NoRender keeps Layout.Add from placing the component (render=False);
	// Layout.Render places it later, anywhere. Default: placed.
	NoRender bool

	// ValueFunc computes the component's value in the page: on page load,
	// every Every, and whenever one of Inputs changes. It is a func whose
	// parameters bind, in order, to the values of Inputs (optionally after
	// a leading context.Context), and whose results are the component's
	// value, or the value and an error: for a Slider with Inputs {checkbox,
	// textbox}, func(bool, string) float64 or func(context.Context, bool,
	// string) (float64, error). Parameter and result types are checked when
	// the Blocks is built. Default: none; the component shows its Value.
	ValueFunc any

	// Every recomputes ValueFunc on this period while the page is open.
	// Default: never.
	Every time.Duration

	// Inputs are the components whose values ValueFunc takes; each must be
	// an Input on the same page. Default: none.
	Inputs []Component

	ext uiext.Extension // the stream component's hooks (package uiext)
}

// Common returns p. Components embed Props and get it as their Common method.
func (p *Props) Common() *Props { return p }

// NoGrow is a Props.Scale that keeps a component in a Row at its minimum
// width instead of sharing the free space (Gradio's scale=0).
const NoGrow = -1

// Interactivity says whether a person can edit a component.
type Interactivity uint8

const (
	// InteractiveAuto infers it, as Gradio does: a component that some
	// value function or linked component (a stream handler) reads is
	// interactive; otherwise one whose value is computed (a ValueFunc with
	// Every or Inputs, or a stream's output) is static; otherwise inputs
	// are interactive and outputs static.
	InteractiveAuto Interactivity = iota
	// Interactive: a person can change the value.
	Interactive
	// Static: the component only shows its value.
	Static
)

// String returns "auto", "interactive" or "static".
func (i Interactivity) String() string {
	switch i {
	case InteractiveAuto:
		return "auto"
	case Interactive:
		return "interactive"
	case Static:
		return "static"
	}
	return "Interactivity(" + strconv.Itoa(int(i)) + ")"
}

// cssLengthRE matches a number with a CSS unit, such as 300px, 50vh or 2.5em.
var cssLengthRE = regexp.MustCompile(`^[0-9]*\.?[0-9]+(px|em|rem|%|vh|vw|vmin|vmax|dvh|dvw|svh|lvh|ch|ex|pt|cm|mm|in)$`)

// cssFuncRE matches calc(), min(), max() and clamp() of plain lengths.
var cssFuncRE = regexp.MustCompile(`^(calc|min|max|clamp)\([0-9a-z.%+\-*/ ,()]+\)$`)

// cssSize turns a Height or Width into a CSS value: a bare number means
// pixels. Anything that is not a plain CSS length is an error, so the value
// can go into a style attribute unescaped.
func cssSize(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 {
			return "", fmt.Errorf("%q is negative", s)
		}
		return strconv.FormatFloat(f, 'f', -1, 64) + "px", nil
	}
	if cssLengthRE.MatchString(s) || s == "auto" || cssFuncRE.MatchString(s) && balanced(s) {
		return s, nil
	}
	return "", fmt.Errorf("%q is not a CSS size (a number of pixels, or a length such as 50vh)", s)
}

// balanced reports whether the parentheses of s pair up.
func balanced(s string) bool {
	depth := 0
	for _, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// keyRE matches a valid Props.Key.
var keyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// typeName is a component's Go type as a user writes it, for messages:
// "ui.Slider", "rtcstream.WebRTC".
func typeName(c Component) string {
	return strings.TrimLeft(fmt.Sprintf("%T", c), "*")
}

// Describe names a component the way the messages of ui and rtcstream do:
// its Go type and the first of its Label, Key and ElemID that is set.
//
//	ui.Slider "Confidence Threshold"
//	ui.Number (key "fps")
//	ui.Row (elem_id "toolbar")
//	ui.Row
//
// A Button without a Label is named by its text: ui.Button "Run". A nil
// component is "<nil>" and a nil pointer "nil *ui.Slider". Packages that
// define components can use it so that their messages name components the
// same way.
func Describe(c Component) string {
	if c == nil {
		return "<nil>"
	}
	if v := reflect.ValueOf(c); v.Kind() == reflect.Pointer && v.IsNil() {
		return fmt.Sprintf("nil %T", c)
	}
	p := c.Common()
	if b, ok := c.(*Button); ok && p.Label == "" {
		return fmt.Sprintf("ui.Button %q", b.text())
	}
	switch {
	case p.Label != "":
		return fmt.Sprintf("%s %q", typeName(c), p.Label)
	case p.Key != "":
		return fmt.Sprintf("%s (key %q)", typeName(c), p.Key)
	case p.ElemID != "":
		return fmt.Sprintf("%s (elem_id %q)", typeName(c), p.ElemID)
	}
	return typeName(c)
}
