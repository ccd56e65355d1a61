package e2e_test

// What a person hears in a voice session, measured in Chromium (issue 16):
// the page records its microphone and the audio it plays into one
// AudioContext (browsertest.StartRecording), so both channels share one
// clock, and the tests read lags, onsets and silences from that recording.
// The chip's changes and the server's turn events are logged in the page
// with performance.now(), which the recording's clock offset maps onto its
// samples.
//
// The recorder takes the output from the <audio>'s stream, after WebRTC's
// jitter buffer; headless Chromium plays it to no device, so a real
// speaker's output latency (10-40 ms) comes on top of every figure here.

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/voice"
)

const (
	// The echo's run, and the windows at its start and end whose lags are
	// compared. The clip (0.5 s + 2.1 s of speech + 1 s) repeats every
	// 3.6 s, so a lag under maxEchoLag has a single correlation peak.
	echoRun    = 2 * time.Minute
	echoSettle = 3 * time.Second
	lagWindow  = 10 * time.Second
	maxEchoLag = 2 * time.Second
	lagChunk   = time.Second // the lag is measured in chunks this long, every half of it, those that hold speech
	// The echo's fidelity is measured in chunks this long, each at its own
	// lag: a browser short of CPU moves its playout by a hundred
	// milliseconds and more within seconds (83-344 ms in one 10 s window
	// seen), so a long chunk finds the voice at one lag for only part of
	// its length.
	fidelityChunk = 100 * time.Millisecond
	// Growth of the server's output queue, last window less first: 0-20
	// ms measured, loaded or not.
	queueDrift = 50 * time.Millisecond
	// Growth of the lag a person hears less the browser's jitter buffer,
	// last window less first, as the page measures it: within +-30 ms on
	// a quiet machine, +19 to +64 ms beside other work with the server's
	// queue flat and 50.00 packets a second coming back (the rest of the
	// browser's playout and recording runs on clocks of its own: its fake
	// microphone runs 1% fast). The bug this guards against grew it 960 ms
	// in the two minutes; 150 ms fails any drift over 1.25 ms a second.
	lagDrift    = 150 * time.Millisecond
	maxHeardLag = 250 * time.Millisecond // the server's share of the lag, in either window: 40-80 ms measured
	// The median fidelity chunk's correlation. Measured on recordings of
	// this echo: 0.84-0.90 as it came (0.84 from a browser sharing its
	// cores with two busy loops, whose 1 s chunks scored 0.63), 0.81-0.87
	// with one 20 ms packet in ten zeroed, 0.55-0.56 with packets swapped
	// in pairs, 0.37-0.42 played backwards.
	minEchoCorr = 0.7
	packetSlack = 0.01 // packets lost or dropped on the way back, of those sent at 50 a second
	maxAltered  = 0.01 // of what the browser played, concealed or stretched (0-0.3% on a quiet machine, 0.1-2% beside busy loops), past which an echo window's lag and correlation are the browser's

	soundFloor = 0.01                   // -40 dBFS RMS in a levelWin: sound, not silence
	levelWin   = 5 * time.Millisecond   // the resolution of onsets and silences
	quietHold  = 100 * time.Millisecond // silence this long ends a sound

	replyHz         = 600.0 // the tone replies, at -15 dBFS RMS
	chipReply       = 1600 * time.Millisecond
	chipTol         = 100 * time.Millisecond
	chipTurns       = 2
	bargeReply      = 8 * time.Second
	bargeDocumented = 100 * time.Millisecond // ReplyOnPauseOptions.Turns: from the first sound to the reply stopped, at the server
	bargeUplink     = 60 * time.Millisecond  // a 20 ms Opus frame, a 10 ms capture chunk, the server's 20 ms frames, scheduling
	bargeDownlink   = 40 * time.Millisecond  // a packet on its way and one being decoded
	bargeGap        = 300 * time.Millisecond // the reply heard, then silence, then the user talks over it
	tuneNote        = 300 * time.Millisecond
	minLastNote     = 260 * time.Millisecond // the notes in between measure 280-330 ms (the browser stretches a little); a cut last note measured 150-245
	maxVoiceLatency = 1500 * time.Millisecond
)

// tuneHz are the receive test's notes: 100 Hz apart, so a 20 ms window
// tells them apart.
var tuneHz = []float64{400, 500, 600, 700, 800, 900, 1000}

// --- the page ---------------------------------------------------------------

