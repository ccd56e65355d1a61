// Package metrics serves what rtcstream Streams observe as Prometheus
// metrics. Import it when you want them; the rtcstream package itself
// links no Prometheus.
//
//	m, err := metrics.New(nil)
//	if err != nil { ... }
//	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, handler,
//		&rtcstream.Options{Observer: m})
//	mux := http.NewServeMux()
//	mux.Handle("/", s)
//	mux.Handle("GET /metrics", m)
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/overload"
)

// Metrics is an rtcstream.Observer that keeps Prometheus metrics, and an
// http.Handler that serves them in the text exposition format. One
// Metrics may observe several Streams; their figures add up.
type Metrics struct {
	registry     *prometheus.Registry
	handler      http.Handler
	stages       []prometheus.Observer // by rtcstream.Stage
	drops        []prometheus.Counter  // by rtcstream.FrameDrop
	bytesIn      prometheus.Counter
	bytesOut     prometheus.Counter
	audioQueued  prometheus.Histogram
	audioDropped []prometheus.Counter // by rtcstream.AudioDrop
	active       prometheus.Gauge
	waiting      prometheus.Gauge
	ended        *prometheus.CounterVec
	errors       prometheus.Counter
	rtt          prometheus.Histogram
	turns        *prometheus.CounterVec
	turnEnd      prometheus.Histogram
	turnReply    prometheus.Histogram
}

var _ rtcstream.TurnObserver = (*Metrics)(nil)

// New makes the metrics in a registry of their own, and registers them
// with also too when it is not nil (for example
// prometheus.DefaultRegisterer, to serve them beside your own). Two
// Metrics registering with one registerer conflict, which is an error.
func New(also prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{registry: prometheus.NewRegistry()}
	stage := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rtcstream_frame_stage_seconds",
		Help: "Time per video frame in each stage of the server's frame path: assemble (first to last packet), " +
			"decode, wait (in the latest-frame slot), handler, encode, send, and total (first packet in to last packet out).",
		Buckets: []float64{.0005, .001, .002, .004, .008, .016, .033, .066, .1, .2, .4, 1},
	}, []string{"stage"})
	for _, st := range rtcstream.Stages() {
		m.stages = append(m.stages, stage.WithLabelValues(st.String()))
	}
	drops := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtcstream_frames_dropped_total",
		Help: "Video frames thrown away, by reason: stale (a newer frame replaced it before the handler was free), " +
			"lost, waiting_for_keyframe, decode_error, encoder (rate control), too_large (over the size bound, not decoded), " +
			"overload (decoded but not handled while the CPUs are saturated: see rtcstream_frame_share).",
	}, []string{"reason"})
	for _, d := range rtcstream.FrameDrops() {
		m.drops = append(m.drops, drops.WithLabelValues(d.String()))
	}
	video := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtcstream_video_bytes_total",
		Help: "Encoded video received from browsers (in) and sent to them (out); its rate is the bitrate.",
	}, []string{"direction"})
	m.bytesIn, m.bytesOut = video.WithLabelValues("in"), video.WithLabelValues("out")
	m.audioQueued = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "rtcstream_audio_queue_seconds",
		Help:    "Audio waiting to be sent to a browser, observed at each 20 ms packet: the delay the server's output queue adds.",
		Buckets: []float64{.01, .02, .04, .06, .1, .2, .4, .8, 1.6},
	})
	audioDropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtcstream_audio_dropped_seconds_total",
		Help: "Queued audio dropped before it was sent, by reason: latency (live audio that stood in the queue, " +
			"dropped to keep the delay bounded) and flush (a reply cut off by barge-in).",
	}, []string{"reason"})
	for _, d := range rtcstream.AudioDrops() {
		m.audioDropped = append(m.audioDropped, audioDropped.WithLabelValues(d.String()))
	}
	m.active = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rtcstream_sessions_active", Help: "Sessions holding resources now.",
	})
	m.waiting = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rtcstream_sessions_waiting", Help: "Clients waiting in line for a session.",
	})
	m.ended = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtcstream_sessions_ended_total", Help: "Sessions ended, by reason.",
	}, []string{"reason"})
	m.errors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "rtcstream_handler_errors_total", Help: "Handler calls that returned an error or panicked.",
	})
	m.rtt = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "rtcstream_rtt_seconds",
		Help:    "Round-trip time to the browsers (ICE candidate pair), sampled every 2 s per session.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .2, .4, .8},
	})
	turnBuckets := []float64{.1, .2, .3, .4, .5, .6, .7, .8, 1, 1.25, 1.5, 2, 3, 5}
	m.turns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtcstream_turns_total", Help: "Conversational turns replied to (voice.ReplyOnPause), by voice activity detector.",
	}, []string{"detector"})
	m.turnEnd = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "rtcstream_turn_end_seconds",
		Help:    "From the end of the user's speech to the turn's end (the pause detected).",
		Buckets: turnBuckets,
	})
	m.turnReply = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "rtcstream_turn_first_reply_seconds",
		Help:    "From the end of the user's speech to the reply's first audio queued to play (the caller hears it a network trip later).",
		Buckets: turnBuckets,
	})
	share := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rtcstream_frame_share",
		Help: "The share of camera frames every session hands to its handler now: 1, unless the CPUs are saturated " +
			"(Options.FullFrameRate); the rest are counted in rtcstream_frames_dropped_total{reason=\"overload\"}.",
	}, overload.Process.Share)
	late := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rtcstream_frame_lateness_seconds",
		Help: "How late the typical session's frames went out lately, less the handler's own time: the overload " +
			"governor lowers rtcstream_frame_share while it is over 60 ms.",
	}, func() float64 { return overload.Process.Late().Seconds() })
	for _, c := range []prometheus.Collector{stage, drops, video, m.audioQueued, audioDropped,
		m.active, m.waiting, m.ended, m.errors, m.rtt, m.turns, m.turnEnd, m.turnReply, share, late} {
		m.registry.MustRegister(c)
		if also != nil {
			if err := also.Register(c); err != nil {
				return nil, err
			}
		}
	}
	m.handler = promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
	return m, nil
}

