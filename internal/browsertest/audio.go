package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Level returns the data-level attribute (a level meter's reading in [0, 1])
// of the first element that matches the CSS selector.
func Level(ctx context.Context, selector string) (float64, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	v, err := Eval[*string](ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%s);
		return e ? e.getAttribute("data-level") : null; })()`, jsString(selector)))
	if err != nil {
		return 0, fmt.Errorf("browsertest: level of %s: %w", selector, err)
	}
	if v == nil {
		return 0, fmt.Errorf("browsertest: level of %s: no such element, or it has no data-level", selector)
	}
	f, err := strconv.ParseFloat(*v, 64)
	if err != nil {
		return 0, fmt.Errorf("browsertest: level of %s: %q: %w", selector, *v, err)
	}
	return f, nil
}

// levelSeriesJS samples the data-level attribute of elements every 20 ms.
const levelSeriesJS = `new Promise((resolve, reject) => {
	const sels = %s;
	const els = sels.map((s) => document.querySelector(s));
	const missing = sels.filter((s, i) => !els[i]);
	if (missing.length > 0) return reject(new Error("no element matches " + missing.join(", ")));
	const out = els.map(() => []);
	const read = () => els.forEach((e, i) => out[i].push(Number(e.getAttribute("data-level")) || 0));
	read();
	const t = setInterval(read, 20);
	setTimeout(() => { clearInterval(t); read(); resolve(out); }, %d);
})`

// LevelRange samples the data-level attribute of the first element that
// matches the CSS selector every 20 ms during d, and returns the lowest and
// the highest reading: speech with pauses reads a wide range, silence a
// range near zero.
func LevelRange(ctx context.Context, selector string, d time.Duration) (lo, hi float64, err error) {
	r, err := LevelRanges(ctx, d, selector)
	if err != nil {
		return 0, 0, err
	}
	return r[0][0], r[0][1], nil
}

// LevelRanges is LevelRange for several elements sampled together: it
// returns the lowest and highest reading of each selector, in order.
func LevelRanges(ctx context.Context, d time.Duration, selectors ...string) ([][2]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d+actionTimeout)
	defer cancel()
	sels, _ := json.Marshal(selectors) // strings always marshal
	series, err := Eval[[][]float64](ctx, fmt.Sprintf(levelSeriesJS, sels, d.Milliseconds()))
	if err != nil {
		return nil, fmt.Errorf("browsertest: levels of %s: %w", strings.Join(selectors, ", "), err)
	}
	out := make([][2]float64, len(series))
	for i, s := range series {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range s {
			lo, hi = min(lo, v), max(hi, v)
		}
		out[i] = [2]float64{lo, hi}
	}
	return out, nil
}

// WaitLevel waits until the data-level of the first element that matches the
// CSS selector satisfies ok, and returns it. On timeout its error tells the
// last level seen.
func WaitLevel(ctx context.Context, selector string, timeout time.Duration, ok func(level float64) bool) (float64, error) {
	var last float64
	var seen bool
	err := poll(ctx, timeout, func(ctx context.Context) (bool, error) {
		v, err := Level(ctx, selector)
		if err != nil {
			return false, err
		}
		last, seen = v, true
		return ok(v), nil
	})
	if err != nil {
		if seen {
			return 0, fmt.Errorf("browsertest: waiting for the level of %s: %w; last level %.3f", selector, err, last)
		}
		return 0, fmt.Errorf("browsertest: waiting for the level of %s: %w", selector, err)
	}
	return last, nil
}

// streamRMSJS measures the audio of a media element's srcObject with an
// AnalyserNode of its own, every 20 ms, and returns the RMS amplitudes.
const streamRMSJS = `new Promise((resolve, reject) => {
	const e = document.querySelector(%s);
	if (!(e instanceof HTMLMediaElement)) return reject(new Error("no audio or video element matches the selector"));
	const s = e.srcObject;
	if (!(s instanceof MediaStream) || s.getAudioTracks().length === 0)
		return reject(new Error("the element plays no MediaStream with audio"));
	const ctx = new AudioContext();
	ctx.resume().catch(() => {});
	const src = ctx.createMediaStreamSource(new MediaStream([s.getAudioTracks()[0]]));
	const an = ctx.createAnalyser();
	an.fftSize = 1024;
	src.connect(an);
	const buf = new Float32Array(an.fftSize);
	const out = [];
	const t = setInterval(() => {
		an.getFloatTimeDomainData(buf);
		let sum = 0;
		for (const v of buf) sum += v * v;
		out.push(Math.sqrt(sum / buf.length));
	}, 20);
	setTimeout(() => { clearInterval(t); src.disconnect(); ctx.close(); resolve(out); }, %d);
})`

// StreamRMS measures the audio that the <audio> or <video> element matching
// the CSS selector plays from its srcObject, independently of the page's own
// meters: an AnalyserNode of its own reads the RMS amplitude (full scale 1)
// every 20 ms during d. It returns the readings in order.
func StreamRMS(ctx context.Context, selector string, d time.Duration) ([]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, d+actionTimeout)
	defer cancel()
	rms, err := Eval[[]float64](ctx, fmt.Sprintf(streamRMSJS, jsString(selector), d.Milliseconds()))
	if err != nil {
		return nil, fmt.Errorf("browsertest: measuring the audio of %s: %w", selector, err)
	}
	return rms, nil
}

// DBFS converts an RMS amplitude (full scale 1) to decibels relative to full
// scale; silence is -Inf.
func DBFS(rms float64) float64 {
	if rms <= 0 {
		return math.Inf(-1)
	}
	return 20 * math.Log10(rms)
}
