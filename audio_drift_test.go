package rtcstream_test

import (
	"math"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/internal/audiotest"
)

// echoRunLength is how long the drift tests echo audio: long enough that
// a delay growing by a few milliseconds a second shows.
const echoRunLength = 2 * time.Minute

// echoLagWindow is the span over which one lag is measured, at the start and
// at the end of a run.
const echoLagWindow = 10 * time.Second

// The measuring helpers, shared with package livekit's tests.
var (
	babble      = audiotest.Babble
	echoThrough = audiotest.EchoThrough
	writePaced  = audiotest.WritePaced
	bestLag     = audiotest.BestLag
)

type timedAudio = audiotest.Timed

func lagAt(sent, got *timedAudio, from time.Duration) (time.Duration, float64) {
	return audiotest.LagAt(sent, got, from, echoLagWindow)
}

// TestAudioEchoLagHolds streams speech-like audio through an echo for two
// minutes from the Go client and measures how long the echo takes to come
// back, over the first and the last 10 s. The server's pacing once fell
// behind its input (a ticker dropped ticks on a busy machine, and each
// dropped tick added 20 ms for good); the lag must now hold within 20 ms,
// and as many packets come back as were sent, within 1%.
func TestAudioEchoLagHolds(t *testing.T) {
	if testing.Short() {
		t.Skipf("a %v echo; skipped with -short", echoRunLength)
	}
	checkLeaks(t)
	probe := &audioProbe{} // an echo that counts what it handles
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, probe.Echo, &rtcstream.Options{Network: loopback})
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s)
	ctx := testContext(t, echoRunLength+time.Minute)
	c := audioConn(t, ctx, url)

	sent, got, packets := echoThrough(t, ctx, c, babble(echoRunLength, client.AudioRate, 1))

	first, r1 := lagAt(sent, got, 2*time.Second)
	last, r2 := lagAt(sent, got, echoRunLength-echoLagWindow-time.Second)
	st := c.AudioStats()
	inFrames, _ := probe.Since(time.Time{})
	t.Logf("lag %v (r %.3f) over the first 10 s, %v (r %.3f) over the last; packets: %d sent, %d handled, %d received, %d concealed",
		first.Round(100*time.Microsecond), r1, last.Round(100*time.Microsecond), r2, packets, inFrames, st.PacketsReceived, st.FramesConcealed)
	if r1 < 0.9 || r2 < 0.9 {
		t.Errorf("the echo correlates with what was sent at r = %.3f (first 10 s) and %.3f (last 10 s), want >= 0.9", r1, r2)
	}
	if d := last - first; d > 20*time.Millisecond || d < -20*time.Millisecond {
		t.Errorf("the echo's lag went from %v to %v in %v, want it to hold within 20 ms", first, last, echoRunLength)
	}
	for what, n := range map[string]int{"handled by the server": inFrames, "received back": int(st.PacketsReceived)} {
		// The echo keeps flowing for the second after the last write.
		if math.Abs(float64(n-packets)) > 0.01*float64(packets)+50 {
			t.Errorf("%d packets sent, %d %s: want within 1%%", packets, n, what)
		}
	}
}
