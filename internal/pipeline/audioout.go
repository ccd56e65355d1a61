package pipeline

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/media"
)

const (
	// maxBehind is how far the pacer may fall behind its schedule and
	// still catch up by sending the missed packets at once; after a longer
	// stall it skips the missed slots instead of bursting them.
	maxBehind = 200 * time.Millisecond

	// liveWindow is how long live audio must stand in the queue above
	// liveSlack before the excess is dropped: if the queue did not come
	// down to the slack for that long, the audio it held the whole time
	// only added latency.
	liveWindow = time.Second
	liveTicks  = int(liveWindow / AudioFrame)
	// liveSlack is the standing live audio the queue keeps; above it, the
	// excess is dropped. A jittery input keeps what it needs: its late
	// frames bring the queue down to the slack within the window.
	liveSlack = 10 * time.Millisecond
	// liveWait is how long the pacer waits, at a time, for live audio
	// that runs short, up to a frame per packet.
	liveWait = 5 * time.Millisecond
	// quietWait is how long a drop waits for a quiet frame to cut at
	// (speech pauses every second or two); after it, the drop cuts where
	// the queue is.
	quietWait = 2 * time.Second
	// quietRMS is the loudness under which a frame counts as quiet for a
	// cut: about -40 dBFS.
	quietRMS = 328
	// spliceLen is the crossfade at a cut, so it does not click: 2.5 ms.
	spliceLen = OpusRate / 400
)

// AudioOut paces audio to the browser: frames of any length, rate and
// channel count are resampled to 48 kHz mono, queued, and sent as 20 ms
// Opus packets on a schedule kept from the first packet (a late packet is
// followed at once by the ones that fell due meanwhile), silence when the
// queue is empty.
//
// Audio comes in two kinds. Whole audio (Queue: a reply, a generator's
// tune) plays in full, in order; Queue blocks while more than the queue
// limit waits, which paces producers faster than real time. Live audio
// (QueueLive: a handler's output made from its input as it arrives) plays
// with bounded latency: what the queue held for a whole second beyond
// 10 ms is dropped, at a quiet frame when one comes within two seconds,
// with a short crossfade. The bound applies once the whole audio queued before
// has been sent.
//
// Every sample queued has a position: End reports the position after the
// last one, and WaitPlayed waits until the pacer has sent (or Flush has
// dropped) every sample before a position.
//
// Queue, QueueLive, Flush, End, WaitPlayed and Stats are safe for
// concurrent use with Run.
type AudioOut struct {
	enc   codec.AudioEncoder
	write func(packet []byte, d time.Duration) error
	// Run's: the stock silence packet (nil: encode silence too), the
	// encoder's reset, and whether the last frame was silence.
	silence []byte
	reset   resetter
	quiet   bool

	// OnFlush, if set before Run, is called after Flush drops the queue
	// (a telephone bridge clears its far end's buffer too).
	OnFlush func()
	limit   int // samples
	obs     AudioObserver

	mu       sync.Mutex
	moved    *sync.Cond // the queue's head moved, or the output closed
	queued   []int16
	head     uint64 // samples that have left the queue: sent or dropped
	wholeEnd uint64 // position after the last whole audio queued
	rs       *media.Resampler
	rsRate   int
	mono     []int16
	closed   bool
	lastLive time.Time // when live audio was last queued

	// The live bound (Run's goroutine, under mu).
	left      [liveTicks]int // samples left after each of the last packets of live audio, a ring
	nLeft     int            // how many of left are filled
	nextLeft  int
	pending   int       // samples to drop at the next quiet frame
	waitQuiet time.Time // when the pending drop stops waiting for quiet

	stats AudioOutStats
}

// AudioOutStats counts what an AudioOut has done.
type AudioOutStats struct {
	Sent        uint64        // packets written
	Late        uint64        // packets sent late, to catch up with the schedule
	Skipped     uint64        // slots skipped after a stall longer than 200 ms
	Short       uint64        // packets of live audio padded with silence: it came too late
	Waited      time.Duration // the schedule slipped waiting for live audio that ran short
	DroppedLive time.Duration // live audio dropped to bound the latency
	Flushed     time.Duration // audio dropped by Flush
}

// AudioDrop is why queued audio was dropped.
type AudioDrop int

