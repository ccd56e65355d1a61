package server

import (
	"context"
	"errors"
	"image"
	"iter"
	"time"

	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// generatorPath is receive-mode video: a generator's frames, paced at the
// frame rate and encoded to the browser.
type generatorPath struct {
	m      *Media
	out    *pipeline.Sender
	frames func(context.Context) (iter.Seq[image.Image], error)
}

func newGeneratorPath(m *Media, frames func(context.Context) (iter.Seq[image.Image], error)) *generatorPath {
	out := pipeline.NewSender(m.codec, m.newEncoder, videoOut{m.c}, 0)
	out.SetWanted(m.c.VideoWanted)
	out.SetObserver(m.obs.video())
	return &generatorPath{m: m, out: out, frames: frames}
}

func (p *generatorPath) receive(*peer.AnswerOptions) {}
func (p *generatorPath) early() bool                 { return false }
func (p *generatorPath) warm()                       { p.out.Warm() }
func (p *generatorPath) forceKeyFrame()              { p.out.ForceKeyFrame() }
func (p *generatorPath) setBitrate(bps int)          { _ = p.out.SetBitrate(bps) }
func (p *generatorPath) setRTT(time.Duration)        {}
func (p *generatorPath) close()                      { _ = p.out.Close() }
func (p *generatorPath) logAttrs() []any             { return []any{"sent", p.out.Encoded()} }

// run calls the generator and sends its frames, paced at the frame rate,
// until the generator ends or ctx does. A generator slower than the frame
// rate is sent as fast as it yields; a faster one is held back, never
// bursted.
func (p *generatorPath) run(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = pipeline.Recovered(r)
			p.m.c.HandlerError(err)
		}
	}()
	frames, err := p.frames(ctx)
	if err != nil {
		err = pipeline.AsHandlerError(err)
		p.m.c.HandlerError(err)
		return err
	}
	interval := time.Second / time.Duration(p.m.cfg.FrameRate)
	start := time.Now()
	next := start
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for img := range frames {
		if img == nil {
			continue
		}
		if wait := time.Until(next); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return nil
			}
		} else if -wait > interval {
			next = time.Now() // behind: don't burst to catch up
		}
		next = next.Add(interval)
		pts := time.Since(start)
		if err := p.out.Send(img, pts, uint32(pts*90000/time.Second)); err != nil {
			var herr *pipeline.HandlerError
			if errors.As(err, &herr) && !p.m.c.HandlerError(err) {
				continue // an image refused for its size: the next may do
			}
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
	return nil
}
