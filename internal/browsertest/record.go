package browsertest

// Recording what a person hears: the page's microphone and the audio it
// plays, captured together in one AudioContext so that both channels share
// one clock (the lag between them is the page's own round trip), plus the
// pure-Go arithmetic to read the recording: lag by cross-correlation, levels
// and which tone is playing.

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/cmplx"
	"net/http"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// RecordRate is the rate of a recording: the page's 48 kHz averaged over 6
// samples, enough for speech's lag and level and for tones below 2 kHz.
const RecordRate = 8000

// RecorderWorkletPath is where StartRecording loads its AudioWorklet from,
// on the page's origin: the test's server must answer it with
// RecorderWorklet.
const RecorderWorkletPath = "/browsertest/recorder-worklet.js"

// RecorderWorklet serves the recorder's AudioWorklet module.
var RecorderWorklet http.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/javascript")
	_, _ = io.WriteString(w, recorderWorklet)
})

const recorderWorklet = `registerProcessor("bt-rec", class extends AudioWorkletProcessor {
		constructor() { super(); this.buf = new Int16Array(2048); this.k = 0; this.a = 0; this.b = 0; this.m = 0; }
		process(inputs) {
			const ch = inputs[0] || [], x = ch[0], y = ch[1];
			const n = x ? x.length : 128, q = (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768 / 6)));
			for (let i = 0; i < n; i++) {
				if (x) this.a += x[i];
				if (y) this.b += y[i];
				if (++this.m < 6) continue;
				this.buf[this.k++] = q(this.a); this.buf[this.k++] = q(this.b);
				this.a = this.b = this.m = 0;
				if (this.k === this.buf.length) {
					this.port.postMessage(this.buf, [this.buf.buffer]);
					this.buf = new Int16Array(2048); this.k = 0;
				}
			}
			return true;
		}
	});`

// recordJS starts the recorder: a ChannelMerger puts the microphone (the
// MediaStream that the expression %[1]s evaluates to, or nothing) on channel
// 0 and the stream that the media element %[2]s plays on channel 1, and an
// AudioWorklet (served from the page's own origin at RecorderWorkletPath,
// which the page's Content-Security-Policy allows) decimates both to RecordRate and posts
// them in 128 ms chunks of interleaved Int16. The worklet runs on the audio
// thread, so a busy main thread delays the chunks but loses none. Each
// chunk's arrival also estimates the clock: offset is the least
// performance.now() (s) minus the recording's length (s) seen, so a
// performance.now() t is at sample (t/1000 - offset) * RecordRate.
const recordJS = `(async () => {
	if (window.__btRec) throw new Error("already recording");
	const mic = %[1]s, out = document.querySelector(%[2]s)?.srcObject;
	if (!(out instanceof MediaStream) || out.getAudioTracks().length === 0) throw new Error("the output element plays no audio stream");
	if (mic !== null && !(mic instanceof MediaStream)) throw new Error("the microphone is not a MediaStream");
	const ctx = new AudioContext({ sampleRate: 48000 });
	await ctx.audioWorklet.addModule(%[4]q);
	const merger = ctx.createChannelMerger(2);
	if (mic) ctx.createMediaStreamSource(new MediaStream(mic.getAudioTracks())).connect(merger, 0, 0);
	ctx.createMediaStreamSource(new MediaStream(out.getAudioTracks())).connect(merger, 0, 1);
	const node = new AudioWorkletNode(ctx, "bt-rec", { channelCount: 2, channelCountMode: "explicit" });
	const mute = ctx.createGain();
	mute.gain.value = 0;
	merger.connect(node).connect(mute).connect(ctx.destination); // pulled by the destination, heard nowhere
	const rec = window.__btRec = { ctx, chunks: [], n: 0, offset: Infinity };
	node.port.onmessage = (e) => {
		rec.chunks.push(e.data);
		rec.n += e.data.length / 2;
		rec.offset = Math.min(rec.offset, performance.now() / 1000 - rec.n / %[3]d);
	};
	await ctx.resume();
	return ctx.state;
})()`

