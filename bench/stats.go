package bench

import (
	"encoding/json"
	"math"
	"slices"
	"time"
)

// Latency summarises a set of durations. Percentiles use the nearest-rank
// method: P95 is the smallest sample that at least 95% of the samples do
// not exceed. A zero N means no samples (and zero durations).
type Latency struct {
	N                        int
	P50, P95, P99, Max, Mean time.Duration
}

// summarize computes a Latency of samples, which it sorts in place.
func summarize(samples []time.Duration) Latency {
	if len(samples) == 0 {
		return Latency{}
	}
	slices.Sort(samples)
	var sum time.Duration
	for _, d := range samples {
		sum += d
	}
	return Latency{
		N:    len(samples),
		P50:  percentile(samples, 50),
		P95:  percentile(samples, 95),
		P99:  percentile(samples, 99),
		Max:  samples[len(samples)-1],
		Mean: sum / time.Duration(len(samples)),
	}
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted samples
// by nearest rank; 0 for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	return sorted[min(n, max(1, rank))-1]
}

// millis renders a duration in JSON as milliseconds.
type millis time.Duration

func (m millis) MarshalJSON() ([]byte, error) {
	return json.Marshal(math.Round(float64(m)/1e4) / 100) // 0.01 ms
}

// MarshalJSON writes the durations in milliseconds:
// {"n", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"}.
func (l Latency) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		N    int    `json:"n"`
		P50  millis `json:"p50_ms"`
		P95  millis `json:"p95_ms"`
		P99  millis `json:"p99_ms"`
		Max  millis `json:"max_ms"`
		Mean millis `json:"mean_ms"`
	}{l.N, millis(l.P50), millis(l.P95), millis(l.P99), millis(l.Max), millis(l.Mean)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Latency) UnmarshalJSON(b []byte) error {
	var v struct {
		N      int     `json:"n"`
		P50ms  float64 `json:"p50_ms"`
		P95ms  float64 `json:"p95_ms"`
		P99ms  float64 `json:"p99_ms"`
		MaxMs  float64 `json:"max_ms"`
		MeanMs float64 `json:"mean_ms"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	d := func(ms float64) time.Duration { return time.Duration(math.Round(ms * 1e6)) }
	*l = Latency{N: v.N, P50: d(v.P50ms), P95: d(v.P95ms), P99: d(v.P99ms), Max: d(v.MaxMs), Mean: d(v.MeanMs)}
	return nil
}
