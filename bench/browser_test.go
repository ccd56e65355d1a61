package bench

// A cross-check of the bench against a real browser (Chromium, through
// internal/browsertest): both stream through one identity server at the same
// time, and what the browser measures with its own clocks and getStats()
// must agree with the bench's Latency.
//
// What the browser shows, and why the comparison is not glass-to-glass less
// getStats. The page's two videos take different paths in Chromium. The
// preview (the local camera) is drawn as its frames come: a frame is on
// screen within a vsync of its capture. The output (the server's stream) goes
// through Chromium's RTC smoothness algorithm (WebMediaPlayerMSCompositor
// with VideoRendererAlgorithm, on by default for remote tracks), which holds
// each decoded frame until WebRTC's render time (the jitter buffer's target,
// which includes libwebrtc's 10 ms render delay) and lines it up with a
// vsync. That hold, 5-27 ms on loopback, is part of glass-to-glass but in no
// getStats() figure, so glass-to-glass less encode, jitter buffer and decode
// exceeds the bench's latency by the hold less the preview's own lag: up to
// 18 ms. The like-for-like figure comes from requestVideoFrameCallback's
// metadata instead: the preview frame's captureTime and the output frame's
// receiveTime (the arrival of its last packet) are both on the page's clock,
// and their difference less the encode time per frame is the bench's span
// (encoded frame handed to the packetizer to the last packet of the returned
// frame) plus the browser's pacer and the wait between capture and encoder,
// both small.

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/metrics"
)

const (
	// The fake camera's clip: the bench's probe size and rate, frame i
	// stamped with counter i. Chromium loops it every 8 s; counters are
	// matched within half of that.
	clipW, clipH, clipFPS, clipFrames = 640, 480, 30, 240

	// The bench's share of the server while the browser streams.
	crossStreams, crossProbes = 4, 2
	crossDuration             = 15 * time.Second

	// The browser's life, and the wait for it to stream, generous for -race
	// on a loaded 2-core machine.
	crossBrowserLife = 90 * time.Second
	crossWait        = 30 * time.Second

	// Selectors of the <rtc-stream> component's parts.
	crossSelElement = "rtc-stream"
	crossSelButton  = "rtc-stream button.start-stop"
	crossSelPreview = "rtc-stream video.preview"
	crossSelOutput  = "rtc-stream video.output"
)

// crossInitScript runs in every document before the page's own scripts. The
// component keeps its RTCPeerConnection private; this keeps a reference to
// every one the page makes, in window.__pcs, for getStats. It changes
// nothing else.
const crossInitScript = `(() => {
	window.__pcs = [];
	const PC = window.RTCPeerConnection;
	if (PC) {
		window.RTCPeerConnection = class extends PC {
			constructor(...args) { super(...args); window.__pcs.push(this); }
		};
	}
})()`

