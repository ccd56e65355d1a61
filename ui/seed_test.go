package ui_test

import (
	"github.com/rtcstream/rtcstream/ui"
)

// seedCSS is the CSS of the seed's app (gradio_webrtc's README), as is.
const seedCSS = `.my-group {max-width: 600px !important; max-height: 600 !important;}
                      .my-column {display: flex !important; justify-content: center !important; align-items: center !important};`

// streamPlaceholder stands where the WebRTC component goes (it lives in the
// root package).
const streamPlaceholder = `<div style="aspect-ratio: 4 / 3; width: 100%; display: grid; place-items: center;
border-radius: 6px; background: #0f172a; color: #94a3b8; font-size: 14px">WebRTC stream</div>`

// seedPage builds the seed's layout, statement for statement, with a
// placeholder for the stream. It returns the page and the slider.
func seedPage() (*ui.Blocks, *ui.Slider) {
	demo := ui.NewBlocks(&ui.BlocksOptions{CSS: seedCSS, Title: "YOLOv10 Webcam Stream"})
	demo.Add(&ui.HTML{Value: `
    <h1 style='text-align: center'>
    YOLOv10 Webcam Stream (Powered by WebRTC ⚡️)
    </h1>
    `})
	demo.Add(&ui.HTML{Value: `
        <h3 style='text-align: center'>
        <a href='https://arxiv.org/abs/2405.14458' target='_blank'>arXiv</a> | <a href='https://github.com/THU-MIG/yolov10' target='_blank'>github</a>
        </h3>
        `})
	var conf *ui.Slider
	demo.Column(ui.Props{ElemClasses: []string{"my-column"}}, func(col *ui.Layout) {
		col.Group(ui.Props{ElemClasses: []string{"my-group"}}, func(g *ui.Layout) {
			image := &ui.HTML{Props: ui.Props{Label: "Stream", Key: "stream"}, Value: streamPlaceholder}
			conf = &ui.Slider{
				Props:   ui.Props{Label: "Confidence Threshold", Key: "conf"},
				Minimum: 0.0,
				Maximum: 1.0,
				Step:    0.05,
				Value:   0.30,
			}
			g.Add(image, conf)
		})
	})
	return demo, conf
}

// galleryPage holds one of every component, in rows, columns and groups.
func galleryPage() *ui.Blocks {
	demo := ui.NewBlocks(&ui.BlocksOptions{Title: "Gallery"})
	demo.Add(&ui.Markdown{Value: "# Every component\nA **Blocks** page rendered from Go, with `code`, [a link](https://example.com) and a list:\n\n- sliders, numbers, checkboxes\n- dropdowns, radios, textboxes\n"})
	demo.Row(ui.Props{}, func(row *ui.Layout) {
		row.Column(ui.Props{Scale: 1}, func(col *ui.Layout) {
			col.Add(
				&ui.Slider{Props: ui.Props{Label: "Speed"}, Maximum: 10, Step: 0.5, Value: 3},
				&ui.Number{Props: ui.Props{Label: "Frames"}, Value: 30},
				&ui.Checkbox{Props: ui.Props{Label: "Mirror the webcam"}, Value: true},
				&ui.Dropdown{Props: ui.Props{Label: "Model"}, Choices: []string{"yolov10n", "yolov10s", "yolov10m"}},
				&ui.Dropdown{Props: ui.Props{Label: "Classes"}, Choices: []string{"person", "car", "dog", "cat"}, Multiselect: true, Values: []string{"person", "dog"}},
				&ui.Radio{Props: ui.Props{Label: "Device"}, Choices: []string{"CPU", "GPU"}, Value: "CPU"},
				&ui.Textbox{Props: ui.Props{Label: "Prompt"}, Placeholder: "Describe what to find", Lines: 3},
			)
			col.Row(ui.Props{}, func(r *ui.Layout) {
				r.Add(&ui.Button{Value: "Clear"}, &ui.Button{Value: "Start", Variant: ui.VariantPrimary}, &ui.Button{Value: "Stop", Variant: ui.VariantStop})
			})
		})
		row.Column(ui.Props{Scale: 1}, func(col *ui.Layout) {
			col.Add(
				&ui.Label{Props: ui.Props{Label: "Top class"}, Value: ui.LabelValue{Confidences: []ui.Confidence{{"cat", 0.82}, {"dog", 0.12}, {"fox", 0.06}}}},
				&ui.JSON{Props: ui.Props{Label: "Detections"}, Value: map[string]any{"boxes": []any{map[string]any{"class": "cat", "score": 0.82, "box": []int{12, 40, 200, 180}}}, "ms": 4.2, "ok": true}},
				&ui.Chatbot{Props: ui.Props{Label: "Chat"}, Value: []ui.Message{{Role: "user", Content: "What is in the picture?"}, {Role: "assistant", Content: "A **cat**, with 82% confidence."}}},
				&ui.Textbox{Props: ui.Props{Label: "Status", Interactive: ui.Static}, Value: "Streaming at 30 fps"},
			)
			col.Group(ui.Props{}, func(g *ui.Layout) {
				g.Add(&ui.Textbox{Props: ui.Props{Label: "Grouped A"}}, &ui.Textbox{Props: ui.Props{Label: "Grouped B"}})
			})
		})
	})
	return demo
}
