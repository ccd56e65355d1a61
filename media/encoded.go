package media

import "time"

// EncodedFrame is media already encoded: a VP8 frame or an Opus packet,
// as a file holds it. A receive-mode stream given a source of them sends
// them as they are (package source's File is one).
type EncodedFrame struct {
	// Data is the frame or packet; the receiver may keep it, and must
	// not modify it.
	Data []byte
	// Timestamp is its presentation time from the source's start; it
	// keeps increasing across a looped file's restarts.
	Timestamp time.Duration
	// Duration is how long it plays: an Opus packet's audio; for video,
	// the time to the next frame, where known.
	Duration time.Duration
	// KeyFrame marks a VP8 keyframe (every Opus packet is one).
	KeyFrame bool
}
