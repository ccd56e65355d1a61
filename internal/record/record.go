// Package record writes a session's media to a WebM file (VP8 and Opus),
// or a Matroska file when its video is H.264, from its packets, without
// decoding or encoding: the video's RTP packets are reassembled into
// frames (pipeline.Assembler, which drops what a loss made undecodable
// until the next keyframe), the audio's Opus packets are written as they
// are.
//
// Timestamps come from each track's own clock (the RTP timestamps of
// received media, the pacer's running count of sent audio), anchored at
// the wall-clock time the track's first packet came, so a lost packet
// leaves a gap rather than shifting what follows, and audio and video
// stay together.
package record

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/at-wat/ebml-go/mkvcore"
	"github.com/at-wat/ebml-go/webm"
	"github.com/pion/rtp"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// Defaults for Options' zero caps.
const (
	DefaultMaxBytes    = 1 << 30
	DefaultMaxDuration = time.Hour
)

// cuesSpace is the room kept at the file's start for its index: a cue per
// cluster, a cluster per keyframe or few seconds; an hour's fits, and a
// longer one's is thinned to fit.
const cuesSpace = 32 << 10

// Options configure New.
type Options struct {
	// Path is the file to write (created, or truncated).
	Path string
	// Video and Audio are the tracks the file has; at least one.
	Video, Audio bool
	// VideoCodec is the video's codec: VP8 (the zero value) makes a
	// WebM file; H264 a Matroska one (WebM holds VP8, VP9 and AV1
	// only), whatever Path's extension.
	VideoCodec codec.VideoCodec
	// MaxBytes and MaxDuration end the recording (the file is closed
	// and valid; later media is not written) when it has written that
	// much or that long. Defaults DefaultMaxBytes and
	// DefaultMaxDuration.
	MaxBytes    int64
	MaxDuration time.Duration
	// Logger logs the recording's start, its end and why; default
	// slog.Default().
	Logger *slog.Logger
}

// Stats is what a recording wrote.
type Stats struct {
	VideoFrames, AudioPackets int
	Bytes                     int64
	Duration                  time.Duration
	// Capped reports that MaxBytes or MaxDuration ended it.
	Capped bool
}

// Recorder writes one WebM or Matroska file. Its methods are safe for concurrent use;
// each track's packets must come from one goroutine, in order.
type Recorder struct {
	opts Options

	mu       sync.Mutex
	file     *countingFile
	video    webm.BlockWriteCloser
	audio    webm.BlockWriteCloser
	start    time.Time // the file's time zero: its first media
	asm      *pipeline.Assembler
	avc      []byte // an H.264 frame as written (appendAVC)
	vclock   clock
	aclock   clock
	pending  []pendingAudio // audio that came before the first keyframe
	stats    Stats
	done     bool // closed, capped or failed: nothing more is written
	warnedAt bool
}

type pendingAudio struct {
	data []byte
	at   time.Time
	d    time.Duration
}

// clock maps a track's timestamps to the file's milliseconds: its first
// timestamp at its first packet's arrival.
type clock struct {
	started bool
	first   int64 // unwrapped timestamp of the first packet
	last    int64
	offset  time.Duration // the first packet's time in the file
	rate    int64
}

// unwrap extends a 32-bit RTP timestamp from the last one seen.
func (c *clock) unwrap(ts uint32) int64 {
	d := int64(int32(ts - uint32(c.last)))
	c.last += d
	return c.last
}

// at returns the file time of timestamp ts (a track's units).
func (c *clock) at(ts int64) time.Duration {
	return c.offset + time.Duration((ts-c.first)*int64(time.Second)/c.rate)
}

