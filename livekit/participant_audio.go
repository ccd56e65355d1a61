package livekit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	lkp "github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	pionmedia "github.com/pion/webrtc/v4/pkg/media"

	"github.com/rtcstream/rtcstream/client"
	"github.com/rtcstream/rtcstream/codec/opus"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/media"
)

var (
	// ErrNoAudio: an audio method of a Participant joined without
	// ParticipantOptions.Audio.
	ErrNoAudio = errors.New("livekit: the participant has no audio (set ParticipantOptions.Audio)")
	// ErrNoVideo: a video method of a Participant joined with
	// ParticipantOptions.VideoOff.
	ErrNoVideo = errors.New("livekit: the participant has no camera (ParticipantOptions.VideoOff)")
)

// participantAudio is a Participant's microphone and the worker's audio
// of it, decoded.
type participantAudio struct {
	mu      sync.Mutex // guards enc, buf, lastPTS, sentAny against Close
	enc     *opus.Encoder
	buf     []byte
	track   *lksdk.LocalSampleTrack
	lastPTS time.Duration
	sentAny bool

	epoch    time.Time
	frames   chan media.AudioFrame
	received atomic.Uint64
	dropped  atomic.Uint64
}

// publishMicrophone publishes the participant's microphone.
func (p *Participant) publishMicrophone() error {
	enc, err := opus.NewEncoder(opus.EncoderConfig{SampleRate: client.AudioRate, Channels: 1})
	if err != nil {
		return err
	}
	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err == nil {
		_, err = p.room.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{
			Name: "microphone", Source: lkp.TrackSource_MICROPHONE,
		})
	}
	if err != nil {
		_ = enc.Close()
		return err
	}
	buffer := p.o.AudioBuffer
	if buffer <= 0 {
		buffer = 50
	}
	p.audio = &participantAudio{enc: enc, track: track, epoch: time.Now(), frames: make(chan media.AudioFrame, buffer)}
	return nil
}

// WriteAudio encodes pcm, exactly 20 ms of mono audio at 48 kHz
// (client.AudioFrameSamples samples), as one Opus packet and sends it; pts
// is its presentation time, 20 ms on from the last frame's for audio
// without pauses. Pace the calls in real time, as a microphone would.
// WriteAudio must be called from one goroutine.
func (p *Participant) WriteAudio(pcm []int16, pts time.Duration) error {
	a := p.audio
	if a == nil {
		return ErrNoAudio
	}
	if len(pcm) != client.AudioFrameSamples {
		return fmt.Errorf("livekit: WriteAudio: got %d samples, want %d (20 ms mono at 48 kHz)", len(pcm), client.AudioFrameSamples)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.enc == nil {
		return errors.New("livekit: the participant left the room")
	}
	var err error
	if a.buf, err = a.enc.Encode(a.buf[:0], pcm); err != nil || len(a.buf) == 0 {
		return err
	}
	d := pipeline.AudioFrame
	if a.sentAny && pts > a.lastPTS {
		d = pts - a.lastPTS
	}
	a.lastPTS, a.sentAny = pts, true
	return a.track.WriteSample(pionmedia.Sample{Data: a.buf, Duration: d}, nil)
}

// receiveAudio decodes the worker's audio track: lost packets recovered
// from forward error correction or concealed, as a Stream's server does
// with a microphone.
func (p *Participant) receiveAudio(tr *webrtc.TrackRemote) {
	a := p.audio
	if a == nil {
		return
	}
	dec, err := opus.NewDecoder(opus.DecoderConfig{SampleRate: client.AudioRate, Channels: 1})
	if err != nil {
		return
	}
	defer dec.Close()
	var at time.Duration
	in, err := pipeline.NewAudioIn(dec, client.AudioRate, client.AudioRate, func(f media.AudioFrame) {
		f.Timestamp = at
		select {
		case a.frames <- f:
		default:
			a.dropped.Add(1)
		}
	})
	if err != nil {
		return
	}
	buf := make([]byte, 1500)
	var pk rtp.Packet
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if pk.Unmarshal(buf[:n]) != nil {
			continue
		}
		at = time.Since(a.epoch)
		a.received.Add(1)
		in.PushRTP(pk.SequenceNumber, pk.Timestamp, pk.Payload)
	}
}

// ReadAudio returns the next frame of the worker's audio for this
// participant, decoded: mono at 48 kHz, 20 ms (more where lost packets
// were concealed before it), the caller's to keep. Its Timestamp is its
// arrival, measured from AudioEpoch. Frames that nobody reads pile up to
// ParticipantOptions.AudioBuffer, then are dropped.
func (p *Participant) ReadAudio(ctx context.Context) (media.AudioFrame, error) {
	a := p.audio
	if a == nil {
		return media.AudioFrame{}, ErrNoAudio
	}
	select {
	case f := <-a.frames:
		return f, nil
	case <-ctx.Done():
		return media.AudioFrame{}, ctx.Err()
	case <-p.done:
		return media.AudioFrame{}, errors.New("livekit: the participant left the room")
	}
}

// AudioEpoch is the origin of ReadAudio's timestamps; zero without
// ParticipantOptions.Audio.
func (p *Participant) AudioEpoch() time.Time {
	if p.audio == nil {
		return time.Time{}
	}
	return p.audio.epoch
}

// AudioStats counts the audio received, in client.AudioStats' terms
// (concealment is not counted).
func (p *Participant) AudioStats() client.AudioStats {
	if p.audio == nil {
		return client.AudioStats{}
	}
	return client.AudioStats{PacketsReceived: p.audio.received.Load(), FramesDropped: p.audio.dropped.Load()}
}

// closeAudio frees the encoder once WriteAudio can no longer use it.
func (p *Participant) closeAudio() {
	if a := p.audio; a != nil {
		a.mu.Lock()
		if a.enc != nil {
			_ = a.enc.Close()
			a.enc = nil
		}
		a.mu.Unlock()
	}
}
