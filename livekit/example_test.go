package livekit_test

import (
	"context"
	"image"
	"log"
	"net/http"
	"os"
	"os/signal"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/livekit"
)

// A worker that inverts every participant's camera in the rooms LiveKit
// dispatches to it, until interrupted; then it drains.
func ExampleNewWorker() {
	invert := func(img *image.YCbCr) *image.YCbCr {
		for i, v := range img.Y {
			img.Y[i] = 255 - v
		}
		return img
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, nil)
	if err != nil {
		log.Fatal(err)
	}
	w, err := livekit.NewWorker(s, livekit.Options{
		URL:       os.Getenv("LIVEKIT_URL"),
		APIKey:    os.Getenv("LIVEKIT_API_KEY"),
		APISecret: os.Getenv("LIVEKIT_API_SECRET"),
		AgentName: "invert",
		Redis:     os.Getenv("REDIS_ADDR"), // failover, when LiveKit runs on several nodes
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := w.Run(ctx); err != nil {
		log.Fatal(err)
	}
}

// A Stream's page that joins LiveKit rooms, beside its token endpoint; the
// worker of ExampleNewWorker runs the handler.
func ExampleTokenHandler() {
	const lk = "wss://lk.example.com"
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, func(img image.Image) image.Image { return img },
		&rtcstream.Options{LiveKit: rtcstream.LiveKitPage{TokenURL: "livekit/token", ServerURL: lk}})
	if err != nil {
		log.Fatal(err)
	}
	tokens, err := livekit.TokenHandler(livekit.TokenHandlerOptions{
		URL: lk, APIKey: os.Getenv("LIVEKIT_API_KEY"), APISecret: os.Getenv("LIVEKIT_API_SECRET"), AgentName: "invert",
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", s)
	mux.Handle("POST /livekit/token", tokens)
	log.Fatal(rtcstream.NewHTTPServer(":7860", mux).ListenAndServe())
}