// newVoiceTab starts a browser whose fake microphone plays wav ("" for
// none) and whose pages keep their RTCPeerConnections for getStats.
func newVoiceTab(t *testing.T, wav string, life time.Duration) tab {
	t.Helper()
	p := openBrowser(t, browsertest.Options{FakeAudio: wav, Timeout: life})
	if err := browsertest.TrackPeerConnections(p.ctx); err != nil {
		t.Fatal(err)
	}
	return p
}

// watchTurnsJS logs the chip's text (as shown; "" when hidden) and the
// server's vad events, with performance.now().
const watchTurnsJS = `(() => {
	const e = document.querySelector("rtc-stream"), chip = e.querySelector(".vad-chip");
	const w = window.__turns = { chip: [], vad: [] };
	e.addEventListener("servermessage", (ev) => {
		if (ev.detail.type === "vad") w.vad.push({ name: ev.detail.event, t: performance.now() });
	});
	new MutationObserver(() => {
		const text = chip.hidden ? "" : chip.textContent, last = w.chip[w.chip.length - 1];
		if (!last || last.name !== text) w.chip.push({ name: text, t: performance.now() });
	}).observe(chip, { childList: true, characterData: true, subtree: true, attributes: true });
	return true; })()`

// pageEvent is a chip text or vad event and its performance.now() (ms).
type pageEvent struct {
	Name string  `json:"name"`
	T    float64 `json:"t"`
}

// turns returns the chip's changes and the vad events so far.
func (p tab) turns() (chip, events []pageEvent) {
	p.t.Helper()
	v := evalOn[struct {
		Chip []pageEvent `json:"chip"`
		VAD  []pageEvent `json:"vad"`
	}](p, `window.__turns`)
	return v.Chip, v.VAD
}

// waitEvent waits for the server's nth (from 0) vad event called name and
// returns it.
func (p tab) waitEvent(name string, nth int, d time.Duration) pageEvent {
	p.t.Helper()
	var ev pageEvent
	err := browsertest.Poll(p.ctx, d, func(ctx context.Context) (bool, error) {
		evs, err := browsertest.Eval[[]pageEvent](ctx, `window.__turns.vad`)
		n := 0
		for _, e := range evs {
			if e.Name == name {
				if n == nth {
					ev = e
					return true, err
				}
				n++
			}
		}
		return false, err
	})
	if err != nil {
		_, evs := p.turns()
		p.t.Fatalf("no %s event number %d: %v; events %v", name, nth+1, err, evs)
	}
	return ev
}

// audioStats reads the page's getStats() audio figures.
func (p tab) audioStats() browsertest.AudioStats {
	p.t.Helper()
	st, err := browsertest.ReadAudioStats(p.ctx)
	if err != nil {
		p.t.Fatal(err)
	}
	return st
}

// record starts the page's recorder on the microphone (when mic) and the
// played output.
func (p tab) record(mic bool) {
	p.t.Helper()
	expr := ""
	if mic {
		expr = p.js(`el.localStream`)
	}
	if err := browsertest.StartRecording(p.ctx, expr, p.sel(selAudioOut)); err != nil {
		p.t.Fatal(err)
	}
}

// recording waits until the recording holds to samples (to < 0: what it
// has), and returns samples [from, to).
func (p tab) recording(from, to int, d time.Duration) browsertest.Recording {
	p.t.Helper()
	if to >= 0 {
		if err := browsertest.WaitRecorded(p.ctx, to, d); err != nil {
			p.t.Fatalf("recording %v: %v", browsertest.Seconds(to), err)
		}
	}
	r, err := browsertest.ReadRecording(p.ctx, from, to)
	if err != nil {
		p.t.Fatal(err)
	}
	return r
}

// --- reading the recording --------------------------------------------------

// soundAfter returns the first sample at or after from (to levelWin) where x
// is louder than soundFloor, or -1.
func soundAfter(x []float64, from int) int {
	win := browsertest.Samples(levelWin)
	from = max(0, from/win*win)
	for i, l := range browsertest.Levels(x[from:], win) {
		if l >= soundFloor {
			return from + i*win
		}
	}
	return -1
}

// quietAfter returns the first sample at or after from (to levelWin) that
// starts hold of silence, or -1.
func quietAfter(x []float64, from int, hold time.Duration) int {
	win := browsertest.Samples(levelWin)
	from = max(0, from/win*win)
	need, run := int(hold/levelWin), 0
	for i, l := range browsertest.Levels(x[from:], win) {
		if run = run + 1; l >= soundFloor {
			run = 0
		}
		if run == need {
			return from + (i-need+1)*win
		}
	}
	return -1
}

