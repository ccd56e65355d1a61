package rtcstream

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rtcstream/rtcstream/internal/pipeline"
)

// rttInterval is how often a session's round-trip time is sampled: for
// the metrics, and for the incoming video's wait for retransmissions.
const rttInterval = 2 * time.Second

// metrics are a Stream's Prometheus metrics (Options.Metrics). They
// observe the frame path without allocating per frame.
type metrics struct {
	registry *prometheus.Registry
	stages   [pipeline.NumStages]prometheus.Observer
	drops    [pipeline.NumDrops]prometheus.Counter
	bytesIn  prometheus.Counter
	bytesOut prometheus.Counter
	active   prometheus.Gauge
	waiting  prometheus.GaugeFunc
	ended    *prometheus.CounterVec
	errors   prometheus.Counter
	rtt      prometheus.Histogram

	audioQueued  prometheus.Histogram
	audioDropped [pipeline.NumAudioDrops]prometheus.Counter
}

func newMetrics(s *Stream, also prometheus.Registerer) (*metrics, error) {
	m := &metrics{registry: prometheus.NewRegistry()}
	stage := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rtcstream_frame_stage_seconds",
		Help: "Time per video frame in each stage of the server's frame path: assemble (first to last packet), " +
			"decode, wait (in the latest-frame slot), handler, encode, send, and total (first packet in to last packet out).",
		Buckets: []float64{.0005, .001, .002, .004, .008, .016, .033, .066, .1, .2, .4, 1},
	}, []string{"stage"})
	for st := range pipeline.NumStages {
		m.stages[st] = stage.WithLabelValues(st.String())
	}
	drops := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtcstream_frames_dropped_total",
		Help: "Video frames thrown away, by reason: stale (a newer frame replaced it before the handler was free), " +
			"lost, waiting_for_keyframe, decode_error, encoder (rate control).",
	}, []string{"reason"})
	for d := range pipeline.NumDrops {
		m.drops[d] = drops.WithLabelValues(d.String())
	}
	video := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtcstream_video_bytes_total",
		Help: "Encoded video received from browsers (in) and sent to them (out); its rate is the bitrate.",
	}, []string{"direction"})
	m.bytesIn, m.bytesOut = video.WithLabelValues("in"), video.WithLabelValues("out")
	m.active = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "rtcstream_sessions_active", Help: "Sessions holding resources now.",
	})
	m.waiting = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "rtcstream_sessions_waiting", Help: "Clients waiting in line for a session.",
	}, func() float64 { return float64(s.Waiting()) })
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
	m.audioQueued = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "rtcstream_audio_queue_seconds",
		Help:    "Audio waiting to be sent to a browser, observed at each 20 ms packet: the latency the server's output queue adds.",
		Buckets: []float64{.01, .02, .04, .06, .1, .2, .4, .8, 1.6},
	})
	audioDropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "rtcstream_audio_dropped_seconds_total",
		Help: "Queued audio dropped before it was sent, by reason: latency (live audio that stood in the queue, " +
			"dropped to keep the delay bounded) and flush (a reply cut off by barge-in).",
	}, []string{"reason"})
	for d := range pipeline.NumAudioDrops {
		m.audioDropped[d] = audioDropped.WithLabelValues(d.String())
	}
	for _, c := range []prometheus.Collector{stage, drops, video, m.active, m.waiting, m.ended, m.errors, m.rtt, m.audioQueued, audioDropped} {
		m.registry.MustRegister(c)
		if also != nil {
			if err := also.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// Stage, Drop and Bytes make metrics a pipeline.Observer.
func (m *metrics) Stage(s pipeline.Stage, d time.Duration) { m.stages[s].Observe(d.Seconds()) }
func (m *metrics) Drop(d pipeline.Drop)                    { m.drops[d].Inc() }
func (m *metrics) Bytes(in bool, n int) {
	if in {
		m.bytesIn.Add(float64(n))
	} else {
		m.bytesOut.Add(float64(n))
	}
}

// AudioQueued and AudioDropped make metrics a pipeline.AudioObserver.
func (m *metrics) AudioQueued(d time.Duration) { m.audioQueued.Observe(d.Seconds()) }
func (m *metrics) AudioDropped(r pipeline.AudioDrop, d time.Duration) {
	m.audioDropped[r].Add(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// audioObserver returns the audio output's observer: the metrics, or nil.
func (s *Stream) audioObserver() pipeline.AudioObserver {
	if s.metrics == nil {
		return nil
	}
	return s.metrics
}

// observer returns the frame path's observer: the metrics, or nil.
func (s *Stream) observer() pipeline.Observer {
	if s.metrics == nil {
		return nil
	}
	return s.metrics
}
