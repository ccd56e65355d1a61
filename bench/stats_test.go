package bench

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func TestPercentileNearestRank(t *testing.T) {
	// 1..100 ms: the p-th percentile by nearest rank is p ms.
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, ms(float64(i)))
	}
	l := summarize(s)
	if l.N != 100 || l.P50 != ms(50) || l.P95 != ms(95) || l.P99 != ms(99) || l.Max != ms(100) || l.Mean != ms(50.5) {
		t.Errorf("1..100: %+v", l)
	}
	for _, tc := range []struct {
		samples []float64
		p       float64
		want    float64
	}{
		{[]float64{7}, 50, 7},
		{[]float64{7}, 99, 7},
		{[]float64{1, 2}, 50, 1},
		{[]float64{1, 2}, 51, 2},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95, 10},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.1, 1},
	} {
		var d []time.Duration
		for _, v := range tc.samples {
			d = append(d, ms(v))
		}
		if got := percentile(d, tc.p); got != ms(tc.want) {
			t.Errorf("percentile(%v, %v) = %v, want %v ms", tc.samples, tc.p, got, tc.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile of nothing = %v", got)
	}
	if l := summarize(nil); l != (Latency{}) {
		t.Errorf("summary of nothing = %+v", l)
	}
}

// One outlier in a thousand moves p99 not at all and p95 not at all;
// eleven in a thousand move p99.
func TestPercentileTail(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	mk := func(outliers int) []time.Duration {
		var s []time.Duration
		for range 1000 - outliers {
			s = append(s, ms(5+r.Float64()))
		}
		for range outliers {
			s = append(s, ms(500))
		}
		r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
		return s
	}
	if l := summarize(mk(1)); l.P99 > ms(6) || l.Max != ms(500) {
		t.Errorf("one outlier: %+v", l)
	}
	if l := summarize(mk(11)); l.P99 != ms(500) || l.P95 > ms(6) {
		t.Errorf("eleven outliers: %+v", l)
	}
}

func TestLatencyJSON(t *testing.T) {
	l := Latency{N: 3, P50: ms(1.234), P95: ms(20.5), P99: ms(30), Max: ms(31.006), Mean: ms(7)}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"n":3,"p50_ms":1.23,"p95_ms":20.5,"p99_ms":30,"max_ms":31.01,"mean_ms":7}`
	if string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back Latency
	if err := json.Unmarshal(b, &back); err != nil || back.N != 3 || back.P95 != l.P95 || back.P50 != ms(1.23) {
		t.Errorf("back: %+v, %v", back, err)
	}
}