// soundBefore returns the end of the last sound (to levelWin) in x before
// sample to, or -1.
func soundBefore(x []float64, to int) int {
	win := browsertest.Samples(levelWin)
	levels := browsertest.Levels(x[:min(to, len(x))], win)
	for i := len(levels) - 1; i >= 0; i-- {
		if levels[i] >= soundFloor {
			return (i + 1) * win
		}
	}
	return -1
}

func ms(samples int) time.Duration { return browsertest.Seconds(samples).Round(time.Millisecond) }

// after returns the first event named name at or after t (ms), if any.
func after(evs []pageEvent, name string, t float64) (pageEvent, bool) {
	i := slices.IndexFunc(evs, func(e pageEvent) bool { return e.Name == name && e.T >= t })
	if i < 0 {
		return pageEvent{}, false
	}
	return evs[i], true
}

// --- handlers ---------------------------------------------------------------

// toneReply replies to every turn with d of a replyHz tone in frames of
// frame (the last may be shorter), yielded as fast as the output takes
// them: one frame is a text-to-speech that returns a whole clip (and the
// reply demo's sayBack); 20 ms frames are a streaming one.
func toneReply(d, frame time.Duration) voice.ReplyFunc {
	return func(ctx context.Context, _ media.AudioFrame) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) {
			const rate = 48000
			total, n := int(d*rate/time.Second), int(frame*rate/time.Second)
			for at := 0; at < total; at += n {
				f := media.AudioFrame{SampleRate: rate, Channels: 1, Samples: make([]int16, min(n, total-at)),
					Timestamp: time.Duration(at) * time.Second / rate}
				for j := range f.Samples {
					f.Samples[j] = int16(8000 * math.Sin(2*math.Pi*replyHz*float64(at+j)/rate))
				}
				if ctx.Err() != nil || !yield(f) {
					return
				}
			}
		}
	}
}

// replyFrames are the two ways a reply comes: whole, and streamed.
var replyFrames = []struct {
	name  string
	frame time.Duration // 0: the whole reply in one frame
}{{"one frame", 0}, {"20ms frames", 20 * time.Millisecond}}

// energyReplyOnPause is ReplyOnPause with the pure-Go detector and the
// default turn-taking, on 16 kHz input.
func energyReplyOnPause(t *testing.T, reply voice.ReplyFunc) *liveServer {
	t.Helper()
	handler := voice.ReplyOnPause(reply, &voice.ReplyOnPauseOptions{
		Detector: func() (vad.Detector, error) { return vad.NewEnergyDetector(), nil },
	})
	return startAudioServer(t, rtcstream.SendReceive, handler, rtcstream.Options{AudioInputRate: vad.SampleRate})
}

// --- the tests --------------------------------------------------------------

// echoLag is the echo's lag over a window of the recording: the median lag
// and correlation of its lagChunk chunks with speech, and the range of
// their lags.
type echoLag struct {
	lag, lo, hi time.Duration
	corr        float64 // the median lag chunk's correlation
	// fidelity is the median correlation of the window's fidelityChunks
	// that hold speech, each at its own lag: how intact the voice comes
	// back. A 1 s chunk that holds one of the server's cuts (it drops the
	// fast microphone's excess, ~10 ms a second) or one of the browser's
	// stretches correlates at one lag for only part of its length.
	fidelity float64
}

func (e echoLag) String() string {
	return fmt.Sprintf("%v (chunks %v-%v, r = %.3f; fidelity %.3f)", e.lag, e.lo, e.hi, e.corr, e.fidelity)
}

// measureEchoLag measures the echo's lag in r, lagWindow of microphone and
// maxEchoLag more of output.
func measureEchoLag(r browsertest.Recording) echoLag {
	W, L := browsertest.Samples(lagWindow), browsertest.Samples(maxEchoLag)
	lags, corrs := browsertest.LagTrack(r.Mic[:min(W, len(r.Mic))], r.Out, browsertest.Samples(lagChunk), browsertest.Samples(lagChunk/2), L, soundFloor)
	if len(lags) == 0 {
		return echoLag{corr: math.NaN(), fidelity: math.NaN()} // fails the correlation check
	}
	slices.Sort(lags)
	slices.Sort(corrs)
	e := echoLag{lag: ms(lags[len(lags)/2]), lo: ms(lags[0]), hi: ms(lags[len(lags)-1]), corr: corrs[len(corrs)/2], fidelity: math.NaN()}
	n := browsertest.Samples(fidelityChunk)
	if _, fid := browsertest.LagTrack(r.Mic[:min(W, len(r.Mic))], r.Out, n, n, L, soundFloor); len(fid) > 0 {
		slices.Sort(fid)
		e.fidelity = fid[len(fid)/2]
	}
	return e
}

