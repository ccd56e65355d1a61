package rtcstream

import (
	"errors"
	"time"

	"github.com/rtcstream/rtcstream/internal/server"
)

// Record records sessions' media to WebM files (VP8 video, Opus audio),
// or Matroska files when a session's video is H.264 (which WebM does not
// hold), from the packets as they travel: nothing is decoded or encoded
// for it.
// A video file starts at its first keyframe; a lost packet leaves a gap in
// time, not a shift, and frames a loss made undecodable are left out until
// the next keyframe.
//
//	opts.Record = &rtcstream.Record{Input: true, Output: true,
//		Path: func(id, what string) string { return filepath.Join("recordings", id+"-"+what+".webm") }}
type Record struct {
	// Path names the file of a session's input (what = RecordInput: what
	// the browser or publisher sent) or output (RecordOutput: what the
	// server sent back); "" records none of it. It is called as the
	// session starts; id is its webrtc_id, chosen by the client, so keep
	// it to a file name of your own making (ids are [A-Za-z0-9_-]). A
	// file that cannot be created is logged and the session goes on
	// without it. A file with H.264 video is Matroska: a path ending in
	// .webm gets .mkv instead. Required.
	Path func(id, what string) string
	// Input and Output choose what is recorded; at least one.
	Input, Output bool
	// MaxBytes and MaxDuration cap each file: the recording ends there
	// (the file stays valid) and the session goes on. Defaults 1 GiB and
	// 1 hour.
	MaxBytes    int64
	MaxDuration time.Duration
}

// What a recording holds, as Record.Path is told.
const (
	RecordInput  = server.RecordInput
	RecordOutput = server.RecordOutput
)

// engine checks r and returns the engine's form of it.
func (r *Record) engine() (*server.RecordConfig, error) {
	if r == nil {
		return nil, nil
	}
	switch {
	case r.Path == nil:
		return nil, errors.New("rtcstream: Options.Record needs a Path")
	case !r.Input && !r.Output:
		return nil, errors.New("rtcstream: Options.Record records neither Input nor Output")
	}
	return &server.RecordConfig{Path: r.Path, Input: r.Input, Output: r.Output, MaxBytes: r.MaxBytes, MaxDuration: r.MaxDuration}, nil
}