// readJS returns samples [%d, %d) of the recording (the end clamped to its
// length) as base64 interleaved little-endian Int16, with the recording's
// length and clock offset.
const readJS = `(() => {
	const rec = window.__btRec;
	if (!rec) throw new Error("not recording");
	const from = Math.min(%d, rec.n), to = Math.max(from, Math.min(%d, rec.n));
	const out = new Int16Array((to - from) * 2);
	let at = 0; // sample index of the chunk's start
	for (const c of rec.chunks) {
		const len = c.length / 2;
		const lo = Math.max(from, at), hi = Math.min(to, at + len);
		if (lo < hi) out.set(c.subarray((lo - at) * 2, (hi - at) * 2), (lo - from) * 2);
		at += len;
		if (at >= to) break;
	}
	const u8 = new Uint8Array(out.buffer);
	let s = "";
	for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
	return { from, n: rec.n, offset: rec.offset, data: btoa(s) };
})()`

// recordChunk is what readJS returns.
type recordChunk struct {
	From   int     `json:"from"`
	N      int     `json:"n"`
	Offset float64 `json:"offset"`
	Data   string  `json:"data"`
}

// Recording is a stretch of what the recorder heard, at RecordRate, full
// scale 1.
type Recording struct {
	Mic, Out []float64 // the microphone and the played output, aligned
	From     int       // the index of Mic[0] and Out[0] in the whole recording
	Len      int       // the whole recording's length when read
	// Offset maps the page's clock: performance.now() t (ms) is at sample
	// (t/1000 - Offset) * RecordRate of the whole recording.
	Offset float64
}

// StartRecording starts recording, in the page, the microphone and what the
// media element matching outSelector plays (its srcObject, which must hold
// an audio track), on one clock. mic is a JavaScript expression for the
// microphone's MediaStream, or "" for none (channel 0 is then silent). Read
// the recording with ReadRecording; it runs until the page goes away.
//
// The output is taken from the element's stream, after WebRTC's jitter
// buffer and before the element's own output buffer, which headless Chromium
// does not play to a device.
func StartRecording(ctx context.Context, mic, outSelector string) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if mic == "" {
		mic = "null"
	}
	state, err := Eval[string](ctx, fmt.Sprintf(recordJS, mic, jsString(outSelector), RecordRate, RecorderWorkletPath))
	if err != nil {
		return fmt.Errorf("browsertest: starting the recorder: %w", err)
	}
	if state != "running" {
		return fmt.Errorf("browsertest: the recorder's AudioContext is %q, want running", state)
	}
	return nil
}

// ReadRecording returns samples [from, to) of the recording that
// StartRecording started, or fewer when it is not that long yet; to < 0
// reads to its end.
func ReadRecording(ctx context.Context, from, to int) (Recording, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if to < 0 {
		to = math.MaxInt32
	}
	raw, err := Eval[recordChunk](ctx, fmt.Sprintf(readJS, from, to))
	if err != nil {
		return Recording{}, fmt.Errorf("browsertest: reading the recording: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(raw.Data)
	if err != nil {
		return Recording{}, fmt.Errorf("browsertest: reading the recording: %w", err)
	}
	r := Recording{From: raw.From, Len: raw.N, Offset: raw.Offset}
	r.Mic, r.Out = deinterleave(b)
	return r, nil
}

// deinterleave splits little-endian interleaved stereo Int16 into two
// channels, full scale 1.
func deinterleave(b []byte) (a, c []float64) {
	n := len(b) / 4
	a, c = make([]float64, n), make([]float64, n)
	for i := range n {
		a[i] = float64(int16(binary.LittleEndian.Uint16(b[4*i:]))) / 32768
		c[i] = float64(int16(binary.LittleEndian.Uint16(b[4*i+2:]))) / 32768
	}
	return a, c
}

// WaitRecorded waits until the recording holds at least n samples.
func WaitRecorded(ctx context.Context, n int, timeout time.Duration) error {
	return Poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		got, err := Eval[int](ctx, `window.__btRec ? window.__btRec.n : 0`)
		return got >= n, err
	})
}