// TestBrowserAudioEchoLagHolds: for two minutes of echo, the delay a person
// hears between their voice and its echo does not grow (the server's share
// within lagDrift of the start and under maxHeardLag), the echo stays the voice (correlated), and the server
// sends back as many packets as the page sent once the echo runs.
func TestBrowserAudioEchoLagHolds(t *testing.T) {
	if testing.Short() {
		t.Skipf("a %v echo; skipped with -short", echoRun)
	}
	checkLeaks(t)
	probe := &audioProbe{}
	queue := &queueProbe{}
	s := startAudioServer(t, rtcstream.SendReceive, probe.Echo, rtcstream.Options{TimeLimit: echoRun + time.Minute, Observer: queue})
	p := newVoiceTab(t, speechWAV(t, 500*time.Millisecond, time.Second), echoRun+2*time.Minute)
	p.open(s.url)
	p.start()
	p.record(true)
	recorded := time.Now()

	W, L := browsertest.Samples(lagWindow), browsertest.Samples(maxEchoLag)
	start, end := browsertest.Samples(echoSettle), browsertest.Samples(echoRun)
	// Each window's lag, and the browser's own jitter buffer while it
	// played: Chromium grows that buffer when packets bunch up (as they do
	// on a loaded machine) and shrinks it later, which moves the lag a
	// person hears by tens of milliseconds that the server neither adds
	// nor can take back.
	p.recording(0, start, echoSettle+waitAudio)
	before := p.audioStats()
	first := measureEchoLag(p.recording(start, start+W+L, echoSettle+lagWindow+maxEchoLag+waitAudio))
	settled := p.audioStats() // packets are counted from here: setting up is not the echo
	p.recording(0, end-W-L, echoRun+waitAudio)
	lastFrom := p.audioStats()
	last := measureEchoLag(p.recording(end-W-L, end, echoRun+waitAudio))
	stats := p.audioStats()
	firstJB, lastJB := settled.JitterBuffer(before), stats.JitterBuffer(lastFrom)
	sent, got := stats.PacketsSent-settled.PacketsSent, stats.PacketsReceived-settled.PacketsReceived
	t.Logf("echo lag %v over %v-%v; %v over the last %v of %v", first, echoSettle, echoSettle+lagWindow, last, lagWindow, echoRun)
	firstAlt, lastAlt := settled.Altered(before), stats.Altered(lastFrom)
	t.Logf("the browser's jitter buffer: %v in the first window, %v in the last; it concealed or stretched %.1f%% and %.1f%% of what it played",
		firstJB.Round(time.Millisecond), lastJB.Round(time.Millisecond), 100*firstAlt, 100*lastAlt)
	sentRate, gotRate := stats.Rates(settled)
	t.Logf("packets since %v: the page sent %d (%.2f a second), got %d back (%.2f a second; in all %d and %d); jitter buffer %v",
		echoSettle+lagWindow+maxEchoLag, sent, sentRate, got, gotRate, stats.PacketsSent, stats.PacketsReceived, stats.JitterBuffer(browsertest.AudioStats{}).Round(time.Millisecond))

	// The server's own share, from its output queue: what it held behind
	// each packet sent, over the same windows on the server's clock.
	firstQ := queue.median(recorded.Add(echoSettle), recorded.Add(echoSettle+lagWindow+maxEchoLag))
	lastQ := queue.median(recorded.Add(echoRun-lagWindow-maxEchoLag), recorded.Add(echoRun))
	t.Logf("the server's output queue: median %v in the first window, %v in the last", firstQ, lastQ)
	if lastQ-firstQ > queueDrift || lastQ > maxHeardLag {
		t.Errorf("the server's output queue held %v in the first window and %v in the last: want it to grow at most %v, and at most %v",
			firstQ, lastQ, queueDrift, maxHeardLag)
	}

	// What must not happen is growth (the bug this guards against added
	// 8 ms a second); the server's share may fall as its bound trims
	// audio that stood in the output queue at the start (65 -> 41 ms seen).
	// A browser that concealed or stretched much of a window played it
	// late by its own doing, which its jitter-buffer figure does not
	// account for (+57 ms with 4.3% altered seen on a loaded machine, the
	// server's queue steady): there the queue above is the server's share.
	d := (last.lag - lastJB) - (first.lag - firstJB)
	switch {
	case firstAlt > maxAltered || lastAlt > maxAltered:
		t.Logf("the echo's lag less the browser's jitter buffer grew %v, which is the browser's: it altered %.1f%% and %.1f%% of what it played",
			d, 100*firstAlt, 100*lastAlt)
	case d > lagDrift:
		t.Errorf("the echo's lag less the browser's jitter buffer grew from %v to %v over %v: want it to grow at most %v",
			first.lag-firstJB, last.lag-lastJB, echoRun, lagDrift)
	}
	if last.lag-lastJB > maxHeardLag || first.lag-firstJB > maxHeardLag {
		t.Errorf("the echo's lag less the browser's jitter buffer was %v first and %v last: want at most %v",
			first.lag-firstJB, last.lag-lastJB, maxHeardLag)
	}
	// The echo must stay the voice, in each window where the browser
	// played what it received: a browser starved of CPU conceals and
	// time-stretches its audio, which is its doing, not the server's.
	for _, w := range []struct {
		name    string
		corr    float64
		altered float64
	}{{"first", first.fidelity, firstAlt}, {"last", last.fidelity, lastAlt}} {
		switch {
		case w.altered > maxAltered:
			t.Logf("the %s window's correlation (%.3f) is not the server's: the browser altered %.1f%% of what it played", w.name, w.corr, 100*w.altered)
		case !(w.corr >= minEchoCorr): // NaN: no speech in the window
			t.Errorf("the echo's fidelity to the voice is %.3f in the %s window; want above %v", w.corr, w.name, minEchoCorr)
		}
	}
	// The server sends 50 packets a second on its clock, whatever comes
	// in. Chromium's fake microphone runs about 1% fast (50.5 packets a
	// second measured on the page's own clock), and the server drops that
	// excess to hold the lag; so what must hold within 1% is the rate that
	// comes back, and what the page sent at 50 a second.
	if math.Abs(gotRate-50) > packetSlack*50 {
		t.Errorf("the page got %.2f audio packets a second back, want 50 within %.0f%%", gotRate, packetSlack*100)
	}
	if expect := float64(sent) * 50 / sentRate; math.Abs(float64(got)-expect) > packetSlack*expect {
		t.Errorf("the page sent %d audio packets (%.2f a second: %.0f at 50 a second) and got %d back: want them within %.0f%%",
			sent, sentRate, expect, got, packetSlack*100)
	}
	p.stop()
	s.waitActive(t, 0, waitRelease)
}

