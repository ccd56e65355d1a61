package bench

import (
	"fmt"
	"image"
	"time"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/videocodec"
	"github.com/rtcstream/rtcstream/media"
)

// pattern draws a synthetic moving picture: a luma gradient under a fine
// texture that scrolls two pixels a frame, a bright box on a Lissajous path
// and slowly turning colours. It keeps a camera-like amount of detail and
// motion in front of the encoder, and is the same for every run.
type pattern struct {
	w, h    int
	texture []byte // w*h int8 values in [-24, 24]
}

func newPattern(w, h int) *pattern {
	p := &pattern{w: w, h: h, texture: make([]byte, w*h)}
	var s uint32 = 2463534242
	for i := range p.texture {
		s ^= s << 13 // xorshift32
		s ^= s >> 17
		s ^= s << 5
		p.texture[i] = byte(int8(s%49) - 24)
	}
	return p
}

// draw writes frame i into img, a w x h 4:2:0 picture at the origin.
func (p *pattern) draw(img *image.YCbCr, i int) {
	w, h := p.w, p.h
	shift := (2 * i) % w
	bw, bh := w/4, h/4
	bx := int(float64(w-bw) * (0.5 + 0.5*sinTurns(float64(i)/90)))
	by := int(float64(h-bh) * (0.5 + 0.5*sinTurns(float64(i)/70+0.25)))
	for y := range h {
		row := img.Y[y*img.YStride : y*img.YStride+w]
		tex := p.texture[y*w : (y+1)*w]
		base := 40 + 160*y/h // 40..200, so base+texture stays in [16, 235]
		// The texture scrolled left by shift: its tail, then its head.
		n := copy(row, tex[shift:])
		copy(row[n:], tex[:shift])
		for x, t := range row {
			row[x] = uint8(base + int(int8(t)))
		}
		if y >= by && y < by+bh {
			box := row[bx : bx+bw]
			for x := range box {
				box[x] = uint8(220 + int(int8(tex[bx+x]))/4)
			}
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	cb0 := 128 + int(40*sinTurns(float64(i)/150))
	cr0 := 128 + int(40*sinTurns(float64(i)/150+0.25))
	cb := img.Cb[:cw] // Cb varies along x only, Cr along y only
	for x := range cb {
		cb[x] = uint8(cb0 + (x*32)/cw - 16)
	}
	for y := range ch {
		off := y * img.CStride
		if y > 0 {
			copy(img.Cb[off:off+cw], cb)
		}
		cr := img.Cr[off : off+cw]
		v := uint8(cr0 + (y*32)/ch - 16)
		for x := range cr {
			cr[x] = v
		}
	}
}

// sinTurns is a cheap sine of t turns (a parabola per half turn: the
// pattern needs smooth motion, not accuracy).
func sinTurns(t float64) float64 {
	t -= float64(int(t))
	if t < 0 {
		t++
	}
	if t < 0.5 {
		x := 4 * t
		return x * (2 - x)
	}
	x := 4 * (t - 0.5)
	return -x * (2 - x)
}

// newEncoder is the encoder probes and the replayed sequence use: the
// server sees what a browser would send, with keyframes only at the start
// and on request.
func newEncoder(o *Options) (codec.VideoEncoder, error) {
	return videocodec.NewEncoder(o.VideoCodec, videocodec.EncoderConfig{
		Width: o.Width, Height: o.Height, BitRate: o.Bitrate, FrameRate: o.FPS, KeyFramesOnRequest: true,
	})
}

// frameInterval is the time between frames at fps.
func frameInterval(fps int) time.Duration { return time.Second / time.Duration(fps) }

// encodeSequence encodes o.Loop of the pattern once; every replaying
// stream sends these frames. The first is a keyframe, the only one.
func encodeSequence(o *Options, p *pattern) ([][]byte, error) {
	n := max(1, int(o.Loop*time.Duration(o.FPS)/time.Second))
	enc, err := newEncoder(o)
	if err != nil {
		return nil, err
	}
	defer enc.Close()
	img := media.NewI420(o.Width, o.Height)
	frames := make([][]byte, 0, n)
	for i := range n {
		p.draw(img, i)
		f, key, err := enc.Encode(nil, img, time.Duration(i)*frameInterval(o.FPS))
		if err != nil {
			return nil, err
		}
		if len(f) == 0 {
			return nil, fmt.Errorf("bench: the encoder dropped frame %d of the sequence", i)
		}
		if (i == 0) != key {
			return nil, fmt.Errorf("bench: frame %d of the sequence: keyframe %v", i, key)
		}
		frames = append(frames, f)
	}
	return frames, nil
}
