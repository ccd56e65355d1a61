package ui

import (
	"embed"
	"html/template"
	"io"
	"regexp"
)

//go:embed templates/page.html
var templates embed.FS

var pageTemplate = template.Must(template.ParseFS(templates, "templates/page.html"))

// pageData is what the page template shows.
type pageData struct {
	Title      string
	Assets     string
	Styles     []string
	Modules    []string
	CSS        template.CSS
	Head       template.HTML
	Body       template.HTML
	FillHeight bool
	FillWidth  bool
}

// styleEndRE finds what could end a <style> element early.
var styleEndRE = regexp.MustCompile(`(?i)</(style)`)

// render writes the whole page: the components rendered in order, inside
// the document the page template makes.
func (p *page) render(w io.Writer) error {
	r := newRenderer(p, "assets")
	for _, c := range p.blocks.Layout.children {
		if err := r.Child(c); err != nil {
			return err
		}
	}
	o := p.blocks.opts
	title := o.Title
	if title == "" {
		title = "rtcstream"
	}
	return pageTemplate.Execute(w, pageData{
		Title:      title,
		Assets:     r.AssetsURL(),
		Styles:     r.styles,
		Modules:    r.modules,
		CSS:        template.CSS(styleEndRE.ReplaceAllString(o.CSS, `<\/$1`)), // trusted: the application's own CSS
		Head:       template.HTML(o.Head),                                     // trusted: the application's own HTML
		Body:       r.html(),
		FillHeight: o.FillHeight,
		FillWidth:  o.FillWidth,
	})
}
