package ui

import (
	"fmt"
	"net/http"
	"reflect"
	"strconv"

	"github.com/rtcstream/rtcstream/internal/httpjson"
	"github.com/rtcstream/rtcstream/internal/uiext"
	"github.com/rtcstream/rtcstream/ui/web"
)

// page is a built Blocks: read-only once build returns, so requests share it
// without locks.
type page struct {
	blocks      *Blocks
	order       []Component // every component, in id order
	ids         map[Component]string
	byID        map[string]Component
	funcs       map[Component]*boundFunc
	interactive map[Component]bool
	prefixes    map[Component]string // Mount prefixes
	csp         string               // the page's Content-Security-Policy
	mux         *http.ServeMux
}

// checker is a built-in component that checks its own fields at build time.
type checker interface {
	check() error
}

// builder gathers problems while building a page.
type builder struct {
	p    *page
	errs []error
}

func (bd *builder) fail(c Component, problem string, err error) {
	name := ""
	if c != nil {
		name = Describe(c)
		if id, ok := bd.p.ids[c]; ok {
			name += " (" + id + ")"
		}
	}
	bd.errs = append(bd.errs, &BuildError{Component: name, Problem: problem, Err: err})
}

// build turns b's layout into a page.
func build(b *Blocks) (*page, []error) {
	p := &page{
		blocks:      b,
		ids:         make(map[Component]string),
		byID:        make(map[string]Component),
		funcs:       make(map[Component]*boundFunc),
		interactive: make(map[Component]bool),
		prefixes:    make(map[Component]string),
	}
	bd := &builder{p: p}

	// Page order: the placed tree depth first, then components that were
	// added with NoRender and never placed.
	placed := make(map[Component]bool)
	seen := make(map[Component]bool)
	var walk func(children []Component)
	walk = func(children []Component) {
		for _, c := range children {
			if !usable(bd, c) {
				continue
			}
			if placed[c] {
				bd.fail(c, "is placed twice on the page; a component can be in one place", nil)
				continue
			}
			placed[c] = true
			seen[c] = true
			p.order = append(p.order, c)
			if ct, ok := c.(Container); ok {
				walk(ct.Children())
			}
		}
	}
	walk(b.Layout.children)
	for _, c := range b.added {
		if seen[c] || !usable(bd, c) {
			continue
		}
		seen[c] = true
		p.order = append(p.order, c)
	}

	bd.assignIDs()
	bd.checkProps()
	bd.bindFuncs()
	usedIn, usedOut := bd.link()
	bd.resolveInteractivity(usedIn, usedOut)
	bd.headers()
	if len(bd.errs) > 0 {
		return nil, bd.errs
	}
	bd.mount()
	if len(bd.errs) > 0 {
		return nil, bd.errs
	}
	return p, nil
}

// usable reports whether c can be a map key and a page component: a
// non-nil pointer. It reports the problem once per component.
func usable(bd *builder, c Component) bool {
	if c == nil {
		return false
	}
	v := reflect.ValueOf(c)
	if v.Kind() != reflect.Pointer {
		bd.errs = append(bd.errs, &BuildError{
			Component: typeName(c),
			Problem:   fmt.Sprintf("is a %T value; add a pointer (&%s{...})", c, typeName(c)),
		})
		return false
	}
	if v.IsNil() {
		bd.errs = append(bd.errs, &BuildError{Component: typeName(c), Problem: "is a nil pointer"})
		return false
	}
	return true
}

// assignIDs gives each component its Key, or "component-N" by position.
func (bd *builder) assignIDs() {
	p := bd.p
	for i, c := range p.order {
		id := "component-" + strconv.Itoa(i+1)
		if key := c.Common().Key; key != "" {
			if !keyRE.MatchString(key) {
				bd.fail(c, fmt.Sprintf("Key %q may hold only letters, digits, '-' and '_'", key), nil)
				continue
			}
			id = key
		}
		if other, dup := p.byID[id]; dup {
			bd.fail(c, fmt.Sprintf("has the id %q, which %s has too; give one a different Key", id, Describe(other)), nil)
			continue
		}
		p.ids[c] = id
		p.byID[id] = c
	}
}

// checkProps checks each component's Props and its own fields.
func (bd *builder) checkProps() {
	elemIDs := make(map[string]Component)
	for _, c := range bd.p.order {
		p := c.Common()
		if _, err := cssSize(p.Height); err != nil {
			bd.fail(c, "Height", err)
		}
		if _, err := cssSize(p.Width); err != nil {
			bd.fail(c, "Width", err)
		}
		if p.Scale < NoGrow {
			bd.fail(c, fmt.Sprintf("Scale %d is negative; use NoGrow for a component that does not grow", p.Scale), nil)
		}
		if p.Interactive > Static {
			bd.fail(c, fmt.Sprintf("Interactive is %v, not one of InteractiveAuto, Interactive, Static", p.Interactive), nil)
		}
		if p.ElemID != "" {
			if other, dup := elemIDs[p.ElemID]; dup {
				bd.fail(c, fmt.Sprintf("ElemID %q is the ElemID of %s too", p.ElemID, Describe(other)), nil)
			}
			elemIDs[p.ElemID] = c
		}
		if p.Every < 0 {
			bd.fail(c, fmt.Sprintf("Every %v is negative", p.Every), nil)
		}
		if p.ValueFunc == nil {
			if p.Every > 0 {
				bd.fail(c, "Every is set but ValueFunc is not; Every recomputes a ValueFunc", nil)
			}
			if len(p.Inputs) > 0 {
				bd.fail(c, "Inputs is set but ValueFunc is not; Inputs are the ValueFunc's parameters", nil)
			}
		}
		if ck, ok := c.(checker); ok {
			if err := ck.check(); err != nil {
				bd.fail(c, "invalid settings", err)
			}
		}
	}
}

