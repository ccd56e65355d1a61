package ui

import "fmt"

// Linker is a component that refers to other components of its page: the
// WebRTC component, whose stream handler reads inputs (a Slider) and sets
// outputs (a Textbox). When the Blocks is built, after every component has
// its id and before any Mount, Blocks calls Link once on each Linker. An
// error fails the build, naming the component.
type Linker interface {
	Component
	Link(l *Links) error
}

// Links is what a Linker's Link gets: the ids of the page's components. It
// is valid only during the call; keep the ids, not the Links.
type Links struct {
	p       *page
	self    Component
	usedIn  map[Component]bool
	usedOut map[Component]bool
}

// ID returns the id of c on the page (its data-component, and its key in
// the runtime's input and output messages). c not on the page is an error.
func (l *Links) ID(c Component) (string, error) {
	if c == nil {
		return "", fmt.Errorf("ui: a nil component is not on the page")
	}
	id, ok := l.p.ids[c]
	if !ok {
		return "", fmt.Errorf("ui: %s is not on the page; Add it to the Blocks", Describe(c))
	}
	return id, nil
}

// Self returns the id of the Linker itself.
func (l *Links) Self() string { return l.p.ids[l.self] }

// UseInput declares that the Linker reads c's value (a stream handler's
// parameter) and returns its id. c must be an Input on the page. With
// InteractiveAuto, c becomes interactive.
func (l *Links) UseInput(c Component) (string, error) {
	id, err := l.ID(c)
	if err != nil {
		return "", err
	}
	if _, ok := c.(Input); !ok {
		return "", fmt.Errorf("ui: %s (%s) is not an input (it has no value the page sends)", Describe(c), id)
	}
	l.usedIn[c] = true
	return id, nil
}

// UseOutput declares that the Linker sets c's value and returns its id. c
// must be an Output on the page. With InteractiveAuto, c becomes static
// unless something also reads it.
func (l *Links) UseOutput(c Component) (string, error) {
	id, err := l.ID(c)
	if err != nil {
		return "", err
	}
	if _, ok := c.(Output); !ok {
		return "", fmt.Errorf("ui: %s (%s) is not an output (its value can't be set)", Describe(c), id)
	}
	l.usedOut[c] = true
	return id, nil
}
