// Package pipeline is the per-session frame path of rtcstream:
// RTP -> frame assembler -> decoder -> latest-frame slot -> handler
// -> encoder -> packetizer -> RTP. It knows nothing of pion's peer
// connection; internal/peer feeds it packets and gives it a track to write.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcstream/rtcstream/codec"
)

// VideoHandler processes one frame. in is owned by the call: the handler may
// read and write it, and may return it. It must not keep in after it
// returns. A returned image is read only until the next call.
type VideoHandler func(ctx context.Context, in *image.YCbCr, pts time.Duration) (image.Image, error)

// VideoConfig wires a Video pipeline. Handler, NewEncoder, NewDecoder and
// Out are required.
type VideoConfig struct {
	Handler    VideoHandler
	NewEncoder func() (codec.VideoEncoder, error)
	NewDecoder func() (codec.VideoDecoder, error)
	Out        RTPWriter
	// Codec is the format of the frames both ways: what the decoder and
	// encoder make, and how they travel in RTP. The zero value is VP8.
	Codec codec.VideoCodec
	// Wanted reports whether anyone receives Out's packets; while nobody
	// does, frames are handled but not encoded (Sender.SetWanted). nil:
	// someone always does.
	Wanted func() bool

	// RequestKeyFrame asks the sender for a keyframe (a PLI). The
	// pipeline rate-limits its calls to one per KeyFrameInterval.
	RequestKeyFrame func()
	// KeyFrameInterval is the least time between two RequestKeyFrame
	// calls; 0 means 250 ms.
	KeyFrameInterval time.Duration

	// OnHandlerError is told of every handler error or panic (as a
	// *HandlerError). It is called from the handler goroutine and must not
	// block. When it returns true the pipeline stops; otherwise the input
	// frame is sent on unprocessed so the video never freezes.
	OnHandlerError func(err error) (stop bool)

	// MaxFrameSize bounds the frames decoded (see FitsWithin): a keyframe
	// declaring a size over it is dropped without being decoded, with the
	// inter frames after it until a keyframe within the bound, and no
	// keyframe is asked for meanwhile (the browser would send the same
	// size again). Zero: no bound.
	MaxFrameSize image.Point
	// OnFrameTooLarge is told of the first keyframe over MaxFrameSize of
	// each run (a run ends at a keyframe within the bound). It is called
	// from PushRTP's goroutine and must not block. When the video keeps
	// sending them (MaxOversizeKeyFrames in a row, or OversizeWait
	// without a keyframe within the bound), Run returns a
	// *FrameTooLargeError.
	OnFrameTooLarge func(err *FrameTooLargeError)

	// Shed, when set, is told how late each handled frame went out and
	// says what share of the decoded frames to hand to the handler (see
	// FrameShare). Nil: every frame.
	Shed FrameShare

	// Bitrate is the target NewEncoder makes encoders at, which the
	// share scales (Sender.SetFrameShare); 0: unknown, until SetBitrate.
	Bitrate int

	// LossWait is how long a missing packet is waited for; 0 means
	// DefaultLossWait.
	LossWait time.Duration
	// MTU is the largest RTP payload sent; 0 means DefaultMTU.
	MTU int
	// Observer is told stage timings and drops; nil observes nothing.
	Observer Observer
}

// FrameShare sheds frames under overload (package overload's Meter).
type FrameShare interface {
	// Share is the fraction of decoded frames, in (0, 1], to hand to the
	// handler now: the others are decoded (the codec's references need
	// them) but neither handled nor encoded, spread evenly, and counted
	// as DropOverload.
	Share() float64
	// Observe is told, for each frame sent but one the assembler held
	// for a missing packet (it waited for the network), how late it went
	// out: its time in the pipeline, from its first packet read to its
	// last sent, less the handler's own (and less the wait in the slot
	// for the previous frame's handler call), plus how long it waited to
	// be read (readLag). So a slow handler is not lateness; a CPU the
	// frames wait for is, at whichever stage they wait.
	Observe(late time.Duration)
}

// HandlerError is a handler's error or recovered panic.
type HandlerError struct {
	Err   error
	Panic bool
	Stack []byte // set for panics
}

func (e *HandlerError) Error() string {
	if e.Panic {
		return "handler panicked: " + e.Err.Error()
	}
	return "handler failed: " + e.Err.Error()
}

func (e *HandlerError) Unwrap() error { return e.Err }