// ServeHTTP serves the metrics in Prometheus' text format.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.handler.ServeHTTP(w, r) }

// Registry is the registry the metrics live in.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// FrameStage implements rtcstream.Observer; so do the methods below.
func (m *Metrics) FrameStage(s rtcstream.Stage, d time.Duration) { m.stages[s].Observe(d.Seconds()) }
func (m *Metrics) FrameDropped(d rtcstream.FrameDrop)            { m.drops[d].Inc() }
func (m *Metrics) VideoBytes(in bool, n int) {
	if in {
		m.bytesIn.Add(float64(n))
	} else {
		m.bytesOut.Add(float64(n))
	}
}
func (m *Metrics) AudioQueued(d time.Duration) { m.audioQueued.Observe(d.Seconds()) }
func (m *Metrics) AudioDropped(r rtcstream.AudioDrop, d time.Duration) {
	m.audioDropped[r].Add(d.Seconds())
}
func (m *Metrics) SessionStarted()            { m.active.Inc() }
func (m *Metrics) SessionEnded(reason string) { m.active.Dec(); m.ended.WithLabelValues(reason).Inc() }
func (m *Metrics) LineChanged(delta int)      { m.waiting.Add(float64(delta)) }
func (m *Metrics) HandlerFailed()             { m.errors.Inc() }
func (m *Metrics) RTT(d time.Duration)        { m.rtt.Observe(d.Seconds()) }

// Turn records a turn of conversation (rtcstream.TurnObserver).
func (m *Metrics) Turn(t rtcstream.Turn) {
	m.turns.WithLabelValues(t.Detector).Inc()
	m.turnEnd.Observe(t.EndOfTurn.Seconds())
	m.turnReply.Observe(t.FirstReply.Seconds())
}