// crossRecorderJS starts recording, in window.__g2g, every frame the preview
// and the output present, as [counter, shown, captureTime, receiveTime], and
// adds __g2g.sample(label), which appends a snapshot of the connection's
// cumulative getStats() counters to __g2g.stats (also taken once a second).
// Its %d verbs are the stamp's geometry and thresholds from stamp.go and %q
// the videos' selectors.
//
// The counter is read as readCounter reads it, from the frame's top 16 rows
// scaled to the clip's width (so a stream the browser sent smaller reads the
// same): inner-half means of 16x16 cells, markers in cells 0 and 1, the Gray
// code's bits compared with their complements; -1 when unreadable. Luma here
// is full-range (from the canvas's RGB), so the contrast floor is a little
// easier to meet than in the bench; the bits are judged relative to the
// markers, as there.
//
// "shown" is the time the requestVideoFrameCallback callback gets: the
// start of the rendering update that puts the frame on screen, on the
// performance.now() clock, the same for both videos when they present
// together. metadata.expectedDisplayTime is not used: for the preview it is
// one or two vsyncs after the callback, for the output the callback's own
// time, so differences of it are not latencies. captureTime (the camera's,
// local frames) and receiveTime (the last packet's arrival, remote frames)
// are -1 when the browser leaves them out.
const crossRecorderJS = `(() => {
	const W = %d, CELL = %d, BITS = %d, MIN_CONTRAST = %d, MIN_BIT = %d;
	const rec = window.__g2g = { preview: [], output: [], unreadable: { preview: 0, output: 0 }, stats: [] };

	const canvas = document.createElement("canvas");
	canvas.width = W;
	canvas.height = CELL;
	const g = canvas.getContext("2d", { willReadFrequently: true });
	const read = (v) => {
		const vw = v.videoWidth;
		if (!vw) return -1;
		g.drawImage(v, 0, 0, vw, vw * CELL / W, 0, 0, W, CELL);
		const d = g.getImageData(0, 0, W, CELL).data;
		const mean = (cell) => {
			let sum = 0, n = 0;
			for (let y = CELL / 4; y < CELL - CELL / 4; y++) {
				for (let x = cell * CELL + CELL / 4; x < (cell + 1) * CELL - CELL / 4; x++) {
					const o = (y * W + x) * 4;
					sum += 0.299 * d[o] + 0.587 * d[o + 1] + 0.114 * d[o + 2];
					n++;
				}
			}
			return Math.floor(sum / n);
		};
		let contrast = mean(0) - mean(1);
		const inverted = contrast < 0;
		if (inverted) contrast = -contrast;
		if (contrast < MIN_CONTRAST) return -1;
		const limit = Math.trunc(contrast / MIN_BIT);
		let gray = 0;
		for (let b = 0; b < BITS; b++) {
			let diff = mean(2 + b) - mean(2 + BITS + b);
			if (inverted) diff = -diff;
			if (diff > -limit && diff < limit) return -1;
			gray = (gray << 1) | (diff > 0 ? 1 : 0);
		}
		let n = gray;
		n ^= n >> 1;
		n ^= n >> 2;
		n ^= n >> 4;
		n ^= n >> 8;
		return n;
	};

	const watch = (selector, key) => {
		const v = document.querySelector(selector);
		const onFrame = (now, md) => {
			const n = read(v);
			if (n < 0) rec.unreadable[key]++;
			else rec[key].push([n, now, md.captureTime ?? -1, md.receiveTime ?? -1]);
			v.requestVideoFrameCallback(onFrame);
		};
		v.requestVideoFrameCallback(onFrame);
	};
	watch(%q, "preview");
	watch(%q, "output");

	rec.sample = async (label) => {
		const pc = window.__pcs.findLast((pc) => pc.connectionState === "connected");
		if (!pc) throw new Error("no connected RTCPeerConnection");
		const stats = await pc.getStats();
		const s = { label, t: performance.now(), rtt: -1, processingDelay: -1 };
		let pair = "";
		stats.forEach((r) => {
			if (r.type === "outbound-rtp" && r.kind === "video") {
				Object.assign(s, { encodeTime: r.totalEncodeTime, framesEncoded: r.framesEncoded,
					packetSendDelay: r.totalPacketSendDelay, packetsSent: r.packetsSent,
					sentWidth: r.frameWidth, limitation: r.qualityLimitationReason });
			} else if (r.type === "inbound-rtp" && r.kind === "video") {
				Object.assign(s, { jitterBufferDelay: r.jitterBufferDelay, jitterBufferEmitted: r.jitterBufferEmittedCount,
					jitterBufferTarget: r.jitterBufferTargetDelay, jitterBufferMinimum: r.jitterBufferMinimumDelay,
					decodeTime: r.totalDecodeTime, framesDecoded: r.framesDecoded,
					processingDelay: r.totalProcessingDelay ?? -1 });
			} else if (r.type === "transport" && r.selectedCandidatePairId) {
				pair = r.selectedCandidatePairId;
			}
		});
		const p = stats.get(pair);
		if (p && p.currentRoundTripTime !== undefined) s.rtt = p.currentRoundTripTime;
		rec.stats.push(s);
		return s;
	};
	rec.timer = setInterval(() => rec.sample("tick").catch(() => {}), 1000);
})()`

