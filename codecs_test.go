package rtcstream_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
)

// TestStreamCarriesEitherCodec: a stream takes a client that sends and
// receives VP8 and one that does H.264, and the handler's work comes back
// in the codec the client sent (inverted luma at the camera's size).
func TestStreamCarriesEitherCodec(t *testing.T) {
	checkLeaks(t)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	for _, vc := range []rtcstream.VideoCodec{rtcstream.VP8, rtcstream.H264} {
		t.Run(string(vc), func(t *testing.T) {
			ctx := testContext(t, 30*time.Second)
			c, err := client.Dial(ctx, url, &client.Options{Loopback: true, VideoCodec: vc})
			if err != nil {
				t.Fatalf("dial: %v", err)
			}
			defer c.Close()
			const w, h, n = 640, 480, 60
			sent := sendFrames(t, ctx, c, w, h, n, 30)
			for got := 0; got < 20; got++ {
				f, err := c.ReadFrame(ctx)
				if err != nil {
					t.Fatalf("after %d frames: %v", got, err)
				}
				checkInvertedFrame(t, f, w, h, got)
			}
			<-sent
		})
	}
}

// TestVideoCodecsPreference: a stream that leaves a codec out refuses a
// client that offers only it, saying which it takes; NewStream refuses a
// preference it cannot follow.
func TestVideoCodecsPreference(t *testing.T) {
	checkLeaks(t)
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, VideoCodecs: []rtcstream.VideoCodec{rtcstream.VP8}})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	ctx := testContext(t, 20*time.Second)
	_, err = client.Dial(ctx, url, &client.Options{Loopback: true, VideoCodec: rtcstream.H264})
	var se *client.Error
	if !errors.As(err, &se) || se.Code != "unsupported_codec" || !strings.Contains(se.Message, "VP8") {
		t.Errorf("an H.264 client dialling a VP8-only stream: %v; want unsupported_codec naming VP8", err)
	}
	if n := s.ActiveSessions(); n != 0 {
		t.Errorf("%d sessions after a refused offer", n)
	}

	for _, bad := range [][]rtcstream.VideoCodec{{}, {"AV1"}, {rtcstream.H264, rtcstream.H264}, {""}} {
		if _, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
			&rtcstream.Options{VideoCodecs: bad}); err == nil {
			t.Errorf("NewStream with VideoCodecs %q: no error", bad)
		}
	}
	if _, err := client.Dial(ctx, url, &client.Options{Loopback: true, VideoCodec: "AV1"}); err == nil {
		t.Error("Dial with VideoCodec AV1: no error")
	}
}
