package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rtcstream/rtcstream/bench"
	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/impair"
	"github.com/rtcstream/rtcstream/livekit"
)

const benchUsage = `usage: rtcstream bench [flags] URL
       rtcstream bench -livekit [-agent NAME] [flags] LIVEKIT_URL

Opens concurrent send-receive video streams against the stream server at URL
(an rtcstream or fastrtc-style server: offers go to URL/webrtc/offer) and
reports, per stream and overall, the frames returned, latency percentiles,
time to first frame and connection failures by cause. Frames are encoded
once and replayed; a few probe streams stamp a counter into the pixels and
read it back, which measures latency whatever the server does with RTP
timestamps. With -search, the number of streams rises until the quality bar
(-min-returned, -p95) fails, and the largest number that passed is reported.

With -livekit, URL is a LiveKit server's (ws://host:7880): each stream joins
a room of its own as a participant, with the agent -agent dispatched to it,
and rtcstream workers (package livekit) process its camera. The key pair
comes from -api-key and -api-secret, or LIVEKIT_API_KEY and
LIVEKIT_API_SECRET. The SFU rewrites RTP timestamps: latency comes from the
probe streams only (-probes).

flags:
`

// benchArgs is a parsed bench command line.
type benchArgs struct {
	url        string
	opts       bench.Options
	search     bool
	searchOpts bench.SearchOptions
	json       bool
	impair     impair.Config // applied to the media when not zero
	livekit    bool          // URL is a LiveKit server's
	lk         livekit.BenchOptions
}

// bitrateFlag parses "1000000", "800k" or "2.5M" as bits per second.
type bitrateFlag struct{ bps *int }

func (b bitrateFlag) String() string {
	if b.bps == nil {
		return ""
	}
	return strconv.Itoa(*b.bps)
}

func (b bitrateFlag) Set(s string) error {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult, s = 1e3, s[:len(s)-1]
	case strings.HasSuffix(s, "M"), strings.HasSuffix(s, "m"):
		mult, s = 1e6, s[:len(s)-1]
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		return errors.New("want bits per second, such as 1000000, 800k or 2.5M")
	}
	*b.bps = int(v * mult)
	return nil
}

// optionalInt is an int flag whose default is described, not a number:
// it reads -1 until set.
type optionalInt struct{ n *int }

func (o optionalInt) String() string {
	if o.n == nil || *o.n < 0 {
		return ""
	}
	return strconv.Itoa(*o.n)
}

func (o optionalInt) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return errors.New("want a whole number, 0 or more")
	}
	*o.n = v
	return nil
}