// SampleAt returns the index in the whole recording of the page's
// performance.now() t (ms), by the recording's clock offset.
func (r Recording) SampleAt(t float64) int {
	return int(math.Round((t/1000 - r.Offset) * RecordRate))
}

// Seconds is a number of samples at RecordRate as a duration.
func Seconds(samples int) time.Duration {
	return time.Duration(samples) * time.Second / RecordRate
}

// Samples is a duration as a number of samples at RecordRate.
func Samples(d time.Duration) int {
	return int(d * RecordRate / time.Second)
}

// --- peer connections -------------------------------------------------------

// trackPCsJS keeps every RTCPeerConnection the page makes in
// window.__btPCs, without changing what the page does.
const trackPCsJS = `(() => {
	window.__btPCs = [];
	const PC = window.RTCPeerConnection;
	if (PC) window.RTCPeerConnection = class extends PC {
		constructor(...args) { super(...args); window.__btPCs.push(this); }
	};
})()`

// TrackPeerConnections makes every document the tab of ctx loads keep its
// RTCPeerConnections where ReadAudioStats can read their statistics. Call it
// before navigating.
func TrackPeerConnections(ctx context.Context) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: trackPCsJS})
		return err
	}))
	if err != nil {
		return fmt.Errorf("browsertest: tracking peer connections: %w", err)
	}
	return nil
}

// AudioStats is what getStats() says of a connection's audio so far.
type AudioStats struct {
	PacketsSent     int // outbound-rtp: from the microphone
	PacketsReceived int // inbound-rtp: from the server
	// The inbound audio's jitter buffer: the total time its samples were
	// held before playing, and how many samples that counts.
	JitterBufferDelay   float64 // seconds
	JitterBufferEmitted float64
	// What the browser played that it did not receive as it came: samples
	// it made up for late or lost packets (concealed), and samples it
	// added or removed to grow or shrink its jitter buffer (time
	// stretching); and all the samples it received.
	Concealed, Stretched, Samples float64
	// At is when the stats were taken, on the page's clock.
	At time.Duration
}

// Altered is the share of the audio played since prev that the browser
// concealed or stretched rather than played as it came: 0 on a quiet
// machine and network; a browser starved of CPU alters much more.
func (s AudioStats) Altered(prev AudioStats) float64 {
	n := s.Samples - prev.Samples
	if n <= 0 {
		return 0
	}
	return (s.Concealed - prev.Concealed + s.Stretched - prev.Stretched) / n
}

// Rates are the packets a second the page sent and received since prev.
func (s AudioStats) Rates(prev AudioStats) (sent, received float64) {
	d := (s.At - prev.At).Seconds()
	if d <= 0 {
		return 0, 0
	}
	return float64(s.PacketsSent-prev.PacketsSent) / d, float64(s.PacketsReceived-prev.PacketsReceived) / d
}

// JitterBuffer is how long the browser held what it played, on average,
// since prev (a zero AudioStats: since the start).
func (s AudioStats) JitterBuffer(prev AudioStats) time.Duration {
	n := s.JitterBufferEmitted - prev.JitterBufferEmitted
	if n <= 0 {
		return 0
	}
	return time.Duration((s.JitterBufferDelay - prev.JitterBufferDelay) / n * float64(time.Second))
}

// VideoCodecs reads, from getStats() of the page's last connected
// RTCPeerConnection (see TrackPeerConnections), the codecs its video
// travels in: the MIME types of what it sends and what it receives ("" for
// a direction with no packets yet).
func VideoCodecs(ctx context.Context) (sent, received string, err error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	v, err := Eval[[2]string](ctx, `(async () => {
		const pcs = (window.__btPCs || []).filter((pc) => pc.connectionState === "connected");
		if (pcs.length === 0) throw new Error("no connected RTCPeerConnection (TrackPeerConnections before loading the page)");
		const stats = await pcs[pcs.length - 1].getStats();
		const v = ["", ""];
		stats.forEach((s) => {
			if (s.kind !== "video" || !s.codecId) return;
			const c = stats.get(s.codecId);
			if (s.type === "outbound-rtp" && s.packetsSent > 0) v[0] = c ? c.mimeType : "?";
			if (s.type === "inbound-rtp" && s.packetsReceived > 0) v[1] = c ? c.mimeType : "?";
		});
		return v;
	})()`)
	if err != nil {
		return "", "", fmt.Errorf("browsertest: video codecs: %w", err)
	}
	return v[0], v[1], nil
}