// Recovered turns a value recovered from a handler's panic into a
// *HandlerError carrying the stack. Call it in the deferred function that
// recovered, so the stack is the panic's.
func Recovered(r any) *HandlerError {
	perr, ok := r.(error)
	if !ok {
		perr = fmt.Errorf("%v", r)
	}
	return &HandlerError{Err: perr, Panic: true, Stack: debug.Stack()}
}

// AsHandlerError wraps err as a *HandlerError unless it already is one.
func AsHandlerError(err error) error {
	var herr *HandlerError
	if err == nil || errors.As(err, &herr) {
		return err
	}
	return &HandlerError{Err: err}
}

// VideoStats counts a pipeline's frames. All fields are cumulative.
type VideoStats struct {
	Assembler      AssemblerStats
	Decoded        uint64 // frames decoded
	DecodeErrors   uint64
	DroppedStale   uint64 // decoded frames replaced in the slot before the handler took them
	Handled        uint64 // handler calls that returned a frame
	HandlerErrors  uint64
	Encoded        uint64
	EncodeErrors   uint64
	KeyFramesAsked uint64 // PLIs sent
	TooLarge       uint64 // frames dropped undecoded for MaxFrameSize
	Shed           uint64 // frames decoded but not handled, for VideoConfig.Shed
	Unwatched      uint64 // frames handled but not encoded: nobody received them (VideoConfig.Wanted)
}

// Video is one session's video frame path. PushRTP is called from the
// track's read goroutine; Run runs the handler goroutine. All other methods
// are safe for concurrent use.
type Video struct {
	cfg  VideoConfig
	dec  codec.VideoDecoder
	asm  *Assembler
	slot *latest
	out  *Sender
	obs  Observer

	// Owned by PushRTP's caller, under inMu.
	inMu    sync.Mutex
	firstTS uint32
	haveTS  bool
	lastPLI time.Time
	starts  frameStarts
	lastAsm AssemblerStats
	guard   sizeGuard
	credit  float64 // VideoConfig.Shed's: a frame is handled when it reaches 1
	readLag readLag

	// Owned by Run's goroutine.
	lastHandler time.Duration // the previous handler call's

	// stopped is closed when the video must end (stopErr says why)
	// though the handler did not fail: it keeps sending frames over
	// MaxFrameSize.
	stopped  chan struct{}
	stopOnce sync.Once
	stopErr  error

	closed  atomic.Bool
	decoded atomic.Uint64
	decErrs atomic.Uint64
	handled atomic.Uint64
	hErrs   atomic.Uint64
	encErrs atomic.Uint64
	plis    atomic.Uint64
	big     atomic.Uint64
	shed    atomic.Uint64
}

// NewVideo builds a pipeline and its decoder. The encoder is made on the
// first frame, sized from the handler's output.
func NewVideo(cfg VideoConfig) (*Video, error) {
	if cfg.Handler == nil || cfg.NewEncoder == nil || cfg.NewDecoder == nil || cfg.Out == nil {
		return nil, errors.New("pipeline: VideoConfig needs Handler, NewEncoder, NewDecoder and Out")
	}
	if err := cfg.Codec.Check(); err != nil {
		return nil, err
	}
	if cfg.KeyFrameInterval <= 0 {
		cfg.KeyFrameInterval = 250 * time.Millisecond
	}
	dec, err := cfg.NewDecoder()
	if err != nil {
		return nil, err
	}
	obs := cfg.Observer
	if obs == nil {
		obs = nopObserver{}
	}
	v := &Video{
		cfg:     cfg,
		dec:     dec,
		asm:     NewAssemblerFor(cfg.Codec, cfg.LossWait),
		slot:    newLatest(obs),
		out:     NewSender(cfg.Codec, cfg.NewEncoder, cfg.Out, cfg.MTU),
		obs:     obs,
		guard:   sizeGuard{max: cfg.MaxFrameSize, codec: cfg.Codec},
		stopped: make(chan struct{}),
		credit:  1, // the first frame is handled, whatever the share
	}
	v.out.SetObserver(obs)
	v.out.SetWanted(cfg.Wanted)
	if cfg.Bitrate > 0 {
		v.out.SetStartBitrate(cfg.Bitrate)
	}
	if cfg.MaxFrameSize.X > 0 && cfg.MaxFrameSize.Y > 0 {
		// The handler's input frame is sent on when it fails: the encoder
		// takes whatever the decoder may make.
		v.out.SetMaxSize(cover(DefaultMaxEncodeSize, cfg.MaxFrameSize))
	}
	return v, nil
}