// parseBench parses the bench command's arguments. Flags may come before
// or after the URL.
func parseBench(args []string, stderr io.Writer) (*benchArgs, error) {
	a := &benchArgs{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	o := &a.opts
	fs.IntVar(&o.Streams, "streams", bench.DefaultStreams, "concurrent streams")
	fs.DurationVar(&o.Duration, "duration", bench.DefaultDuration, "how long the streams run together (each step's, with -search)")
	fs.IntVar(&o.Width, "width", bench.DefaultWidth, "sent video width")
	fs.IntVar(&o.Height, "height", bench.DefaultHeight, "sent video height")
	fs.IntVar(&o.FPS, "fps", bench.DefaultFPS, "sent frame rate")
	o.Bitrate = bench.DefaultBitrate
	fs.Var(bitrateFlag{&o.Bitrate}, "bitrate", "sent video bitrate in bit/s: 1000000, 800k, 2.5M")
	fs.Func("codec", "the video codec sent and received: vp8 or h264 (default vp8)", func(v string) error {
		o.VideoCodec = codec.VideoCodec(strings.ToUpper(v))
		return o.VideoCodec.Check()
	})
	fs.DurationVar(&o.RampUp, "ramp-up", 0, "spread the streams' starts over this time")
	probes := optionalInt{n: new(int)}
	*probes.n = -1
	fs.Var(probes, "probes", "probe streams, which read a counter from the pixels; 0 for none (default min(streams, 2))")
	fs.DurationVar(&o.ConnectTimeout, "connect-timeout", bench.DefaultConnectTimeout, "bound on each stream's connection set-up")
	fs.IntVar(&o.ServerPID, "pid", 0, "the server's process id on this machine: report its CPU and memory per stream (Linux)")
	fs.BoolVar(&a.json, "json", false, "write the report as JSON on stdout")
	fs.BoolVar(&a.search, "search", false, "raise the streams until the quality bar fails; report the largest number that passed")
	b := &a.searchOpts.Bar
	fs.DurationVar(&b.MaxP95, "p95", bench.DefaultMaxP95, "quality bar: p95 latency under this")
	fs.Float64Var(&b.MinReturned, "min-returned", bench.DefaultMinReturned, "quality bar: the share of its frames every stream gets back")
	fs.IntVar(&a.searchOpts.MaxStreams, "max-streams", bench.DefaultMaxStreams, "with -search, the most streams tried")
	fs.Float64Var(&a.impair.Loss, "loss", 0, "drop this share (0 to 1) of the media's datagrams, each way, in a relay on this machine")
	fs.DurationVar(&a.impair.Delay, "delay", 0, "delay the media's datagrams this long, each way (the round trip gains twice it)")
	fs.DurationVar(&a.impair.Jitter, "jitter", 0, "delay each datagram a further random time up to this (reorders them)")

	fs.BoolVar(&a.livekit, "livekit", false, "URL is a LiveKit server's: streams join rooms that rtcstream workers serve")
	fs.StringVar(&a.lk.AgentName, "agent", "", "with -livekit, the agent name dispatched to each stream's room")
	fs.StringVar(&a.lk.APIKey, "api-key", os.Getenv("LIVEKIT_API_KEY"), "with -livekit, the server's API key (default $LIVEKIT_API_KEY)")
	fs.StringVar(&a.lk.APISecret, "api-secret", "", "with -livekit, the server's API secret (default $LIVEKIT_API_SECRET)")

	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		a.url = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return nil, err
		}
		if fs.NArg() > 0 {
			return nil, fmt.Errorf("bench takes one URL; got %q and %q", a.url, fs.Arg(0))
		}
	}
	if a.url == "" {
		fs.Usage()
		return nil, errors.New("bench: no server URL given")
	}
	u, err := url.Parse(a.url)
	switch {
	case a.livekit:
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss" && u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("bench: %q is not a LiveKit server's URL (ws://host:7880)", a.url)
		}
		if a.lk.APISecret == "" {
			a.lk.APISecret = os.Getenv("LIVEKIT_API_SECRET")
		}
		if a.lk.APIKey == "" || a.lk.APISecret == "" {
			return nil, errors.New("bench: -livekit needs the server's key pair: -api-key and -api-secret, or LIVEKIT_API_KEY and LIVEKIT_API_SECRET")
		}
		if c := a.impair; c.Loss > 0 || c.Delay > 0 || c.Jitter > 0 {
			return nil, errors.New("bench: -loss, -delay and -jitter do not apply with -livekit")
		}
		a.lk.URL = a.url
		a.opts.Dial = livekit.BenchDialer(a.lk)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fmt.Errorf("bench: %q is not an http(s) URL", a.url)
	}
	switch {
	case probes.n == nil || *probes.n < 0:
		o.Probes = 0 // the default
	case *probes.n == 0:
		o.Probes = -1 // none
	default:
		o.Probes = *probes.n
	}
	if a.impair.Loss < 0 || a.impair.Loss > 1 || a.impair.Delay < 0 || a.impair.Jitter < 0 {
		return nil, fmt.Errorf("bench: -loss is a share from 0 to 1; -delay and -jitter are not negative")
	}
	if o.Streams < 1 {
		return nil, fmt.Errorf("bench: -streams %d: want at least 1", o.Streams)
	}
	if o.Duration <= 0 {
		return nil, fmt.Errorf("bench: -duration %s: want a positive duration", o.Duration)
	}
	if b.MinReturned <= 0 || b.MinReturned > 1 {
		return nil, fmt.Errorf("bench: -min-returned %g: want a share in (0, 1]", b.MinReturned)
	}
	if b.MaxP95 <= 0 {
		return nil, fmt.Errorf("bench: -p95 %s: want a positive duration", b.MaxP95)
	}
	if a.search {
		a.searchOpts.Start = 1
		if a.searchOpts.MaxStreams < 1 {
			return nil, fmt.Errorf("bench: -max-streams %d: want at least 1", a.searchOpts.MaxStreams)
		}
	}
	return a, nil
}

