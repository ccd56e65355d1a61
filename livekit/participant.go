package livekit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/protocol/auth"
	lkp "github.com/livekit/protocol/livekit"
	protologger "github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"

	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/internal/peer"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/internal/videocodec"
)

// ParticipantOptions configure Join. The zero value publishes a 640x480
// camera and decodes the processed video.
type ParticipantOptions struct {
	// Size is the camera's, announced with its publication; zero means
	// 640x480.
	Size image.Point
	// SkipDecode: the processed video's frames are counted (OnFrame) but
	// not decoded, and ReadFrame returns none.
	SkipDecode bool
	// FrameBuffer is how many decoded frames wait for ReadFrame before
	// the oldest is dropped; 0 means 2.
	FrameBuffer int
	// OnFrame, if set, is told of every processed frame received, on the
	// receiving goroutine; it must not block.
	OnFrame func(client.FrameInfo)
	// OnKeyFrameRequest, if set, is called when the SFU asks the camera
	// for a keyframe (WriteFrame's encoder makes one by itself).
	OnKeyFrameRequest func()
	// Audio publishes a microphone (WriteAudio) and receives the worker's
	// audio of it (ReadAudio): for Audio and AudioVideo streams.
	Audio bool
	// AudioBuffer is how many received audio frames wait for ReadAudio
	// before new ones are dropped; 0 means 50 (a second).
	AudioBuffer int
	// VideoOff publishes no camera: an Audio stream's participant.
	VideoOff bool
	// VideoCodec is the camera's codec: VP8 (the zero value) or H264
	// (constrained baseline, as browsers send it). A worker processes
	// either and publishes its result in the camera's codec.
	VideoCodec codec.VideoCodec
}

// Participant is a Go participant in a LiveKit room that rtcstream workers
// serve: it publishes a camera and (with Audio) a microphone, receives the
// worker's processed video and audio of it (TrackName of its identity) and
// the handler's control messages, and sends inputs. It is the LiveKit counterpart of a client.Conn, with the
// same frame, message and statistics types.
type Participant struct {
	room   *lksdk.Room
	id     string
	o      ParticipantOptions
	track  *lksdk.LocalSampleTrack // nil with VideoOff
	audio  *participantAudio       // nil without Audio
	frames chan client.Frame
	msgs   chan client.Message
	done   chan struct{}
	closed sync.Once

	wmu     sync.Mutex // guards the sending side
	enc     codec.VideoEncoder
	encBuf  []byte
	lastPTS time.Duration
	sentAny bool
	keyWant atomic.Bool

	processedCodec atomic.Value // codec.VideoCodec of the worker's video track
	dropped        atomic.Uint64
	stats          struct {
		framesSent, bytesSent, packets, frames, bytes, losses, skipped, decodeErrs, plis atomic.Uint64
	}
}

// Join joins the room at url (ws:// or wss://) with token (minted with
// Token, or by any LiveKit key holder) and publishes the camera and, with
// Audio, a microphone (VideoOff: no camera). ctx bounds
// the joining only.
func Join(ctx context.Context, url, token string, o *ParticipantOptions) (*Participant, error) {
	p := &Participant{done: make(chan struct{}), msgs: make(chan client.Message, 64)}
	if o != nil {
		p.o = *o
	}
	if err := p.o.VideoCodec.Check(); err != nil {
		return nil, fmt.Errorf("livekit: %w", err)
	}
	p.o.VideoCodec = p.o.VideoCodec.OrVP8()
	if p.o.Size == (image.Point{}) {
		p.o.Size = image.Pt(640, 480)
	}
	if p.o.FrameBuffer <= 0 {
		p.o.FrameBuffer = 2
	}
	p.frames = make(chan client.Frame, p.o.FrameBuffer)
	// The identity is the token's, known before connecting: the room
	// hands over the agent's tracks for it (OnTrackSubscribed) from the
	// moment it connects, which can be before ConnectToRoomWithToken has
	// returned to say who we are (read then, it raced with its writing,
	// and a track subscribed first was taken for someone else's).
	tok, err := auth.ParseAPIToken(token)
	if err != nil {
		return nil, fmt.Errorf("livekit: the token: %w", err)
	}
	p.id = tok.Identity()
	setSDKLogger(slog.Default())
	var receivers sync.WaitGroup
	cb := lksdk.NewRoomCallback()
	cb.OnTrackSubscribed = func(tr *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
		if rp.Kind() != lksdk.ParticipantAgent || pub.Name() != TrackName(p.id) {
			return
		}
		switch tr.Kind() {
		case webrtc.RTPCodecTypeVideo:
			receivers.Go(func() { p.receive(tr, rp) })
		case webrtc.RTPCodecTypeAudio:
			receivers.Go(func() { p.receiveAudio(tr) })
		}
	}
	cb.OnDataPacket = func(d lksdk.DataPacket, params lksdk.DataReceiveParams) {
		if u, ok := d.(*lksdk.UserDataPacket); ok && u.Topic == Topic {
			p.message(u.Payload)
		}
	}
	cb.OnDisconnected = func() { p.close() }

	type result struct {
		r   *lksdk.Room
		err error
	}
	ch := make(chan result, 1)
	go func() {
		r, err := lksdk.ConnectToRoomWithToken(url, token, cb, lksdk.WithLogger(protologger.GetDiscardLogger()))
		ch <- result{r, err}
	}()
	var res result
	select {
	case res = <-ch:
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.r != nil {
				r.r.Disconnect()
			}
		}()
		return nil, ctx.Err()
	}
	if res.err != nil {
		return nil, res.err
	}
	p.room = res.r
	if p.o.Audio {
		err = p.publishMicrophone()
	}
	if err == nil && !p.o.VideoOff {
		err = p.publishCamera()
	}
	if err != nil {
		res.r.Disconnect()
		p.closeAudio()
		return nil, err
	}
	go func() { <-p.done; receivers.Wait() }()
	return p, nil
}

