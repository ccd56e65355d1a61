package rtcstream_test

import (
	"fmt"
	"image"
	"log"
	"net/http"

	"github.com/rtcstream/rtcstream"
)

// A handler that inverts the camera's brightness, served at :7860.
func Example() {
	invert := func(img image.Image) image.Image {
		frame := img.(*image.YCbCr) // frames arrive as 4:2:0 YCbCr
		for i, v := range frame.Y {
			frame.Y[i] = 255 - v
		}
		return frame
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	_ = rtcstream.NewHTTPServer(":7860", s) // its ListenAndServe serves the page, with timeouts
}

// Mounting a Stream under a path of a larger site.
func ExampleStream_mount() {
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive,
		func(img image.Image) image.Image { return img }, &rtcstream.Options{Title: "Echo"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	mux := http.NewServeMux()
	mux.Handle("/echo/", http.StripPrefix("/echo", s))
	fmt.Println(s.Modality(), s.Mode())
	// Output: video send-receive
}

// Handler types are checked when the Stream is made, not at the first frame.
func ExampleNewStream_badHandler() {
	_, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, func(s string) string { return s }, nil)
	fmt.Println(err != nil)
	// Output: true
}
