package pipeline

import (
	"errors"
	"fmt"
	"image"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/media"
)

// Sender encodes frames and sends them as RTP: the outbound half of the
// frame path, shared by send-receive sessions and receive-mode generators.
// The encoder is made on the first frame. Send must be called from one
// goroutine; ForceKeyFrame, SetBitrate and Close are safe from any.
type Sender struct {
	newEnc  func() (codec.VideoEncoder, error)
	pack    FramePacketizer
	mu      sync.Mutex // guards enc
	enc     codec.VideoEncoder
	closed  bool
	buf     []byte
	conv    *image.YCbCr
	encoded atomic.Uint64
	obs     Observer
	max     image.Point // the largest image encoded (FitsWithin)

	wanted    func() bool   // SetWanted; nil: always
	idle      bool          // the last frame went unencoded, nobody receiving (Send's goroutine)
	unwatched atomic.Uint64 // frames not encoded for that

	// Under mu: the target set (SetBitrate, or the starting one), the
	// share of frames sent (SetFrameShare), and the share the encoder's
	// target was last scaled by.
	base   int
	share  float64
	scaled float64
}

// DefaultMaxEncodeSize bounds the images a Sender encodes unless
// SetMaxSize says otherwise: a handler returning a larger one gets an
// *ImageTooLargeError, before the encoder is rebuilt at that size (libvpx
// allocates its frame buffers for the whole picture).
var DefaultMaxEncodeSize = image.Pt(4096, 4096)

// ImageTooLargeError is a handler's image refused for its size; its text
// is meant for the page.
type ImageTooLargeError struct {
	Size image.Point // the image's
	Max  image.Point // the bound
}

func (e *ImageTooLargeError) Error() string {
	return fmt.Sprintf("the handler returned a %dx%d image; the encoder takes at most %dx%d",
		e.Size.X, e.Size.Y, e.Max.X, e.Max.Y)
}

// cover returns a bound that both a and b fit within (FitsWithin).
func cover(a, b image.Point) image.Point {
	long := func(p image.Point) image.Point { return image.Pt(max(p.X, p.Y), min(p.X, p.Y)) }
	a, b = long(a), long(b)
	return image.Pt(max(a.X, b.X), max(a.Y, b.Y))
}

// SetObserver sets who is told the encode and send timings; call it
// before the first Send. nil keeps the current one.
func (s *Sender) SetObserver(obs Observer) {
	if obs != nil {
		s.obs = obs
	}
}

// NewSender returns a Sender that makes its encoder (of vc's frames) with
// newEnc and writes packets to out (mtu <= 0 means DefaultMTU).
func NewSender(vc codec.VideoCodec, newEnc func() (codec.VideoEncoder, error), out RTPWriter, mtu int) *Sender {
	return &Sender{newEnc: newEnc, pack: NewPacketizerFor(vc, out, mtu), obs: nopObserver{}, max: DefaultMaxEncodeSize,
		share: 1, scaled: 1}
}

// SetStartBitrate tells the Sender the target newEnc makes its encoders
// at, which SetFrameShare scales until SetBitrate sets another.
func (s *Sender) SetStartBitrate(bps int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base == 0 {
		s.base = bps
	}
}

// SetFrameShare tells the Sender it is sent only this share (in (0, 1])
// of the frames it would be: the encoder's target is scaled by it, so
// that each frame keeps the size it had and takes no longer to cross the
// path. It needs a known target (SetStartBitrate or SetBitrate); a share
// within 5% of the one applied changes nothing.
func (s *Sender) SetFrameShare(share float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.share = min(1, max(share, 0.01))
	if math.Abs(s.share-s.scaled) >= 0.05*s.scaled || (s.share == 1 && s.scaled != 1) {
		s.applyBitrate()
	}
}

// applyBitrate gives the encoder the target times the share. s.mu must be
// held.
func (s *Sender) applyBitrate() error {
	if s.enc == nil || s.base == 0 {
		return nil
	}
	s.scaled = s.share
	return s.enc.SetBitrate(max(int(float64(s.base)*s.share), minScaledBitrate))
}

// minScaledBitrate is the least target SetFrameShare scales to.
const minScaledBitrate = 30_000

