package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/rtcstream/rtcstream/client"
)

// Setup is what a run was asked to do.
type Setup struct {
	URL              string        `json:"url"`
	Streams          int           `json:"streams"`
	Probes           int           `json:"probes"`
	Width            int           `json:"width"`
	Height           int           `json:"height"`
	FPS              int           `json:"fps"`
	Bitrate          int           `json:"bitrate"`
	VideoCodec       string        `json:"video_codec"`
	Duration, RampUp time.Duration `json:"-"`
	Started          time.Time     `json:"started"`
}

// MarshalJSON writes the durations in milliseconds.
func (s Setup) MarshalJSON() ([]byte, error) {
	type plain Setup
	return json.Marshal(struct {
		plain
		Duration millis `json:"duration_ms"`
		RampUp   millis `json:"ramp_up_ms"`
	}{plain(s), millis(s.Duration), millis(s.RampUp)})
}

// Report is the outcome of a run: every stream's and all together.
//
// Latency is frame-in to frame-out as the client sees it: from handing an
// encoded frame to the packetizer to the arrival of the last packet of the
// frame the server made from it (so neither the client's encoder nor its
// decoder counts). Streams match returned frames to sent ones by RTP
// timestamp, which rtcstream servers carry through; probes also read the
// frame counter stamped in the pixels, which works whatever the server does
// with timestamps.
type Report struct {
	Setup Setup `json:"setup"`
	// Elapsed is the run's wall time, from the first dial to the last
	// hang-up. Interrupted is set when the run's context ended early.
	Elapsed     time.Duration `json:"-"`
	Interrupted bool          `json:"interrupted,omitempty"`

	// Connected counts streams that connected; Failures the others, by
	// cause ("HTTP 503 too_many_sessions", "ICE/DTLS connect timeout",
	// ...). Ended counts connected streams that ended before the run did,
	// by reason.
	Connected int            `json:"connected"`
	Failures  map[string]int `json:"connect_failures,omitempty"`
	Ended     map[string]int `json:"ended_early,omitempty"`

	// Sent and Returned count frames over all streams; Lost is the
	// difference. ReturnedRatio is Returned/Sent, WorstReturnedRatio the
	// lowest of any connected stream. ReturnedFPS is the mean of the
	// connected streams' returned frame rates.
	Sent               uint64  `json:"sent"`
	Returned           uint64  `json:"returned"`
	Lost               uint64  `json:"lost"`
	ReturnedRatio      float64 `json:"returned_ratio"`
	WorstReturnedRatio float64 `json:"worst_returned_ratio"`
	ReturnedFPS        float64 `json:"returned_fps"`

	// TimestampsCarried reports whether the server sent frames back with
	// the RTP timestamps of the frames they were made from (MatchedRatio,
	// the share of returned frames that matched a sent one, is at least
	// one half). Without it, Latency is empty and only the probes measure.
	TimestampsCarried bool    `json:"timestamps_carried"`
	MatchedRatio      float64 `json:"matched_ratio"`
	// Latency is over every stream's timestamp-matched frames.
	Latency Latency `json:"latency"`
	// ProbeLatency is over the probes' counter-matched frames, measured
	// over the same span as Latency. ProbeEndToEnd also counts the probe's
	// own encoding and decoding: from drawing a frame to reading it back.
	ProbeLatency  Latency `json:"probe_latency"`
	ProbeEndToEnd Latency `json:"probe_end_to_end"`
	// ProbeUnreadable counts decoded probe frames without a readable
	// counter; ProbeMismatch those whose counter and RTP timestamp named
	// different sent frames (a server that re-stamps frames).
	ProbeUnreadable uint64 `json:"probe_unreadable"`
	ProbeMismatch   uint64 `json:"probe_mismatch"`

	// Connect is the time Dial took; FirstFrame the time from the start of
	// Dial to the first returned frame, over the connected streams.
	Connect    Latency `json:"connect"`
	FirstFrame Latency `json:"first_frame"`

	// SendLate counts frame slots the client missed because it was late
	// (the client, not the server, was short of CPU). ReceiveLosses counts
	// packets of returned video the client gave up on.
	SendLate      uint64 `json:"send_late"`
	ReceiveLosses uint64 `json:"receive_losses"`

	// Server is the server process's CPU and memory, with
	// Options.ServerPID; Client is this process's.
	Server *Usage `json:"server,omitempty"`
	Client *Usage `json:"client,omitempty"`

	Streams []StreamReport `json:"streams"`
}