// queueProbe is an rtcstream.Observer that keeps what the output queue
// held behind each audio packet sent, and when.
type queueProbe struct {
	streamtest.NopObserver
	mu sync.Mutex
	at []time.Time
	d  []time.Duration
}

func (q *queueProbe) AudioQueued(d time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.at, q.d = append(q.at, time.Now()), append(q.d, d)
}

// median is the median of what the queue held from from to to; an hour
// when no packet was sent then (which fails any check on it).
func (q *queueProbe) median(from, to time.Time) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	var in []time.Duration
	for i, at := range q.at {
		if !at.Before(from) && at.Before(to) {
			in = append(in, q.d[i])
		}
	}
	if len(in) == 0 {
		return time.Hour
	}
	slices.Sort(in)
	return in[len(in)/2]
}

// TestBrowserReplyChipFollowsPlayback: the chip says "Speaking…" for as long
// as the reply plays, not for an instant at its start, whether the reply
// comes whole or streamed.
func TestBrowserReplyChipFollowsPlayback(t *testing.T) {
	for _, rf := range replyFrames {
		t.Run(rf.name, func(t *testing.T) { checkChipFollowsPlayback(t, cmp.Or(rf.frame, chipReply)) })
	}
}

// checkChipFollowsPlayback checks chipTurns replies in one session: a reply
// that came whole used to end as it started or not, by a race in the
// server, which more turns show more often.
func checkChipFollowsPlayback(t *testing.T, frame time.Duration) {
	checkLeaks(t)
	s := energyReplyOnPause(t, toneReply(chipReply, frame))
	// A long pause after the speech: the reply ends before the clip speaks
	// again.
	p := newVoiceTab(t, speechWAV(t, 500*time.Millisecond, 4*time.Second), browserLife)
	p.open(s.url)
	evalOn[bool](p, watchTurnsJS)
	p.start()
	p.record(true)
	for turn := range chipTurns {
		p.checkChipTurn(turn)
	}
	chip, events := p.turns()
	t.Logf("vad events %v; chip %v", events, chip)
	p.stop()
	s.waitActive(t, 0, waitRelease)
}

