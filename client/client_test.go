package client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/codec/vpx"
	"github.com/rtcstream/rtcstream/internal/streamtest"
	"github.com/rtcstream/rtcstream/media"
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

// encodeSequence encodes n frames of a moving bar; only the first is a
// keyframe.
func encodeSequence(t *testing.T, w, h, n int) [][]byte {
	t.Helper()
	enc, err := vpx.NewEncoder(vpx.EncoderConfig{KeyFrameInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	img := media.NewI420(w, h)
	var seq [][]byte
	for i := range n {
		for y := range h {
			for x := range w {
				v := uint8(60)
				if (x/8)%(w/8) == (i*2)%(w/8) {
					v = 200
				}
				img.Y[y*img.YStride+x] = v
			}
		}
		f, key, err := enc.Encode(nil, img, time.Duration(i)*time.Second/30)
		if err != nil || (i == 0) != key {
			t.Fatalf("frame %d: keyframe %v, %v", i, key, err)
		}
		seq = append(seq, f)
	}
	return seq
}

// A load generator's client: frames encoded once are replayed with fresh
// timestamps, and what comes back is counted without decoding.
func TestWriteEncodedSkipDecode(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	url := identityServer(t, nil)
	seq := encodeSequence(t, 160, 120, 15)

	var mu sync.Mutex
	got := map[uint32]client.FrameInfo{}
	c, err := client.Dial(ctx, url, &client.Options{Loopback: true, SkipDecode: true, OnFrame: func(f client.FrameInfo) {
		mu.Lock()
		got[f.RTPTimestamp] = f
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	if err := c.WriteEncoded(nil, 0); err == nil {
		t.Error("an empty frame was accepted")
	}
	const n = 45 // the sequence three times over
	var sentBytes uint64
	start := time.Now()
	for i := range n {
		pts := time.Hour + time.Duration(i)*time.Second/30
		f := seq[i%len(seq)]
		sentBytes += uint64(len(f))
		if err := c.WriteEncoded(f, pts); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * time.Second / 30)))
	}
	// Wait for the frames still on their way: until all are back or none
	// came for a second.
	for last, lastK := time.Now(), 0; time.Since(last) < time.Second; {
		mu.Lock()
		k := len(got)
		mu.Unlock()
		if k >= n {
			break
		}
		if k > lastK {
			last, lastK = time.Now(), k
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	// Every frame that comes back is one that was sent, timed after its
	// sending. A server short of CPU drops stale frames rather than queue
	// them, so on a busy machine a few may not come back.
	sent := map[uint32]bool{}
	for i := range n {
		sent[client.RTPTimestamp(time.Hour+time.Duration(i)*time.Second/30)] = true
	}
	keys := 0
	for ts, f := range got {
		if !sent[ts] || f.Size == 0 || f.Received.Before(start) {
			t.Errorf("frame %d came back: %+v", ts, f)
		}
		if f.KeyFrame {
			keys++
		}
	}
	if len(got) < n*3/4 {
		t.Errorf("%d of %d frames came back", len(got), n)
	}
	if keys == 0 { // the server's encoder starts with one
		t.Error("no keyframe came back")
	}
	st := c.Stats()
	if st.FramesSent != n || st.BytesSent != sentBytes || st.FramesReceived != uint64(len(got)) ||
		st.PacketsReceived < st.FramesReceived || st.PacketLosses != 0 || st.DecodeErrors != 0 {
		t.Errorf("stats %+v", st)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if f, err := c.ReadFrame(short); err == nil {
		t.Errorf("ReadFrame returned a frame with SkipDecode: %+v", f)
	}
}

// A replaying client that starts on an inter frame is asked for a
// keyframe, and after it sends one its frames come back.
func TestKeyFrameRequestReachesReplayer(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)
	url := identityServer(t, nil)
	seq := encodeSequence(t, 160, 120, 10)
	var asked atomic.Bool
	var back atomic.Int64
	c, err := client.Dial(ctx, url, &client.Options{
		Loopback: true, SkipDecode: true,
		OnKeyFrameRequest: func() { asked.Store(true) },
		OnFrame:           func(client.FrameInfo) { back.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pos := 1            // not the keyframe
	start := time.Now() // stamped in real time, as a camera does
	for i := 0; back.Load() < 5; i++ {
		if ctx.Err() != nil {
			t.Fatalf("no frames back; keyframe asked %v", asked.Load())
		}
		if asked.Swap(false) {
			pos = 0
		}
		if err := c.WriteEncoded(seq[pos%len(seq)], time.Since(start)); err != nil {
			t.Fatal(err)
		}
		pos++
		time.Sleep(time.Second / 30)
	}
	if c.Stats().KeyFramesAsked == 0 {
		t.Error("no keyframe request counted")
	}
}

func TestDialErrors(t *testing.T) {
	checkLeaks(t)
	ctx := testContext(t, 30*time.Second)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	_, err = client.Dial(ctx, refused, &client.Options{Loopback: true})
	var de *client.DialError
	if !errors.As(err, &de) || de.Stage != client.StageConfig || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("nothing listening: %v", err)
	}

	// fastrtc refuses with 200 and a "failed" status.
	fastrtc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status": "failed", "meta": {"error": "concurrency_limit_reached", "limit": 3}}`))
	}))
	defer fastrtc.Close()
	_, err = client.Dial(ctx, fastrtc.URL, &client.Options{Loopback: true})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 200 || ce.Code != "concurrency_limit_reached" || !errors.As(err, &de) || de.Stage != client.StageOffer {
		t.Errorf("fastrtc refusal: %v", err)
	}

	// A dial that runs out of time says which step it was at.
	url := identityServer(t, nil)
	short, cancel := context.WithTimeout(ctx, time.Nanosecond)
	defer cancel()
	<-short.Done()
	_, err = client.Dial(short, url, &client.Options{Loopback: true})
	if !errors.As(err, &de) || de.Stage != client.StageConfig || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired context: %v", err)
	}
	if de != nil && !strings.HasPrefix(de.Error(), "rtcstream client: dial: RTC configuration: ") {
		t.Errorf("message %q", de.Error())
	}
	// With ICE servers of its own, the client asks the server for none,
	// and runs out of time gathering.
	_, err = client.Dial(short, url, &client.Options{Loopback: true, ICEServers: []webrtc.ICEServer{}})
	if !errors.As(err, &de) || de.Stage != client.StageGather || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("expired context, own ICE servers: %v", err)
	}
	if de != nil && de.Error() != "rtcstream client: dial: ICE gathering: context deadline exceeded" {
		t.Errorf("message %q", de.Error())
	}
}

func TestStageString(t *testing.T) {
	for s, want := range map[client.Stage]string{
		client.StageUnknown: "unknown", client.StageSetup: "setup", client.StageConfig: "RTC configuration", client.StageGather: "ICE gathering",
		client.StageQueue: "queue", client.StageOffer: "offer", client.StageConnect: "ICE/DTLS connect",
		client.StageControl: "control channel", client.Stage(99): "unknown",
	} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", int(s), s.String(), want)
		}
	}
}
