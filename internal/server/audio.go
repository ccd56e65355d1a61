package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/opus"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/media"
)

// outputComplexity is the Opus complexity of a stream's audio output.
const outputComplexity = 5

// inputQueue is how many input frames (20 ms each) wait for a busy audio
// handler before new ones are dropped.
const inputQueue = 50

// browserBuffer is what a browser's jitter buffer may hold (30-60 ms on a
// steady link, a few hundred under load); playoutDelay adds it to the way
// there. Ending a finished stream that much later costs nothing; ending it
// early cuts its last sound.
const browserBuffer = 300 * time.Millisecond

// audioPath is one session's audio: decoder and input queue, the
// handler's goroutines, and the paced output.
type audioPath struct {
	m       *Media
	h       Handlers
	in      *pipeline.AudioIn // nil in receive mode
	queue   chan media.AudioFrame
	out     *pipeline.AudioOut // nil in send mode
	dec     codec.AudioDecoder
	enc     codec.AudioEncoder
	dropped atomic.Uint64

	inMu     sync.Mutex // orders deliver against closing the queue
	inClosed bool
}

func newAudioPath(m *Media, h Handlers) (*audioPath, error) {
	a := &audioPath{m: m, h: h, queue: make(chan media.AudioFrame, inputQueue)}
	enc, dec, decRate, err := m.audioCodecs()
	if err != nil {
		return nil, err
	}
	mode := m.cfg.Mode
	if mode.receives() {
		a.dec = dec
		if a.in, err = pipeline.NewAudioIn(dec, decRate, m.cfg.AudioInputRate, a.deliver); err != nil {
			enc.Close()
			dec.Close()
			return nil, err
		}
	} else {
		dec.Close()
	}
	if mode.sends() {
		a.enc = enc
		a.out = pipeline.NewAudioOut(enc, m.c.WriteAudio, 0, m.obs.audio())
		if f, ok := m.c.(interface{ AudioFlushed() }); ok {
			a.out.OnFlush = f.AudioFlushed // a telephone bridge's buffer, too
		}
	} else {
		enc.Close()
	}
	return a, nil
}

// audioCodecs makes the stream's audio encoder and decoder: Opus, mono,
// the decoder at the handler's rate where libopus decodes to it (else 48
// kHz, resampled), whatever the offer's fmtp says: nothing a client
// negotiates sizes the decoder or its buffers (a packet decodes to at most
// 120 ms, RFC 6716). Config.AudioCodec replaces them.
func (m *Media) audioCodecs() (codec.AudioEncoder, codec.AudioDecoder, int, error) {
	if m.cfg.AudioCodec != nil {
		return m.cfg.AudioCodec()
	}
	decRate := pipeline.DecodeRate(m.cfg.AudioInputRate)
	dec, err := opus.NewDecoder(opus.DecoderConfig{SampleRate: decRate, Channels: 1})
	if err != nil {
		return nil, nil, 0, err
	}
	// Complexity 5, as libwebrtc on phones: speech encodes in 0.13 ms a
	// frame against 0.35 ms at libopus's default 9 (BENCHMARKS.md, "Voice
	// agents"), for a difference a listener hardly hears in speech.
	enc, err := opus.NewEncoder(opus.EncoderConfig{SampleRate: pipeline.OpusRate, Channels: 1, Complexity: outputComplexity})
	if err != nil {
		dec.Close()
		return nil, nil, 0, err
	}
	return enc, dec, decRate, nil
}

func (a *audioPath) receive(o *peer.AnswerOptions) {
	if a.in != nil {
		o.OnAudioRTP = func(p *rtp.Packet, _ time.Time) {
			a.in.PushRTP(p.SequenceNumber, p.Timestamp, p.Payload)
		}
	}
}

func (a *audioPath) early() bool          { return a.in != nil }
func (a *audioPath) warm()                {}
func (a *audioPath) forceKeyFrame()       {}
func (a *audioPath) setBitrate(int)       {}
func (a *audioPath) setRTT(time.Duration) {}

func (a *audioPath) logAttrs() []any {
	var st pipeline.AudioOutStats
	if a.out != nil {
		st = a.out.Stats()
	}
	return []any{"audio_packets_sent", st.Sent, "audio_packets_late", st.Late, "audio_slots_skipped", st.Skipped,
		"audio_packets_short", st.Short, "audio_dropped_for_latency", st.DroppedLive, "audio_flushed", st.Flushed,
		"audio_frames_dropped", a.dropped.Load()}
}

// deliver hands a decoded frame to the handler, dropping it when the
// handler is a second behind.
func (a *audioPath) deliver(f media.AudioFrame) {
	a.inMu.Lock()
	defer a.inMu.Unlock()
	if a.inClosed {
		return // the session is ending; pion's reader may still run
	}
	select {
	case a.queue <- f:
	default:
		a.dropped.Add(1)
	}
}

// closeInput ends the handler's input; later frames are dropped.
func (a *audioPath) closeInput() {
	a.inMu.Lock()
	defer a.inMu.Unlock()
	if !a.inClosed {
		a.inClosed = true
		close(a.queue)
	}
}

func (a *audioPath) close() {
	if a.dec != nil {
		a.dec.Close()
	}
	if a.enc != nil {
		a.enc.Close()
	}
}

// WriteAudio sends one Opus packet on the session's audio track
// (Carrier).
func (ss *Session) WriteAudio(packet []byte, d time.Duration) error {
	ss.viewers.writeAudio(packet, d)
	if r := ss.recOut.Load(); r != nil {
		r.AudioPacket(packet, d, time.Now())
	}
	c := ss.conn.Load()
	if c == nil || c.Audio() == nil {
		return nil
	}
	return c.Audio().WriteSample(pionmedia.Sample{Data: packet, Duration: d})
}

// run runs the handler and the output pacer until ctx ends or the
// handler returns.
func (a *audioPath) run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if a.out != nil {
		wg.Go(func() { _ = a.out.Run(ctx) })
	}
	if !a.m.cfg.Mode.receives() {
		return a.m.callHandler(ctx, a.generate)
	}
	frames := make(chan media.AudioFrame)
	wg.Go(func() {
		for f := range frames {
			if a.out == nil || a.out.QueueLive(ctx, f) != nil {
				continue // send mode, or ending: drain
			}
		}
	})
	// Close the handler's input when the session ends.
	wg.Go(func() {
		<-ctx.Done()
		a.closeInput()
	})
	err := a.m.callHandler(ctx, func(ctx context.Context) error { return a.h.Audio(ctx, a.queue, frames) })
	close(frames)
	return err
}

// generate runs a receive-mode generator, queueing its chunks whole; the
// output pacer sends them in real time. It returns once the last has
// played out in the browser.
func (a *audioPath) generate(ctx context.Context) error {
	seq, err := a.h.AudioFrames(ctx)
	if err != nil {
		return err
	}
	for f := range seq {
		if err := a.out.Queue(ctx, f); err != nil {
			return nil
		}
	}
	// Let the tail play before the session ends: the queue, then what is
	// on its way to the browser and in its jitter buffer.
	if a.out.WaitPlayed(ctx, a.out.End()) != nil {
		return nil
	}
	t := time.NewTimer(a.playoutDelay())
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// playoutDelay estimates how long after its last packet is sent the
// browser has played a stream out: the packet's own audio, half the
// round trip, and the jitter buffer.
func (a *audioPath) playoutDelay() time.Duration {
	d := pipeline.AudioFrame + browserBuffer
	if rtt, ok := a.m.c.RTT(); ok {
		d += rtt / 2
	}
	return d
}
