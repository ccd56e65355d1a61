// Command object_detection is the seed's app, gradio_webrtc's YOLOv10
// webcam demo, written in Go statement for statement: a page with two
// headings, a column and a group styled by custom CSS, the stream and a
// confidence slider, wired with a 10-second time limit.
//
//	go run ./examples/object_detection [-model yolov10n.onnx] [-addr :7860]
//
// Without the YOLOv10 weights (see detect/yolo for where to download
// them) it stands in pigo's face detector, so the page works anywhere.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/detect/face"
	"github.com/rtcstream/rtcstream/detect/yolo"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/turn"
	"github.com/rtcstream/rtcstream/ui"
)

// Detector is what the app needs of a model: the seed's
// model.detect_objects and model.input_width/height.
type Detector interface {
	DetectObjects(img image.Image, conf float64) (image.Image, error)
	InputSize() image.Point
}

func main() {
	modelFile := flag.String("model", yolo.DefaultModelPath(), "YOLOv10 ONNX model (onnx-community/yolov10n, onnx/model.onnx)")
	addr := flag.String("addr", ":7860", "address to serve on")
	flag.Parse()

	model, err := loadModel(*modelFile)
	if err != nil {
		log.Fatal(err)
	}

	var rtcConfiguration *rtcstream.RTCConfiguration
	if os.Getenv("TWILIO_ACCOUNT_SID") != "" && os.Getenv("TWILIO_AUTH_TOKEN") != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		rtcConfiguration, err = turn.TwilioFromEnv(ctx)
		cancel()
		if err != nil {
			log.Fatal(err)
		}
		rtcConfiguration.ICETransportPolicy = "relay"
	}

	demo, _, err := newApp(model, rtcConfiguration, rtcstream.Network{IncludeLoopback: true})
	if err != nil {
		log.Fatal(err)
	}
	slog.Info("serving the YOLOv10 demo", "url", "http://localhost"+*addr+"/")
	log.Fatal(rtcstream.NewHTTPServer(*addr, demo).ListenAndServe())
}

// loadModel opens the YOLOv10 model, or stands in the face detector when
// its weights or ONNX Runtime are missing.
func loadModel(path string) (Detector, error) {
	model, err := yolo.New(path, yolo.Options{})
	if err == nil {
		return model, nil
	}
	if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, yolo.ErrNoRuntime) {
		return nil, err
	}
	slog.Warn("YOLOv10 is not available; using the face detector instead", "reason", err,
		"fix", "download yolov10n.onnx (see go doc github.com/rtcstream/rtcstream/detect/yolo) and run scripts/fetch-models.sh")
	faces, ferr := face.New(face.Options{})
	if ferr != nil {
		return nil, ferr
	}
	return faceModel{faces}, nil
}

// faceModel stands in for YOLOv10 with pigo's face detector.
type faceModel struct{ d *face.Detector }

func (f faceModel) DetectObjects(img image.Image, conf float64) (image.Image, error) {
	yc, ok := img.(*image.YCbCr)
	if !ok {
		yc = media.ToI420(nil, img)
	}
	return f.d.DrawFaces(yc, conf), nil
}

func (faceModel) InputSize() image.Point { return image.Pt(640, 640) }

const css = `.my-group {max-width: 600px !important; max-height: 600 !important;}
                      .my-column {display: flex !important; justify-content: center !important; align-items: center !important};`

// newApp builds the seed's page around model.
func newApp(model Detector, rtcConfiguration *rtcstream.RTCConfiguration, network rtcstream.Network) (*ui.Blocks, *rtcstream.WebRTC, error) {
	in := model.InputSize()
	var resized, out *image.YCbCr // reused between frames of one session
	detection := func(img image.Image, confThreshold float64) (image.Image, error) {
		resized = media.Resize(resized, media.ToI420(nil, img), in.X, in.Y)
		newImage, err := model.DetectObjects(resized, confThreshold)
		if err != nil {
			return nil, err
		}
		out = media.Resize(out, media.ToI420(nil, newImage), 500, 500)
		return out, nil
	}

	demo := ui.NewBlocks(&ui.BlocksOptions{CSS: css, Title: "YOLOv10 Webcam Stream"})
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
	var image *rtcstream.WebRTC
	var err error
	demo.Column(ui.Props{ElemClasses: []string{"my-column"}}, func(col *ui.Layout) {
		var confThreshold *ui.Slider
		col.Group(ui.Props{ElemClasses: []string{"my-group"}}, func(g *ui.Layout) {
			image = rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{
				Props:   ui.Props{Label: "Stream"},
				Options: rtcstream.Options{RTCConfiguration: rtcConfiguration, Network: network},
			})
			confThreshold = &ui.Slider{
				Props:   ui.Props{Label: "Confidence Threshold"},
				Minimum: 0.0,
				Maximum: 1.0,
				Step:    0.05,
				Value:   0.30,
			}
			g.Add(image, confThreshold)
		})

		err = image.Stream(detection, rtcstream.StreamEvent{
			Inputs: []ui.Component{image, confThreshold}, Outputs: []ui.Component{image}, TimeLimit: 10 * time.Second,
		})
	})
	if err != nil {
		return nil, nil, fmt.Errorf("wiring the stream: %w", err)
	}
	if err := demo.Build(); err != nil {
		return nil, nil, err
	}
	return demo, image, nil
}
