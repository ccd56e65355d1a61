package livekit_test

import (
	"encoding/json"
	"fmt"
	"image"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/lktest"
	"github.com/rtcstream/rtcstream/livekit"
	"github.com/rtcstream/rtcstream/ui"
)

// level sets the frame's luma from the slider, and says so in a textbox.
func level(img image.Image, level float64) (image.Image, string) {
	yc := img.(*image.YCbCr)
	v := uint8(16 + level*219)
	for i := range yc.Y {
		yc.Y[i] = v
	}
	return yc, fmt.Sprintf("level %.2f", level)
}

// TestWorkerAppliesInputsAndSendsOutputs: a Blocks page's stream (a
// slider in, a textbox out) runs in a worker; a participant's input
// message changes the frames it gets back, and the additional output comes
// to it as a data message, as they do for the page.
func TestWorkerAppliesInputsAndSendsOutputs(t *testing.T) {
	node := lktest.StartNode(t, lktest.NodeOptions{})
	demo := ui.NewBlocks(nil)
	video := rtcstream.NewWebRTC(nil)
	conf := &ui.Slider{Props: ui.Props{Label: "Level"}, Minimum: 0, Maximum: 1, Step: 0.05, Value: 0.2}
	text := &ui.Textbox{Props: ui.Props{Label: "Level"}}
	demo.Add(video, conf, text)
	if err := video.Stream(level, rtcstream.StreamEvent{Inputs: []ui.Component{video, conf}, Outputs: []ui.Component{video, text}}); err != nil {
		t.Fatal(err)
	}
	if err := demo.Build(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { video.Close() })
	confID, _ := demo.ID(conf)
	textID, _ := demo.ID(text)

	w, err := livekit.NewWorker(video.Server(), livekit.Options{URL: node.URL, APIKey: lktest.APIKey, APISecret: lktest.APISecret,
		AgentName: "level", Logger: slog.New(&logRecorder{})})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, w)
	// A room made before the worker registers is dispatched to nobody.
	waitFor(t, 10*time.Second, "the worker registered", w.Registered)

	p, start := publishing(t, node.URL, "room-a", "alice", "level")
	luma := func(want int) func(lktest.Frame) bool {
		return func(f lktest.Frame) bool { return abs(int(f.Y)-want) <= colorTol }
	}
	// The slider's initial value applies before any input.
	if _, ok := p.WaitFrames(start, 10, 20*time.Second, luma(16+44)); !ok {
		t.Fatalf("no frames at the slider's initial level (last: %+v)", last(p.Frames(start)))
	}
	msg, _ := json.Marshal(map[string]any{"type": "input", "values": map[string]any{confID: 0.8}})
	sent := time.Now()
	if err := p.Send(livekit.Topic, msg); err != nil {
		t.Fatal(err)
	}
	took, ok := p.WaitFrames(sent, 5, 10*time.Second, luma(16+175))
	if !ok {
		t.Fatalf("the input did not reach the handler (last: %+v)", last(p.Frames(sent)))
	}
	t.Logf("the new level showed %v after the input was sent", took.Round(time.Millisecond))
	want := fmt.Sprintf(`%q:%q`, textID, "level 0.80")
	waitFor(t, 5*time.Second, "the additional output", func() bool {
		return slices.ContainsFunc(p.Data(), func(d string) bool { return strings.Contains(d, `"output"`) && strings.Contains(d, want) })
	})

	// A value of the wrong type is refused with a message, and the level
	// stays.
	bad, _ := json.Marshal(map[string]any{"type": "input", "values": map[string]any{confID: "bright", "nope": 1}})
	if err := p.Send(livekit.Topic, bad); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "an error for the bad value and a warning for the unknown input", func() bool {
		ds := p.Data()
		return slices.ContainsFunc(ds, func(d string) bool { return strings.Contains(d, `"error"`) }) &&
			slices.ContainsFunc(ds, func(d string) bool { return strings.Contains(d, `"warning"`) && strings.Contains(d, "nope") })
	})
	after := time.Now()
	if _, ok := p.WaitFrames(after, 10, 10*time.Second, luma(16+175)); !ok {
		t.Errorf("the level changed after a refused value (last: %+v)", last(p.Frames(after)))
	}

	// A flood of inputs is bounded: the excess is dropped with one
	// warning, and the stream goes on.
	for range 300 {
		if err := p.Send(livekit.Topic, msg); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "a warning about the dropped excess", func() bool {
		return slices.ContainsFunc(p.Data(), func(d string) bool { return strings.Contains(d, "are dropped") })
	})
	flooded := time.Now()
	if _, ok := p.WaitFrames(flooded, 10, 10*time.Second, luma(16+175)); !ok {
		t.Errorf("the stream stalled after a flood of inputs (last: %+v)", last(p.Frames(flooded)))
	}
}
