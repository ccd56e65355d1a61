package pipeline

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/media"
)

// Opus on WebRTC: 48 kHz, 20 ms frames.
const (
	OpusRate     = 48000
	AudioFrame   = 20 * time.Millisecond
	opusFrameLen = OpusRate / 50 // samples per channel in 20 ms
	// maxConceal bounds the packets concealed for one gap; a longer gap
	// is a pause in the sender, not loss.
	maxConceal = 5
)

// AudioIn turns a session's inbound Opus RTP into mono PCM frames at the
// handler's rate. Lost packets are recovered from the next packet's
// forward error correction when it carries some, else concealed, so the
// handler hears no gaps. PushRTP is called from one goroutine.
type AudioIn struct {
	dec     codec.AudioDecoder
	rs      *media.Resampler
	deliver func(media.AudioFrame)
	rate    int

	have    bool
	lastSeq uint16
	firstTS uint32
	pcm     []int16
	out     []int16
}

// NewAudioIn decodes with dec (mono at 48 kHz) and hands frames resampled
// to rate to deliver, which owns them.
func NewAudioIn(dec codec.AudioDecoder, rate int, deliver func(media.AudioFrame)) (*AudioIn, error) {
	rs, err := media.NewResampler(OpusRate, rate, 1, media.QualityMedium)
	if err != nil {
		return nil, err
	}
	return &AudioIn{dec: dec, rs: rs, deliver: deliver, rate: rate}, nil
}

// PushRTP takes one inbound packet.
func (a *AudioIn) PushRTP(seq uint16, ts uint32, payload []byte) {
	if !a.have {
		a.have, a.lastSeq, a.firstTS = true, seq-1, ts
	}
	gap := int(int16(seq - a.lastSeq))
	if gap <= 0 {
		return // late or duplicate: its time has passed
	}
	a.pcm = a.pcm[:0]
	if missing := gap - 1; missing > 0 && missing <= maxConceal {
		for range missing - 1 {
			a.pcm, _ = a.dec.Decode(a.pcm, nil)
		}
		a.pcm, _ = a.dec.DecodeFEC(a.pcm, payload)
	}
	a.lastSeq = seq
	concealed := len(a.pcm) // samples standing in for lost packets, before this one's
	var err error
	if a.pcm, err = a.dec.Decode(a.pcm, payload); err != nil && len(a.pcm) == 0 {
		return
	}
	a.out = a.rs.Process(a.out[:0], a.pcm)
	if len(a.out) == 0 {
		return
	}
	samples := make([]int16, len(a.out)) // the receiver keeps it
	copy(samples, a.out)
	// The frame starts with the concealed audio, before the packet's own.
	pts := time.Duration(int64(ts-a.firstTS)-int64(concealed)) * time.Second / OpusRate
	a.deliver(media.AudioFrame{Samples: samples, SampleRate: a.rate, Channels: 1, Timestamp: pts})
}

// AudioOut paces a handler's audio to the browser: frames of any length,
// rate and channel count are resampled to 48 kHz mono, queued, and sent as
// 20 ms Opus packets on a real-time clock, silence when the queue is
// empty. Queue blocks while more than the queue limit is waiting, which
// paces generators that produce faster than real time. Flush drops what is
// queued (barge-in). Queue and Flush are safe for concurrent use with Run.
type AudioOut struct {
	enc   codec.AudioEncoder
	write func(packet []byte, d time.Duration) error
	limit int // samples

	mu      sync.Mutex
	space   *sync.Cond
	queued  []int16
	rs      *media.Resampler
	rsKey   [2]int // rate, channels of rs
	mono    []int16
	scratch []int16
	closed  bool
	sent    uint64
}

// NewAudioOut encodes with enc (mono, 48 kHz, 20 ms frames) and writes each
// packet with write. limit bounds the queue; 0 means 1 s.
func NewAudioOut(enc codec.AudioEncoder, write func([]byte, time.Duration) error, limit time.Duration) *AudioOut {
	if limit <= 0 {
		limit = time.Second
	}
	o := &AudioOut{enc: enc, write: write, limit: int(limit * OpusRate / time.Second)}
	o.space = sync.NewCond(&o.mu)
	return o
}

// ErrOutputClosed is returned by Queue once the session has ended.
var ErrOutputClosed = errors.New("pipeline: audio output closed")

// Queue adds f to the audio to send. It blocks while the queue is over its
// limit, until ctx ends or the output closes.
func (o *AudioOut) Queue(ctx context.Context, f media.AudioFrame) error {
	if f.SampleRate <= 0 || f.Channels <= 0 || len(f.Samples) == 0 {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for !o.closed && len(o.queued) > o.limit {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		o.space.Wait()
	}
	if o.closed {
		return ErrOutputClosed
	}
	o.mono = media.ToMono(o.mono[:0], f.Samples, f.Channels)
	if key := [2]int{f.SampleRate, 1}; o.rs == nil || o.rsKey != key {
		rs, err := media.NewResampler(f.SampleRate, OpusRate, 1, media.QualityMedium)
		if err != nil {
			return err
		}
		if o.rs != nil {
			o.queued = o.rs.Flush(o.queued) // the old rate's last samples
		}
		o.rs, o.rsKey = rs, key
	}
	o.queued = o.rs.Process(o.queued, o.mono)
	return nil
}

// Flush drops the queued audio; the next packets are silence.
func (o *AudioOut) Flush() {
	o.mu.Lock()
	o.queued = o.queued[:0]
	o.mu.Unlock()
	o.space.Broadcast()
}

// Queued reports how much audio waits to be sent.
func (o *AudioOut) Queued() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return time.Duration(len(o.queued)) * time.Second / OpusRate
}

// Run sends a packet every 20 ms until ctx ends or writing fails.
func (o *AudioOut) Run(ctx context.Context) error {
	t := time.NewTicker(AudioFrame)
	defer t.Stop()
	defer func() {
		o.mu.Lock()
		o.closed = true
		o.mu.Unlock()
		o.space.Broadcast()
	}()
	frame := make([]int16, opusFrameLen)
	var packet []byte
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		o.mu.Lock()
		n := copy(frame, o.queued)
		clear(frame[n:])
		o.queued = o.queued[:copy(o.queued, o.queued[n:])]
		o.mu.Unlock()
		if n > 0 {
			o.space.Broadcast()
		}
		var err error
		if packet, err = o.enc.Encode(packet[:0], frame); err != nil {
			return err
		}
		if len(packet) == 0 {
			continue // discontinuous transmission
		}
		if err := o.write(packet, AudioFrame); err != nil {
			return err
		}
		o.mu.Lock()
		o.sent++
		o.mu.Unlock()
	}
}

// Sent counts the packets sent.
func (o *AudioOut) Sent() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.sent
}