// SetRTT adapts the wait for a missing packet to the path's round-trip
// time (LossWaitFor): on a long path a retransmission takes longer to come
// back, and giving up before it does costs a keyframe.
func (v *Video) SetRTT(rtt time.Duration) {
	v.inMu.Lock()
	defer v.inMu.Unlock()
	v.asm.SetLossWait(LossWaitFor(rtt))
}

// PushRTP feeds one received RTP packet. Complete frames are decoded at
// once (VP8 needs every frame for its references) and the newest waits for
// the handler. payload may be reused after the call.
func (v *Video) PushRTP(seq uint16, ts uint32, marker bool, payload []byte, now time.Time) {
	v.inMu.Lock()
	defer v.inMu.Unlock()
	if v.closed.Load() || v.stopErr != nil {
		return
	}
	v.obs.Bytes(true, len(payload))
	v.starts.seen(ts, now)
	v.asm.Push(seq, ts, marker, payload)
	for {
		f, ok := v.asm.Pop(now)
		if !ok {
			break
		}
		start := v.starts.start(f.Timestamp, now)
		v.obs.Stage(StageAssemble, now.Sub(start))
		lag := v.readLag.next(start, f.Timestamp)
		if v.admit(f, now) {
			v.decode(f, start, lag, now)
		}
	}
	if st := v.asm.Stats(); st != v.lastAsm {
		for range st.Lost - v.lastAsm.Lost {
			v.obs.Drop(DropLost)
		}
		for range st.WaitingForKey - v.lastAsm.WaitingForKey {
			v.obs.Drop(DropWaitingForKey)
		}
		v.lastAsm = st
	}
	if v.asm.KeyFrameNeeded() && !v.guard.refusing {
		v.askKeyFrame(now)
	}
}

// admit reports whether f may be decoded; it counts the frames it keeps
// from the decoder, tells of an oversize video and stops one that stays
// so (sizeGuard).
func (v *Video) admit(f Frame, now time.Time) bool {
	switch v.guard.check(f, now) {
	case admit:
		return true
	case malformed: // libvpx would refuse it too
		v.decErrs.Add(1)
		v.obs.Drop(DropDecodeError)
		return false
	case firstTooBig:
		if v.cfg.OnFrameTooLarge != nil {
			v.cfg.OnFrameTooLarge(v.guard.err())
		}
	case giveUp:
		v.stop(v.guard.err())
	}
	v.big.Add(1)
	v.obs.Drop(DropTooLarge)
	return false
}

// stop makes Run return err; later packets are ignored. Called under inMu.
func (v *Video) stop(err error) {
	v.stopOnce.Do(func() {
		v.stopErr = err
		close(v.stopped)
	})
}

func (v *Video) askKeyFrame(now time.Time) {
	if v.cfg.RequestKeyFrame == nil || now.Sub(v.lastPLI) < v.cfg.KeyFrameInterval {
		return
	}
	v.lastPLI = now
	v.plis.Add(1)
	v.cfg.RequestKeyFrame()
}

func (v *Video) decode(f Frame, start time.Time, lag time.Duration, now time.Time) {
	buf := v.slot.get()
	img, err := v.dec.Decode(buf.img, f.Data)
	done := time.Now()
	v.obs.Stage(StageDecode, done.Sub(now))
	if err != nil || img == nil {
		if err != nil {
			v.decErrs.Add(1)
			v.obs.Drop(DropDecodeError)
		}
		v.slot.release(buf)
		return
	}
	if !v.haveTS {
		v.firstTS, v.haveTS = f.Timestamp, true
	}
	buf.img = img
	buf.rtp = f.Timestamp
	buf.pts = time.Duration(f.Timestamp-v.firstTS) * time.Second / 90000
	buf.at = done
	buf.start = start
	buf.held = f.Held
	buf.lag = lag
	v.decoded.Add(1)
	if !v.shares() {
		v.shed.Add(1)
		v.obs.Drop(DropOverload)
		v.slot.release(buf)
		return
	}
	v.slot.put(buf)
}

