package rtcstream_test

import (
	"context"
	"io"
	"iter"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/metrics"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/voice"
)

// metricValue reads one sample from a Prometheus text exposition.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no %s in the metrics:\n%s", series, text)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

func TestMetrics(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	m, err := metrics.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert,
		&rtcstream.Options{Network: loopback, Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	url := streamtest.ServeWithMetrics(t, s, m)
	c := dial(t, ctx, url)
	sent := sendFrames(t, ctx, c, 320, 240, 30, 30)
	for range 20 {
		if _, err := c.ReadFrame(ctx); err != nil {
			t.Fatal(err)
		}
	}
	text := scrape(t, url+"/metrics")
	for _, stage := range []string{"assemble", "decode", "wait", "handler", "encode", "send", "total"} {
		// The last frames' send and total are recorded just after their
		// packets leave, so the client may have them first.
		if n := metricValue(t, text, `rtcstream_frame_stage_seconds_count{stage="`+stage+`"}`); n < 18 {
			t.Errorf("stage %s observed %v times, want at least 18", stage, n)
		}
	}
	if v := metricValue(t, text, "rtcstream_sessions_active"); v != 1 {
		t.Errorf("sessions_active %v", v)
	}
	for _, dir := range []string{"in", "out"} {
		if v := metricValue(t, text, `rtcstream_video_bytes_total{direction="`+dir+`"}`); v < 20*100 {
			t.Errorf("video bytes %s = %v", dir, v)
		}
	}
	<-sent
	c.Close()
	text = scrape(t, url+"/metrics")
	if v := metricValue(t, text, "rtcstream_sessions_active"); v != 0 {
		t.Errorf("sessions_active %v after stop", v)
	}
	if v := metricValue(t, text, `rtcstream_sessions_ended_total{reason="stopped by the client"}`); v != 1 {
		t.Errorf("sessions ended by the client: %v", v)
	}
}

// TestMetricsOffByDefault: a Stream serves no /metrics of its own; the
// user mounts package metrics where they want it.
func TestMetricsOffByDefault(t *testing.T) {
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, invert, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("a Stream's own /metrics: %d, want 404", resp.StatusCode)
	}
}

// TestAudioMetrics: the audio output's queue and what it drops are
// metrics. A client that sends 400 ms of audio at once on top of a
// real-time stream makes that much stand in an echo's output queue; the
// server drops it to bound the delay, and says so.
func TestAudioMetrics(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	echo := func(f media.AudioFrame) media.AudioFrame { return f }
	m, err := metrics.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, echo,
		&rtcstream.Options{Network: loopback, Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	url := streamtest.ServeWithMetrics(t, s, m)
	c := audioConn(t, ctx, url)
	signal := babble(5*time.Second, client.AudioRate, 2)
	const n = client.AudioFrameSamples
	start := time.Now()
	for i := 0; (i+1)*n <= len(signal); i++ {
		// Frames 50-69 go at once, 400 ms early.
		due := start.Add(time.Duration(i) * 20 * time.Millisecond)
		if i >= 50 {
			due = due.Add(-400 * time.Millisecond)
		}
		time.Sleep(time.Until(due))
		if err := c.WriteAudio(signal[i*n:(i+1)*n], time.Duration(i)*20*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	text := scrape(t, url+"/metrics")
	if v := metricValue(t, text, "rtcstream_audio_queue_seconds_count"); v < 150 {
		t.Errorf("the audio queue was observed %v times in 5 s, want a time per packet", v)
	}
	if v := metricValue(t, text, `rtcstream_audio_dropped_seconds_total{reason="latency"}`); v < 0.3 || v > 0.6 {
		t.Errorf("%v s of audio dropped for latency, want about the 0.4 s sent early", v)
	}
	if v := metricValue(t, text, `rtcstream_audio_dropped_seconds_total{reason="flush"}`); v != 0 {
		t.Errorf("%v s of audio flushed, want none", v)
	}
}

// TestTurnMetrics: voice.ReplyOnPause reports each turn through
// Session.ReportTurn, and the metrics count it by detector with its
// timings: the turn ends a pause (480 ms, plus a window) after the speech.
func TestTurnMetrics(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	m, err := metrics.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	sayBack := func(ctx context.Context, u media.AudioFrame) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) { yield(u) }
	}
	h := voice.ReplyOnPause(sayBack, &voice.ReplyOnPauseOptions{Detector: func() (vad.Detector, error) { return vad.NewEnergyDetector(), nil }})
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, h,
		&rtcstream.Options{Network: loopback, Observer: m, AudioInputRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	url := streamtest.ServeWithMetrics(t, s, m)
	c := audioConn(t, ctx, url)
	rate, hello, err := browsertest.ReadWAV("vad/testdata/hello.wav")
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := media.NewResampler(rate, client.AudioRate, 1, media.QualityMedium)
	speech := append(rs.Flush(rs.Process(nil, hello)), make([]int16, 2*client.AudioRate)...)
	writePaced(t, ctx, c, speech, &timedAudio{})
	text := scrape(t, url+"/metrics")
	if v := metricValue(t, text, `rtcstream_turns_total{detector="energy"}`); v != 1 {
		t.Fatalf("%v turns counted for the energy detector, want 1", v)
	}
	end := metricValue(t, text, "rtcstream_turn_end_seconds_sum")
	reply := metricValue(t, text, "rtcstream_turn_first_reply_seconds_sum")
	if end < 0.45 || end > 0.6 || reply < end || reply > end+0.3 {
		t.Errorf("turn end %.3f s, first reply %.3f s after the speech; want about 0.5 s, and the reply just after", end, reply)
	}
}
