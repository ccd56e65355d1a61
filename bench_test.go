package rtcstream_test

import (
	"context"
	"image"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
)

// BenchmarkRoundTrip640x480 measures one frame's whole loopback round trip
// through a Stream with an identity handler: the client encodes and sends
// it, the server assembles, decodes, runs the handler, encodes and sends it
// back, and the client decodes it. Frames go one at a time (the next is sent
// when the previous is back), so ns/op is the frame-in to frame-out latency
// as a client sees it.
func BenchmarkRoundTrip640x480(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive,
		func(img image.Image) image.Image { return img }, &rtcstream.Options{Network: loopback})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	srv := newBenchServer(s)
	defer srv.Close()
	c, err := client.Dial(ctx, srv.URL, &client.Options{Loopback: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	frames := make([]*image.YCbCr, 30)
	for i := range frames {
		frames[i] = pattern(640, 480, i)
	}
	i := 0
	roundTrip := func() {
		pts := time.Duration(i) * time.Second / 30
		if err := c.WriteFrame(frames[i%len(frames)], pts); err != nil {
			b.Fatal(err)
		}
		want := client.RTPTimestamp(pts)
		for {
			f, err := c.ReadFrame(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if f.RTPTimestamp == want {
				break
			}
		}
		i++
	}
	for range 30 { // warm up: keyframe, encoder made, buffers grown
		roundTrip()
	}
	for b.Loop() {
		roundTrip()
	}
}
