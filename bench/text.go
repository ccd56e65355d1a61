package bench

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteText writes r for people: a summary, then a line per stream.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	s := r.Setup
	fmt.Fprintf(&b, "bench %s: %d streams (%d probes), %dx%d at %d fps, %s %s, %s",
		s.URL, s.Streams, s.Probes, s.Width, s.Height, s.FPS, cmp.Or(s.VideoCodec, "VP8"), fmtBitrate(s.Bitrate), s.Duration)
	if s.RampUp > 0 {
		fmt.Fprintf(&b, " after a %s ramp-up", s.RampUp)
	}
	if r.Interrupted {
		b.WriteString(" (interrupted)")
	}
	b.WriteString("\n")
	row := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "  %-22s "+format+"\n", append([]any{name}, args...)...)
	}
	row("connected", "%d/%d%s", r.Connected, s.Streams, fmtCounts("; failed", r.Failures))
	if len(r.Ended) > 0 {
		row("ended early", "%s", strings.TrimPrefix(fmtCounts("", r.Ended), " "))
	}
	row("frames returned", "%d/%d (%.1f%%, worst stream %.1f%%), lost %d",
		r.Returned, r.Sent, 100*r.ReturnedRatio, 100*r.WorstReturnedRatio, r.Lost)
	row("returned fps", "%.1f per stream, %.1f in all", r.ReturnedFPS, r.ReturnedFPS*float64(r.Connected))
	carried := "no"
	if r.TimestampsCarried {
		carried = "yes"
	}
	row("timestamps carried", "%s (%.1f%% of returned frames matched a sent one)", carried, 100*r.MatchedRatio)
	row("latency", "%s", fmtLatency(r.Latency))
	if s.Probes > 0 {
		row("probe latency", "%s; unreadable %d, mismatched %d", fmtLatency(r.ProbeLatency), r.ProbeUnreadable, r.ProbeMismatch)
		row("probe end to end", "%s (with the probe's encode and decode)", fmtLatency(r.ProbeEndToEnd))
	}
	row("connect", "%s", fmtLatency(r.Connect))
	row("time to first frame", "%s", fmtLatency(r.FirstFrame))
	if r.SendLate > 0 || r.ReceiveLosses > 0 {
		row("client trouble", "%d frame slots sent late, %d packets lost on the way back", r.SendLate, r.ReceiveLosses)
	}
	if u := r.Server; u != nil {
		row("server CPU", "%.2f cores, %.1f%% of a core per stream (pid %d, over %s)",
			u.CPU, 100*u.CPUPerStream, u.PID, u.Window.Round(100*time.Millisecond))
		row("server memory", "RSS %s -> %s, %s per stream",
			fmtBytes(u.RSSBefore), fmtBytes(u.RSSAfter), fmtBytes(u.RSSPerStream))
	}
	if u := r.Client; u != nil {
		row("client CPU", "%.2f cores, %.1f%% of a core per stream", u.CPU, 100*u.CPUPerStream)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stream\tconnect\tfirst frame\tsent\treturned\tlost\tfps\tp50\tp95\tp99\tmax\t")
	for _, st := range r.Streams {
		name := fmt.Sprint(st.Index)
		if st.Probe {
			name += " (probe)"
		}
		if st.Cause != "" {
			fmt.Fprintf(tw, "%s\tfailed: %s\t\t\t\t\t\t\t\t\t\t\n", name, st.Cause)
			continue
		}
		l := st.Latency
		if l.N == 0 && st.Probe {
			l = st.ProbeLatency
			name += " by counter"
		}
		cell := func(d time.Duration) string {
			if l.N == 0 {
				return "-"
			}
			return fmtMS(d)
		}
		first := "-"
		if st.FirstFrame > 0 {
			first = fmtMS(st.FirstFrame)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.1f\t%s\t%s\t%s\t%s\t\n", name,
			fmtMS(st.Connect), first, st.Sent, st.Returned, st.Lost, st.ReturnedFPS,
			cell(l.P50), cell(l.P95), cell(l.P99), cell(l.Max))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteText writes a search's steps and outcome for people.
func (sr *SearchReport) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, st := range sr.Steps {
		b.WriteString(st.String())
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nlargest number of streams that passed (every stream >= %.0f%% of frames back, p95 < %s): %d",
		100*sr.Bar.MinReturned, fmtMS(sr.Bar.MaxP95), sr.Best)
	if sr.Best == sr.MaxStreams {
		b.WriteString(" (the search's maximum: raise -max-streams)")
	}
	b.WriteString("\n")
	if sr.BestReport != nil {
		b.WriteString("\nthe best run:\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
		return sr.BestReport.WriteText(w)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String renders a step on one line: its streams, verdict and main numbers.
func (st SearchStep) String() string {
	verdict := "pass"
	if !st.Passed {
		verdict = "FAIL: " + strings.ReplaceAll(st.Reason, "\n", "; ")
	}
	r := st.Report
	lat, _ := r.frameLatency()
	line := fmt.Sprintf("%3d streams: %s  returned %.1f%% (worst %.1f%%)  p95 %s  first frame p50 %s",
		st.Streams, verdict, 100*r.ReturnedRatio, 100*r.WorstReturnedRatio, fmtMS(lat.P95), fmtMS(r.FirstFrame.P50))
	if r.Server != nil {
		line += fmt.Sprintf("  server %.1f%% of a core per stream", 100*r.Server.CPUPerStream)
	}
	return line
}

func fmtLatency(l Latency) string {
	if l.N == 0 {
		return "none measured"
	}
	return fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s  (%d samples)",
		fmtMS(l.P50), fmtMS(l.P95), fmtMS(l.P99), fmtMS(l.Max), l.N)
}

// fmtCounts renders {"a": 2, "b": 1} as "<prefix> 2 a, 1 b", sorted by key.
func fmtCounts(prefix string, m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return prefix + " " + strings.Join(parts, ", ")
}

func fmtBitrate(bps int) string {
	if bps >= 1_000_000 {
		return fmt.Sprintf("%g Mbit/s", float64(bps)/1e6)
	}
	return fmt.Sprintf("%g kbit/s", float64(bps)/1e3)
}

func fmtBytes(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%s%.2f GiB", sign, float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%s%.1f MiB", sign, float64(n)/(1<<20))
	}
	return fmt.Sprintf("%s%d KiB", sign, n>>10)
}