// checkChipTurn checks that the turn's (from 0) reply was heard whole and
// that the chip showed Speaking… for as long as it was heard: a browser
// under load stretches what it plays (and the server's pacing with it), so
// the chip is held to the reply as heard rather than as made.
func (p tab) checkChipTurn(turn int) {
	t := p.t
	t.Helper()
	started := p.waitEvent("reply_started", turn, 20*time.Second)
	r := p.recording(0, -1, 0)
	from, to := r.SampleAt(started.T), r.SampleAt(started.T)+browsertest.Samples(chipReply+2*time.Second)
	r = p.recording(0, to, chipReply+waitAudio)
	heardFrom, heardTo := soundAfter(r.Out, from), soundBefore(r.Out, to)
	if heardFrom < 0 || heardTo <= heardFrom {
		t.Fatalf("reply %d: not heard (output sound from sample %d to %d)", turn+1, heardFrom, heardTo)
	}
	heard := ms(heardTo - heardFrom)
	if heard < chipReply-chipTol {
		t.Errorf("reply %d: heard for %v, want all its %v", turn+1, heard, chipReply)
	}
	chip, _ := p.turns()
	var speaking []int
	for i, e := range chip {
		if e.Name == "Speaking…" {
			speaking = append(speaking, i)
		}
	}
	if len(speaking) <= turn {
		t.Fatalf("reply %d: the chip showed Speaking… only %d times: %v", turn+1, len(speaking), chip)
	}
	i := speaking[turn]
	if i+1 >= len(chip) {
		t.Fatalf("reply %d: the chip still shows Speaking… %v after the reply was heard to its end", turn+1, ms(r.Len-heardTo))
	}
	shown := time.Duration((chip[i+1].T - chip[i].T) * float64(time.Millisecond))
	t.Logf("reply %d of %v: heard for %v; the chip showed Speaking… for %v, from %v before the reply was heard to %v before it fell silent",
		turn+1, chipReply, heard, shown.Round(time.Millisecond), ms(heardFrom-r.SampleAt(chip[i].T)), ms(heardTo-r.SampleAt(chip[i+1].T)))
	if (shown - heard).Abs() > chipTol {
		t.Errorf("reply %d: the chip showed Speaking… for %v while the %v reply was heard for %v; want within %v",
			turn+1, shown.Round(time.Millisecond), chipReply, heard, chipTol)
	}
}

// TestBrowserBargeInStopsLongReply: talking over a long reply silences it
// within the documented barge-in time plus the browser's buffers, and the
// chip leaves "Speaking…" as it stops, whether the reply comes whole or
// streamed.
func TestBrowserBargeInStopsLongReply(t *testing.T) {
	for _, rf := range replyFrames {
		t.Run(rf.name, func(t *testing.T) { checkBargeIn(t, cmp.Or(rf.frame, bargeReply)) })
	}
}