// MarshalJSON writes the durations in milliseconds.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	return json.Marshal(struct {
		plain
		Elapsed millis `json:"elapsed_ms"`
	}{plain(r), millis(r.Elapsed)})
}

// StreamReport is one stream's outcome.
type StreamReport struct {
	Index int  `json:"index"`
	Probe bool `json:"probe"`
	// Error and Cause say why the stream did not connect.
	Error string `json:"error,omitempty"`
	Cause string `json:"cause,omitempty"`
	// Ended says why the connection ended before the run did.
	Ended string `json:"ended,omitempty"`

	Connect    time.Duration `json:"-"` // Dial's time
	FirstFrame time.Duration `json:"-"` // from Dial's start to the first returned frame; 0 if none came

	Sent          uint64  `json:"sent"`
	Returned      uint64  `json:"returned"`
	Lost          uint64  `json:"lost"`
	ReturnedRatio float64 `json:"returned_ratio"`
	ReturnedFPS   float64 `json:"returned_fps"`
	Matched       uint64  `json:"matched"` // returned frames matched by RTP timestamp
	Latency       Latency `json:"latency"`
	BytesReturned uint64  `json:"bytes_returned"`
	KeyFrames     uint64  `json:"keyframes_returned"`
	SendLate      uint64  `json:"send_late"`

	ProbeFrames     uint64  `json:"probe_frames,omitempty"` // decoded and read
	ProbeUnreadable uint64  `json:"probe_unreadable,omitempty"`
	ProbeUnknown    uint64  `json:"probe_unknown,omitempty"` // counters that were not recently sent
	ProbeMismatch   uint64  `json:"probe_mismatch,omitempty"`
	ProbeDropped    uint64  `json:"probe_dropped,omitempty"` // decoded but not read in time
	ProbeLatency    Latency `json:"probe_latency"`
	ProbeEndToEnd   Latency `json:"probe_end_to_end"`

	// The client's own counts.
	Client client.Stats `json:"client"`
}

// MarshalJSON writes the durations in milliseconds.
func (s StreamReport) MarshalJSON() ([]byte, error) {
	type plain StreamReport
	return json.Marshal(struct {
		plain
		Connect    millis `json:"connect_ms"`
		FirstFrame millis `json:"first_frame_ms"`
	}{plain(s), millis(s.Connect), millis(s.FirstFrame)})
}

// MarshalJSON writes the window in milliseconds.
func (u Usage) MarshalJSON() ([]byte, error) {
	type plain Usage
	return json.Marshal(struct {
		plain
		Window millis `json:"window_ms"`
	}{plain(u), millis(u.Window)})
}

// report builds a stream's report; run must have returned.
func (s *stream) report() StreamReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := StreamReport{Index: s.idx, Probe: s.probe, Ended: s.ended}
	if s.dialErr != nil {
		r.Error, r.Cause = s.dialErr.Error(), failureCause(s.dialErr)
		return r
	}
	r.Connect = s.connected.Sub(s.dialStart)
	if !s.first.IsZero() {
		r.FirstFrame = s.first.Sub(s.dialStart)
	}
	r.Sent, r.Returned, r.Matched = s.sent, s.returned, s.matched
	r.Lost = s.sent - min(s.sent, s.returned)
	r.ReturnedRatio = ratio(s.returned, s.sent)
	if d := s.sendEnd.Sub(s.sendStart); d > 0 {
		r.ReturnedFPS = float64(s.returned) / d.Seconds()
	}
	r.Latency = summarize(append([]time.Duration(nil), s.lat...))
	r.BytesReturned, r.KeyFrames, r.SendLate = s.bytes, s.keys, s.late
	if s.probe {
		r.ProbeFrames, r.ProbeUnreadable, r.ProbeUnknown, r.ProbeMismatch = s.probeRead, s.unreadable, s.unknown, s.mismatch
		r.ProbeDropped = s.dropped
		r.ProbeLatency = summarize(append([]time.Duration(nil), s.probeLat...))
		r.ProbeEndToEnd = summarize(append([]time.Duration(nil), s.probeE2E...))
	}
	r.Client = s.stats
	return r
}

