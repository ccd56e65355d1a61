package source_test

import (
	"context"
	"image"
	"iter"
	"log"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/source"
)

// An RTSP IP camera through your function, to every browser that opens
// the page.
func ExampleFFmpeg() {
	cam := source.FFmpeg("rtsp://camera.local/stream", &source.FFmpegOptions{Args: []string{"-rtsp_transport", "tcp"}})
	detect := func(img image.Image) image.Image { return img } // your model
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.Receive,
		func(ctx context.Context) iter.Seq[image.Image] {
			return func(yield func(image.Image) bool) {
				for img := range cam.Frames(ctx) {
					if !yield(detect(img)) {
						return
					}
				}
			}
		}, nil)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(rtcstream.NewHTTPServer(":7860", s).ListenAndServe())
}

// A camera with a microphone, picture and sound from one ffmpeg process
// a session.
func ExampleFFmpegSource_AudioVideo() {
	cam := source.FFmpeg("rtsp://camera.local/stream", nil)
	s, err := rtcstream.NewStream(rtcstream.AudioVideo, rtcstream.Receive,
		func() rtcstream.AudioVideoGenerator { return cam.AudioVideo() }, nil)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(rtcstream.NewHTTPServer(":7860", s).ListenAndServe())
}

// Internet radio, or any sound ffmpeg reads, to an audio stream.
func ExampleFFmpegSource_Audio() {
	radio := source.FFmpeg("https://radio.example/stream.mp3", nil)
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.Receive, radio.Audio, nil)
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(rtcstream.NewHTTPServer(":7860", s).ListenAndServe())
}
