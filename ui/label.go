package ui

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
)

// Label shows a classification: a top label and, optionally, the
// confidence of each class as bars. Gradio's gr.Label. It is an Output.
type Label struct {
	Props

	// Value is the initial classification. Default: empty.
	Value LabelValue

	// NumTopClasses is how many confidences are shown, highest first.
	// Default (0): all.
	NumTopClasses int
}

// LabelValue is a Label's value.
type LabelValue struct {
	// Label is the class shown large. Default: the class with the highest
	// confidence.
	Label string `json:"label"`
	// Confidences are the classes and their confidences in [0, 1].
	Confidences []Confidence `json:"confidences,omitempty"`
}

// Confidence is one class of a LabelValue.
type Confidence struct {
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
}

func (l *Label) check() error {
	if l.NumTopClasses < 0 {
		return fmt.Errorf("NumTopClasses %d is negative", l.NumTopClasses)
	}
	_, err := l.normalize(l.Value)
	return err
}

// normalize checks a value, sorts its confidences (highest first), keeps
// NumTopClasses of them and fills in the top label.
func (l *Label) normalize(v LabelValue) (LabelValue, error) {
	confs := slices.Clone(v.Confidences)
	for _, c := range confs {
		if !finite(c.Confidence) || c.Confidence < 0 || c.Confidence > 1 {
			return LabelValue{}, valueErr(l, "the confidence of %q is %s, not in [0, 1]", c.Label, formatNumber(c.Confidence))
		}
	}
	slices.SortStableFunc(confs, func(a, b Confidence) int {
		switch {
		case a.Confidence > b.Confidence:
			return -1
		case a.Confidence < b.Confidence:
			return 1
		}
		return 0
	})
	if v.Label == "" && len(confs) > 0 {
		v.Label = confs[0].Label
	}
	if l.NumTopClasses > 0 && len(confs) > l.NumTopClasses {
		confs = confs[:l.NumTopClasses]
	}
	v.Confidences = confs
	return v, nil
}

// ValueType is LabelValue; Encode also takes a string, a
// map[string]float64 of confidences and a []Confidence.
func (l *Label) ValueType() reflect.Type { return reflect.TypeFor[LabelValue]() }

func (l *Label) acceptsResult(t reflect.Type) bool {
	switch t {
	case reflect.TypeFor[*LabelValue](), reflect.TypeFor[map[string]float64](), reflect.TypeFor[[]Confidence]():
		return true
	}
	return t.Kind() == reflect.String
}

// Encode takes a LabelValue (or a pointer to one), a string (the label
// alone), a map[string]float64 of confidences or a []Confidence. Each
// confidence must be in [0, 1].
func (l *Label) Encode(v any) (json.RawMessage, error) {
	var lv LabelValue
	switch x := v.(type) {
	case LabelValue:
		lv = x
	case *LabelValue:
		if x != nil {
			lv = *x
		}
	case map[string]float64:
		for name, c := range x {
			lv.Confidences = append(lv.Confidences, Confidence{Label: name, Confidence: c})
		}
		// Map order is random: sort ties by name.
		slices.SortFunc(lv.Confidences, func(a, b Confidence) int {
			if a.Label < b.Label {
				return -1
			}
			if a.Label > b.Label {
				return 1
			}
			return 0
		})
	case []Confidence:
		lv.Confidences = x
	default:
		s, ok := toString(v)
		if !ok {
			return nil, valueErr(l, "got a %s; want a LabelValue, a string or a map[string]float64", goKind(v))
		}
		lv.Label = s
	}
	lv, err := l.normalize(lv)
	if err != nil {
		return nil, err
	}
	return mustJSON(lv), nil
}

// Render writes the top label and the confidence bars.
func (l *Label) Render(r *Renderer, id string) error {
	v, err := l.normalize(l.Value)
	if err != nil {
		return err
	}
	return r.Block(id, l, Block{Kind: "label", Value: mustJSON(v)}, func() error {
		r.Label(id, l, "")
		r.WriteString(`<div class="label-output"><div class="label-top">`)
		r.Text(v.Label)
		r.WriteString(`</div><ul class="label-confidences">`)
		for _, c := range v.Confidences {
			pct := strconv.FormatFloat(100*c.Confidence, 'f', 0, 64) + "%"
			r.WriteString(`<li class="confidence"><div class="confidence-head"><span class="confidence-name">`)
			r.Text(c.Label)
			r.WriteString(`</span><span class="confidence-value">`)
			r.Text(pct)
			r.WriteString(`</span></div><div class="confidence-bar"><div class="confidence-fill"`)
			r.Attr("style", "width:"+strconv.FormatFloat(100*c.Confidence, 'f', 2, 64)+"%")
			r.WriteString("></div></div></li>")
		}
		r.WriteString("</ul></div>")
		return nil
	})
}