const (
	// AudioDropLatency: live audio that stood in the queue.
	AudioDropLatency AudioDrop = iota
	// AudioDropFlush: audio dropped by Flush (barge-in).
	AudioDropFlush
	NumAudioDrops
)

func (d AudioDrop) String() string {
	switch d {
	case AudioDropLatency:
		return "latency"
	case AudioDropFlush:
		return "flush"
	}
	return "unknown"
}

// AudioObserver is told what the audio output does, for metrics. Its
// methods are called with the output's lock held: they must be cheap,
// must not block, and must be safe for concurrent use.
type AudioObserver interface {
	// AudioQueued reports, at each packet sent, the audio left waiting
	// behind it.
	AudioQueued(d time.Duration)
	// AudioDropped reports audio dropped from the queue.
	AudioDropped(reason AudioDrop, d time.Duration)
}

type nopAudioObserver struct{}

func (nopAudioObserver) AudioQueued(time.Duration)             {}
func (nopAudioObserver) AudioDropped(AudioDrop, time.Duration) {}

// NewAudioOut encodes with enc (mono, 48 kHz, 20 ms frames) and writes each
// packet with write. limit bounds the queue; 0 means 1 s. obs may be nil.
func NewAudioOut(enc codec.AudioEncoder, write func([]byte, time.Duration) error, limit time.Duration, obs AudioObserver) *AudioOut {
	if limit <= 0 {
		limit = time.Second
	}
	if obs == nil {
		obs = nopAudioObserver{}
	}
	o := &AudioOut{enc: enc, write: write, limit: samplesOf(limit), obs: obs}
	o.moved = sync.NewCond(&o.mu)
	o.stockSilence()
	return o
}

// resetter is an encoder that can start afresh (codec/opus's).
type resetter interface{ Reset() error }

// stockSilence makes the packet sent for a frame of digital silence, what
// the output sends whenever nothing is queued, so the encoder (0.2 ms a
// frame for silence with FEC, four times speech's CELT) runs only for
// sound: the encoder's own packet for silence, after a few frames of it,
// with the encoder reset afterwards. An encoder that cannot be reset
// encodes silence as anything else.
func (o *AudioOut) stockSilence() {
	r, ok := o.enc.(resetter)
	if !ok {
		return
	}
	zero := make([]int16, opusFrameLen)
	var p []byte
	for range 5 {
		var err error
		if p, err = o.enc.Encode(p[:0], zero); err != nil {
			return
		}
	}
	if r.Reset() != nil {
		return
	}
	o.silence, o.reset = slices.Clone(p), r
	if o.silence == nil {
		o.silence = []byte{} // discontinuous transmission: nothing to send
	}
}

// encode encodes frame, or gives the stock silence packet for digital
// silence; the encoder is reset before it encodes sound again.
func (o *AudioOut) encode(dst []byte, frame []int16) ([]byte, error) {
	if o.silence != nil && !slices.ContainsFunc(frame, func(v int16) bool { return v != 0 }) {
		o.quiet = true
		return append(dst, o.silence...), nil
	}
	if o.quiet {
		o.quiet = false
		if err := o.reset.Reset(); err != nil {
			return dst, err
		}
	}
	return o.enc.Encode(dst, frame)
}

// ErrOutputClosed is returned once the session has ended.
var ErrOutputClosed = errors.New("pipeline: audio output closed")

// Queue adds whole audio, to be played in full. It blocks while the queue
// is over its limit, until ctx ends or the output closes.
func (o *AudioOut) Queue(ctx context.Context, f media.AudioFrame) error {
	return o.queue(ctx, f, false)
}

// QueueLive adds live audio, whose latency the output bounds. It blocks
// like Queue.
func (o *AudioOut) QueueLive(ctx context.Context, f media.AudioFrame) error {
	return o.queue(ctx, f, true)
}