// bindFuncs binds each ValueFunc and rejects cycles among them.
func (bd *builder) bindFuncs() {
	p := bd.p
	for _, c := range p.order {
		if c.Common().ValueFunc == nil {
			continue
		}
		f, err := bindValueFunc(c, p.ids)
		if err != nil {
			bd.fail(c, "ValueFunc", err)
			continue
		}
		p.funcs[c] = f
	}
	// A cycle (a ValueFunc whose inputs lead back to it) would recompute
	// forever in the page.
	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[Component]int)
	var visit func(c Component)
	visit = func(c Component) {
		state[c] = visiting
		if f := p.funcs[c]; f != nil {
			for _, in := range f.inputs {
				switch state[in.c] {
				case visiting:
					bd.fail(in.c, fmt.Sprintf("is computed from itself: ValueFunc Inputs lead back to it through %s; it would be recomputed forever", Describe(c)), nil)
				case unvisited:
					visit(in.c)
				}
			}
		}
		state[c] = done
	}
	for _, c := range p.order {
		if state[c] == unvisited {
			visit(c)
		}
	}
}

// link calls Link on each extension and returns the components used as inputs
// and as outputs, for inferring interactivity.
func (bd *builder) link() (usedIn, usedOut map[Component]bool) {
	p := bd.p
	usedIn = make(map[Component]bool)
	usedOut = make(map[Component]bool)
	for c, f := range p.funcs {
		for _, in := range f.inputs {
			usedIn[in.c] = true
		}
		pr := c.Common()
		if pr.Every > 0 || len(pr.Inputs) > 0 {
			usedOut[c] = true
		}
	}
	for _, c := range p.order {
		lk := extension(c)
		if lk == nil {
			continue
		}
		l := &links{p: p, self: c, usedIn: usedIn, usedOut: usedOut}
		if err := safeLink(lk, l); err != nil {
			bd.fail(c, "Link", err)
		}
	}
	return usedIn, usedOut
}

func safeLink(lk uiext.Extension, l *links) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return lk.Link(l)
}

// resolveInteractivity decides, for each component, whether it is editable.
func (bd *builder) resolveInteractivity(usedIn, usedOut map[Component]bool) {
	for _, c := range bd.p.order {
		var on bool
		switch c.Common().Interactive {
		case Interactive:
			on = true
		case Static:
			on = false
		default:
			_, isInput := c.(Input)
			d := extension(c)
			hasDefault := d != nil
			switch {
			case usedIn[c]:
				on = true
			case hasDefault:
				on = d.InteractiveByDefault()
			case usedOut[c]:
				on = false
			default:
				on = isInput
			}
		}
		bd.p.interactive[c] = on
	}
}

// headers makes the page's Content-Security-Policy from its options.
func (bd *builder) headers() {
	var connect []string
	for _, c := range bd.p.order {
		if cs, ok := extension(c).(uiext.ConnectSources); ok {
			connect = append(connect, cs.ConnectSources()...)
		}
	}
	csp, err := contentSecurityPolicy(&bd.p.blocks.opts, connect)
	if err != nil {
		bd.errs = append(bd.errs, &BuildError{Problem: "BlocksOptions", Err: err})
		return
	}
	bd.p.csp = csp
}

// mount makes the page's routes and mounts each extension.
func (bd *builder) mount() {
	p := bd.p
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.servePage)
	mux.Handle("/assets/", http.StripPrefix("/assets/", web.Handler())) // its own 404 and 405
	// The page's own routes refuse cross-site browser requests (a form on
	// another site posting a click); extensions decide for their routes.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		httpjson.WriteError(w, http.StatusForbidden, "cross_origin", "cross-origin requests are not allowed")
	}))
	mux.Handle("/ui/value/{id}", csrf.Handler(http.HandlerFunc(p.serveValue)))
	mux.Handle("/ui/click/{id}", csrf.Handler(http.HandlerFunc(p.serveClick)))
	mux.HandleFunc("/ui/", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.WriteError(w, http.StatusNotFound, "not_found", "no such route")
	})
	first := true
	for _, c := range p.order {
		m := extension(c)
		if m == nil {
			continue
		}
		prefix := "/webrtc"
		if !first {
			prefix = "/webrtc/" + p.ids[c]
		}
		first = false
		p.prefixes[c] = prefix
		if err := safeMount(m, mux, prefix); err != nil {
			bd.fail(c, "Mount("+strconv.Quote(prefix)+")", err)
		}
	}
	p.mux = mux
}

func safeMount(m uiext.Extension, mux *http.ServeMux, prefix string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	m.Mount(mux, prefix)
	return nil
}