// ReadAudioStats reads getStats() of the page's last connected
// RTCPeerConnection (see TrackPeerConnections).
func ReadAudioStats(ctx context.Context) (AudioStats, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	v, err := Eval[[8]float64](ctx, `(async () => {
		const pcs = (window.__btPCs || []).filter((pc) => pc.connectionState === "connected");
		if (pcs.length === 0) throw new Error("no connected RTCPeerConnection (TrackPeerConnections before loading the page)");
		const v = [0, 0, 0, 0, 0, 0, 0, 0];
		(await pcs[pcs.length - 1].getStats()).forEach((s) => {
			if (s.type === "outbound-rtp" && s.kind === "audio") v[4] = s.timestamp;
			if (s.kind !== "audio") return;
			if (s.type === "outbound-rtp") v[0] += s.packetsSent;
			if (s.type === "inbound-rtp") {
				v[1] += s.packetsReceived;
				v[2] += s.jitterBufferDelay || 0;
				v[3] += s.jitterBufferEmittedCount || 0;
				v[5] += s.concealedSamples || 0;
				v[6] += (s.insertedSamplesForDeceleration || 0) + (s.removedSamplesForAcceleration || 0);
				v[7] += s.totalSamplesReceived || 0;
			}
		});
		return v;
	})()`)
	if err != nil {
		return AudioStats{}, fmt.Errorf("browsertest: audio stats: %w", err)
	}
	return AudioStats{PacketsSent: int(v[0]), PacketsReceived: int(v[1]), JitterBufferDelay: v[2], JitterBufferEmitted: v[3],
		Concealed: v[5], Stretched: v[6], Samples: v[7], At: time.Duration(v[4] * float64(time.Millisecond))}, nil
}

// --- reading a recording ----------------------------------------------------

// Lag finds ref in got: the lag (0 <= lag <= maxLag, and ref fits in got)
// at which got[lag:lag+len(ref)] correlates best with ref, and that
// normalised correlation (1: the same waveform at any gain). It is -1, 0
// when ref is silent or got holds no full copy's length.
func Lag(ref, got []float64, maxLag int) (lag int, corr float64) {
	maxLag = min(maxLag, len(got)-len(ref))
	if maxLag < 0 || len(ref) == 0 {
		return -1, 0
	}
	var eRef float64
	for _, v := range ref {
		eRef += v * v
	}
	if eRef == 0 {
		return -1, 0
	}
	xc := CrossCorrelation(ref, got)
	// got's energy under ref at each lag, by prefix sums.
	cum := make([]float64, len(got)+1)
	for i, v := range got {
		cum[i+1] = cum[i] + v*v
	}
	lag, corr = -1, math.Inf(-1)
	for l := 0; l <= maxLag; l++ {
		e := cum[l+len(ref)] - cum[l]
		if e <= 0 {
			continue
		}
		if c := xc[l] / math.Sqrt(eRef*e); c > corr {
			lag, corr = l, c
		}
	}
	if lag < 0 {
		return -1, 0
	}
	return lag, corr
}

// CrossCorrelation returns, for each lag l in [0, len(got)), the sum over
// i of ref[i]*got[l+i] (got taken as zero past its end), computed with an
// FFT.
func CrossCorrelation(ref, got []float64) []float64 {
	n := 1
	for n < len(ref)+len(got) {
		n <<= 1
	}
	a, b := make([]complex128, n), make([]complex128, n)
	for i, v := range got {
		a[i] = complex(v, 0)
	}
	for i, v := range ref {
		b[i] = complex(v, 0)
	}
	fft(a, false)
	fft(b, false)
	for i := range a {
		a[i] *= cmplx.Conj(b[i])
	}
	fft(a, true)
	xc := make([]float64, len(got))
	for l := range xc {
		xc[l] = real(a[l]) / float64(n)
	}
	return xc
}

