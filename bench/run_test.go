package bench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/streamtest"
)

// Shared with the other packages' networked tests (internal/streamtest).
var (
	loopback    = streamtest.Loopback
	checkLeaks  = streamtest.CheckLeaks
	testContext = streamtest.Context
)

func identityServer(t *testing.T, opts *rtcstream.Options) string {
	return streamtest.IdentityServer(t, opts)
}

// The whole load generator against a real Stream: three streams, two of
// them probes, for three seconds.
func TestRunAgainstStream(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, time.Minute)
	url := identityServer(t, nil)
	const fps, duration = 30, 3 * time.Second
	var progress []Progress
	r, err := Run(ctx, url, &Options{
		Streams: 3, Duration: duration, Width: 320, Height: 240, FPS: fps,
		Progress: func(p Progress) { progress = append(progress, p) },
	})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", text.String())

	if r.Connected != 3 || len(r.Failures) != 0 || len(r.Ended) != 0 || r.Setup.Probes != 2 {
		t.Fatalf("connected %d, failures %v, ended %v, probes %d", r.Connected, r.Failures, r.Ended, r.Setup.Probes)
	}
	// Under the race detector on a busy machine, frames are sent late and
	// some are dropped: looser bounds, but the same checks.
	minReturned, maxP50 := 0.8, 200*time.Millisecond
	if raceEnabled {
		minReturned, maxP50 = 0.5, 500*time.Millisecond
	}
	want := float64(fps) * duration.Seconds()
	for _, s := range r.Streams {
		// A stream sends from its connection to the end: a few frames
		// fewer than fps*duration, and fewer if the sender ran late.
		slots := float64(s.Sent + s.SendLate)
		if slots < float64(fps)*(duration-s.Connect).Seconds()-2 || slots > want+1 {
			t.Errorf("stream %d sent %d frames and missed %d slots, want about %.0f in all", s.Index, s.Sent, s.SendLate, want)
		}
		if float64(s.Returned) < minReturned*want || s.Returned > s.Sent {
			t.Errorf("stream %d: %d of %d frames returned, want about %.0f", s.Index, s.Returned, s.Sent, want)
		}
		if s.Latency.N == 0 || s.FirstFrame <= s.Connect {
			t.Errorf("stream %d: latency %+v, connect %v, first frame %v", s.Index, s.Latency, s.Connect, s.FirstFrame)
		}
	}
	if !r.TimestampsCarried || r.MatchedRatio < 0.99 {
		t.Errorf("timestamps carried %v (matched %.3f): rtcstream carries them", r.TimestampsCarried, r.MatchedRatio)
	}
	// Plausible on loopback: a few ms, tens under the race detector on a
	// busy machine, never seconds.
	if l := r.Latency; l.P50 <= 0 || l.P50 > maxP50 || l.Max > 2*time.Second || l.P50 > l.P95 || l.P95 > l.P99 || l.P99 > l.Max {
		t.Errorf("latency %+v", l)
	}
	if r.FirstFrame.N != 3 || r.Connect.N != 3 || r.FirstFrame.P50 > 5*time.Second {
		t.Errorf("first frame %+v, connect %+v", r.FirstFrame, r.Connect)
	}

	// The probes read their counters from nearly every frame, and the
	// counters name the same frames as the timestamps: the two latencies,
	// measured over the same span, agree.
	for _, s := range r.Streams[:2] {
		if !s.Probe || s.ProbeFrames == 0 || s.ProbeUnreadable > 0 || s.ProbeMismatch > 0 || s.ProbeUnknown > 0 {
			t.Errorf("probe %d: %d read, %d unreadable, %d mismatched, %d unknown",
				s.Index, s.ProbeFrames, s.ProbeUnreadable, s.ProbeMismatch, s.ProbeUnknown)
		}
		if n := s.ProbeLatency.N; float64(n) < 0.9*float64(s.Returned) {
			t.Errorf("probe %d: counter latency of %d frames, %d returned", s.Index, n, s.Returned)
		}
		tolerance := max(2*time.Millisecond, s.Latency.P50/5)
		if d := s.ProbeLatency.P50 - s.Latency.P50; d < -tolerance || d > tolerance {
			t.Errorf("probe %d: counter p50 %v, timestamp p50 %v", s.Index, s.ProbeLatency.P50, s.Latency.P50)
		}
		if s.ProbeEndToEnd.P50 <= s.ProbeLatency.P50 {
			t.Errorf("probe %d: end to end %v is not above %v", s.Index, s.ProbeEndToEnd.P50, s.ProbeLatency.P50)
		}
	}
	if r.Streams[2].Probe || r.Streams[2].ProbeFrames != 0 {
		t.Errorf("stream 2 is a probe: %+v", r.Streams[2])
	}

	if len(progress) < 2 || progress[len(progress)-1].Connected != 3 || progress[len(progress)-1].Returned == 0 {
		t.Errorf("progress: %+v", progress)
	}

	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"latency":{"n":`, `"p95_ms":`, `"first_frame_ms":`, `"timestamps_carried":true`, `"elapsed_ms":`, `"duration_ms":3000`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("JSON lacks %s:\n%s", key, b)
		}
	}
	var back struct {
		Latency Latency `json:"latency"`
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Latency.N != r.Latency.N ||
		(back.Latency.P95-r.Latency.P95).Abs() > 10*time.Microsecond {
		t.Errorf("JSON round trip: %+v vs %+v (%v)", back.Latency, r.Latency, err)
	}
}
