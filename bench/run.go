// Package bench measures the capacity and latency of a stream server: it
// opens concurrent send-receive video sessions against any server speaking
// fastrtc-compatible signalling (POST {url}/webrtc/offer), rtcstream's or
// fastrtc's alike, and reports the frames that came back and how late.
//
// The client side is cheap so that it measures the server, not itself: a
// short moving sequence is encoded once at start-up and every stream replays
// it with fresh RTP timestamps and sequence numbers, and counts and times the
// returned frames from their RTP packets without decoding them. A few probe
// streams encode live with a frame counter stamped into the pixels, decode
// what comes back and read the counter, which gives the true latency even
// from a server that does not carry RTP timestamps through.
//
// Run does one measurement; Search raises the number of streams until a
// quality Bar fails. The command `rtcstream bench` wraps both.
package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Run opens opts.Streams sessions against the server at base (the URL its
// page is served at; offers go to base + "/webrtc/offer"), streams for the
// configured time and reports. It returns once every stream has hung up:
// after about RampUp + Duration + Drain, or sooner when ctx ends (the
// report then has Interrupted set). Streams that fail to connect are in
// the report, not an error; Run fails only on bad options or when the
// sequence cannot be encoded.
func Run(ctx context.Context, base string, opts *Options) (*Report, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if base == "" {
		return nil, errors.New("bench: no server URL")
	}
	pat := newPattern(o.Width, o.Height)
	var seq [][]byte
	if o.Streams > o.Probes {
		if seq, err = encodeSequence(&o, pat); err != nil {
			return nil, err
		}
	}
	server, self := &procWindow{pid: o.ServerPID}, &procWindow{pid: os.Getpid()}
	if server.sample(&server.before); server.err != nil {
		return nil, fmt.Errorf("bench: the server process: %w", server.err)
	}
	self.sample(&self.before)

	start := time.Now()
	endAt := start.Add(o.RampUp + o.Duration)
	tot := &totals{}
	streams, allDialed, allDone := startStreams(ctx, base, &o, seq, pat, tot, start, endAt)
	stopProgress := make(chan struct{})
	var progress sync.WaitGroup
	if o.Progress != nil {
		progress.Go(func() { reportProgress(&o, streams, tot, start, endAt, stopProgress) })
	}

	// The usage window: from every stream connected to the last frame.
	select {
	case <-allDialed:
	case <-ctx.Done():
	}
	server.sample(&server.from)
	self.sample(&self.from)
	end := time.NewTimer(time.Until(endAt))
	select { // the end, or sooner if every stream failed or ended
	case <-end.C:
	case <-allDone:
	case <-ctx.Done():
	}
	end.Stop()
	server.sample(&server.to)
	self.sample(&self.to)
	<-allDone
	close(stopProgress)
	progress.Wait()

	setup := Setup{
		URL: base, Streams: o.Streams, Probes: o.Probes, Width: o.Width, Height: o.Height,
		FPS: o.FPS, Bitrate: o.Bitrate, VideoCodec: string(o.VideoCodec), Duration: o.Duration, RampUp: o.RampUp, Started: start,
	}
	r := buildReport(setup, streams, time.Since(start))
	r.Interrupted = ctx.Err() != nil
	if server.pid != 0 && server.err == nil && !server.from.at.IsZero() {
		r.Server = usage(server.pid, r.Connected, server.before, server.from, server.to)
	}
	if self.err == nil && !self.from.at.IsZero() && !self.to.at.IsZero() {
		r.Client = usage(self.pid, r.Connected, self.before, self.from, self.to)
	}
	if server.err != nil {
		return r, fmt.Errorf("bench: reading the server's usage: %w", server.err)
	}
	return r, nil
}

// procWindow samples a process's CPU and memory at the start, once every
// stream is connected, and at the end. pid 0 samples nothing; after an
// error it samples no more.
type procWindow struct {
	pid              int
	before, from, to procSample
	err              error
}

func (w *procWindow) sample(dst *procSample) {
	if w.pid != 0 && w.err == nil {
		*dst, w.err = readProc(w.pid)
	}
}

// startStreams starts the streams, spread over the ramp-up; allDialed is
// closed when every stream has connected or failed to, allDone when every
// one has ended.
func startStreams(ctx context.Context, base string, o *Options, seq [][]byte, pat *pattern, tot *totals, start, endAt time.Time) (streams []*stream, allDialed, allDone chan struct{}) {
	streams = make([]*stream, o.Streams)
	var dialing, running sync.WaitGroup
	dialing.Add(o.Streams)
	for i := range streams {
		s := newStream(i, i < o.Probes, o, seq, pat, tot)
		streams[i] = s
		startAt := start
		if o.Streams > 1 {
			startAt = start.Add(o.RampUp * time.Duration(i) / time.Duration(o.Streams))
		}
		running.Go(func() { s.run(ctx, base, startAt, endAt, dialing.Done) })
	}
	allDialed, allDone = make(chan struct{}), make(chan struct{})
	go func() { dialing.Wait(); close(allDialed) }()
	go func() { running.Wait(); close(allDone) }()
	return streams, allDialed, allDone
}

// reportProgress calls o.Progress once a second until stop is closed.
func reportProgress(o *Options, streams []*stream, tot *totals, start, endAt time.Time, stop <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, lastReturned := start, uint64(0)
	var window []time.Duration
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			window = window[:0]
			for _, s := range streams {
				window = s.newLatencies(window)
			}
			returned := tot.returned.Load()
			p := Progress{
				Elapsed:   now.Sub(start),
				Total:     endAt.Sub(start),
				Streams:   len(streams),
				Connected: int(tot.connected.Load()),
				Failed:    int(tot.failed.Load()),
				Sent:      tot.sent.Load(),
				Returned:  returned,
				FPS:       float64(returned-lastReturned) / now.Sub(last).Seconds(),
				P95:       summarize(window).P95,
			}
			last, lastReturned = now, returned
			o.Progress(p)
		}
	}
}
