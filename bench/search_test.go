package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// search finds the capacity of a server that passes up to k streams, for
// every k, in about 2*log2(max) steps at most.
func TestSearchFindsLargestPassing(t *testing.T) {
	const maxN = 64
	bound := 2*int(math.Ceil(math.Log2(maxN))) + 1
	for _, start := range []int{1, 3, 64} {
		for k := 0; k <= maxN; k++ {
			var tried []int
			err := search(start, maxN, func(n int) (bool, error) {
				if n < 1 || n > maxN {
					t.Fatalf("tried %d streams, outside [1, %d]", n, maxN)
				}
				tried = append(tried, n)
				return n <= k, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			best := 0
			for _, n := range tried {
				if n <= k {
					best = max(best, n)
				}
			}
			if best != k {
				t.Errorf("start %d, capacity %d: tried %v, best %d", start, k, tried, best)
			}
			if len(tried) > bound {
				t.Errorf("start %d, capacity %d: %d steps %v, bound %d", start, k, len(tried), tried, bound)
			}
		}
	}
	stop := errors.New("stop")
	if err := search(1, 8, func(n int) (bool, error) { return true, stop }); err != stop {
		t.Errorf("error %v, want the step's", err)
	}
}

func TestBarCheck(t *testing.T) {
	good := func() *Report {
		return &Report{
			Setup: Setup{Streams: 4}, Connected: 4, WorstReturnedRatio: 0.99, TimestampsCarried: true,
			Latency: Latency{N: 100, P95: 20 * time.Millisecond},
		}
	}
	if err := (Bar{}).Check(good()); err != nil {
		t.Errorf("good run fails the default bar: %v", err)
	}
	for _, tc := range []struct {
		name  string
		bar   Bar
		spoil func(r *Report)
		want  string
	}{
		{"slow", Bar{}, func(r *Report) { r.Latency.P95 = 50 * time.Millisecond }, "p95 latency 50.0 ms by RTP timestamps"},
		{"lossy", Bar{}, func(r *Report) { r.WorstReturnedRatio = 0.94 }, "94.0% of its frames"},
		{"refused", Bar{}, func(r *Report) { r.Connected = 3 }, "1 of 4 streams failed to connect"},
		{"no latency", Bar{}, func(r *Report) { r.TimestampsCarried = false }, "no latency measured"},
		{"probes only", Bar{}, func(r *Report) {
			r.TimestampsCarried = false
			r.ProbeLatency = Latency{N: 10, P95: 60 * time.Millisecond}
		}, "by probe counters"},
		{"strict bar", Bar{MinReturned: 0.999, MaxP95: 10 * time.Millisecond}, func(*Report) {}, "p95 latency 20.0 ms"},
	} {
		r := good()
		tc.spoil(r)
		err := tc.bar.Check(r)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// A real search with a bar nothing can pass ends after its first step.
func TestSearchTinyBar(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	url := identityServer(t, nil)
	var steps []SearchStep
	sr, err := Search(ctx, url, &Options{Duration: time.Second, Width: 320, Height: 240, Drain: 200 * time.Millisecond},
		&SearchOptions{Bar: Bar{MaxP95: time.Microsecond}, MaxStreams: 4, OnStep: func(s SearchStep) { steps = append(steps, s) }})
	if err != nil {
		t.Fatal(err)
	}
	if sr.Best != 0 || sr.BestReport != nil || len(sr.Steps) != 1 || len(steps) != 1 {
		t.Fatalf("best %d, %d steps", sr.Best, len(sr.Steps))
	}
	if s := sr.Steps[0]; s.Streams != 1 || s.Passed || !strings.Contains(s.Reason, "p95 latency") || s.Report.Returned == 0 {
		t.Errorf("step %+v", s)
	}
	var text bytes.Buffer
	if err := sr.WriteText(&text); err != nil || !strings.Contains(text.String(), "passed (every stream >= 95% of frames back, p95 < 1.0 µs): 0") {
		t.Errorf("text (%v):\n%s", err, text.String())
	}
}

// A search whose bar every step passes climbs to its maximum and stops.
func TestSearchReachesMaximum(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	url := identityServer(t, nil)
	sr, err := Search(ctx, url, &Options{Duration: time.Second, Width: 320, Height: 240, Drain: 500 * time.Millisecond},
		&SearchOptions{Bar: Bar{MinReturned: 0.5, MaxP95: 2 * time.Second}, MaxStreams: 2, Pause: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	_ = sr.WriteText(&text)
	t.Logf("\n%s", text.String())
	if sr.Best != 2 || len(sr.Steps) != 2 || sr.Steps[0].Streams != 1 || sr.Steps[1].Streams != 2 || sr.BestReport.Setup.Probes != 2 {
		t.Fatalf("best %d, steps %+v", sr.Best, sr.Steps)
	}
	b, err := json.Marshal(sr)
	if err != nil || !strings.Contains(string(b), `"bar":{"min_returned":0.5,"max_p95_ms":2000}`) || !strings.Contains(string(b), `"best":2`) {
		t.Errorf("JSON (%v): %s", err, b)
	}
}
