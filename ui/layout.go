package ui

// Layout is a place where components go, in order: the top of a Blocks, or
// the inside of a Row, Column or Group. Get one from a Blocks (it embeds
// its top Layout) or from the func of Row, Column, Group or With, which
// play the part of Python's `with gr.Row():`.
//
// A Layout is for building a page from one goroutine; once its Blocks is
// built (by Build or the first request), adding to it panics, as
// registering a route twice on an http.ServeMux does.
type Layout struct {
	blocks   *Blocks
	children []Component
}

// Add places components here, in order, except those with Props.NoRender,
// which it only makes known to the page (Render places them later).
func (l *Layout) Add(components ...Component) {
	l.checkOpen()
	for _, c := range components {
		if !l.blocks.registerAdded(c) || c.Common().NoRender {
			continue
		}
		l.children = append(l.children, c)
	}
}

// Render places c here, whether or not it has Props.NoRender: Gradio's
// component.render(). A component can be placed once on a page.
func (l *Layout) Render(c Component) {
	l.checkOpen()
	if l.blocks.registerAdded(c) {
		l.children = append(l.children, c)
	}
}

// With places the container c here and calls fill with the Layout inside
// it, like Python's `with c:`. It is the way to use a container with
// options beyond Props: l.With(&ui.Row{EqualHeight: true}, func(row
// *ui.Layout) { ... }).
func (l *Layout) With(c Container, fill func(*Layout)) {
	l.Add(c)
	if isNil(c) {
		return
	}
	inner := c.inner()
	inner.blocks = l.blocks
	if fill != nil {
		fill(inner)
	}
}

// Row places a Row with props p and fills it: its children sit side by side.
func (l *Layout) Row(p Props, fill func(*Layout)) *Row {
	r := &Row{Props: p}
	l.With(r, fill)
	return r
}

// Column places a Column with props p and fills it: its children stack.
func (l *Layout) Column(p Props, fill func(*Layout)) *Column {
	c := &Column{Props: p}
	l.With(c, fill)
	return c
}

// Group places a Group with props p and fills it: its children share one box
// with no gaps.
func (l *Layout) Group(p Props, fill func(*Layout)) *Group {
	g := &Group{Props: p}
	l.With(g, fill)
	return g
}

func (l *Layout) checkOpen() {
	if l.blocks != nil && l.blocks.isBuilt() {
		panic("ui: a component was added to a Blocks that is already built (Build or the first request)")
	}
}

// Container is a component that holds others: Row, Column and Group.
type Container interface {
	Component
	// Children returns the components placed inside, in order.
	Children() []Component
	inner() *Layout
}

// Row lays its children out side by side, as flex items: each takes a share
// of the width by its Props.Scale and wraps to the next line below its
// Props.MinWidth. A Row's own label is not shown.
type Row struct {
	Props
	// EqualHeight stretches the children to the height of the tallest.
	// Default: each child is as tall as its content.
	EqualHeight bool

	layout Layout
}

// Children returns the components in the row.
func (r *Row) Children() []Component { return r.layout.children }
func (r *Row) inner() *Layout        { return &r.layout }

// Render writes the row and its children.
func (r *Row) Render(rr *Renderer, id string) error {
	classes := []string{"row"}
	if r.EqualHeight {
		classes = append(classes, "equal-height")
	}
	return rr.container(id, r, "row", classes, r.layout.children)
}

// Column stacks its children. In a Row it takes a share of the width like
// any component (Props.Scale, Props.MinWidth: 320 by default). A Column's
// own label is not shown.
type Column struct {
	Props

	layout Layout
}

// Children returns the components in the column.
func (c *Column) Children() []Component { return c.layout.children }
func (c *Column) inner() *Layout        { return &c.layout }

// Render writes the column and its children.
func (c *Column) Render(r *Renderer, id string) error {
	return r.container(id, c, "column", []string{"column"}, c.layout.children)
}

// Group puts its children in one box, without gaps between them: Gradio's
// gr.Group. Children of a Row inside a Group sit side by side in the box. A
// Group's own label is not shown.
type Group struct {
	Props

	layout Layout
}

// Children returns the components in the group.
func (g *Group) Children() []Component { return g.layout.children }
func (g *Group) inner() *Layout        { return &g.layout }

// Render writes the group and its children.
func (g *Group) Render(r *Renderer, id string) error {
	return r.container(id, g, "group", []string{"group"}, g.layout.children)
}