// LagTrack is Lag over chunks of ref, chunk samples long every hop
// samples: chunk i is ref[i*hop : i*hop+chunk], sought in got from i*hop
// (got runs maxLag past ref, as for Lag). Chunks of ref quieter than floor
// (RMS, full scale 1) are left out. A lag that drifts blurs one long
// correlation; the track shows the drift, and its median is a lag that a
// few disturbed chunks do not move.
func LagTrack(ref, got []float64, chunk, hop, maxLag int, floor float64) (lags []int, corrs []float64) {
	for at := 0; at+chunk <= len(ref); at += hop {
		if Levels(ref[at:at+chunk], chunk)[0] < floor {
			continue
		}
		lag, corr := Lag(ref[at:at+chunk], got[at:min(len(got), at+chunk+maxLag)], maxLag)
		if lag >= 0 {
			lags, corrs = append(lags, lag), append(corrs, corr)
		}
	}
	return lags, corrs
}

// fft is an in-place radix-2 FFT (len(x) a power of two); the inverse is
// unscaled.
func fft(x []complex128, inverse bool) {
	n := len(x)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	sign := -1.0
	if inverse {
		sign = 1
	}
	for size := 2; size <= n; size <<= 1 {
		step := sign * 2 * math.Pi / float64(size)
		for k := range size / 2 {
			w := cmplx.Rect(1, step*float64(k)) // exact per k: no drift over long transforms
			for start := k; start < n; start += size {
				u, v := x[start], x[start+size/2]*w
				x[start], x[start+size/2] = u+v, u-v
			}
		}
	}
}

// Levels returns the RMS level (full scale 1) of x in consecutive windows
// of win samples.
func Levels(x []float64, win int) []float64 {
	out := make([]float64, 0, len(x)/win)
	for i := 0; i+win <= len(x); i += win {
		var e float64
		for _, v := range x[i : i+win] {
			e += v * v
		}
		out = append(out, math.Sqrt(e/float64(win)))
	}
	return out
}

// Tones says which of freqs (Hz) sounds in x (at rate) in windows of win
// samples every hop samples (window i covers x[i*hop : i*hop+win]): the
// index of the frequency that holds more than half of the window's energy
// (by the Goertzel algorithm), or -1 when the window is quieter than floor
// (RMS, full scale 1) or no frequency dominates. A window straddling two
// notes belongs to the one that fills most of it, so a note's start is
// found to within hop. Make win hold several periods of every frequency,
// and the frequencies more than rate/win apart.
func Tones(x []float64, rate int, freqs []float64, win, hop int, floor float64) []int {
	var out []int
	for i := 0; i+win <= len(x); i += hop {
		w := x[i : i+win]
		var e float64
		for _, v := range w {
			e += v * v
		}
		best, bestP := -1, 0.0
		if math.Sqrt(e/float64(win)) >= floor {
			for k, f := range freqs {
				if p := goertzel(w, f/float64(rate)); p > bestP {
					best, bestP = k, p
				}
			}
			// A sine of amplitude A over win samples: power (A*win/2)^2,
			// energy A^2*win/2, so power*2/win is the energy it explains.
			if bestP*2/float64(win) < e/2 {
				best = -1
			}
		}
		out = append(out, best)
	}
	return out
}

// goertzel returns |X(f)|^2 of x at f cycles a sample.
func goertzel(x []float64, f float64) float64 {
	c := 2 * math.Cos(2*math.Pi*f)
	var s1, s2 float64
	for _, v := range x {
		s1, s2 = v+c*s1-s2, s1
	}
	return s1*s1 + s2*s2 - c*s1*s2
}