// New returns a recorder of opts.Path. The file is created at once (so a
// path that cannot be written fails here), and written from the first
// media on: a video file starts at its first keyframe.
func New(opts Options) (*Recorder, error) {
	if !opts.Video && !opts.Audio {
		return nil, errors.New("record: no track to record")
	}
	if err := opts.VideoCodec.Check(); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxDuration <= 0 {
		opts.MaxDuration = DefaultMaxDuration
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	f, err := os.Create(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	opts.VideoCodec = opts.VideoCodec.OrVP8()
	r := &Recorder{opts: opts, file: &countingFile{f: f}, asm: pipeline.NewAssemblerFor(opts.VideoCodec, 0)}
	r.vclock.rate, r.aclock.rate = 90000, 48000
	return r, nil
}

// matroska is the EBML header of a file with H.264 video: webm's but for
// its DocType.
var matroska = func() *webm.EBMLHeader {
	h := *webm.DefaultEBMLHeader
	h.DocType = "matroska"
	return &h
}()

// open writes the file's header: the tracks, the video at size with its
// codec's private data (H.264's parameter sets).
func (r *Recorder) open(size image.Point, private []byte) error {
	var tracks []webm.TrackEntry
	header := webm.DefaultEBMLHeader
	if r.opts.Video {
		id := "V_VP8"
		if r.opts.VideoCodec == codec.H264 {
			id, header = "V_MPEG4/ISO/AVC", matroska
		}
		tracks = append(tracks, webm.TrackEntry{Name: "Video", TrackNumber: 1, TrackUID: 1, CodecID: id, CodecPrivate: private, TrackType: 1,
			Video: &webm.Video{PixelWidth: uint64(size.X), PixelHeight: uint64(size.Y)}})
	}
	if r.opts.Audio {
		tracks = append(tracks, webm.TrackEntry{Name: "Audio", TrackNumber: uint64(len(tracks) + 1), TrackUID: 2, CodecID: "A_OPUS", TrackType: 2,
			Audio: &webm.Audio{SamplingFrequency: 48000, Channels: 2}})
	}
	ws, err := webm.NewSimpleBlockWriter(r.file, tracks,
		mkvcore.WithEBMLHeader(header),
		// Blocks go out as they come: the default sorter held the last
		// ones back and lost them at Close.
		mkvcore.WithBlockInterceptor(nil),
		// A duration in the header and an index, written at Close.
		mkvcore.WithSeekHead(true), mkvcore.WithCues(cuesSpace))
	if err != nil {
		return err
	}
	if r.opts.Video {
		r.video, ws = ws[0], ws[1:]
	}
	if r.opts.Audio {
		r.audio = ws[0]
	}
	return nil
}

// started reports whether the file has its header, opening it for an
// audio-only file at now.
func (r *Recorder) started(now time.Time) bool {
	if r.video != nil || r.audio != nil {
		return true
	}
	if r.opts.Video {
		return false // at the first keyframe
	}
	if err := r.open(image.Point{}, nil); err != nil {
		r.fail(err)
		return false
	}
	r.start = now
	return true
}

// VideoRTP records a packet of video (Options.VideoCodec) that arrived at
// at.
func (r *Recorder) VideoRTP(p *rtp.Packet, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || !r.opts.Video {
		return
	}
	r.asm.Push(p.SequenceNumber, p.Timestamp, p.Marker, p.Payload)
	for {
		f, ok := r.asm.Pop(at)
		if !ok {
			return
		}
		r.videoFrame(f, at)
		if r.done {
			return
		}
	}
}

func (r *Recorder) videoFrame(f pipeline.Frame, at time.Time) {
	if r.video == nil {
		if !f.KeyFrame {
			return
		}
		size, err := pipeline.KeyFrameSize(r.opts.VideoCodec, f.Data)
		if err != nil {
			return
		}
		var private []byte
		if r.opts.VideoCodec == codec.H264 {
			if private, err = avcConfig(f.Data); err != nil {
				return // the next keyframe may have them
			}
		}
		if err := r.open(size, private); err != nil {
			r.fail(err)
			return
		}
		r.start = at
		r.opts.Logger.Info("recording", "path", r.opts.Path, "size", fmt.Sprintf("%dx%d", size.X, size.Y))
		r.flushPending()
	}
	c := &r.vclock
	ts := c.unwrap(f.Timestamp)
	if !c.started {
		c.started, c.first, c.offset = true, ts, at.Sub(r.start)
		c.last = ts
	}
	data := f.Data
	if r.opts.VideoCodec == codec.H264 {
		r.avc = appendAVC(r.avc[:0], data)
		data = r.avc
	}
	r.write(r.video, f.KeyFrame, c.at(ts), data)
	if !r.done {
		r.stats.VideoFrames++
	}
}

// AudioRTP records a packet of Opus audio that arrived at at.
func (r *Recorder) AudioRTP(p *rtp.Packet, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || !r.opts.Audio || len(p.Payload) == 0 {
		return
	}
	if !r.started(at) {
		r.hold(p.Payload, at, 0)
		return
	}
	c := &r.aclock
	if !c.started {
		c.started, c.first, c.last, c.offset = true, int64(p.Timestamp), int64(p.Timestamp), max(at.Sub(r.start), 0)
	}
	r.writeAudio(c.at(c.unwrap(p.Timestamp)), p.Payload)
}

// AudioPacket records an Opus packet holding d of audio that the server
// sends at at: its time is the sum of the durations before it.
func (r *Recorder) AudioPacket(packet []byte, d time.Duration, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done || !r.opts.Audio || len(packet) == 0 {
		return
	}
	if !r.started(at) {
		r.hold(packet, at, d)
		return
	}
	c := &r.aclock
	if !c.started {
		c.started, c.offset = true, max(at.Sub(r.start), 0)
	}
	r.writeAudio(c.at(c.last), packet)
	c.last += int64(d) * c.rate / int64(time.Second)
}

// hold keeps audio that came before the file started (its first
// keyframe), up to a second of it.
func (r *Recorder) hold(packet []byte, at time.Time, d time.Duration) {
	if len(r.pending) < 50 {
		r.pending = append(r.pending, pendingAudio{data: append([]byte(nil), packet...), at: at, d: d})
	}
}

// flushPending writes the held audio that is not older than the file's
// start.
func (r *Recorder) flushPending() {
	pending := r.pending
	r.pending = nil
	for _, p := range pending {
		if p.at.Before(r.start) {
			continue
		}
		c := &r.aclock
		if !c.started {
			c.started, c.offset = true, p.at.Sub(r.start)
		}
		r.writeAudio(c.at(c.last), p.data)
		c.last += int64(p.d) * c.rate / int64(time.Second)
	}
}

func (r *Recorder) writeAudio(t time.Duration, packet []byte) {
	r.write(r.audio, true, t, packet)
	if !r.done {
		r.stats.AudioPackets++
	}
}

// write writes one block at file time t, within the caps.
func (r *Recorder) write(w webm.BlockWriteCloser, key bool, t time.Duration, data []byte) {
	if t < 0 {
		t = 0
	}
	if t > r.opts.MaxDuration || r.file.n.Load()+int64(len(data)) > r.opts.MaxBytes {
		r.stats.Capped = true
		r.opts.Logger.Warn("recording stopped at its cap; the session goes on", "path", r.opts.Path,
			"bytes", r.file.n.Load(), "max_bytes", r.opts.MaxBytes, "max_duration", r.opts.MaxDuration)
		r.finish()
		return
	}
	// The muxer takes the block on a channel and writes it from its own
	// goroutine, after Write returns: it gets a copy (data is the
	// assembler's, or a packet buffer pion reuses).
	if _, err := w.Write(key, t.Milliseconds(), bytes.Clone(data)); err != nil {
		r.fail(err)
		return
	}
	r.stats.Duration = max(r.stats.Duration, t)
}

func (r *Recorder) fail(err error) {
	r.opts.Logger.Error("recording failed; the session goes on", "path", r.opts.Path, "err", err)
	r.finish()
}

// finish closes the file. r.mu is held.
func (r *Recorder) finish() {
	if r.done {
		return
	}
	r.done = true
	var err error
	if r.video == nil && r.audio == nil {
		err = r.file.Close()
	} else {
		// The muxer finishes the file (its last cluster, the index, the
		// duration) and closes it once every track's writer is closed;
		// the last Close waits for that.
		for _, w := range []webm.BlockWriteCloser{r.audio, r.video} {
			if w != nil {
				if e := w.Close(); e != nil {
					err = e
				}
			}
		}
	}
	r.stats.Bytes = r.file.n.Load()
	if err != nil && !errors.Is(err, os.ErrClosed) {
		r.opts.Logger.Error("recording: closing the file", "path", r.opts.Path, "err", err)
	}
}

// Close ends the recording and returns what it wrote. A file that never
// got its first keyframe is left empty.
func (r *Recorder) Close() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finish()
	return r.stats
}

// countingFile counts what is written through it. The muxer writes from
// its own goroutine; the count is read from the recorder's.
type countingFile struct {
	f      *os.File
	n      atomic.Int64
	closed bool
}

func (c *countingFile) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingFile) Seek(offset int64, whence int) (int64, error) {
	return c.f.Seek(offset, whence)
}

func (c *countingFile) WriteAt(p []byte, off int64) (int, error) { return c.f.WriteAt(p, off) }

func (c *countingFile) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.f.Close()
}

var _ interface {
	io.WriteCloser
	io.WriterAt
} = (*countingFile)(nil)