// publishCamera publishes the participant's camera.
func (p *Participant) publishCamera() error {
	track, err := lksdk.NewLocalSampleTrack(peer.VideoCapability(p.o.VideoCodec), lksdk.WithRTCPHandler(p.rtcp))
	if err == nil {
		_, err = p.room.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{
			Name: "camera", Source: lkp.TrackSource_CAMERA, VideoWidth: p.o.Size.X, VideoHeight: p.o.Size.Y,
		})
	}
	if err != nil {
		return err
	}
	p.track = track
	return nil
}

// ProcessedCodec is the codec of the worker's processed video, the
// camera's; "" until that track arrives.
func (p *Participant) ProcessedCodec() codec.VideoCodec {
	vc, _ := p.processedCodec.Load().(codec.VideoCodec)
	return vc
}

// Identity is the participant's identity in the room.
func (p *Participant) Identity() string { return p.id }

// Room is the participant's room connection, for what this type does not
// cover.
func (p *Participant) Room() *lksdk.Room { return p.room }

// rtcp handles the SFU's feedback on the camera.
func (p *Participant) rtcp(pk rtcp.Packet) {
	switch pk.(type) {
	case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
		p.keyWant.Store(true)
		if p.o.OnKeyFrameRequest != nil {
			p.o.OnKeyFrameRequest()
		}
	}
}

// WriteEncoded sends one frame in the camera's codec (VP8, or an H.264
// access unit in Annex B) whose presentation time is pts.
func (p *Participant) WriteEncoded(frame []byte, pts time.Duration) error {
	if p.track == nil {
		return ErrNoVideo
	}
	if len(frame) == 0 {
		return errors.New("livekit: WriteEncoded: empty frame")
	}
	p.wmu.Lock()
	d := time.Second / 30
	if p.sentAny && pts > p.lastPTS {
		d = pts - p.lastPTS
	}
	p.lastPTS, p.sentAny = pts, true
	p.wmu.Unlock()
	if err := p.track.WriteSample(media.Sample{Data: frame, Duration: d}, nil); err != nil {
		return err
	}
	p.stats.framesSent.Add(1)
	p.stats.bytesSent.Add(uint64(len(frame)))
	return nil
}

// WriteFrame encodes img (in the camera's codec, at 1 Mbit/s) and sends
// it; it makes a keyframe when the SFU asks for one.
func (p *Participant) WriteFrame(img *image.YCbCr, pts time.Duration) error {
	if p.track == nil {
		return ErrNoVideo
	}
	p.wmu.Lock()
	if p.enc == nil {
		enc, err := videocodec.NewEncoder(p.o.VideoCodec, videocodec.EncoderConfig{Width: img.Rect.Dx(), Height: img.Rect.Dy(), BitRate: 1_000_000})
		if err != nil {
			p.wmu.Unlock()
			return err
		}
		p.enc = enc
	}
	if p.keyWant.Swap(false) {
		p.enc.RequestKeyFrame()
	}
	out, _, err := p.enc.Encode(p.encBuf[:0], img, pts)
	p.encBuf = out
	p.wmu.Unlock()
	if err != nil || len(out) == 0 {
		return err
	}
	return p.WriteEncoded(out, pts)
}

