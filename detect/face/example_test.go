package face_test

import (
	"fmt"
	"image"
	_ "image/jpeg"
	"log"
	"os"

	"github.com/rtcstream/rtcstream/detect/face"
	"github.com/rtcstream/rtcstream/media"
)

// A handler for rtcstream that draws the faces it finds on the frame it is
// given: the frame is the call's to write on, so nothing is copied.
func ExampleDetector_DrawFaces() {
	det, err := face.New(face.Options{})
	if err != nil {
		log.Fatal(err)
	}
	conf := 0.3 // a slider's value in a real demo
	handler := func(frame *image.YCbCr) *image.YCbCr {
		return det.DrawFaces(frame, conf)
	}
	_ = handler // rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, handler, nil)
}

func ExampleDetector_Detect() {
	f, err := os.Open("testdata/face.jpg")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		log.Fatal(err)
	}
	frame := media.ToI420(nil, img) // a JPEG decodes to a 4:2:0 *image.YCbCr: no copy

	det, err := face.New(face.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range det.Detect(frame, 0.5) {
		fmt.Printf("face at %v, score %.2f\n", d.Box, d.Score)
	}
	// Output:
	// face at (38,86)-(269,317), score 0.96
}