// SetWanted gives the Sender a test of whether anyone receives its
// packets; call it before the first Send. While nobody does, Send encodes
// nothing (Unwatched counts those frames); the first frame encoded after
// is a keyframe, so a receiver that comes starts at one. nil (the
// default): someone always does.
func (s *Sender) SetWanted(wanted func() bool) { s.wanted = wanted }

// Unwatched is how many frames Send did not encode because nobody received
// them (SetWanted).
func (s *Sender) Unwatched() uint64 { return s.unwatched.Load() }

// SetMaxSize bounds the images Send encodes (FitsWithin); call it before
// the first Send. The default is DefaultMaxEncodeSize.
func (s *Sender) SetMaxSize(max image.Point) { s.max = max }

// checkSize refuses an image over the bound with an *ImageTooLargeError.
func (s *Sender) checkSize(img image.Image) error {
	if size := img.Bounds().Size(); !FitsWithin(size, s.max) {
		return &ImageTooLargeError{Size: size, Max: s.max}
	}
	return nil
}

// Send encodes img, stamped pts for the encoder's rate control and rtpTS on
// the wire, and writes its packets. img may be any image; a 4:2:0
// *image.YCbCr is encoded without conversion. img is read only during the
// call. An image over the size bound (SetMaxSize) is refused with a
// *HandlerError wrapping an *ImageTooLargeError: it came from a handler,
// and the stream may go on with the next. Nothing is encoded while nobody
// receives the packets (SetWanted).
func (s *Sender) Send(img image.Image, pts time.Duration, rtpTS uint32) error {
	if err := s.checkSize(img); err != nil {
		return &HandlerError{Err: err}
	}
	if s.wanted != nil && !s.wanted() {
		s.idle = true
		s.unwatched.Add(1)
		return nil
	}
	if s.idle {
		s.idle = false
		s.ForceKeyFrame()
	}
	yc := media.ToI420(s.conv, img)
	if yc != img {
		s.conv = yc // keep the conversion buffer, never the caller's image
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("pipeline: sender closed")
	}
	if s.enc == nil {
		enc, err := s.newEnc()
		if err != nil {
			s.mu.Unlock()
			return fmt.Errorf("pipeline: new encoder: %w", err)
		}
		s.enc = enc
		if s.share != 1 {
			s.applyBitrate()
		}
	}
	enc := s.enc
	s.mu.Unlock()
	var err error
	began := time.Now()
	s.buf, _, err = enc.Encode(s.buf[:0], yc, pts)
	encoded := time.Now()
	s.obs.Stage(StageEncode, encoded.Sub(began))
	if err != nil {
		return fmt.Errorf("pipeline: encode: %w", err)
	}
	if len(s.buf) == 0 {
		s.obs.Drop(DropEncoder)
		return nil // the encoder dropped the frame (rate control)
	}
	s.encoded.Add(1)
	err = s.pack.WriteFrame(s.buf, rtpTS)
	s.obs.Stage(StageSend, time.Since(encoded))
	s.obs.Bytes(false, len(s.buf))
	return err
}

// Warm makes the encoder now, off the first frame's path (libvpx's set-up
// and first keyframe at 640x480 take 17-21 ms against 2-3 ms for later
// frames). Safe to call from any goroutine, at most once usefully; an
// error is left for Send to meet.
func (s *Sender) Warm() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enc != nil || s.closed {
		return
	}
	if enc, err := s.newEnc(); err == nil {
		s.enc = enc
		if s.share != 1 {
			s.applyBitrate()
		}
	}
}

// ForceKeyFrame makes the next frame a keyframe. Before the first frame it
// does nothing: an encoder's first frame is a keyframe.
func (s *Sender) ForceKeyFrame() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.enc != nil {
		s.enc.RequestKeyFrame()
	}
}

// SetBitrate changes the encoder's target bitrate in place (times the
// frame share, SetFrameShare).
func (s *Sender) SetBitrate(bps int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base = bps
	if s.enc == nil {
		return nil
	}
	if s.share == 1 {
		return s.enc.SetBitrate(bps)
	}
	return s.applyBitrate()
}

// Encoded counts the frames sent.
func (s *Sender) Encoded() uint64 { return s.encoded.Load() }

// Close frees the encoder; call it after the last Send. It is idempotent.
func (s *Sender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.enc == nil {
		return nil
	}
	err := s.enc.Close()
	s.enc = nil
	return err
}
