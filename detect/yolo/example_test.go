package yolo_test

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"log"

	"github.com/rtcstream/rtcstream/detect/yolo"
)

// The seed demo's handler: detect objects on every frame and draw them on
// the frame itself.
func Example() {
	det, err := yolo.New(yolo.DefaultModelPath(), yolo.Options{})
	if errors.Is(err, fs.ErrNotExist) {
		log.Print("no yolov10n.onnx: see the documentation of package yolo for where to download it")
		return
	}
	if err != nil {
		log.Fatal(err) // errors.Is(err, yolo.ErrNoRuntime): run scripts/fetch-models.sh
	}
	defer det.Close()

	conf := 0.3 // the confidence slider's value
	detection := func(frame *image.YCbCr) (image.Image, error) {
		return det.DetectObjects(frame, conf)
	}
	_ = detection // rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, detection, nil)
}

func ExampleDetector_Detect() {
	det, err := yolo.New(yolo.DefaultModelPath(), yolo.Options{})
	if err != nil {
		log.Print(err)
		return
	}
	defer det.Close()
	frame := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	dets, err := det.Detect(frame, 0.5)
	if err != nil {
		log.Print(err)
		return
	}
	for _, d := range dets {
		fmt.Printf("%s at %v (%.2f)\n", d.Label, d.Box, d.Score)
	}
}

func ExampleCOCOLabels() {
	labels := yolo.COCOLabels()
	fmt.Println(len(labels), labels[0], labels[16], labels[79])
	// Output: 80 person dog toothbrush
}

func ExampleDraw() {
	frame := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	yolo.Draw(frame, []yolo.Detection{
		{Box: image.Rect(100, 150, 300, 300), Score: 0.87, Class: 0, Label: "person"},
	})
	c := yolo.ClassColor(0)
	fmt.Printf("person boxes are drawn in #%02x%02x%02x\n", c.R, c.G, c.B)
	// Output: person boxes are drawn in #f23d3d
}
