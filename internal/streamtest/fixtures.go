package streamtest

import (
	"context"
	"image"
	"math"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream/media"
)

// Pattern draws a frame whose left half is dark (luma 40) and right half
// bright (200), with a bar (120) that moves with i so the encoder sees
// motion.
func Pattern(w, h, i int) *image.YCbCr {
	img := media.NewI420(w, h)
	for y := range h {
		for x := range w {
			v := uint8(40)
			if x >= w/2 {
				v = 200
			}
			if x/8 == (i*3)%(w/8) {
				v = 120
			}
			img.Y[y*img.YStride+x] = v
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return img
}

// Invert is a user handler whose effect is easy to see in pixels.
func Invert(img image.Image) image.Image {
	yc := img.(*image.YCbCr)
	for i, v := range yc.Y {
		yc.Y[i] = 255 - v
	}
	return yc
}

// LumaAt averages the luma in a 5x5 block centred on (x, y).
func LumaAt(img *image.YCbCr, x, y int) int {
	sum := 0
	for dy := -2; dy <= 2; dy++ {
		for dx := -2; dx <= 2; dx++ {
			sum += int(img.Y[(y+dy)*img.YStride+x+dx])
		}
	}
	return sum / 25
}

// AudioProbe records the loudness of every frame a handler receives, so
// tests can tell what the server heard and when.
type AudioProbe struct {
	mu     sync.Mutex
	frames []probeFrame
}

type probeFrame struct {
	at  time.Time
	rms float64 // full scale 1
}

// Add records f; it is a send-mode handler.
func (p *AudioProbe) Add(f media.AudioFrame) {
	var sum float64
	for _, s := range f.Samples {
		v := float64(s) / 32768
		sum += v * v
	}
	rms := 0.0
	if len(f.Samples) > 0 {
		rms = math.Sqrt(sum / float64(len(f.Samples)))
	}
	p.mu.Lock()
	p.frames = append(p.frames, probeFrame{time.Now(), rms})
	p.mu.Unlock()
}

// Since returns how many frames arrived after t0 and the loudest one's RMS.
func (p *AudioProbe) Since(t0 time.Time) (n int, peak float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, f := range p.frames {
		if f.at.After(t0) {
			n++
			peak = max(peak, f.rms)
		}
	}
	return n, peak
}

// Echo is a send-receive handler: every frame goes back as it came.
func (p *AudioProbe) Echo(ctx context.Context, in <-chan media.AudioFrame, out chan<- media.AudioFrame) error {
	for f := range in {
		p.Add(f)
		select {
		case out <- f:
		case <-ctx.Done():
			return nil
		}
	}
	return nil
}