func (o *AudioOut) queue(ctx context.Context, f media.AudioFrame, live bool) error {
	if f.SampleRate <= 0 || f.Channels <= 0 || len(f.Samples) == 0 {
		return nil
	}
	defer context.AfterFunc(ctx, o.wake)()
	o.mu.Lock()
	defer o.mu.Unlock()
	for !o.closed && len(o.queued) > o.limit {
		if err := ctx.Err(); err != nil {
			return err
		}
		o.moved.Wait()
	}
	if o.closed {
		return ErrOutputClosed
	}
	if err := ctx.Err(); err != nil {
		return err // cancelled while waiting: a Flush may have made the room
	}
	o.mono = media.ToMono(o.mono[:0], f.Samples, f.Channels)
	if o.rs == nil || o.rsRate != f.SampleRate {
		rs, err := media.NewResampler(f.SampleRate, OpusRate, 1, media.QualityMedium)
		if err != nil {
			return err
		}
		if o.rs != nil {
			o.queued = o.rs.Flush(o.queued) // the old rate's last samples
		}
		o.rs, o.rsRate = rs, f.SampleRate
	}
	o.queued = o.rs.Process(o.queued, o.mono)
	if live {
		o.lastLive = time.Now()
	} else {
		o.wholeEnd = o.end()
	}
	return nil
}

// wake wakes every waiter, to look at its context again.
func (o *AudioOut) wake() {
	o.mu.Lock()
	o.moved.Broadcast()
	o.mu.Unlock()
}

// end is the position after the last queued sample. o.mu must be held.
func (o *AudioOut) end() uint64 { return o.head + uint64(len(o.queued)) }

// End reports the position after the last sample queued so far.
func (o *AudioOut) End() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.end()
}

// WaitPlayed waits until every sample before pos has been sent or dropped,
// ctx ends, or the output closes.
func (o *AudioOut) WaitPlayed(ctx context.Context, pos uint64) error {
	defer context.AfterFunc(ctx, o.wake)()
	o.mu.Lock()
	defer o.mu.Unlock()
	for o.head < pos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if o.closed {
			return ErrOutputClosed
		}
		o.moved.Wait()
	}
	return nil
}

// Flush drops the queued audio; the next packets are silence.
func (o *AudioOut) Flush() {
	o.mu.Lock()
	if n := len(o.queued); n > 0 {
		o.drop(n, AudioDropFlush)
	}
	o.pending, o.nLeft = 0, 0
	o.mu.Unlock()
	if o.OnFlush != nil {
		o.OnFlush()
	}
}

// drop removes the first n queued samples. o.mu must be held.
func (o *AudioOut) drop(n int, why AudioDrop) {
	o.queued = o.queued[:copy(o.queued, o.queued[n:])]
	o.head += uint64(n)
	d := durationOf(n)
	if why == AudioDropFlush {
		o.stats.Flushed += d
	} else {
		o.stats.DroppedLive += d
	}
	o.obs.AudioDropped(why, d)
	o.moved.Broadcast()
}

// Queued reports how much audio waits to be sent.
func (o *AudioOut) Queued() time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return durationOf(len(o.queued))
}

// Stats reports what the output has done so far.
func (o *AudioOut) Stats() AudioOutStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.stats
}

// Run sends a packet every 20 ms until ctx ends or writing fails. The
// schedule starts at Run's first packet.
func (o *AudioOut) Run(ctx context.Context) error {
	defer func() {
		o.mu.Lock()
		o.closed = true
		o.moved.Broadcast()
		o.mu.Unlock()
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	frame := make([]int16, opusFrameLen)
	var packet []byte
	var start time.Time
	var waited time.Duration // for this slot's live audio
	var slip time.Duration   // the schedule's, from waits not yet taken back
	for slot := int64(0); ; {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		now := time.Now()
		if start.IsZero() {
			start = now
		}
		due := start.Add(time.Duration(slot) * AudioFrame)
		late := now.Sub(due)
		if late > maxBehind { // a stall: skip the slots it missed
			skip := int64(late / AudioFrame)
			slot += skip
			start = now.Add(-time.Duration(slot) * AudioFrame)
			o.mu.Lock()
			o.stats.Skipped += uint64(skip)
			o.mu.Unlock()
		}
		if waited < AudioFrame && o.liveRunsShort(now) {
			// Live audio is on its way (a stall delays the input and the
			// pacer alike): wait for it rather than send silence into the
			// middle of it. The schedule slips, until live audio runs
			// ahead again (catchUp).
			waited += liveWait
			slip += liveWait
			start = start.Add(liveWait)
			timer.Reset(liveWait)
			continue
		}
		waited = 0
		o.take(frame, now, late > AudioFrame/2)
		var err error
		if packet, err = o.encode(packet[:0], frame); err != nil {
			return err
		}
		if len(packet) > 0 { // else discontinuous transmission
			if err := o.write(packet, AudioFrame); err != nil {
				return err
			}
		}
		slot++
		if slip > 0 && o.liveAhead() {
			// Take the slip back: a schedule that slipped for good would
			// send fewer than 50 packets a second, and the browser,
			// playing 50, would stretch the gaps into a delay that grows
			// with every wait (20-50 ms over two minutes of echo, where
			// the input's jitter made the pacer wait now and then).
			d := min(slip, liveWait)
			slip -= d
			start = start.Add(-d)
		}
		timer.Reset(time.Until(start.Add(time.Duration(slot) * AudioFrame)))
	}
}

// liveAhead reports whether live audio plays and the queue holds more than
// the next packet and the standing slack: the input runs ahead of the
// schedule.
func (o *AudioOut) liveAhead() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.head >= o.wholeEnd && len(o.queued) >= opusFrameLen+samplesOf(liveSlack)
}

