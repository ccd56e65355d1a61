package rtcstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"iter"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/ui"
)

// brighten paints the frame's luma at level (0..1) and reports it in text:
// the effect of the slider is visible in every pixel.
func brighten(img image.Image, level float64) (image.Image, string) {
	yc := img.(*image.YCbCr)
	v := uint8(16 + level*219)
	for i := range yc.Y {
		yc.Y[i] = v
	}
	return yc, fmt.Sprintf("level %.2f", level)
}

// seedPage lays out a page like the seed's: headings, a column, a group
// holding the stream and a slider, and a textbox for an additional output.
func seedPage(t *testing.T, fn any, ev func(video *rtcstream.WebRTC, conf *ui.Slider, text *ui.Textbox) rtcstream.StreamEvent) (*ui.Blocks, *rtcstream.WebRTC, *ui.Slider, *ui.Textbox) {
	t.Helper()
	demo := ui.NewBlocks(&ui.BlocksOptions{CSS: ".my-group {max-width: 600px !important;}"})
	demo.Add(&ui.HTML{Value: "<h1 style='text-align: center'>Level Stream</h1>"})
	var video *rtcstream.WebRTC
	var conf *ui.Slider
	text := &ui.Textbox{Props: ui.Props{Label: "Level"}}
	demo.Column(ui.Props{ElemClasses: []string{"my-column"}}, func(col *ui.Layout) {
		col.Group(ui.Props{ElemClasses: []string{"my-group"}}, func(g *ui.Layout) {
			video = rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{
				Props:   ui.Props{Label: "Stream"},
				Options: rtcstream.Options{Network: loopback},
			})
			conf = &ui.Slider{Props: ui.Props{Label: "Level"}, Minimum: 0, Maximum: 1, Step: 0.05, Value: 0.2}
			g.Add(video, conf, text)
		})
	})
	if err := video.Stream(fn, ev(video, conf, text)); err != nil {
		t.Fatal(err)
	}
	if err := demo.Build(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { video.Close() })
	return demo, video, conf, text
}

func TestBlocksInputsReachTheHandlerLive(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	demo, video, conf, text := seedPage(t, brighten, func(video *rtcstream.WebRTC, conf *ui.Slider, text *ui.Textbox) rtcstream.StreamEvent {
		return rtcstream.StreamEvent{Inputs: []ui.Component{video, conf}, Outputs: []ui.Component{video, text}}
	})
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)
	confID, _ := demo.ID(conf)
	textID, _ := demo.ID(text)

	c := dial(t, ctx, srv.URL)
	sendFrames(t, ctx, c, 160, 120, 300, 30)
	// The slider's initial value applies before the page sends any.
	waitLevel := func(want int) time.Time {
		t.Helper()
		for {
			f, err := c.ReadFrame(ctx)
			if err != nil {
				t.Fatalf("waiting for luma %d: %v", want, err)
			}
			if got := lumaAt(f.Image, 80, 60); got > want-8 && got < want+8 {
				return f.Received
			}
		}
	}
	waitLevel(59)
	// The slider moves: the next frames follow within 100 ms, no reconnect.
	sent := time.Now()
	if err := c.SendInput(map[string]any{confID: 0.8}); err != nil {
		t.Fatal(err)
	}
	at := waitLevel(191)
	if d := at.Sub(sent); d > 100*time.Millisecond {
		t.Errorf("the new slider value showed after %v, want within 100 ms", d)
	}
	// The additional output reached the page's textbox.
	for {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != "output" {
			continue
		}
		var out struct{ Values map[string]string }
		json.Unmarshal(m.Raw, &out)
		if out.Values[textID] == "level 0.80" {
			break
		}
	}
	// A wrong value is refused with a clear error, and the last good value
	// stays.
	if err := c.SendInput(map[string]any{confID: "loud"}); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == "error" {
			if !strings.Contains(m.Message, "Level") {
				t.Errorf("error %q does not name the input", m.Message)
			}
			break
		}
	}
	waitLevel(191)
	if n := video.Server().ActiveSessions(); n != 1 {
		t.Fatalf("%d sessions", n)
	}
}

func TestBlocksHandlerMismatchIsAStartUpError(t *testing.T) {
	conf := &ui.Slider{Props: ui.Props{Label: "Confidence Threshold"}}
	for _, tc := range []struct {
		name string
		fn   any
		want string
	}{
		{"string for a slider", func(img image.Image, conf string) image.Image { return img }, "parameter 2"},
		{"missing parameter", func(img image.Image) image.Image { return img }, "takes 1 parameter (after any context.Context) but the stream has 2 inputs"},
		{"frame as int", func(img int, conf float64) image.Image { return nil }, "parameter 1"},
		{"no video result", func(img image.Image, conf float64) string { return "" }, "result 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			video := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{})
			err := video.Stream(tc.fn, rtcstream.StreamEvent{
				Inputs: []ui.Component{video, conf}, Outputs: []ui.Component{video},
			})
			if !errors.Is(err, rtcstream.ErrBadHandler) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrBadHandler mentioning %q", err, tc.want)
			}
		})
	}
	// Another stream component is no input of this one.
	other := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{})
	if err := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{}).Stream(invert, rtcstream.StreamEvent{
		Inputs: []ui.Component{other}, Outputs: []ui.Component{other},
	}); !errors.Is(err, rtcstream.ErrBadHandler) {
		t.Fatalf("another component's stream as input: %v", err)
	}
	// A slider's float64 feeds an int parameter.
	ok := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{})
	if err := ok.Stream(func(img image.Image, conf int) image.Image { return img }, rtcstream.StreamEvent{
		Inputs: []ui.Component{ok, conf}, Outputs: []ui.Component{ok},
	}); err != nil {
		t.Fatalf("a slider feeding an int parameter: %v", err)
	}
}

