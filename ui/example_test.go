package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/rtcstream/rtcstream/ui"
)

// The seed's app (gradio_webrtc's YOLOv10 demo) laid out in Go, statement
// for statement. The WebRTC component lives in package rtcstream; here the
// group holds only the slider.
func Example() {
	css := `.my-group {max-width: 600px !important; max-height: 600 !important;}
.my-column {display: flex !important; justify-content: center !important; align-items: center !important};`

	demo := ui.NewBlocks(&ui.BlocksOptions{CSS: css, Title: "YOLOv10 Webcam Stream"})
	demo.Add(&ui.HTML{Value: `<h1 style='text-align: center'>YOLOv10 Webcam Stream (Powered by WebRTC ⚡️)</h1>`})
	demo.Add(&ui.HTML{Value: `<h3 style='text-align: center'><a href='https://arxiv.org/abs/2405.14458' target='_blank'>arXiv</a></h3>`})
	var conf *ui.Slider
	demo.Column(ui.Props{ElemClasses: []string{"my-column"}}, func(col *ui.Layout) {
		col.Group(ui.Props{ElemClasses: []string{"my-group"}}, func(g *ui.Layout) {
			// image := rtcstream.NewWebRTC(...) goes first here.
			conf = &ui.Slider{
				Props:   ui.Props{Label: "Confidence Threshold"},
				Minimum: 0,
				Maximum: 1,
				Step:    0.05,
				Value:   0.30,
			}
			g.Add(conf)
		})
	})

	// Build reports mistakes at start-up; ServeHTTP would build it anyway.
	if err := demo.Build(); err != nil {
		fmt.Println(err)
		return
	}
	id, _ := demo.ID(conf)
	fmt.Println("slider:", id)

	// Serve it with rtcstream.NewHTTPServer(":7860", demo).ListenAndServe(); here, one request.
	w := httptest.NewRecorder()
	demo.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(w.Code, strings.Contains(w.Body.String(), `class="group my-group"`))
	// Output:
	// slider: component-5
	// 200 true
}

// A value computed from other components: the page asks the server for it
// on load and whenever the slider or checkbox changes.
func ExampleProps_valueFunc() {
	speed := &ui.Slider{Props: ui.Props{Label: "Speed", Key: "speed"}, Maximum: 10, Value: 3}
	loud := &ui.Checkbox{Props: ui.Props{Label: "Loud", Key: "loud"}}
	summary := &ui.Textbox{Props: ui.Props{
		Label:  "Summary",
		Key:    "summary",
		Inputs: []ui.Component{speed, loud},
		ValueFunc: func(speed int, loud bool) string {
			s := fmt.Sprintf("speed %d", speed)
			if loud {
				s = strings.ToUpper(s)
			}
			return s
		},
	}}
	demo := ui.NewBlocks(&ui.BlocksOptions{})
	demo.Add(speed, loud, summary)

	// What the page's runtime sends when the slider moves to 7.
	w := httptest.NewRecorder()
	demo.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/ui/value/summary",
		strings.NewReader(`{"inputs": {"speed": 7, "loud": true}}`)))
	fmt.Print(w.Code, " ", w.Body.String())

	// A value out of range is refused, naming the component.
	w = httptest.NewRecorder()
	demo.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/ui/value/summary",
		strings.NewReader(`{"inputs": {"speed": 70}}`)))
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// 200 {"value":"SPEED 7"}
	// 400 {"error":"invalid_value","message":"ui: ui.Slider \"Speed\": 70 is outside [0, 10]"}
}

func ExampleButton_OnClick() {
	start := &ui.Button{Value: "Start", Variant: ui.VariantPrimary}
	start.OnClick(func(ctx context.Context) error {
		fmt.Println("clicked")
		return nil
	})
	demo := ui.NewBlocks(&ui.BlocksOptions{})
	demo.Add(start)
	id, _ := demo.ID(start) // what an <rtc-stream trigger="..."> names

	w := httptest.NewRecorder()
	demo.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/ui/click/"+id, nil))
	fmt.Println(id, w.Code)
	// Output:
	// clicked
	// component-1 200
}

func ExampleRenderMarkdown() {
	fmt.Print(ui.RenderMarkdown("## Results\nFound **3** objects in `frame.png`:\n\n- cat\n- [dog](https://example.com)\n\n<script>no</script>"))
	// Output:
	// <h2>Results</h2>
	// <p>Found <strong>3</strong> objects in <code>frame.png</code>:</p>
	// <ul>
	// <li>cat</li>
	// <li><a href="https://example.com">dog</a></li>
	// </ul>
	// <p>&lt;script&gt;no&lt;/script&gt;</p>
}