// checkBargeIn measures, in the page's recording, from the user's first
// sound over the reply to the reply falling silent. The bound: the
// documented 100 ms at the server, bargeUplink for the voice to get there,
// and on the way back what the browser holds (its jitter buffer while the
// reply played, from getStats) plus bargeDownlink.
func checkBargeIn(t *testing.T, frame time.Duration) {
	checkLeaks(t)
	s := energyReplyOnPause(t, toneReply(bargeReply, frame))
	// The speech ends, the turn ends about 0.5 s later, and the clip speaks
	// again 2 s after the speech ended: over the reply.
	p := newVoiceTab(t, speechWAV(t, 500*time.Millisecond, 1500*time.Millisecond), browserLife)
	p.open(s.url)
	evalOn[bool](p, watchTurnsJS)
	p.start()
	p.record(true)

	started := p.waitEvent("reply_started", 0, 20*time.Second)
	before := p.audioStats()
	r := p.recording(0, -1, 0)
	r = p.recording(0, r.SampleAt(started.T)+browsertest.Samples(5*time.Second), 10*time.Second)
	replyFrom := soundAfter(r.Out, r.SampleAt(started.T))
	spoke := soundAfter(r.Mic, replyFrom)
	if replyFrom < 0 || spoke < 0 {
		t.Fatalf("no reply heard (from sample %d) or no speech over it (from %d)", replyFrom, spoke)
	}
	if ms(spoke-replyFrom) < bargeGap {
		t.Fatalf("the user spoke %v after the reply was heard, want a gap of %v to tell the barge-in from the turn's own speech", ms(spoke-replyFrom), bargeGap)
	}
	// Stopped: a second of silence (the user's speech and pause follow),
	// so a gap in a reply that plays on under load is not taken for it.
	stopped := quietAfter(r.Out, spoke, time.Second)
	jb := p.audioStats().JitterBuffer(before)
	bound := bargeDocumented + bargeUplink + jb + bargeDownlink
	chip, events := p.turns()
	t.Logf("vad events %v; chip %v", events, chip)
	if barge, ok := after(events, "barge_in", started.T); ok {
		t.Logf("barge_in reached the page %v after the speech began", ms(r.SampleAt(barge.T)-spoke))
	}
	if stopped < 0 {
		t.Fatalf("the reply played on for %v after the user began talking over it, want it stopped within %v", ms(r.Len-spoke), bound)
	}
	t.Logf("reply heard from %v; the user spoke over it %v later; it stopped %v after that (bound %v: documented %v + uplink %v + jitter buffer %v + downlink %v)",
		ms(replyFrom), ms(spoke-replyFrom), ms(stopped-spoke), bound.Round(time.Millisecond), bargeDocumented, bargeUplink, jb.Round(time.Millisecond), bargeDownlink)
	if took := ms(stopped - spoke); took > bound {
		t.Errorf("the reply stopped %v after the user began talking over it, want within %v", took, bound.Round(time.Millisecond))
	}
	// The chip said Speaking… while the reply played, until the barge-in.
	atSpeech := (float64(spoke)/browsertest.RecordRate + r.Offset) * 1000 // the speech onset in performance.now()
	i := slices.IndexFunc(chip, func(e pageEvent) bool { return e.T > atSpeech })
	if i < 1 || chip[i-1].Name != "Speaking…" || chip[i].Name == "Speaking…" {
		t.Errorf("chip %v: want it Speaking… when the user began talking over the reply (at %.0f ms), and then not", chip, atSpeech)
	} else if left := time.Duration((chip[i].T - atSpeech) * float64(time.Millisecond)); left > bound {
		t.Errorf("the chip left Speaking… %v after the user began talking over the reply, want within %v", left.Round(time.Millisecond), bound.Round(time.Millisecond))
	}
	p.stop()
	s.waitActive(t, 0, waitRelease)
}

// TestBrowserReceiveTunePlaysToTheEnd: a receive-mode generator's tune is
// heard to its last note before the stream ends.
func TestBrowserReceiveTunePlaysToTheEnd(t *testing.T) {
	checkLeaks(t)
	ready := make(chan struct{})
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(ready) }) })
	s := startAudioServer(t, rtcstream.Receive, tune(ready), rtcstream.Options{})
	p := newVoiceTab(t, "", browserLife)
	p.open(s.url)
	p.start()
	p.record(false)
	once.Do(func() { close(ready) }) // the tune starts once the recorder runs

	p.waitState("idle", waitStart) // the stream ended
	r := p.recording(0, -1, 0)
	r = p.recording(0, r.Len+browsertest.Samples(time.Second), waitAudio)
	win, hop := browsertest.Samples(20*time.Millisecond), browsertest.Samples(levelWin)
	notes := browsertest.Tones(r.Out, browsertest.RecordRate, tuneHz, win, hop, soundFloor)
	starts := make([]int, len(tuneHz)) // each note's first window's centre
	for k := range tuneHz {
		i := slices.Index(notes, k)
		if i < 0 || (k > 0 && i*hop+win/2 <= starts[k-1]) {
			t.Fatalf("note %d (%v Hz) not heard after note %d: %v", k+1, tuneHz[k], k, notes)
		}
		starts[k] = i*hop + win/2
	}
	end := quietAfter(r.Out, starts[len(starts)-1], quietHold)
	if end < 0 {
		t.Fatalf("the tune never fell silent")
	}
	lens := make([]time.Duration, len(starts))
	for k := range starts {
		next := end
		if k+1 < len(starts) {
			next = starts[k+1]
		}
		lens[k] = ms(next - starts[k])
	}
	t.Logf("tune of %d notes of %v heard for %v; notes %v", len(tuneHz), tuneNote, ms(end-starts[0]), lens)
	if last := lens[len(lens)-1]; last < minLastNote {
		t.Errorf("the last note was heard for %v, want at least %v of its %v", last, minLastNote, tuneNote)
	}
	s.waitActive(t, 0, waitRelease)
}