// shares reports whether this frame is among the share of frames handled
// (VideoConfig.Shed): each frame adds the share to a credit, and a frame
// that brings it to 1 is handled and spends 1 of it. So a share of 1/2
// handles every other frame, and every session with the same share keeps
// the same fraction of its frames. Called under inMu.
func (v *Video) shares() bool {
	if v.cfg.Shed == nil {
		return true
	}
	v.credit += v.cfg.Shed.Share()
	if v.credit < 1-1e-9 {
		return false
	}
	v.credit = max(0, v.credit-1) // < 1 again: credit never piles up
	return true
}

// ForceKeyFrame makes the next sent frame a keyframe (the browser sent a
// PLI or FIR).
func (v *Video) ForceKeyFrame() { v.out.ForceKeyFrame() }

// SetBitrate changes the encoder's target bitrate in place.
func (v *Video) SetBitrate(bps int) error { return v.out.SetBitrate(bps) }

// Warm makes the encoder ahead of the first frame; see Sender.Warm.
func (v *Video) Warm() { v.out.Warm() }

// Run calls the handler on the newest frame, encodes and sends what it
// returns, until ctx ends, the handler error policy stops it, sending
// fails, or the video keeps sending frames over MaxFrameSize. It returns
// nil when ctx ended, else the reason it stopped: a *HandlerError, a
// *FrameTooLargeError, or the sending error.
func (v *Video) Run(ctx context.Context) error {
	for {
		f := v.slot.take(ctx, v.stopped)
		if f == nil {
			select {
			case <-v.stopped:
				return v.stopErr // written before stopped was closed
			default:
				return nil
			}
		}
		err := v.process(ctx, f)
		v.slot.release(f)
		if err != nil {
			return err
		}
	}
}

func (v *Video) process(ctx context.Context, f *pooledFrame) error {
	began := time.Now()
	slotWait := began.Sub(f.at)
	v.obs.Stage(StageWait, slotWait)
	out, herr := v.call(ctx, f)
	handler := time.Since(began)
	v.obs.Stage(StageHandler, handler)
	prevHandler := v.lastHandler
	v.lastHandler = handler
	if herr != nil {
		v.hErrs.Add(1)
		if v.cfg.OnHandlerError != nil && v.cfg.OnHandlerError(herr) {
			return herr
		}
		out = f.img // keep the video moving
	} else {
		v.handled.Add(1)
	}
	if out == nil {
		return nil // the handler chose to send nothing for this frame
	}
	if v.cfg.Shed != nil {
		v.out.SetFrameShare(v.cfg.Shed.Share())
	}
	if err := v.out.Send(out, f.pts, f.rtp); err != nil {
		v.encErrs.Add(1)
		return err
	}
	total := time.Since(f.start)
	v.obs.Stage(StageTotal, total)
	if v.cfg.Shed != nil && !f.held { // a held frame waited for the network
		v.cfg.Shed.Observe(f.lag + total - handler - min(slotWait, prevHandler))
	}
	return nil
}

// call runs the handler, turning a panic into a *HandlerError.
func (v *Video) call(ctx context.Context, f *pooledFrame) (out image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, Recovered(r)
		}
	}()
	out, err = v.cfg.Handler(ctx, f.img, f.pts)
	if err == nil && out != nil {
		err = v.out.checkSize(out) // refused before the encoder grows for it
	}
	if err != nil {
		return nil, &HandlerError{Err: err}
	}
	return out, nil
}

// Stats returns the counters so far.
func (v *Video) Stats() VideoStats {
	v.inMu.Lock()
	asm := v.asm.Stats()
	v.inMu.Unlock()
	return VideoStats{
		Assembler:      asm,
		Decoded:        v.decoded.Load(),
		DecodeErrors:   v.decErrs.Load(),
		DroppedStale:   v.slot.droppedCount(),
		Handled:        v.handled.Load(),
		HandlerErrors:  v.hErrs.Load(),
		Encoded:        v.out.Encoded(),
		EncodeErrors:   v.encErrs.Load(),
		KeyFramesAsked: v.plis.Load(),
		TooLarge:       v.big.Load(),
		Shed:           v.shed.Load(),
		Unwatched:      v.out.Unwatched(),
	}
}

// Close frees the codecs. Call it after Run has returned; it is idempotent.
func (v *Video) Close() error {
	if v.closed.Swap(true) {
		return nil
	}
	v.inMu.Lock()
	err := v.dec.Close()
	v.inMu.Unlock()
	return errors.Join(err, v.out.Close())
}
