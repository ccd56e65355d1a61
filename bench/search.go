package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Bar is a quality bar a run passes or fails.
type Bar struct {
	// MinReturned is the least share of its sent frames every stream must
	// get back. Default 0.95.
	MinReturned float64
	// MaxP95 is the bound on the 95th percentile of frame latency (by RTP
	// timestamps when the server carries them, else by the probes'
	// counters). Default 50 ms.
	MaxP95 time.Duration
}

// Bar defaults.
const (
	DefaultMinReturned = 0.95
	DefaultMaxP95      = 50 * time.Millisecond
)

func (b Bar) withDefaults() Bar {
	if b.MinReturned == 0 {
		b.MinReturned = DefaultMinReturned
	}
	if b.MaxP95 == 0 {
		b.MaxP95 = DefaultMaxP95
	}
	return b
}

// Check reports nil when r passes the bar (zero fields taking their
// defaults), else an error saying every way it fell short. Every stream
// must have connected and got back at least MinReturned of its frames, and
// the latency's 95th percentile must be under MaxP95.
func (b Bar) Check(r *Report) error {
	b = b.withDefaults()
	var errs []error
	if failed := r.Setup.Streams - r.Connected; failed > 0 {
		errs = append(errs, fmt.Errorf("%d of %d streams failed to connect", failed, r.Setup.Streams))
	}
	if r.Connected > 0 && r.WorstReturnedRatio < b.MinReturned {
		errs = append(errs, fmt.Errorf("a stream got back %.1f%% of its frames (bar %.1f%%)",
			100*r.WorstReturnedRatio, 100*b.MinReturned))
	}
	lat, source := r.frameLatency()
	switch {
	case r.Connected == 0:
	case lat.N == 0:
		errs = append(errs, errors.New("no latency measured (no timestamps carried and no probe frames read)"))
	case lat.P95 >= b.MaxP95:
		errs = append(errs, fmt.Errorf("p95 latency %s by %s (bar %s)", fmtMS(lat.P95), source, fmtMS(b.MaxP95)))
	}
	return errors.Join(errs...)
}

// SearchOptions configure Search; the zero value is ready to use.
type SearchOptions struct {
	// Bar is the quality bar each step must pass.
	Bar Bar
	// Start is the first number of streams tried. Default 1.
	Start int
	// MaxStreams bounds the search. Default 64.
	MaxStreams int
	// Pause is the time between steps, for the server to end the
	// previous step's sessions. Default 2 s.
	Pause time.Duration
	// OnStep, when set, is told each step's outcome as soon as it is known.
	OnStep func(SearchStep)
}

// Search defaults.
const (
	DefaultMaxStreams  = 64
	DefaultSearchPause = 2 * time.Second
)

// SearchStep is one run of a search.
type SearchStep struct {
	Streams int     `json:"streams"`
	Passed  bool    `json:"passed"`
	Reason  string  `json:"reason,omitempty"` // why it failed
	Report  *Report `json:"report"`
}

// SearchReport is a search's outcome.
type SearchReport struct {
	Bar        Bar `json:"-"`
	MaxStreams int `json:"max_streams"`
	// Best is the largest number of streams that passed the bar; 0 when
	// none did. BestReport is its run.
	Best       int          `json:"best"`
	BestReport *Report      `json:"-"`
	Steps      []SearchStep `json:"steps"`
}

// MarshalJSON writes the bar's latency in milliseconds.
func (s SearchReport) MarshalJSON() ([]byte, error) {
	type plain SearchReport
	type bar struct {
		MinReturned float64 `json:"min_returned"`
		MaxP95      millis  `json:"max_p95_ms"`
	}
	return json.Marshal(struct {
		plain
		Bar bar `json:"bar"`
	}{plain(s), bar{s.Bar.MinReturned, millis(s.Bar.MaxP95)}})
}

// Search finds the largest number of concurrent streams, up to MaxStreams,
// for which a run passes the bar: it doubles the streams from Start while
// runs pass, then bisects between the last pass and the first failure.
// Each step is a Run with opts (its Streams replaced, and Probes too if
// opts left it to the default), so a search takes at most about
// 2*log2(MaxStreams) runs. A server's capacity is not a sharp line, and
// on a noisy machine a repeated search may land a step or two apart.
func Search(ctx context.Context, base string, opts *Options, sopts *SearchOptions) (*SearchReport, error) {
	var so SearchOptions
	if sopts != nil {
		so = *sopts
	}
	so.Bar = so.Bar.withDefaults()
	if so.Start <= 0 {
		so.Start = 1
	}
	if so.MaxStreams <= 0 {
		so.MaxStreams = DefaultMaxStreams
	}
	if so.Pause <= 0 {
		so.Pause = DefaultSearchPause
	}
	if so.Start > so.MaxStreams {
		return nil, fmt.Errorf("bench: search starts at %d streams, above the maximum %d", so.Start, so.MaxStreams)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if _, err := o.withDefaults(); err != nil {
		return nil, err
	}
	sr := &SearchReport{Bar: so.Bar, MaxStreams: so.MaxStreams}
	try := func(n int) (bool, error) {
		if len(sr.Steps) > 0 && !sleepUntil(ctx, time.Now().Add(so.Pause)) {
			return false, ctx.Err()
		}
		step := o
		step.Streams = n
		if o.Probes > 0 {
			step.Probes = min(o.Probes, n)
		}
		r, err := Run(ctx, base, &step)
		if r == nil {
			return false, err
		}
		s := SearchStep{Streams: n, Report: r}
		if berr := so.Bar.Check(r); berr != nil {
			s.Reason = berr.Error()
		} else {
			s.Passed = true
		}
		if r.Interrupted {
			s.Passed, s.Reason = false, "interrupted"
		}
		sr.Steps = append(sr.Steps, s)
		if so.OnStep != nil {
			so.OnStep(s)
		}
		if s.Passed && n > sr.Best {
			sr.Best, sr.BestReport = n, r
		}
		if err == nil {
			err = ctx.Err()
		}
		return s.Passed, err
	}
	err := search(so.Start, so.MaxStreams, try)
	return sr, err
}

// search finds the largest n in [1, max] for which try passes, assuming
// that passing is monotone in n: it doubles from start while try passes,
// then bisects. It returns 0 when nothing passed, and try's first error.
func search(start, maxN int, try func(n int) (bool, error)) error {
	pass, fail := 0, maxN+1 // largest passed, smallest failed
	for n := start; ; {
		ok, err := try(n)
		if err != nil {
			return err
		}
		if !ok {
			fail = n
			break
		}
		pass = n
		if n == maxN {
			return nil
		}
		n = min(2*n, maxN)
	}
	for fail-pass > 1 {
		n := (pass + fail) / 2
		ok, err := try(n)
		if err != nil {
			return err
		}
		if ok {
			pass = n
		} else {
			fail = n
		}
	}
	return nil
}