// tune is a receive-mode generator: once ready closes, the notes tuneHz of
// tuneNote each, contiguous (phase-continuous, at 24 kHz in one frame a
// note), then the end of the stream.
func tune(ready <-chan struct{}) func(context.Context) iter.Seq[media.AudioFrame] {
	return func(ctx context.Context) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) {
			select {
			case <-ready:
			case <-ctx.Done():
				return
			}
			const rate = 24000
			phase := 0.0
			for i, hz := range tuneHz {
				pcm := make([]int16, int(tuneNote*rate/time.Second))
				for j := range pcm {
					pcm[j] = int16(8000 * math.Sin(phase))
					phase += 2 * math.Pi * hz / rate
				}
				f := media.AudioFrame{Samples: pcm, SampleRate: rate, Channels: 1, Timestamp: time.Duration(i) * tuneNote}
				if ctx.Err() != nil || !yield(f) {
					return
				}
			}
		}
	}
}

// TestBrowserVoiceLatency measures what a person waits for: from the end of
// their speech to the reply heard, with ReplyOnPause's default turn-taking
// and a reply that says the utterance back (the reply demo). Only a loose
// bound is asserted; the figures go to BENCHMARKS.md, from a run without
// -race: the race detector slows the server's resampling of the whole
// utterance (16 to 48 kHz) enough to add about 150 ms. Two turns: the first
// of a session and one in a conversation.
func TestBrowserVoiceLatency(t *testing.T) {
	checkLeaks(t)
	sayBack := func(ctx context.Context, utterance media.AudioFrame) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) { yield(utterance) }
	}
	s := energyReplyOnPause(t, sayBack)
	measureVoiceLatency(t, s, speechWAV(t, 500*time.Millisecond, 4*time.Second))
}

// measureVoiceLatency has a tab, its microphone playing wav, talk to s
// for two turns, and checks each turn's end of speech to reply heard
// (logged with its parts) against the loose bound.
func measureVoiceLatency(t *testing.T, s *liveServer, wav string) {
	t.Helper()
	p := newVoiceTab(t, wav, browserLife)
	p.open(s.url)
	evalOn[bool](p, watchTurnsJS)
	p.start()
	p.record(true)
	for turn := range 2 {
		if latency := p.voiceLatency(turn); latency <= 0 || latency > maxVoiceLatency {
			t.Errorf("turn %d: the reply was heard %v after the speech ended, want 0 < latency < %v", turn+1, latency, maxVoiceLatency)
		}
	}
	p.stop()
	s.waitActive(t, 0, waitRelease)
}

// voiceLatency measures the turn's (from 0) time from the end of speech to
// the reply heard, and logs its parts.
func (p tab) voiceLatency(turn int) time.Duration {
	t := p.t
	t.Helper()
	paused := p.waitEvent("pause_detected", turn, 20*time.Second)
	started := p.waitEvent("reply_started", turn, 20*time.Second)
	r := p.recording(0, -1, 0)
	r = p.recording(0, r.SampleAt(paused.T)+browsertest.Samples(3*time.Second), 3*time.Second+waitAudio)
	// The speech that the turn answers ends at the microphone's last sound
	// before the pause was detected (the turn needs 480 ms of silence).
	spokeTo := soundBefore(r.Mic, r.SampleAt(paused.T))
	heard := soundAfter(r.Out, max(spokeTo, 0))
	if spokeTo < 0 || heard < 0 {
		t.Fatalf("turn %d: speech ended at sample %d, reply heard from %d: want both", turn+1, spokeTo, heard)
	}
	latency := ms(heard - spokeTo)
	t.Logf("turn %d: end of speech to reply heard: %v = the pause detected %v after the speech ended (as the page saw it) + the reply started %v later + heard %v after that",
		turn+1, latency, ms(r.SampleAt(paused.T)-spokeTo), ms(r.SampleAt(started.T)-r.SampleAt(paused.T)), ms(heard-r.SampleAt(started.T)))
	return latency
}