// liveRunsShort reports whether live audio was flowing a moment ago but
// the queue now holds less than a packet of it.
func (o *AudioOut) liveRunsShort(now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	short := len(o.queued) < opusFrameLen && o.liveFlowing(now)
	if short {
		o.stats.Waited += liveWait
	}
	return short
}

// liveFlowing reports whether live audio is what plays and some came a
// moment ago. o.mu must be held.
func (o *AudioOut) liveFlowing(now time.Time) bool {
	return o.head >= o.wholeEnd && now.Sub(o.lastLive) < 2*AudioFrame
}

// take moves the next 20 ms of the queue into frame, silence where the
// queue runs short, and bounds the latency of live audio.
func (o *AudioOut) take(frame []int16, now time.Time, late bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending > 0 && (rms(o.queued[:min(len(o.queued), len(frame))]) < quietRMS || now.After(o.waitQuiet)) {
		o.splice(min(o.pending, len(o.queued)))
		o.pending = 0
	}
	n := copy(frame, o.queued)
	clear(frame[n:])
	if n < len(frame) && o.liveFlowing(now) {
		o.stats.Short++
	}
	if n > 0 {
		o.queued = o.queued[:copy(o.queued, o.queued[n:])]
		o.head += uint64(n)
		o.moved.Broadcast()
	}
	o.stats.Sent++
	if late {
		o.stats.Late++
	}
	left := len(o.queued)
	o.obs.AudioQueued(durationOf(left))
	o.bound(left, now)
}

// bound remembers how much live audio each of the last window's packets
// left behind: the fewest, above the slack, stood in the queue the whole
// window and only added latency, so it is scheduled to be dropped.
func (o *AudioOut) bound(left int, now time.Time) {
	if o.head < o.wholeEnd {
		o.nLeft = 0 // whole audio plays; the window starts after it
		return
	}
	o.left[o.nextLeft] = left
	o.nextLeft = (o.nextLeft + 1) % liveTicks
	if o.nLeft < liveTicks {
		o.nLeft++
		return
	}
	floor := slices.Min(o.left[:])
	if excess := floor - samplesOf(liveSlack) - o.pending; excess > 0 {
		if o.pending == 0 {
			o.waitQuiet = now.Add(quietWait) // a drop already waiting keeps its deadline
		}
		o.pending += excess
	}
}

// splice drops the first n queued samples, crossfading the audio before
// the cut into the audio after it.
func (o *AudioOut) splice(n int) {
	if n <= 0 {
		return
	}
	q := o.queued
	if k := min(spliceLen, len(q)-n); k > 0 {
		for i := range k {
			w := (float64(i) + 0.5) / float64(k)
			q[n+i] = int16(math.Round(float64(q[i])*(1-w) + float64(q[n+i])*w))
		}
	}
	o.drop(n, AudioDropLatency)
	for i := range o.left {
		o.left[i] = max(0, o.left[i]-n) // as if the cut audio had never been queued
	}
}

func rms(pcm []int16) float64 {
	if len(pcm) == 0 {
		return 0
	}
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

func samplesOf(d time.Duration) int        { return int(d * OpusRate / time.Second) }
func durationOf(samples int) time.Duration { return time.Duration(samples) * time.Second / OpusRate }
