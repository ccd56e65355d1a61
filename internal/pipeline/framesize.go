package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/h264"
)

// A VP8 keyframe declares its size in its first ten bytes (RFC 6386,
// section 9.1), so a frame can be weighed before a decoder allocates for
// it:
//
//	bytes 0-2  frame tag: bit 0 is 0 for a keyframe; then version,
//	           show_frame and the first partition's size
//	bytes 3-5  start code 0x9d 0x01 0x2a
//	bytes 6-7  little endian: width (14 bits), horizontal scale (2 bits)
//	bytes 8-9  little endian: height (14 bits), vertical scale (2 bits)
//
// The scale bits only ask the application to upscale when it displays the
// picture; the decoder makes width x height pixels.

// vp8KeyFrameHeader is the length of a keyframe's tag, start code and size.
const vp8KeyFrameHeader = 10

var (
	errKeyFrameShort = errors.New("vp8: keyframe header truncated")
	errKeyFrameStart = errors.New("vp8: keyframe without its start code")
	errKeyFrameEmpty = errors.New("vp8: keyframe declares a zero size")
)

// VP8KeyFrameSize returns the size a keyframe (the VP8 bitstream, not the
// RTP payload) declares. It fails for an inter frame, a truncated header,
// a missing start code and a zero side, all of which libvpx refuses too.
func VP8KeyFrameSize(frame []byte) (image.Point, error) {
	if len(frame) < vp8KeyFrameHeader || !isVP8KeyFrame(frame) {
		return image.Point{}, errKeyFrameShort
	}
	if frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return image.Point{}, errKeyFrameStart
	}
	w := int(binary.LittleEndian.Uint16(frame[6:]) & 0x3fff)
	h := int(binary.LittleEndian.Uint16(frame[8:]) & 0x3fff)
	if w == 0 || h == 0 {
		return image.Point{}, errKeyFrameEmpty
	}
	return image.Pt(w, h), nil
}

// FitsWithin reports whether a frame of size stays within bound: no more
// pixels than bound.X*bound.Y and no side longer than the longer of
// bound.X and bound.Y, so either orientation of the bound fits (a
// 1080x1920 portrait frame fits 1920x1080). A bound with a zero or
// negative side bounds nothing.
func FitsWithin(size, bound image.Point) bool {
	if bound.X <= 0 || bound.Y <= 0 {
		return true
	}
	return int64(size.X)*int64(size.Y) <= int64(bound.X)*int64(bound.Y) &&
		max(size.X, size.Y) <= max(bound.X, bound.Y)
}

// FrameTooLargeError says that the video's keyframes declare a size over
// the pipeline's bound (VideoConfig.MaxFrameSize). Its text is meant for
// the page.
type FrameTooLargeError struct {
	Size image.Point // what the keyframe declared
	Max  image.Point // the bound
}

func (e *FrameTooLargeError) Error() string {
	return fmt.Sprintf("the camera sends %dx%d frames; this server takes at most %dx%d",
		e.Size.X, e.Size.Y, e.Max.X, e.Max.Y)
}

// How long a video may keep sending frames over its bound before the
// pipeline stops: this many oversize keyframes in a row, or this long
// after the first without a keyframe within the bound. A browser that can
// lower its resolution (a camera switch, its own adaptation) does so well
// within that; one that does not never will.
const (
	MaxOversizeKeyFrames = 3
	OversizeWait         = 5 * time.Second
)

// sizeGuard keeps frames over the bound away from the decoder: an
// oversize keyframe, and every inter frame after it until a keyframe
// within the bound, since they reference it. It is used under Video.inMu.
type sizeGuard struct {
	max      image.Point      // zero: no bound
	codec    codec.VideoCodec // whose keyframes it reads
	refusing bool             // since an oversize keyframe, until one within bounds
	run      int              // oversize keyframes since the last one within bounds
	since    time.Time        // when the run's first arrived
	last     image.Point      // the last oversize keyframe's size
}

// verdict is what the guard decides for one frame.
type verdict int

const (
	admit       verdict = iota // decode it
	malformed                  // a keyframe whose header cannot be read
	dropTooBig                 // over the bound, or referencing a frame that was
	firstTooBig                // the first oversize keyframe of a run: tell the page
	giveUp                     // the video keeps sending oversize frames: stop
)

// check decides what becomes of f, arrived at now.
func (g *sizeGuard) check(f Frame, now time.Time) verdict {
	if g.max == (image.Point{}) {
		return admit // no bound: the decoder judges every frame
	}
	if !f.KeyFrame && g.codec == codec.H264 && hasNAL(f.Data, nalSPS) {
		// Parameter sets outside an IDR (they may change the size for the
		// frames after) are weighed as a keyframe's are.
		size, err := h264.SPSSize(f.Data)
		if err != nil {
			return malformed
		}
		if !FitsWithin(size, g.max) {
			return g.oversize(size, now)
		}
	}
	if !f.KeyFrame {
		switch {
		case !g.refusing:
			return admit
		case now.Sub(g.since) >= OversizeWait:
			return giveUp
		}
		return dropTooBig
	}
	size, err := KeyFrameSize(g.codec, f.Data)
	if err != nil {
		return malformed
	}
	if FitsWithin(size, g.max) {
		g.refusing, g.run = false, 0
		return admit
	}
	return g.oversize(size, now)
}

// oversize counts a keyframe (or parameter set) declaring size, over the
// bound, into the run of them.
func (g *sizeGuard) oversize(size image.Point, now time.Time) verdict {
	g.last = size
	g.run++
	first := !g.refusing
	if first {
		g.refusing, g.since = true, now
	}
	switch {
	case g.run >= MaxOversizeKeyFrames || now.Sub(g.since) >= OversizeWait:
		return giveUp
	case first:
		return firstTooBig
	}
	return dropTooBig
}

// err describes the last oversize keyframe.
func (g *sizeGuard) err() *FrameTooLargeError {
	return &FrameTooLargeError{Size: g.last, Max: g.max}
}