func TestBlocksTimeLimitNotOverwritten(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	video := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Options: rtcstream.Options{Network: loopback, TimeLimit: time.Second}})
	demo := ui.NewBlocks(&ui.BlocksOptions{})
	demo.Add(video)
	// A Stream call without a time limit keeps the component's.
	if err := video.Stream(invert, rtcstream.StreamEvent{Inputs: []ui.Component{video}, Outputs: []ui.Component{video}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { video.Close() })
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)
	c := dial(t, ctx, srv.URL)
	sendFrames(t, ctx, c, 160, 120, 150, 30)
	for {
		m, err := c.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == "end" {
			if m.Reason != "time limit reached" {
				t.Fatalf("ended: %+v", m)
			}
			break
		}
	}
}

func TestBlocksReceiveLiveInput(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	video := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Mode: rtcstream.Receive, Options: rtcstream.Options{Network: loopback}})
	level := &ui.Slider{Props: ui.Props{Label: "Level"}, Maximum: 1, Step: 0.1, Value: 0.1}
	start := &ui.Button{Value: "Generate"}
	demo := ui.NewBlocks(&ui.BlocksOptions{})
	demo.Add(video, level, start)
	gen := func(ctx context.Context, level rtcstream.Live[float64]) iter.Seq[*image.YCbCr] {
		return func(yield func(*image.YCbCr) bool) {
			for {
				if !yield(flat(160, 120, uint8(16+level.Get()*219))) {
					return
				}
			}
		}
	}
	if err := video.Stream(gen, rtcstream.StreamEvent{Inputs: []ui.Component{level}, Outputs: []ui.Component{video}, Trigger: start}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { video.Close() })
	srv := httptest.NewServer(demo)
	t.Cleanup(srv.Close)
	levelID, _ := demo.ID(level)
	c, err := client.Dial(ctx, srv.URL, &client.Options{Loopback: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	read := func(want int) {
		t.Helper()
		for {
			f, err := c.ReadFrame(ctx)
			if err != nil {
				t.Fatalf("waiting for luma %d: %v", want, err)
			}
			if got := lumaAt(f.Image, 80, 60); got > want-8 && got < want+8 {
				return
			}
		}
	}
	read(37)
	c.SendInput(map[string]any{levelID: 0.9})
	read(213)
}

// An empty StreamEvent means the stream itself in and out, as for
// NewStream, for video as for audio; the general VideoHandlerFunc works on
// a component too.
func TestBlocksEmptyStreamEventIsTheStreamItself(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	var gotPTS []time.Duration
	general := rtcstream.VideoHandlerFunc(func(_ context.Context, f *image.YCbCr, pts time.Duration) (image.Image, error) {
		gotPTS = append(gotPTS, pts) // one session, one goroutine
		return invert(f), nil
	})
	for _, tc := range []struct {
		name string
		fn   any
	}{
		{"plain", invert},
		{"VideoHandlerFunc", general},
	} {
		t.Run(tc.name, func(t *testing.T) {
			video := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Options: rtcstream.Options{Network: loopback}})
			demo := ui.NewBlocks(nil)
			demo.Add(video)
			if err := video.Stream(tc.fn, rtcstream.StreamEvent{}); err != nil {
				t.Fatalf("an empty StreamEvent: %v", err)
			}
			t.Cleanup(func() { video.Close() })
			srv := httptest.NewServer(demo)
			t.Cleanup(srv.Close)
			c := dial(t, ctx, srv.URL)
			sendFrames(t, ctx, c, 320, 240, 60, 30)
			for got := 0; got < 5; got++ {
				f, err := c.ReadFrame(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if left, right := lumaAt(f.Image, 80, 120), lumaAt(f.Image, 260, 120); left < 150 || right > 100 { // 40 and 200 before inverting
					t.Fatalf("frame %d not inverted: left luma %d, right %d", got, left, right)
				}
			}
		})
	}
	if len(gotPTS) < 5 || gotPTS[len(gotPTS)-1] <= gotPTS[0] {
		t.Fatalf("VideoHandlerFunc got presentation times %v, want increasing", gotPTS)
	}
	// Title and Description title NewStream's own page: a component
	// refuses them rather than ignore them.
	titled := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{Options: rtcstream.Options{Title: "Demo"}})
	if err := titled.Stream(invert, rtcstream.StreamEvent{}); err == nil || !strings.Contains(err.Error(), "ui.Markdown") {
		t.Fatalf("a component with a Title: %v, want an error pointing to ui.Markdown", err)
	}
}
