package server

import (
	"strings"
	"time"

	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/record"
)

// RecordConfig records sessions' media to WebM files, Matroska for H.264
// video (package record).
type RecordConfig struct {
	// Path names a session's file for what ("input" or "output"); ""
	// records none of it.
	Path          func(sessionID, what string) string
	Input, Output bool
	MaxBytes      int64
	MaxDuration   time.Duration
}

// What a recording holds, as RecordConfig.Path is told.
const (
	RecordInput  = "input"
	RecordOutput = "output"
)

// startRecording opens the session's recordings, as its run starts. A
// file that cannot be made is logged, and the session goes on without it.
func (ss *Session) startRecording() {
	rc := ss.s.cfg.Record
	if rc == nil {
		return
	}
	c := &ss.s.cfg
	vc := ss.media.VideoCodec()
	open := func(what string, video, audio bool) *record.Recorder {
		if !video && !audio {
			return nil
		}
		path := rc.Path(ss.id, what)
		if path == "" {
			return nil
		}
		if video && vc == codec.H264 && strings.HasSuffix(path, ".webm") {
			// WebM holds VP8, not H.264: the file is Matroska, and
			// named so.
			path = strings.TrimSuffix(path, ".webm") + ".mkv"
		}
		r, err := record.New(record.Options{Path: path, Video: video, Audio: audio, VideoCodec: vc,
			MaxBytes: rc.MaxBytes, MaxDuration: rc.MaxDuration, Logger: ss.log})
		if err != nil {
			ss.log.Error("recording not started; the session goes on", "what", what, "err", err)
			return nil
		}
		return r
	}
	if rc.Input {
		if r := open(RecordInput, c.TakesVideo(), c.TakesAudio()); r != nil {
			ss.recIn.Store(r)
		}
	}
	if rc.Output {
		if r := open(RecordOutput, c.GivesVideo(), c.GivesAudio()); r != nil {
			ss.recOut.Store(r)
		}
	}
}

// stopRecording closes the recordings, once the media path has stopped,
// and returns their figures for the session's end log.
func (ss *Session) stopRecording() []any {
	var attrs []any
	for _, x := range []struct {
		what string
		r    *record.Recorder
	}{{RecordInput, ss.recIn.Swap(nil)}, {RecordOutput, ss.recOut.Swap(nil)}} {
		if x.r == nil {
			continue
		}
		st := x.r.Close()
		attrs = append(attrs, "recorded_"+x.what, st.Duration.Round(time.Millisecond),
			"recorded_"+x.what+"_bytes", st.Bytes)
	}
	return attrs
}

// recordInput wraps the answer's receive callbacks so that the client's
// packets are recorded too.
func (ss *Session) recordInput(o *peer.AnswerOptions) {
	if rc := ss.s.cfg.Record; rc == nil || !rc.Input {
		return
	}
	if next := o.OnVideoRTP; next != nil {
		o.OnVideoRTP = func(p *rtp.Packet, at time.Time) {
			if r := ss.recIn.Load(); r != nil {
				r.VideoRTP(p, at)
			}
			next(p, at)
		}
	}
	if next := o.OnAudioRTP; next != nil {
		o.OnAudioRTP = func(p *rtp.Packet, at time.Time) {
			if r := ss.recIn.Load(); r != nil {
				r.AudioRTP(p, at)
			}
			next(p, at)
		}
	}
}
