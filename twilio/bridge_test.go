package twilio_test

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"image"
	"iter"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/rtcstream/rtcstream"
	"github.com/rtcstream/rtcstream/codec/g711"
	"github.com/rtcstream/rtcstream/internal/audiotest"
	"github.com/rtcstream/rtcstream/internal/browsertest"
	"github.com/rtcstream/rtcstream/internal/netns"
	"github.com/rtcstream/rtcstream/media"
	"github.com/rtcstream/rtcstream/twilio"
	"github.com/rtcstream/rtcstream/vad"
	"github.com/rtcstream/rtcstream/voice"
)

func TestMain(m *testing.M) { os.Exit(netns.RunTestsInNetNS(m)) }

const token = "test-auth-token"

// bridgeOf serves a bridge of handler (an audio stream at 16 kHz) and
// returns its URL.
func bridgeOf(t *testing.T, handler any) (string, *twilio.Bridge) {
	t.Helper()
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, handler, &rtcstream.Options{AudioInputRate: 16000})
	if err != nil {
		t.Fatal(err)
	}
	b, err := twilio.NewBridge(s, twilio.Options{AuthToken: token})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/phone", b))
	t.Cleanup(func() {
		srv.Close()
		b.Close()
		s.Close()
	})
	return srv.URL + "/phone", b
}

// sayBack is ReplyOnPause (the pure-Go detector) saying the utterance
// back, times times over.
func sayBack(times int) rtcstream.AudioStreamFunc {
	reply := func(ctx context.Context, u media.AudioFrame) iter.Seq[media.AudioFrame] {
		return func(yield func(media.AudioFrame) bool) {
			for range times {
				if !yield(u) {
					return
				}
			}
		}
	}
	return voice.ReplyOnPause(reply, &voice.ReplyOnPauseOptions{
		Detector: func() (vad.Detector, error) { return vad.NewEnergyDetector(), nil },
	})
}

// hello8k is a recording of "hello there" at 8 kHz, as a phone carries it.
func hello8k(t *testing.T) []int16 {
	t.Helper()
	rate, pcm, err := browsertest.ReadWAV("../vad/testdata/hello.wav")
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := media.NewResampler(rate, g711.Rate, 1, media.QualityMedium)
	return rs.Flush(rs.Process(nil, pcm))
}

// phone plays Twilio: it opens the Media Streams WebSocket (signed), sends
// connected and start, streams the caller's audio, and keeps what comes
// back: the audio, decoded, with arrival times; marks, echoed as Twilio
// does; clears.
type phone struct {
	t   *testing.T
	ws  *websocket.Conn
	sid string

	wmu   sync.Mutex
	mu    sync.Mutex
	heard audiotest.Timed // at 8 kHz; Timed's frames are 20 ms at 48 kHz, so only PCM is used
	at    []time.Time     // per 160-sample packet
	marks []string
	clear []time.Time
	done  chan struct{}
}

func dialPhone(t *testing.T, base string, sign string) (*phone, *http.Response, error) {
	t.Helper()
	u := strings.Replace(base, "http://", "ws://", 1) + "/media"
	h := http.Header{}
	if sign == "" {
		sign = base64.StdEncoding.EncodeToString(twilio.Signature(token, u, nil))
	}
	h.Set("X-Twilio-Signature", sign)
	ws, resp, err := websocket.DefaultDialer.Dial(u, h)
	if err != nil {
		return nil, resp, err
	}
	p := &phone{t: t, ws: ws, sid: "MZ" + fmt.Sprint(time.Now().UnixNano()), done: make(chan struct{})}
	t.Cleanup(func() { ws.Close() })
	go p.read()
	return p, resp, nil
}

func (p *phone) send(m any) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	return p.ws.WriteJSON(m)
}

