package main

import (
	"flag"
	"fmt"
	"image"
	"net/http"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/detect/face"
	"github.com/rtcstream/rtcstream/ui"
)

// A demo is a page with a name and a line about it. build returns the page;
// base holds the options the command line sets (network, stats overlay,
// metrics), which the demo adds its own to.
type demoInfo struct {
	name, about string
	build       func(base rtcstream.Options) (*demoPage, error)
}

// demoPage is a built demo.
type demoPage struct {
	page   http.Handler      // served by `rtcstream demo`
	stream *rtcstream.Stream // run by `rtcstream worker`
	close  func()            // ends its sessions
}

var demos = []demoInfo{
	{"faces", "Face detection in pure Go on your camera, with a confidence slider", faces},
	{"edges", "Sobel edges of your camera, computed in Go on every frame", simple("Edge detection", edges)},
	{"invert", "Your camera with its brightness inverted", simple("Invert", invert)},
}

// demoArg is the demo a command's argument names (the first demo when
// none); flags may follow the name too (demo invert -addr :7861), and are
// parsed into fs.
func demoArg(fs *flag.FlagSet, cmd string) (demoInfo, error) {
	if fs.NArg() == 0 {
		return demos[0], nil
	}
	name := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return demoInfo{}, err
	}
	if fs.NArg() > 0 {
		return demoInfo{}, fmt.Errorf("%s takes one demo name, got %q", cmd, append([]string{name}, fs.Args()...))
	}
	for _, d := range demos {
		if d.name == name {
			return d, nil
		}
	}
	return demoInfo{}, fmt.Errorf("no demo named %q (rtcstream demo -list shows them)", name)
}

// faces is the default demo: pigo's face detector on every frame, its
// confidence threshold on a slider that applies live.
func faces(base rtcstream.Options) (*demoPage, error) {
	det, err := face.New(face.Options{})
	if err != nil {
		return nil, err
	}
	detection := func(img *image.YCbCr, conf float64) *image.YCbCr {
		return det.DrawFaces(img, conf)
	}
	demo := ui.NewBlocks(&ui.BlocksOptions{Title: "Face detection"})
	demo.Add(&ui.Markdown{Value: "# Face detection\n\nA Go function finds faces in every frame of your camera " +
		"(pure Go, no model download) and draws them; the result streams back over WebRTC. " +
		"Move the slider: the threshold applies to the next frame."})
	stream := rtcstream.NewWebRTC(&rtcstream.WebRTCOptions{
		Props:   ui.Props{Label: "Stream"},
		Options: base,
	})
	conf := &ui.Slider{Props: ui.Props{Label: "Confidence Threshold"}, Minimum: 0, Maximum: 1, Step: 0.05, Value: 0.3}
	demo.Add(stream, conf)
	if err := stream.Stream(detection, rtcstream.StreamEvent{
		Inputs: []ui.Component{stream, conf}, Outputs: []ui.Component{stream},
	}); err != nil {
		return nil, err
	}
	if err := demo.Build(); err != nil {
		return nil, err
	}
	return &demoPage{demo, stream.Server(), func() { stream.Close() }}, nil
}

// simple makes a demo of a plain frame handler on a page of its own.
func simple(title string, handler any) func(rtcstream.Options) (*demoPage, error) {
	return func(base rtcstream.Options) (*demoPage, error) {
		o := base
		o.Title = title
		s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, handler, &o)
		if err != nil {
			return nil, err
		}
		return &demoPage{s, s, func() { s.Close() }}, nil
	}
}

// invert inverts the luma plane in place: no copy, no colour conversion.
func invert(img *image.YCbCr) *image.YCbCr {
	for y := range img.Rect.Dy() {
		row := img.Y[y*img.YStride : y*img.YStride+img.Rect.Dx()]
		for i, v := range row {
			row[i] = 255 - v
		}
	}
	return img
}

// edges draws the Sobel gradient magnitude of the luma, keeping a little
// of the original colour.
func edges(img *image.YCbCr) *image.YCbCr {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	src := img.Y
	st := img.YStride
	// Each output row is written back one row late, once no later row
	// needs its original pixels.
	prev := make([]byte, w)
	cur := make([]byte, w)
	for y := 1; y < h-1; y++ {
		up, mid, down := src[(y-1)*st:], src[y*st:], src[(y+1)*st:]
		for x := 1; x < w-1; x++ {
			gx := -int(up[x-1]) + int(up[x+1]) - 2*int(mid[x-1]) + 2*int(mid[x+1]) - int(down[x-1]) + int(down[x+1])
			gy := -int(up[x-1]) - 2*int(up[x]) - int(up[x+1]) + int(down[x-1]) + 2*int(down[x]) + int(down[x+1])
			cur[x] = byte(16 + min(abs(gx)+abs(gy), 219))
		}
		if y > 1 {
			copy(src[(y-1)*st+1:(y-1)*st+w-1], prev[1:w-1])
		}
		prev, cur = cur, prev
	}
	if h > 2 {
		copy(src[(h-2)*st+1:(h-2)*st+w-1], prev[1:w-1])
	}
	for i := range img.Cb {
		img.Cb[i] = byte(128 + (int(img.Cb[i])-128)/3)
		img.Cr[i] = byte(128 + (int(img.Cr[i])-128)/3)
	}
	return img
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
