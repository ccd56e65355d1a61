package main

import (
	"context"
	"image"
	"image/color"
	"iter"
	"math"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/ui"
	"github.com/rtcstream/rtcstream/voice"
)

func init() {
	demos = append(demos,
		demoInfo{"pattern", "Receive mode: the server generates video, at a speed a slider sets live", pattern},
		demoInfo{"echo", "Audio: your microphone comes straight back", audioPage("Echo", rtcstream.SendReceive, echo)},
		demoInfo{"robot", "Audio: a plain per-frame effect makes your voice a robot's", audioPage("Robot voice", rtcstream.SendReceive, robot)},
		demoInfo{"tones", "Audio, receive mode: the server plays a little tune", audioPage("Tones", rtcstream.Receive, tones)},
		demoInfo{"reply", "Voice turn-taking: say something, pause, and hear it back (ReplyOnPause)", audioPage("Reply on pause",
			rtcstream.SendReceive, voice.ReplyOnPause(sayBack, nil))},
	)
}

// pattern streams a generated picture in receive mode: colour bars that
// scroll at the speed the slider sets while the stream runs.
func pattern(base rtcstream.Options) (*demoPage, error) {
	demo := ui.NewBlocks(&ui.BlocksOptions{Title: "Generated video"})
	demo.Add(&ui.Markdown{Value: "# Generated video\n\nThe server makes every frame (receive mode). Press Start, then move the slider."})
	stream := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{
		Props: ui.Props{Label: "Stream"}, Mode: rtcstream.Receive,
		Options: withFrameRate(base, 30),
	})
	speed := &ui.Slider{Props: ui.Props{Label: "Speed (pixels a frame)"}, Minimum: 0, Maximum: 20, Step: 1, Value: 4}
	demo.Add(stream, speed)
	gen := func(ctx context.Context, speed rtcstream.Live[float64]) iter.Seq[*image.YCbCr] {
		return func(yield func(*image.YCbCr) bool) {
			bars := []color.RGBA{{235, 235, 235, 255}, {235, 235, 16, 255}, {16, 235, 235, 255}, {16, 235, 16, 255},
				{235, 16, 235, 255}, {235, 16, 16, 255}, {16, 16, 235, 255}}
			img := media.NewI420(640, 480)
			offset := 0.0
			for ctx.Err() == nil {
				offset += speed.Get()
				for i := range bars {
					x := (i*92 + int(offset)) % 640
					media.FillRect(img, image.Rect(x, 0, x+92, 480), bars[i])
					if x+92 > 640 {
						media.FillRect(img, image.Rect(0, 0, x+92-640, 480), bars[i])
					}
				}
				if !yield(img) {
					return
				}
			}
		}
	}
	if err := stream.Stream(gen, rtcstream.StreamEvent{Inputs: []ui.Component{speed}, Outputs: []ui.Component{stream}}); err != nil {
		return nil, err
	}
	if err := demo.Build(); err != nil {
		return nil, err
	}
	return &demoPage{demo, stream.Server(), func() { stream.Close() }}, nil
}

// withFrameRate is o receiving video at fps frames a second.
func withFrameRate(o rtcstream.Options, fps int) rtcstream.Options {
	o.FrameRate = fps
	return o
}

// audioPage serves an audio handler on a page of its own.
func audioPage(title string, mode rtcstream.Mode, handler any) func(rtcstream.Options) (*demoPage, error) {
	return func(base rtcstream.Options) (*demoPage, error) {
		o := base
		o.Title = title
		s, err := rtcstream.NewStream(rtcstream.Audio, mode, handler, &o)
		if err != nil {
			return nil, err
		}
		return &demoPage{s, s, func() { s.Close() }}, nil
	}
}

// echo sends the microphone back as it comes.
func echo(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
	for f := range in {
		select {
		case out <- f:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}

// robot ring-modulates the voice with a 60 Hz carrier: the classic robot.
// A plain per-frame function: its state is the carrier's phase, per frame's
// timestamp, so it needs none between calls.
func robot(f media.AudioFrame) media.AudioFrame {
	out := make([]int16, len(f.Samples))
	t0 := f.Timestamp.Seconds()
	for i, s := range f.Samples {
		t := t0 + float64(i/f.Channels)/float64(f.SampleRate)
		out[i] = int16(float64(s) * math.Sin(2*math.Pi*60*t))
	}
	f.Samples = out
	return f
}

// tones plays a short tune, then the stream ends.
func tones(ctx context.Context) iter.Seq[media.AudioFrame] {
	return func(yield func(media.AudioFrame) bool) {
		const rate = 24000
		for _, hz := range []float64{392, 440, 494, 523, 494, 440, 392} {
			pcm := make([]int16, rate*3/10)
			for i := range pcm {
				env := math.Min(1, float64(len(pcm)-i)/2000)
				pcm[i] = int16(8000 * env * math.Sin(2*math.Pi*hz*float64(i)/rate))
			}
			if ctx.Err() != nil || !yield(media.AudioFrame{Samples: pcm, SampleRate: rate, Channels: 1}) {
				return
			}
		}
	}
}

// sayBack replies to each utterance with the utterance itself.
func sayBack(ctx context.Context, utterance media.AudioFrame) iter.Seq[media.AudioFrame] {
	return func(yield func(media.AudioFrame) bool) { yield(utterance) }
}