// benchCmd runs `rtcstream bench`.
func benchCmd(args []string, stdout, stderr io.Writer) error {
	a, err := parseBench(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage was printed
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c := a.impair; c.Loss > 0 || c.Delay > 0 || c.Jitter > 0 {
		proxyURL, done, err := startImpairment(a.url, a.impair)
		if err != nil {
			return err
		}
		defer done(stdout)
		a.url = proxyURL
	}

	line := newProgressLine(stderr)
	if a.search {
		a.opts.Progress = func(p bench.Progress) { line.show(fmt.Sprintf("[%d streams] %s", p.Streams, p)) }
		a.searchOpts.OnStep = func(s bench.SearchStep) {
			line.done()
			fmt.Fprintln(stderr, s)
		}
		sr, err := bench.Search(ctx, a.url, &a.opts, &a.searchOpts)
		line.done()
		if sr != nil {
			if werr := writeResult(stdout, a.json, sr, sr.WriteText); werr != nil {
				return werr
			}
		}
		return err
	}
	a.opts.Progress = func(p bench.Progress) { line.show(p.String()) }
	r, err := bench.Run(ctx, a.url, &a.opts)
	line.done()
	if r != nil {
		if werr := writeResult(stdout, a.json, r, r.WriteText); werr != nil {
			return werr
		}
		if !a.json {
			verdict := "passes"
			if berr := a.searchOpts.Bar.Check(r); berr != nil {
				verdict = "fails: " + strings.ReplaceAll(berr.Error(), "\n", "; ")
			}
			fmt.Fprintf(stdout, "\nbar (every stream >= %.0f%% of frames back, p95 < %s): %s\n",
				100*a.searchOpts.Bar.MinReturned, a.searchOpts.Bar.MaxP95, verdict)
		}
	}
	return err
}

// startImpairment serves the server at target through an impairment
// proxy on loopback (internal/impair): the streams' media crosses a relay
// that drops and delays it. done prints the relay's counts and stops it.
func startImpairment(target string, cfg impair.Config) (string, func(io.Writer), error) {
	p, err := impair.NewProxy(target, cfg)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	done := func(w io.Writer) {
		_ = srv.Close()
		st := p.Stats()
		_ = p.Close()
		fmt.Fprintf(w, "impairment (loss %.1f%%, delay %s, jitter %s each way): %d datagrams relayed, %d dropped\n",
			100*cfg.Loss, cfg.Delay, cfg.Jitter, st.Forwarded, st.Dropped)
	}
	return "http://" + ln.Addr().String(), done, nil
}

func writeResult(w io.Writer, asJSON bool, v any, text func(io.Writer) error) error {
	if !asJSON {
		return text(w)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// progressLine shows a progress line on a writer: rewritten in place with
// a carriage return on a terminal, one line each time otherwise.
type progressLine struct {
	w        io.Writer
	terminal bool
	shown    bool
}

func newProgressLine(w io.Writer) *progressLine {
	return &progressLine{w: w, terminal: isTerminal(w)}
}

func (p *progressLine) show(s string) {
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s\x1b[K", s)
		p.shown = true
		return
	}
	fmt.Fprintln(p.w, s)
}

// done ends a line left open on a terminal.
func (p *progressLine) done() {
	if p.shown {
		fmt.Fprintln(p.w)
		p.shown = false
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
