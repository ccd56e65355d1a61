package lktest

import (
	"context"
	"image"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livekit/protocol/auth"
	lkp "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"

	"github.com/rtcstream/rtcstream/livekit"
)

// Participant is a livekit.Participant driven for tests: its camera shows
// one flat colour, and it keeps the colour at the centre of every
// processed frame, and every control message.
type Participant struct {
	Identity string
	*livekit.Participant
	t testing.TB

	color   atomic.Uint32 // the camera's Y, Cb, Cr
	stop    chan struct{}
	stopped sync.WaitGroup

	mu     sync.Mutex
	frames []Frame
	data   []string
}

// Frame is one decoded processed frame.
type Frame struct {
	At      time.Time
	Y, U, V uint8 // at the centre
	Size    image.Point
}

// Token mints a token for identity to join room, with explicit dispatch of
// agentName when it is set.
func Token(t testing.TB, room, identity, agentName string) string {
	t.Helper()
	at := auth.NewAccessToken(APIKey, APISecret).SetIdentity(identity).SetValidFor(time.Hour).
		SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: room})
	if agentName != "" {
		at.SetRoomConfig(&lkp.RoomConfiguration{Agents: []*lkp.RoomAgentDispatch{{AgentName: agentName}}})
	}
	tok, err := at.ToJWT()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Join joins the room at url with token; the participant leaves when t
// ends. Its camera sends nothing until PublishCamera.
func Join(t testing.TB, url, token string) *Participant {
	t.Helper()
	return JoinWith(t, url, token, livekit.ParticipantOptions{})
}

// JoinWith is Join with o (a microphone, say); its Size and FrameBuffer
// are the test camera's (320x240) and 8 when unset.
func JoinWith(t testing.TB, url, token string, o livekit.ParticipantOptions) *Participant {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if o.Size == (image.Point{}) {
		o.Size = image.Pt(320, 240)
	}
	if o.FrameBuffer == 0 {
		o.FrameBuffer = 8
	}
	lp, err := livekit.Join(ctx, url, token, &o)
	if err != nil {
		t.Fatalf("lktest: could not join at %s: %v", url, err)
	}
	p := &Participant{Identity: lp.Identity(), Participant: lp, t: t, stop: make(chan struct{})}
	p.stopped.Add(2)
	go p.readFrames()
	go p.readMessages()
	t.Cleanup(p.Leave)
	return p
}

// Leave leaves the room. Safe to call more than once.
func (p *Participant) Leave() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	p.Close()
	p.stopped.Wait()
}

// SetColor sets the camera's colour.
func (p *Participant) SetColor(y, cb, cr uint8) {
	p.color.Store(uint32(y)<<16 | uint32(cb)<<8 | uint32(cr))
}

// PublishCamera sends a size picture of the current colour 30 times a
// second.
func (p *Participant) PublishCamera(size image.Point) {
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		img := image.NewYCbCr(image.Rect(0, 0, size.X, size.Y), image.YCbCrSubsampleRatio420)
		tick := time.NewTicker(time.Second / 30)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
			c := p.color.Load()
			fill(img.Y, uint8(c>>16))
			fill(img.Cb, uint8(c>>8))
			fill(img.Cr, uint8(c))
			_ = p.WriteFrame(img, time.Duration(n)*time.Second/30)
		}
	}()
}

func fill(b []byte, v uint8) {
	for i := range b {
		b[i] = v
	}
}

// readFrames keeps the centre of every processed frame.
func (p *Participant) readFrames() {
	defer p.stopped.Done()
	for {
		f, err := p.ReadFrame(context.Background())
		if err != nil {
			return
		}
		img := f.Image
		b := img.Bounds()
		x, y := b.Min.X+b.Dx()/2, b.Min.Y+b.Dy()/2
		fr := Frame{At: f.Received, Y: img.Y[img.YOffset(x, y)], U: img.Cb[img.COffset(x, y)], V: img.Cr[img.COffset(x, y)], Size: b.Size()}
		p.mu.Lock()
		p.frames = append(p.frames, fr)
		p.mu.Unlock()
	}
}

// readMessages keeps every control message.
func (p *Participant) readMessages() {
	defer p.stopped.Done()
	for {
		m, err := p.ReadMessage(context.Background())
		if err != nil {
			return
		}
		p.mu.Lock()
		p.data = append(p.data, string(m.Raw))
		p.mu.Unlock()
	}
}

// Frames returns the processed frames decoded since from.
func (p *Participant) Frames(from time.Time) []Frame {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []Frame
	for _, f := range p.frames {
		if !f.At.Before(from) {
			out = append(out, f)
		}
	}
	return out
}

// WaitFrames waits until n frames satisfying ok arrived since from; it
// returns how long after from the nth came, or false at the timeout.
func (p *Participant) WaitFrames(from time.Time, n int, timeout time.Duration, ok func(Frame) bool) (time.Duration, bool) {
	deadline := time.Now().Add(timeout)
	for {
		got := 0
		for _, f := range p.Frames(from) {
			if ok(f) {
				if got++; got == n {
					return f.At.Sub(from), true
				}
			}
		}
		if time.Now().After(deadline) {
			return 0, false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Data returns the control messages received, as JSON.
func (p *Participant) Data() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.data...)
}

// Send sends a raw data message on topic to everyone in the room.
func (p *Participant) Send(topic string, b []byte) error {
	return p.Room().LocalParticipant.PublishDataPacket(&lksdk.UserDataPacket{Payload: b, Topic: topic}, lksdk.WithDataPublishReliable(true))
}
