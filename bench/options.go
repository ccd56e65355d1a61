package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/codec"
)

// Options configure Run. The zero value runs one 640x480 stream at 30 fps
// for 10 s; every field's comment gives its default.
type Options struct {
	// Streams is how many send-receive sessions run at once. Default 1.
	Streams int
	// Duration is how long the streams run together once the ramp-up is
	// over: a stream sends from the moment it is connected until
	// RampUp+Duration after the run started. Default 10 s.
	Duration time.Duration
	// RampUp spreads the streams' starts evenly over this time; 0 starts
	// them all at once. Default 0.
	RampUp time.Duration
	// Width and Height are the sent video's size. Default 640x480.
	Width, Height int
	// FPS is the sent frame rate. Default 30.
	FPS int
	// Bitrate is the sent video's target in bits per second. Default
	// 1 Mbps.
	Bitrate int
	// VideoCodec is what the streams send and receive: VP8 or H264
	// (the server must take it). Default VP8.
	VideoCodec codec.VideoCodec
	// Probes is how many of the streams are probes: they encode live with
	// a frame counter stamped in the pixels, decode what comes back and
	// read the counter, which measures latency whatever the server does
	// with RTP timestamps. The other streams replay frames encoded once at
	// start-up and do not decode. Default min(Streams, 2); negative means
	// none.
	Probes int
	// Loop is the length of the replayed sequence, which starts with a
	// keyframe. Default 2 s.
	Loop time.Duration
	// ConnectTimeout bounds each stream's connection set-up. Default 10 s.
	ConnectTimeout time.Duration
	// Drain is how long, after the last frame is sent, frames still on
	// their way are waited for. Default 1 s.
	Drain time.Duration

	// Client is the template for every stream's client.Options (HTTP
	// client, ICE servers, ...); Run sets SkipDecode, OnFrame, Bitrate
	// and OnKeyFrameRequest itself. Default: loopback candidates only when
	// the URL's host is a loopback address or "localhost", else every
	// interface.
	Client *client.Options

	// Dial, when set, opens stream i's connection instead of client.Dial
	// at the URL (rtcstream's signalling): package livekit's BenchDialer
	// joins LiveKit rooms that rtcstream workers serve. o is the stream's
	// client.Options, with what Run sets.
	Dial func(ctx context.Context, i int, o *client.Options) (Conn, error)

	// ServerPID, when not 0, is a process on this machine (the server)
	// whose CPU time and resident memory are read from /proc before and
	// after the run, for Report.Server. Linux only.
	ServerPID int

	// Progress, when set, is called about once a second while the run
	// goes on, from one goroutine. It must not block for long.
	Progress func(Progress)
}

// Defaults.
const (
	DefaultStreams        = 1
	DefaultDuration       = 10 * time.Second
	DefaultWidth          = 640
	DefaultHeight         = 480
	DefaultFPS            = 30
	DefaultBitrate        = 1_000_000
	DefaultProbes         = 2
	DefaultLoop           = 2 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultDrain          = time.Second
)

// withDefaults returns o with its zero fields set, or an error for a field
// out of range.
func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Streams, DefaultStreams)
	defDur(&c.Duration, DefaultDuration)
	def(&c.Width, DefaultWidth)
	def(&c.Height, DefaultHeight)
	def(&c.FPS, DefaultFPS)
	def(&c.Bitrate, DefaultBitrate)
	c.VideoCodec = c.VideoCodec.OrVP8()
	defDur(&c.Loop, DefaultLoop)
	defDur(&c.ConnectTimeout, DefaultConnectTimeout)
	defDur(&c.Drain, DefaultDrain)
	switch {
	case c.Probes == 0:
		c.Probes = min(c.Streams, DefaultProbes)
	case c.Probes < 0:
		c.Probes = 0
	}
	switch {
	case c.Streams < 1:
		return c, fmt.Errorf("bench: Streams %d: want at least 1", c.Streams)
	case c.Duration < 0 || c.RampUp < 0 || c.Loop < 0 || c.ConnectTimeout < 0 || c.Drain < 0:
		return c, errors.New("bench: negative duration")
	case c.Width < 16 || c.Height < 16 || c.Width > 4096 || c.Height > 4096 || c.Width%2 != 0 || c.Height%2 != 0:
		return c, fmt.Errorf("bench: size %dx%d: want even sizes from 16x16 to 4096x4096", c.Width, c.Height)
	case c.FPS < 1 || c.FPS > 240:
		return c, fmt.Errorf("bench: FPS %d out of range [1, 240]", c.FPS)
	case c.VideoCodec.Check() != nil:
		return c, fmt.Errorf("bench: %w", c.VideoCodec.Check())
	case c.Bitrate < 10_000 || c.Bitrate > 100_000_000:
		return c, fmt.Errorf("bench: Bitrate %d out of range [10k, 100M]", c.Bitrate)
	case c.Probes > c.Streams:
		return c, fmt.Errorf("bench: %d probes for %d streams", c.Probes, c.Streams)
	}
	if c.Probes > 0 && !stampFits(c.Width, c.Height) {
		return c, fmt.Errorf("bench: the probes' frame counter does not fit in %dx%d; use at least %dx%d or no probes",
			c.Width, c.Height, minStampWidth, minStampHeight)
	}
	return c, nil
}

// Conn is a stream's connection as Run uses it; *client.Conn is one.
type Conn interface {
	// WriteEncoded sends one VP8 frame whose presentation time is pts.
	WriteEncoded(frame []byte, pts time.Duration) error
	// ReadFrame returns the next decoded frame that came back (unless
	// the options said SkipDecode).
	ReadFrame(ctx context.Context) (client.Frame, error)
	// ReadMessage returns the next control message from the server.
	ReadMessage(ctx context.Context) (client.Message, error)
	// Stats returns the connection's counters.
	Stats() client.Stats
	// DroppedFrames counts decoded frames nobody read in time.
	DroppedFrames() uint64
	// Done is closed when the connection has failed or ended.
	Done() <-chan struct{}
	Close() error
}

// dial opens stream i's connection.
func (c *Options) dial(ctx context.Context, i int, base string, o *client.Options) (Conn, error) {
	if c.Dial != nil {
		return c.Dial(ctx, i, o)
	}
	conn, err := client.Dial(ctx, base, o)
	if err != nil {
		return nil, err // not a non-nil Conn holding a nil pointer
	}
	return conn, nil
}

// clientOptions is the per-stream template.
func (c *Options) clientOptions(base string) client.Options {
	if c.Client != nil {
		return *c.Client
	}
	return client.Options{Loopback: isLoopback(base)}
}

// isLoopback reports whether the URL's host is on this machine's
// loopback interface.
func isLoopback(base string) bool {
	u, err := url.Parse(base)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