// ratio is a/b, or 0 when b is 0.
func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// buildReport gathers the streams' outcomes.
func buildReport(setup Setup, streams []*stream, elapsed time.Duration) *Report {
	r := &Report{Setup: setup, Elapsed: elapsed, WorstReturnedRatio: 1}
	var lat, probeLat, probeE2E, connect, first []time.Duration
	var matched uint64
	var fps float64
	for _, s := range streams {
		sr := s.report()
		r.Streams = append(r.Streams, sr)
		if sr.Cause != "" {
			if r.Failures == nil {
				r.Failures = map[string]int{}
			}
			r.Failures[sr.Cause]++
			continue
		}
		r.Connected++
		if sr.Ended != "" {
			if r.Ended == nil {
				r.Ended = map[string]int{}
			}
			r.Ended[sr.Ended]++
		}
		r.Sent += sr.Sent
		r.Returned += sr.Returned
		r.Lost += sr.Lost
		matched += sr.Matched
		r.WorstReturnedRatio = min(r.WorstReturnedRatio, sr.ReturnedRatio)
		fps += sr.ReturnedFPS
		r.ProbeUnreadable += sr.ProbeUnreadable
		r.ProbeMismatch += sr.ProbeMismatch
		r.SendLate += sr.SendLate
		r.ReceiveLosses += sr.Client.PacketLosses
		connect = append(connect, sr.Connect)
		if sr.FirstFrame > 0 {
			first = append(first, sr.FirstFrame)
		}
		s.mu.Lock()
		lat = append(lat, s.lat...)
		probeLat = append(probeLat, s.probeLat...)
		probeE2E = append(probeE2E, s.probeE2E...)
		s.mu.Unlock()
	}
	if r.Connected == 0 {
		r.WorstReturnedRatio = 0
	} else {
		r.ReturnedFPS = fps / float64(r.Connected)
	}
	r.ReturnedRatio = ratio(r.Returned, r.Sent)
	r.MatchedRatio = ratio(matched, r.Returned)
	r.TimestampsCarried = r.Returned > 0 && r.MatchedRatio >= 0.5
	r.Latency = summarize(lat)
	r.ProbeLatency = summarize(probeLat)
	r.ProbeEndToEnd = summarize(probeE2E)
	r.Connect = summarize(connect)
	r.FirstFrame = summarize(first)
	return r
}

// frameLatency is the latency a quality bar judges: the timestamp-matched
// one when the server carries timestamps, else the probes'.
func (r *Report) frameLatency() (Latency, string) {
	if r.TimestampsCarried {
		return r.Latency, "RTP timestamps"
	}
	return r.ProbeLatency, "probe counters"
}

// failureCause names why a stream failed to connect, briefly enough to
// count streams by it.
func failureCause(err error) string {
	var ce *client.Error
	if errors.As(err, &ce) {
		if ce.Code != "" {
			return fmt.Sprintf("HTTP %d %s", ce.Status, ce.Code)
		}
		return fmt.Sprintf("HTTP %d", ce.Status)
	}
	stage := "dial"
	var de *client.DialError
	if errors.As(err, &de) {
		stage = de.Stage.String()
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return stage + " timeout"
	case errors.Is(err, client.ErrConnectionFailed):
		return "ICE/DTLS failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &ne):
		return stage + ": network error"
	}
	return stage + " failed"
}
