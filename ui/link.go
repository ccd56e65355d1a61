package ui

import (
	"fmt"

	"github.com/rtcstream/rtcstream/internal/uiext"
)

func init() {
	uiext.Attach = func(props any, e uiext.Extension) { props.(*Props).ext = e }
}

// extension returns c's uiext.Extension, or nil.
func extension(c Component) uiext.Extension {
	return c.Common().ext
}

// links is what an extension's Link gets (uiext.Links): the ids of the
// page's components. It is valid only during the call.
type links struct {
	p       *page
	self    Component
	usedIn  map[Component]bool
	usedOut map[Component]bool
}

// ID returns the id of c, a Component, on the page (its data-component, and its key in
// the runtime's input and output messages). c not on the page is an error.
func (l *links) ID(a any) (string, error) {
	c, _ := a.(Component)
	return l.id(c)
}

func (l *links) id(c Component) (string, error) {
	if c == nil {
		return "", fmt.Errorf("ui: a nil component is not on the page")
	}
	id, ok := l.p.ids[c]
	if !ok {
		return "", fmt.Errorf("ui: %s is not on the page; Add it to the Blocks", Describe(c))
	}
	return id, nil
}

// UseInput declares that the component reads c's value (a stream handler's
// parameter) and returns its id. c must be an Input on the page. With
// InteractiveAuto, c becomes interactive.
func (l *links) UseInput(a any) (string, error) {
	c, _ := a.(Component)
	id, err := l.id(c)
	if err != nil {
		return "", err
	}
	if _, ok := c.(Input); !ok {
		return "", fmt.Errorf("ui: %s (%s) is not an input (it has no value the page sends)", Describe(c), id)
	}
	l.usedIn[c] = true
	return id, nil
}

// UseOutput declares that the component sets c's value and returns its id. c
// must be an Output on the page. With InteractiveAuto, c becomes static
// unless something also reads it.
func (l *links) UseOutput(a any) (string, error) {
	c, _ := a.(Component)
	id, err := l.id(c)
	if err != nil {
		return "", err
	}
	if _, ok := c.(Output); !ok {
		return "", fmt.Errorf("ui: %s (%s) is not an output (its value can't be set)", Describe(c), id)
	}
	l.usedOut[c] = true
	return id, nil
}
