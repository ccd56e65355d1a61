package server

import (
	"context"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/media"
)

// passthroughPath is receive-mode media already encoded (a file's VP8 and
// Opus, Handlers.Encoded): sent as it is, no encoder, each frame when the
// source yields it (it paces itself). A keyframe cannot be made on
// demand: a browser that asks for one after a loss waits for the
// source's next.
type passthroughPath struct {
	m       *Media
	encoded func(context.Context) (video, audio iter.Seq[media.EncodedFrame])

	videoSent, audioSent, keyRequests atomic.Int64
}

func newPassthroughPath(m *Media, encoded func(context.Context) (video, audio iter.Seq[media.EncodedFrame])) *passthroughPath {
	return &passthroughPath{m: m, encoded: encoded}
}

func (p *passthroughPath) receive(*peer.AnswerOptions) {}
func (p *passthroughPath) early() bool                 { return false }
func (p *passthroughPath) warm()                       {}
func (p *passthroughPath) forceKeyFrame()              { p.keyRequests.Add(1) }
func (p *passthroughPath) setBitrate(int)              {}
func (p *passthroughPath) setRTT(time.Duration)        {}
func (p *passthroughPath) close()                      {}

func (p *passthroughPath) logAttrs() []any {
	return []any{"sent_encoded", p.videoSent.Load(), "sent_audio_packets", p.audioSent.Load(),
		"keyframe_requests_unmet", p.keyRequests.Load()}
}

// run sends the source's tracks the stream carries until they end or ctx
// does.
func (p *passthroughPath) run(ctx context.Context) error {
	return p.m.callHandler(ctx, func(ctx context.Context) error {
		video, audio := p.encoded(ctx)
		cfg := p.m.cfg
		var wg sync.WaitGroup
		errs := make(chan error, 2)
		if video != nil && cfg.Modality != Audio {
			wg.Go(func() { errs <- p.sendVideo(ctx, video) })
		}
		if audio != nil && cfg.Modality != Video {
			wg.Go(func() { errs <- p.sendAudio(ctx, audio) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// sendVideo packetizes the frames, from the first keyframe on.
func (p *passthroughPath) sendVideo(ctx context.Context, frames iter.Seq[media.EncodedFrame]) error {
	pack := pipeline.NewPacketizer(videoOut{p.m.c}, 0)
	started := false
	for f := range frames {
		if ctx.Err() != nil {
			return nil
		}
		if started = started || f.KeyFrame; !started || len(f.Data) == 0 {
			continue
		}
		if err := pack.WriteFrame(f.Data, uint32(f.Timestamp*90000/time.Second)); err != nil {
			return err
		}
		p.videoSent.Add(1)
	}
	return nil
}

// sendAudio sends the Opus packets.
func (p *passthroughPath) sendAudio(ctx context.Context, packets iter.Seq[media.EncodedFrame]) error {
	for f := range packets {
		if ctx.Err() != nil {
			return nil
		}
		d := f.Duration
		if d <= 0 {
			d = pipeline.AudioFrame
		}
		if err := p.m.c.WriteAudio(f.Data, d); err != nil {
			return err
		}
		p.audioSent.Add(1)
	}
	return nil
}
