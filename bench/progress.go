package bench

import (
	"fmt"
	"strings"
	"time"
)

// Progress is a snapshot of a run, for a progress line.
type Progress struct {
	Elapsed, Total time.Duration
	// Streams is how many streams the run has; Connected and Failed how
	// many have connected and failed to so far.
	Streams, Connected, Failed int
	// Sent and Returned count frames so far, all streams together.
	Sent, Returned uint64
	// FPS is the frames returned per second since the last Progress, all
	// streams together; P95 the 95th percentile of the latencies measured
	// since then (0 when none were).
	FPS float64
	P95 time.Duration
}

// String renders p as one line, such as
// "12s/20s  streams 4/4  returned 2390/2400 (99.6%)  120.0 fps  p95 8.1 ms".
func (p Progress) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s  streams %d/%d", p.Elapsed.Round(time.Second), p.Total.Round(time.Second), p.Connected, p.Streams)
	if p.Failed > 0 {
		fmt.Fprintf(&b, " (%d failed)", p.Failed)
	}
	fmt.Fprintf(&b, "  returned %d/%d", p.Returned, p.Sent)
	if p.Sent > 0 {
		fmt.Fprintf(&b, " (%.1f%%)", 100*float64(p.Returned)/float64(p.Sent))
	}
	fmt.Fprintf(&b, "  %.1f fps", p.FPS)
	if p.P95 > 0 {
		fmt.Fprintf(&b, "  p95 %s", fmtMS(p.P95))
	}
	return b.String()
}

// fmtMS renders d in milliseconds, such as "8.1 ms".
func fmtMS(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d > 0 && d < 10*time.Microsecond:
		return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}