// statsSample is a snapshot of the page connection's cumulative getStats()
// counters (seconds and counts) at page time T (ms). RTT and
// ProcessingDelay are -1 when the browser does not report them.
type statsSample struct {
	Label               string  `json:"label"`
	T                   float64 `json:"t"`
	EncodeTime          float64 `json:"encodeTime"`
	FramesEncoded       float64 `json:"framesEncoded"`
	PacketSendDelay     float64 `json:"packetSendDelay"`
	PacketsSent         float64 `json:"packetsSent"`
	SentWidth           float64 `json:"sentWidth"`
	Limitation          string  `json:"limitation"`
	JitterBufferDelay   float64 `json:"jitterBufferDelay"`
	JitterBufferEmitted float64 `json:"jitterBufferEmitted"`
	JitterBufferTarget  float64 `json:"jitterBufferTarget"`
	JitterBufferMinimum float64 `json:"jitterBufferMinimum"`
	DecodeTime          float64 `json:"decodeTime"`
	FramesDecoded       float64 `json:"framesDecoded"`
	ProcessingDelay     float64 `json:"processingDelay"`
	RTT                 float64 `json:"rtt"`
}

// browserStages are the browser's per-frame means (per packet for the send
// delay) between two statsSamples.
type browserStages struct {
	Encode, PacketSend, JitterBuffer, JitterTarget, JitterMinimum, Decode time.Duration
	Processing                                                            time.Duration // -1 if not reported
}

func stagesBetween(a, b statsSample) browserStages {
	per := func(sum0, sum1, n0, n1 float64) time.Duration {
		if n1 <= n0 {
			return 0
		}
		return time.Duration((sum1 - sum0) / (n1 - n0) * float64(time.Second))
	}
	st := browserStages{
		Encode:        per(a.EncodeTime, b.EncodeTime, a.FramesEncoded, b.FramesEncoded),
		PacketSend:    per(a.PacketSendDelay, b.PacketSendDelay, a.PacketsSent, b.PacketsSent),
		JitterBuffer:  per(a.JitterBufferDelay, b.JitterBufferDelay, a.JitterBufferEmitted, b.JitterBufferEmitted),
		JitterTarget:  per(a.JitterBufferTarget, b.JitterBufferTarget, a.JitterBufferEmitted, b.JitterBufferEmitted),
		JitterMinimum: per(a.JitterBufferMinimum, b.JitterBufferMinimum, a.JitterBufferEmitted, b.JitterBufferEmitted),
		Decode:        per(a.DecodeTime, b.DecodeTime, a.FramesDecoded, b.FramesDecoded),
		Processing:    -1,
	}
	if a.ProcessingDelay >= 0 && b.ProcessingDelay >= 0 {
		st.Processing = per(a.ProcessingDelay, b.ProcessingDelay, a.FramesDecoded, b.FramesDecoded)
	}
	return st
}

// shownFrame is a frame a video presented, with its counter and page times
// in ms (see crossRecorderJS; capture and receive are -1 when unknown).
type shownFrame struct {
	counter                 int
	shown, capture, receive float64
}

func decodeShown(rows [][]float64) []shownFrame {
	out := make([]shownFrame, 0, len(rows))
	for _, r := range rows {
		if len(r) == 4 {
			out = append(out, shownFrame{int(r[0]), r[1], r[2], r[3]})
		}
	}
	return out
}

// framePair is an output frame and the preview frame of the same counter.
type framePair struct{ preview, output shownFrame }

// pairFrames pairs each output frame shown within [from, to] with the
// latest preview frame of the same counter shown no later, less than half
// the clip's loop earlier.
func pairFrames(preview, output []shownFrame, from, to float64) []framePair {
	window := float64(clipFrames) / clipFPS * 1000 / 2
	byCounter := map[int][]shownFrame{}
	for _, p := range preview {
		byCounter[p.counter] = append(byCounter[p.counter], p)
	}
	var pairs []framePair
	for _, o := range output {
		if o.shown < from || o.shown > to {
			continue
		}
		found, best := false, shownFrame{}
		for _, p := range byCounter[o.counter] {
			if p.shown <= o.shown && o.shown-p.shown < window {
				found, best = true, p
			}
		}
		if found {
			pairs = append(pairs, framePair{best, o})
		}
	}
	return pairs
}