// receive reads the processed track: frames counted, decoded unless
// SkipDecode, and a keyframe asked for after a loss.
func (p *Participant) receive(tr *webrtc.TrackRemote, rp *lksdk.RemoteParticipant) {
	vc := wireCodec(tr.Codec().MimeType)
	p.processedCodec.Store(vc)
	var dec codec.VideoDecoder
	if !p.o.SkipDecode {
		var err error
		if dec, err = videocodec.NewDecoder(vc, image.Point{}); err != nil {
			return
		}
		defer dec.Close()
	}
	asm := pipeline.NewAssemblerFor(vc, 0)
	buf := make([]byte, 1500)
	var pk rtp.Packet
	var lastPLI time.Time
	var lost, skipped uint64
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if pk.Unmarshal(buf[:n]) != nil {
			continue
		}
		now := time.Now()
		p.stats.packets.Add(1)
		asm.Push(pk.SequenceNumber, pk.Timestamp, pk.Marker, pk.Payload)
		for {
			f, ok := asm.Pop(now)
			if !ok {
				break
			}
			p.stats.frames.Add(1)
			p.stats.bytes.Add(uint64(len(f.Data)))
			if p.o.OnFrame != nil {
				p.o.OnFrame(client.FrameInfo{RTPTimestamp: f.Timestamp, Size: len(f.Data), KeyFrame: f.KeyFrame, Received: now})
			}
			if dec == nil {
				continue
			}
			img, err := dec.Decode(nil, f.Data)
			if err != nil {
				p.stats.decodeErrs.Add(1)
				continue
			}
			if img == nil {
				continue
			}
			p.deliver(client.Frame{Image: img, RTPTimestamp: f.Timestamp, Received: now, KeyFrame: f.KeyFrame})
		}
		st := asm.Stats()
		if st.Lost > lost {
			p.stats.losses.Add(st.Lost - lost)
			lost = st.Lost
		}
		if st.WaitingForKey > skipped {
			p.stats.skipped.Add(st.WaitingForKey - skipped)
			skipped = st.WaitingForKey
		}
		if asm.KeyFrameNeeded() && now.Sub(lastPLI) > 250*time.Millisecond {
			rp.WritePLI(tr.SSRC())
			p.stats.plis.Add(1)
			lastPLI = now
		}
	}
}

// deliver queues a decoded frame, dropping the oldest when full.
func (p *Participant) deliver(f client.Frame) {
	for {
		select {
		case p.frames <- f:
			return
		default:
		}
		select {
		case <-p.frames:
			p.dropped.Add(1)
		default:
		}
	}
}

// message queues a control message from the handler.
func (p *Participant) message(b []byte) {
	m := client.Message{Raw: append([]byte(nil), b...)}
	// A handler's own message may give a typed field another type ("error"
	// as a string): the fields that fit are kept, and Raw has the rest.
	if json.Unmarshal(b, &m); m.Type == "" {
		return
	}
	select {
	case p.msgs <- m:
	default: // nobody reads them
	}
}

// ReadFrame returns the next decoded processed frame.
func (p *Participant) ReadFrame(ctx context.Context) (client.Frame, error) {
	select {
	case f := <-p.frames:
		return f, nil
	case <-ctx.Done():
		return client.Frame{}, ctx.Err()
	case <-p.done:
		return client.Frame{}, errors.New("livekit: the participant left the room")
	}
}

// ReadMessage returns the next control message from the handler: the
// same messages a Stream's page gets ("output", "error", "warning", ...).
func (p *Participant) ReadMessage(ctx context.Context) (client.Message, error) {
	select {
	case m := <-p.msgs:
		return m, nil
	case <-ctx.Done():
		return client.Message{}, ctx.Err()
	case <-p.done:
		return client.Message{}, errors.New("livekit: the participant left the room")
	}
}

// SendInput sends input values (by input id) to the participant's
// handler.
func (p *Participant) SendInput(values map[string]any) error {
	b, err := json.Marshal(map[string]any{"type": "input", "values": values})
	if err != nil {
		return err
	}
	return p.room.LocalParticipant.PublishDataPacket(&lksdk.UserDataPacket{Payload: b, Topic: Topic}, lksdk.WithDataPublishReliable(true))
}

// Stats returns the participant's counters, in client.Stats' terms.
func (p *Participant) Stats() client.Stats {
	s := &p.stats
	return client.Stats{
		FramesSent: s.framesSent.Load(), BytesSent: s.bytesSent.Load(),
		PacketsReceived: s.packets.Load(), FramesReceived: s.frames.Load(), BytesReceived: s.bytes.Load(),
		PacketLosses: s.losses.Load(), FramesSkipped: s.skipped.Load(), DecodeErrors: s.decodeErrs.Load(),
		KeyFramesRequested: s.plis.Load(),
	}
}

// DroppedFrames counts decoded frames dropped because nobody read them.
func (p *Participant) DroppedFrames() uint64 { return p.dropped.Load() }

// Done is closed when the participant has left the room.
func (p *Participant) Done() <-chan struct{} { return p.done }

// Close leaves the room.
func (p *Participant) Close() error {
	p.room.Disconnect()
	p.close()
	p.wmu.Lock()
	if p.enc != nil {
		p.enc.Close()
	}
	p.wmu.Unlock()
	p.closeAudio()
	return nil
}

func (p *Participant) close() { p.closed.Do(func() { close(p.done) }) }