func (p *phone) start(params map[string]string) {
	p.t.Helper()
	for _, m := range []any{
		map[string]any{"event": "connected", "protocol": "Call", "version": "1.0.0"},
		map[string]any{"event": "start", "sequenceNumber": "1", "streamSid": p.sid, "start": map[string]any{
			"streamSid": p.sid, "accountSid": "AC1", "callSid": "CA1", "tracks": []string{"inbound"},
			"customParameters": params,
			"mediaFormat":      map[string]any{"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}},
	} {
		if err := p.send(m); err != nil {
			p.t.Fatal(err)
		}
	}
}

// talk streams pcm (8 kHz) as 20 ms media messages, in real time.
func (p *phone) talk(ctx context.Context, pcm []int16, from int) int {
	start := time.Now()
	n := from
	for i := 0; (i+1)*160 <= len(pcm) && ctx.Err() == nil; i++ {
		n++
		if p.send(map[string]any{"event": "media", "sequenceNumber": fmt.Sprint(n + 1), "streamSid": p.sid,
			"media": map[string]string{"track": "inbound", "chunk": fmt.Sprint(n), "timestamp": fmt.Sprint(n * 20),
				"payload": base64.StdEncoding.EncodeToString(g711.EncodeMuLaw(nil, pcm[i*160:(i+1)*160]))}}) != nil {
			return n
		}
		time.Sleep(time.Until(start.Add(time.Duration(i+1) * 20 * time.Millisecond)))
	}
	return n
}

func (p *phone) read() {
	defer close(p.done)
	for {
		var m struct {
			Event, StreamSid string
			Media            struct{ Payload string }
			Mark             struct{ Name string }
		}
		if err := p.ws.ReadJSON(&m); err != nil {
			return
		}
		now := time.Now()
		p.mu.Lock()
		switch m.Event {
		case "media":
			b, _ := base64.StdEncoding.DecodeString(m.Media.Payload)
			p.heard.PCM = g711.DecodeMuLaw(p.heard.PCM, b)
			p.at = append(p.at, now)
		case "mark":
			p.marks = append(p.marks, m.Mark.Name)
			go p.send(map[string]any{"event": "mark", "streamSid": p.sid, "mark": map[string]string{"name": m.Mark.Name}})
		case "clear":
			p.clear = append(p.clear, now)
		}
		p.mu.Unlock()
	}
}

// loud returns the received audio's loud 20 ms stretches' arrival times.
func (p *phone) loud() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Time
	for i := 0; (i+1)*160 <= len(p.heard.PCM) && i < len(p.at); i++ {
		var e float64
		for _, v := range p.heard.PCM[i*160 : (i+1)*160] {
			e += float64(v) * float64(v)
		}
		if math.Sqrt(e/160) > 300 {
			out = append(out, p.at[i])
		}
	}
	return out
}

// TestBridgeAnswersACall: the TwiML webhook (signed as Twilio signs)
// connects the call to the bridge's WebSocket with who calls; on the call,
// the caller says "hello there", pauses, and hears it said back
// (ReplyOnPause over μ-law at 8 kHz: the reply correlates with what was
// said); a mark follows the reply and is echoed.
func TestBridgeAnswersACall(t *testing.T) {
	base, b := bridgeOf(t, sayBack(1))

	form := url.Values{"CallSid": {"CA1"}, "From": {"+15551230000"}, "To": {"+15559870000"}}
	req, _ := http.NewRequest(http.MethodPost, base+"/twiml", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(twilio.Signature(token, base+"/twiml", form)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Connect struct {
			Stream struct {
				URL        string `xml:"url,attr"`
				Parameters []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"Parameter"`
			}
		}
	}
	err = xml.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	wantURL := strings.Replace(base, "http://", "ws://", 1) + "/media"
	if err != nil || resp.StatusCode != 200 || doc.Connect.Stream.URL != wantURL || len(doc.Connect.Stream.Parameters) != 2 {
		t.Fatalf("TwiML: %d %+v (%v); want a Stream to %s with From and To", resp.StatusCode, doc, err, wantURL)
	}

	p, _, err := dialPhone(t, base, "")
	if err != nil {
		t.Fatal(err)
	}
	p.start(map[string]string{"From": "+15551230000"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hello := hello8k(t)
	spoke := time.Now()
	n := p.talk(ctx, hello, 0)
	saidAt := time.Now()
	p.talk(ctx, make([]int16, 3*g711.Rate), n)
	loud := p.loud()
	var reply []time.Time
	for _, l := range loud {
		if l.After(saidAt) {
			reply = append(reply, l)
		}
	}
	if len(reply) < 15 {
		t.Fatalf("%d loud packets back after the caller stopped (of %d in all): want the reply, about %v", len(reply), len(loud), time.Since(spoke))
	}
	t.Logf("the reply began %v after the speech ended, %d loud packets", reply[0].Sub(saidAt).Round(time.Millisecond), len(reply))
	// What came back is what was said.
	p.mu.Lock()
	heard := append([]int16(nil), p.heard.PCM...)
	p.mu.Unlock()
	lag := audiotest.BestLag(hello, heard)
	var dot, e1, e2 float64
	for i, v := range hello {
		if lag+i >= len(heard) {
			break
		}
		w := float64(heard[lag+i])
		dot, e1, e2 = dot+float64(v)*w, e1+float64(v)*float64(v), e2+w*w
	}
	if r := dot / math.Sqrt(e1*e2+1); r < 0.8 {
		t.Errorf("the reply correlates with the speech at r = %.3f, want >= 0.8", r)
	}
	p.mu.Lock()
	marks := append([]string(nil), p.marks...)
	p.mu.Unlock()
	if len(marks) == 0 {
		t.Error("no mark after the reply")
	}
	if n := b.Calls(); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
	// The caller hangs up: the call ends.
	p.send(map[string]any{"event": "stop", "streamSid": p.sid, "stop": map[string]string{"callSid": "CA1"}})
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the bridge did not close the WebSocket 5 s after stop")
	}
	for deadline := time.Now().Add(5 * time.Second); b.Calls() != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the call is still counted 5 s after stop")
		}
	}
}

// TestBridgeBargeInClears: talking over a reply stops it, and the bridge
// tells Twilio to drop what it has buffered ("clear").
func TestBridgeBargeInClears(t *testing.T) {
	base, _ := bridgeOf(t, sayBack(8)) // a long reply
	p, _, err := dialPhone(t, base, "")
	if err != nil {
		t.Fatal(err)
	}
	p.start(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	hello := hello8k(t)
	n := p.talk(ctx, hello, 0)
	n = p.talk(ctx, make([]int16, g711.Rate), n) // the reply starts
	if len(p.loud()) == 0 {
		t.Fatal("no reply within a second of silence")
	}
	n = p.talk(ctx, hello, n) // over it
	p.talk(ctx, make([]int16, g711.Rate/2), n)
	p.mu.Lock()
	clears := len(p.clear)
	p.mu.Unlock()
	if clears == 0 {
		t.Error("no clear after talking over the reply")
	}
}

// TestBridgeRefusesUnsigned: a webhook or a media stream without
// Twilio's signature, or with a wrong one, is refused; a bridge without an
// auth token is refused at NewBridge unless AllowUnsigned.
func TestBridgeRefusesUnsigned(t *testing.T) {
	base, _ := bridgeOf(t, sayBack(1))
	for _, sig := range []string{"", base64.StdEncoding.EncodeToString([]byte("wrong"))} {
		req, _ := http.NewRequest(http.MethodPost, base+"/twiml", strings.NewReader("CallSid=CA1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("TwiML with signature %q: %d, want 403", sig, resp.StatusCode)
		}
	}
	if _, resp, err := dialPhone(t, base, base64.StdEncoding.EncodeToString([]byte("wrong"))); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a media stream with a wrong signature: %v", err)
	}
	s, _ := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, sayBack(1), nil)
	defer s.Close()
	if _, err := twilio.NewBridge(s, twilio.Options{}); err == nil || !strings.Contains(err.Error(), "AuthToken") {
		t.Errorf("NewBridge without a token: %v", err)
	}
	v, err := rtcstream.NewStream(rtcstream.Video, rtcstream.SendReceive, func(img image.Image) image.Image { return img }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, err := twilio.NewBridge(v, twilio.Options{AuthToken: token}); err == nil || !strings.Contains(err.Error(), "Audio") {
		t.Errorf("NewBridge of a video stream: %v", err)
	}
}

// TestBridgeMalformedClosesThatCallOnly: a call that sends what is not
// Twilio's protocol is closed; another call goes on, its echo unbroken.
func TestBridgeMalformedClosesThatCallOnly(t *testing.T) {
	echo := func(f media.AudioFrame) media.AudioFrame { return f }
	base, b := bridgeOf(t, echo)
	good, _, err := dialPhone(t, base, "")
	if err != nil {
		t.Fatal(err)
	}
	good.start(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tone := make([]int16, 3*g711.Rate)
	for i := range tone {
		tone[i] = int16(6000 * math.Sin(2*math.Pi*440*float64(i)/g711.Rate))
	}
	talked := make(chan int)
	go func() { talked <- good.talk(ctx, tone, 0) }()

	for _, bad := range []string{
		`not json`,
		`{"event":"media","media":{"payload":"AAAA"}}`, // media before start
		`{"event":"start","start":{"streamSid":"MZ9","mediaFormat":{"encoding":"audio/l16","sampleRate":16000,"channels":1}}}`,
	} {
		p, _, err := dialPhone(t, base, "")
		if err != nil {
			t.Fatal(err)
		}
		p.wmu.Lock()
		p.ws.WriteMessage(websocket.TextMessage, []byte(bad))
		p.wmu.Unlock()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			t.Errorf("%s: the call is still open 5 s later", bad)
		}
	}
	<-talked
	if got := len(good.loud()); got < 100 {
		t.Errorf("the good call heard %d loud packets of its 150-packet echo", got)
	}
	if n := b.Calls(); n != 1 {
		t.Errorf("%d calls, want the good one", n)
	}
}

// TestBridgeTimeLimit: the Stream's TimeLimit hangs a call up, as it ends
// a browser's session.
func TestBridgeTimeLimit(t *testing.T) {
	s, err := rtcstream.NewStream(rtcstream.Audio, rtcstream.SendReceive, func(f media.AudioFrame) media.AudioFrame { return f },
		&rtcstream.Options{TimeLimit: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b, err := twilio.NewBridge(s, twilio.Options{AuthToken: token})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(b)
	t.Cleanup(func() { srv.Close(); b.Close(); s.Close() })
	p, _, err := dialPhone(t, srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	p.start(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go p.talk(ctx, make([]int16, 8*g711.Rate), 0)
	began := time.Now()
	select {
	case <-p.done:
		if d := time.Since(began); d < 900*time.Millisecond {
			t.Errorf("hung up after %v, before the 1 s limit", d)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("the call still runs 8 s into a 1 s time limit")
	}
}