// pairSpans summarizes span (page ms) over the pairs for which it is known.
func pairSpans(pairs []framePair, span func(framePair) (ms float64, ok bool)) Latency {
	var d []time.Duration
	for _, p := range pairs {
		if v, ok := span(p); ok {
			d = append(d, time.Duration(v*float64(time.Millisecond)))
		}
	}
	return summarize(d)
}

// serverMetric matches the per-stage sums and counts and the dropped-frame
// counters in the Stream's /metrics.
var serverMetric = regexp.MustCompile(`^rtcstream_(frame_stage_seconds_sum|frame_stage_seconds_count|frames_dropped_total)\{(?:stage|reason)="([a-z_]+)"\} (\S+)$`)

// serverCounters scrapes the server's /metrics: "sum stage", "count stage"
// and "dropped reason" to their values.
func serverCounters(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	kind := map[string]string{"frame_stage_seconds_sum": "sum", "frame_stage_seconds_count": "count", "frames_dropped_total": "dropped"}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		m := serverMetric.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("/metrics: %q: %v", sc.Text(), err)
		}
		out[kind[m[1]]+" "+m[2]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// writeCounterClip writes the fake camera's clip: mid-grey frames, frame i
// stamped with counter i as the bench's probes stamp theirs.
func writeCounterClip(t *testing.T) string {
	t.Helper()
	if perRow, rows := stampLayout(clipW); rows != 1 || perRow*cellSize != clipW {
		t.Fatalf("the stamp takes %d rows of %d cells at width %d; the page reads one row", rows, perRow, clipW)
	}
	img := image.NewYCbCr(image.Rect(0, 0, clipW, clipH), image.YCbCrSubsampleRatio420)
	for _, plane := range [][]byte{img.Y, img.Cb, img.Cr} {
		for i := range plane {
			plane[i] = 128
		}
	}
	path := filepath.Join(t.TempDir(), "counter.y4m")
	err := browsertest.WriteY4M(path, clipW, clipH, clipFPS, clipFrames, func(i int) *image.YCbCr {
		stampCounter(img, uint16(i)) // overwrites the previous frame's stamp whole
		return img
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrowserAgreesWithBench shows that the bench's latency is what a real
// browser measures of the same server at the same time. Chromium streams a
// clip whose frames carry the bench's counter through an identity server
// while the bench runs four streams (two probes) against it, and reads the
// counter back from both of its videos:
//
//   - the browser's own measure of the bench's span (the camera's capture to
//     the last packet of the returned frame, less its encode time from
//     getStats) agrees with the bench's p50;
//   - its glass-to-glass latency (preview shown to output shown, same
//     counter) less getStats' encode, jitter buffer and decode exceeds the
//     bench's p50 by no more than Chromium's render hold, which getStats
//     leaves out (see the top of this file);
//   - neither is vacuous: over a hundred frames are matched by counter, the
//     page reads nearly every counter, and the bench got its frames back.
func TestBrowserAgreesWithBench(t *testing.T) {
	if testing.Short() {
		t.Skip("streams for 15 s with a browser")
	}
	checkLeaks(t)
	ctx := testContext(t, 2*time.Minute)

	m, err := metrics.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive,
		func(img image.Image) image.Image { return img },
		// Every frame handled: this compares the bench's and the
		// browser's measures of one server, which the overload governor
		// would shed frames of on a busy machine (it is tested in the
		// rtcstream package, TestOverloadShedsEverySessionAlike).
		&rtcstream.Options{Network: loopback, Observer: m, FullFrameRate: true})
	if err != nil {
		t.Fatal(err)
	}
	url := streamtest.ServeWithMetrics(t, s, m)

	// The browser, streaming, with the recorder running.
	bctx := browsertest.New(t, browsertest.Options{FakeVideo: writeCounterClip(t), Timeout: crossBrowserLife})
	if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: crossInitScript})
		return err
	})); err != nil {
		t.Fatalf("installing the page hook: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	for _, step := range []func() error{
		func() error { return browsertest.WaitAttr(bctx, crossSelElement, "data-state", "idle", crossWait) },
		func() error { return browsertest.Click(bctx, crossSelButton) },
		func() error { return browsertest.WaitAttr(bctx, crossSelElement, "data-state", "streaming", crossWait) },
		func() error { _, _, err := browsertest.WaitVideo(bctx, crossSelOutput, crossWait); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := browsertest.Eval[any](bctx, fmt.Sprintf(crossRecorderJS,
		clipW, cellSize, stampBits, minContrast, minBitContrast, crossSelPreview, crossSelOutput)); err != nil {
		t.Fatalf("starting the recorder: %v", err)
	}
	sample := func(label string) statsSample {
		t.Helper()
		v, err := browsertest.Eval[statsSample](bctx, fmt.Sprintf("window.__g2g.sample(%q)", label))
		if err != nil {
			t.Fatalf("getStats: %v", err)
		}
		return v
	}

	// The bench, meanwhile. Its streams send until crossDuration after it
	// starts; the browser's span is the same, without the bench's drain.
	countersBefore := serverCounters(t, url)
	first := sample("start")
	type result struct {
		r   *Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := Run(ctx, url, &Options{
			Streams: crossStreams, Probes: crossProbes, Width: clipW, Height: clipH, FPS: clipFPS, Duration: crossDuration,
		})
		done <- result{r, err}
	}()
	select {
	case <-time.After(crossDuration):
	case res := <-done:
		t.Fatalf("the bench returned before its time: %v", res.err)
	}
	last := sample("end")
	res := <-done
	countersAfter := serverCounters(t, url)
	if res.err != nil {
		t.Fatal(res.err)
	}
	r := res.r

	// What the page recorded.
	stats, err := browsertest.Eval[[]statsSample](bctx, "(clearInterval(window.__g2g.timer), window.__g2g.stats)")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := browsertest.Eval[map[string][][]float64](bctx, "({preview: window.__g2g.preview, output: window.__g2g.output})")
	if err != nil {
		t.Fatal(err)
	}
	unreadable, err := browsertest.Eval[map[string]int](bctx, "window.__g2g.unreadable")
	if err != nil {
		t.Fatal(err)
	}
	preview, output := decodeShown(rows["preview"]), decodeShown(rows["output"])
	pairs := pairFrames(preview, output, first.T, last.T)
	g2g := pairSpans(pairs, func(p framePair) (float64, bool) { return p.output.shown - p.preview.shown, true })
	toLastPacket := pairSpans(pairs, func(p framePair) (float64, bool) {
		return p.output.receive - p.preview.capture, p.preview.capture >= 0 && p.output.receive >= 0
	})
	previewLag := pairSpans(pairs, func(p framePair) (float64, bool) {
		return p.preview.shown - p.preview.capture, p.preview.capture >= 0
	})
	outputLag := pairSpans(pairs, func(p framePair) (float64, bool) {
		return p.output.shown - p.output.receive, p.output.receive >= 0
	})
	st := stagesBetween(first, last)
	var rtt time.Duration
	var rtts int
	for _, s := range stats {
		if s.T >= first.T && s.T <= last.T && s.RTT >= 0 {
			rtt += time.Duration(s.RTT * float64(time.Second))
			rtts++
		}
	}
	if rtts > 0 {
		rtt /= time.Duration(rtts)
	}
	accounted := st.Encode + st.JitterBuffer + st.Decode
	fromGlass := g2g.P50 - accounted       // glass to glass less getStats' stages
	direct := toLastPacket.P50 - st.Encode // the like-for-like figure
	renderHold := outputLag.P50 - st.JitterBuffer - st.Decode

	// The table.
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(tw, "%s\t%s\n", name, fmt.Sprintf(format, args...))
	}
	lat := func(l Latency) string {
		return fmt.Sprintf("p50 %s  p95 %s  mean %s  (%d frames)", fmtMS(l.P50), fmtMS(l.P95), fmtMS(l.Mean), l.N)
	}
	row("bench latency", "%s, %.1f%% returned", lat(r.Latency), 100*r.ReturnedRatio)
	row("bench probe latency", "%s", lat(r.ProbeLatency))
	for _, sr := range r.Streams {
		row(fmt.Sprintf("  stream %d", sr.Index), "probe %v: %d of %d returned, %d slots late, p50 %s",
			sr.Probe, sr.Returned, sr.Sent, sr.SendLate, fmtMS(sr.Latency.P50))
	}
	row("browser glass-to-glass", "%s", lat(g2g))
	row("  encode / frame", "%s", fmtMS(st.Encode))
	row("  packet send delay / packet", "%s", fmtMS(st.PacketSend))
	row("  jitter buffer / frame", "%s (target %s, minimum %s)", fmtMS(st.JitterBuffer), fmtMS(st.JitterTarget), fmtMS(st.JitterMinimum))
	row("  decode / frame", "%s", fmtMS(st.Decode))
	if st.Processing >= 0 {
		row("  processing / frame", "%s (first packet to decoded)", fmtMS(st.Processing))
	}
	row("  g2g p50 - those three", "%s (bench p50 + render hold - preview lag)", fmtMS(fromGlass))
	row("browser capture to last packet", "%s", lat(toLastPacket))
	row("  less encode: browser's bench span", "%s", fmtMS(direct))
	row("preview lag (capture to shown)", "%s", lat(previewLag))
	row("output lag (last packet to shown)", "%s", lat(outputLag))
	row("  render hold (less jb and decode)", "%s", fmtMS(renderHold))
	row("round-trip time", "%s (mean of %d samples)", fmtMS(rtt), rtts)
	for _, stage := range []string{"assemble", "decode", "wait", "handler", "encode", "send", "total"} {
		if n := countersAfter["count "+stage] - countersBefore["count "+stage]; n > 0 {
			mean := (countersAfter["sum "+stage] - countersBefore["sum "+stage]) / n
			row("server "+stage, "%s (%.0f frames, all sessions)", fmtMS(time.Duration(mean*float64(time.Second))), n)
		}
	}
	var drops []string
	for k, v := range countersAfter {
		if reason, ok := strings.CutPrefix(k, "dropped "); ok && v > countersBefore[k] {
			drops = append(drops, fmt.Sprintf("%s %.0f", reason, v-countersBefore[k]))
		}
	}
	slices.Sort(drops)
	row("server frames dropped", "%s; bench missing %d of %d", strings.Join(drops, ", "), r.Sent-r.Returned, r.Sent)
	row("counters read", "preview %d (%d unreadable), output %d (%d unreadable)",
		len(preview), unreadable["preview"], len(output), unreadable["output"])
	row("browser sends", "%.0f wide, quality limited by %q", last.SentWidth, last.Limitation)
	tw.Flush()
	fmt.Fprintf(&b, "per second, ms (encode, jitter buffer, decode per frame; rtt):")
	for i := 1; i < len(stats); i++ {
		if stats[i].T > first.T && stats[i].T <= last.T && stats[i].T-stats[i-1].T > 500 {
			d := stagesBetween(stats[i-1], stats[i])
			fmt.Fprintf(&b, "\n  %4.1f s  %4.1f  %4.1f  %4.1f;  %4.1f", (stats[i].T-first.T)/1000,
				d.Encode.Seconds()*1000, d.JitterBuffer.Seconds()*1000, d.Decode.Seconds()*1000, stats[i].RTT*1000)
		}
	}
	t.Logf("the bench and a browser against one server at once:\n%s", b.String())

	// Not vacuous. The page reads nearly every counter it sees (none was
	// unreadable in any run measured), and a hundred pairs is under a third
	// of what the runs measured gave (345-418; under -race 343-391).
	for _, v := range []struct {
		name   string
		frames []shownFrame
	}{{"preview", preview}, {"output", output}} {
		if n, bad := len(v.frames), unreadable[v.name]; n < 100 || bad > n/20 {
			t.Errorf("%s: %d counters read, %d unreadable", v.name, n, bad)
		}
	}
	if g2g.N < 100 || toLastPacket.N < 100 {
		t.Fatalf("%d frames matched by counter between the preview and the output, %d with both capture and receive times; want 100",
			g2g.N, toLastPacket.N)
	}

	// The bench measured most of its frames, and lost none unaccounted for.
	// 97-100% came back in the runs measured (90% under -race, whose
	// instrumented handler goroutines fall behind and drop stale frames);
	// a server that also skipped frames in its encoders after an overshoot
	// returned 60-96%, which is why such skipping stays off. The bounds,
	// 80% (50% under -race), leave room for a loaded machine's stale drops.
	// What must hold exactly: the frames the bench did not get back are no
	// more than the server's /metrics says it dropped (over all sessions,
	// the browser's too), within 2% of the frames sent, so the bench counts
	// right.
	minReturned := 0.8
	if raceEnabled {
		minReturned = 0.5
	}
	missing := float64(r.Sent) - float64(r.Returned)
	var dropped float64
	for k, v := range countersAfter {
		if strings.HasPrefix(k, "dropped ") {
			dropped += v - countersBefore[k]
		}
	}
	if r.Connected != crossStreams || len(r.Ended) > 0 || !r.TimestampsCarried {
		t.Errorf("bench: %d of %d streams connected, ended early %v, timestamps carried %v",
			r.Connected, crossStreams, r.Ended, r.TimestampsCarried)
	}
	if r.ReturnedRatio < minReturned || missing > dropped+0.02*float64(r.Sent) {
		t.Errorf("bench: %d of %d frames returned (%.1f%%, want %.0f%%); %.0f missing, %.0f dropped by the server",
			r.Returned, r.Sent, 100*r.ReturnedRatio, 100*minReturned, missing, dropped)
	}

	// Agreement. The browser's figure was within 4.3 ms of the bench's p50
	// in every run (p50s of 6-15 ms, on a machine shared with another
	// engineer's 32-stream bench); the bound, max(10 ms, half the bench's
	// p50), leaves more than twice that for a busier machine. Under -race
	// the bench's client runs in the instrumented process and adds its own
	// slowness to its figure, which then reads about twice the browser's
	// (36 vs 19, 67 vs 33, 51 vs 30, 53 vs 27 ms): the bound there only
	// catches gross disagreement, a bench reading lower than the browser or
	// more than three times it.
	//
	// The browser's figure holds its pacer's delay (packet send delay) and
	// the bench's client sends unpaced: on a quiet machine the pacer holds
	// packets a few ms, but CI once starved the browser until it held them
	// 169 ms a packet (bench 278 ms, browser 344 ms). So the bench may read
	// lower than the browser by up to that delay.
	paced := st.PacketSend
	if raceEnabled {
		if r.Latency.P50 < direct-paced-15*time.Millisecond || r.Latency.P50 > 3*direct+15*time.Millisecond {
			t.Errorf("bench p50 %s, the browser's own figure %s (%s of it paced): want the bench between the browser's - pacing - 15 ms and 3x + 15 ms (-race)",
				fmtMS(r.Latency.P50), fmtMS(direct), fmtMS(paced))
		}
	} else if d, tol := direct-r.Latency.P50, max(10*time.Millisecond, r.Latency.P50/2); d > tol+paced || -d > tol {
		t.Errorf("the browser's capture to last packet less encode, %s (%s of it paced), and the bench's p50, %s, differ by %s, more than %s (+ pacing if the browser's is the higher)",
			fmtMS(direct), fmtMS(paced), fmtMS(r.Latency.P50), fmtMS(d), fmtMS(tol))
	}

	// Glass to glass. Less the stages getStats reports, it exceeds the
	// bench's p50 by the output's render hold (5-27 ms measured) less the
	// preview's own lag (1-13 ms p50: the phase of the camera's 30 fps
	// against the 60 Hz vsync, fixed within a run): -2 to +18 ms in every
	// run, against 6-15 ms for the bench itself. The bound, -15 to +50 ms,
	// leaves a vsync below and two more above for a loaded machine; a bench
	// figure outside it is off by more than Chromium's rendering explains.
	// Not under -race, where the bench's figure is inflated as above.
	if excess := fromGlass - r.Latency.P50; !raceEnabled && (excess < -15*time.Millisecond || excess > 50*time.Millisecond) {
		t.Errorf("glass-to-glass p50 %s less encode, jitter buffer and decode (%s) is %s, the bench's p50 %s: %s over it, want -15 to +50 ms",
			fmtMS(g2g.P50), fmtMS(accounted), fmtMS(fromGlass), fmtMS(r.Latency.P50), fmtMS(excess))
	}
}
