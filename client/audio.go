package client

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/rtcstream/rtcstream/codec/opus"
	"github.com/rtcstream/rtcstream/internal/pipeline"
	"github.com/rtcstream/rtcstream/media"
)

// Audio on the wire: Opus, 48 kHz mono, 20 ms a packet.
const (
	// AudioRate is the sample rate of WriteAudio's input and ReadAudio's
	// output, in Hz.
	AudioRate = pipeline.OpusRate
	// AudioFrameSamples is the length of one 20 ms mono frame at
	// AudioRate: what WriteAudio takes and ReadAudio returns.
	AudioFrameSamples = AudioRate / 50
	// maxConceal bounds the packets concealed for one gap in the
	// received audio; a longer gap is a pause of the sender, not loss.
	maxConceal = 5
)

var (
	// ErrNoAudio: an audio method was called on a Conn dialled without
	// Options.Audio.
	ErrNoAudio = errors.New("rtcstream client: audio is off (set Options.Audio)")
	// ErrNoVideo: a video method was called on a Conn dialled with
	// Options.VideoOff.
	ErrNoVideo = errors.New("rtcstream client: video is off (Options.VideoOff)")
)

// audioState is a Conn's audio: the Opus encoder and outbound track, and
// the decoded frames received.
type audioState struct {
	mu     sync.Mutex // guards enc, buf, seq, against Close during WriteAudio
	enc    *opus.Encoder
	buf    []byte
	out    *webrtc.TrackLocalStaticRTP
	seq    uint16
	tsBase uint32
	first  bool

	epoch     time.Time
	frames    chan media.AudioFrame
	done      *sync.Once // releases the reader's WaitGroup count
	dropped   atomic.Uint64
	concealed atomic.Uint64
	received  atomic.Uint64
}

// prepareAudio adds the sendrecv Opus transceiver, with goroutines that
// drain its sender's and receiver's RTCP (pion's interceptors only see
// RTCP that is read). Called from prepare when Options.Audio is set.
func (c *Conn) prepareAudio() error {
	br := c.opts.AudioBitrate
	if br <= 0 {
		br = 32_000
	}
	enc, err := opus.NewEncoder(opus.EncoderConfig{SampleRate: AudioRate, Channels: 1, BitRate: br})
	if err != nil {
		return err
	}
	out, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
	}, "audio", "rtcstream-client")
	if err != nil {
		enc.Close()
		return err
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	a := &audioState{
		enc:    enc,
		out:    out,
		seq:    binary.LittleEndian.Uint16(rnd[:2]),
		tsBase: binary.LittleEndian.Uint32(rnd[2:]),
		first:  true,
		epoch:  time.Now(),
		frames: make(chan media.AudioFrame, c.opts.AudioBuffer),
		done:   new(sync.Once),
	}
	c.audio = a
	var tr *webrtc.RTPTransceiver
	if c.direction() == webrtc.RTPTransceiverDirectionRecvonly { // a WHEP player's
		a.out = nil
		tr, err = c.pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly})
	} else {
		tr, err = c.pc.AddTransceiverFromTrack(out, webrtc.RTPTransceiverInit{Direction: c.direction()})
	}
	if err != nil {
		return err
	}
	c.wg.Add(1) // the track reader (or shutdown)
	if sender := tr.Sender(); sender != nil {
		c.wg.Add(1)
		go drainRTCP(&c.wg, func(b []byte) error { _, _, err := sender.Read(b); return err })
	}
	if receiver := tr.Receiver(); receiver != nil { // none for a WHIP publisher's sendonly
		c.wg.Add(1)
		go drainRTCP(&c.wg, func(b []byte) error { _, _, err := receiver.Read(b); return err })
	}
	return nil
}

// drainRTCP reads RTCP with read until it fails (the connection closed).
func drainRTCP(wg *sync.WaitGroup, read func([]byte) error) {
	defer wg.Done()
	buf := make([]byte, 1500)
	for {
		if err := read(buf); err != nil {
			return
		}
	}
}

// onAudioTrack reads the server's audio track; called from OnTrack.
func (c *Conn) onAudioTrack(t *webrtc.TrackRemote) {
	a := c.audio
	if a == nil {
		c.discard(t)
		return
	}
	ran := false
	a.done.Do(func() {
		ran = true
		defer c.wg.Done()
		c.readAudio(t)
	})
	if !ran {
		c.discard(t) // a second audio track: not ours to decode
	}
}

// discard reads t until it ends, so pion does not buffer it.
func (c *Conn) discard(t *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := t.Read(buf); err != nil {
			return
		}
	}
}

// readAudio decodes the server's Opus packets into 20 ms frames. A gap of
// up to maxConceal packets is filled: the last missing packet from the next
// one's in-band FEC when it carries some, the others by the decoder's
// concealment (PLC). Late and duplicate packets are dropped.
func (c *Conn) readAudio(t *webrtc.TrackRemote) {
	a := c.audio
	dec, err := opus.NewDecoder(opus.DecoderConfig{SampleRate: AudioRate, Channels: 1})
	if err != nil {
		return
	}
	defer dec.Close()
	buf := make([]byte, 1500)
	var p rtp.Packet
	var have bool
	var lastSeq uint16
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if p.Unmarshal(buf[:n]) != nil {
			continue
		}
		at := time.Since(a.epoch)
		a.received.Add(1)
		if !have {
			have, lastSeq = true, p.SequenceNumber-1
		}
		gap := int(int16(p.SequenceNumber - lastSeq))
		if gap <= 0 {
			continue // late or duplicate: its time has passed
		}
		lastSeq = p.SequenceNumber
		if missing := gap - 1; missing > 0 && missing <= maxConceal {
			// The concealed frames are stamped as arriving with this
			// packet, 20 ms apart, ending before it.
			for i := range missing {
				var pcm []int16
				if i == missing-1 {
					pcm, _ = dec.DecodeFEC(nil, p.Payload)
				} else {
					pcm, _ = dec.Decode(nil, nil)
				}
				if len(pcm) == 0 {
					continue
				}
				a.concealed.Add(1)
				c.deliverAudio(pcm, at-time.Duration(missing-i)*pipeline.AudioFrame)
			}
		}
		pcm, err := dec.Decode(nil, p.Payload)
		if err != nil || len(pcm) == 0 {
			continue
		}
		// Packets longer than 20 ms (not rtcstream's) are split.
		for off := 0; off < len(pcm); off += AudioFrameSamples {
			c.deliverAudio(pcm[off:min(off+AudioFrameSamples, len(pcm))], at)
		}
	}
}

func (c *Conn) deliverAudio(pcm []int16, at time.Duration) {
	f := media.AudioFrame{Samples: pcm, SampleRate: AudioRate, Channels: 1, Timestamp: at}
	select {
	case c.audio.frames <- f:
	default:
		c.audio.dropped.Add(1)
	}
}

// WriteAudio encodes pcm, exactly 20 ms of mono audio at 48 kHz
// (AudioFrameSamples samples), as one Opus packet and sends it, stamped
// with pts on the 48 kHz RTP clock. pts must increase by 20 ms from frame
// to frame for audio without pauses; a larger step is a pause (no loss is
// signalled). Pace the calls in real time, one every 20 ms, as a
// microphone would: the server plays what it gets as it arrives.
// WriteAudio must be called from one goroutine.
func (c *Conn) WriteAudio(pcm []int16, pts time.Duration) error {
	a := c.audio
	if a == nil {
		return ErrNoAudio
	}
	if len(pcm) != AudioFrameSamples {
		return fmt.Errorf("rtcstream client: WriteAudio: got %d samples, want %d (20 ms mono at 48 kHz)", len(pcm), AudioFrameSamples)
	}
	if a.out == nil {
		return ErrNoAudio // a WHEP player's receives only
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.enc == nil {
		return ErrClosed
	}
	var err error
	if a.buf, err = a.enc.Encode(a.buf[:0], pcm); err != nil {
		return err
	}
	if len(a.buf) == 0 {
		return nil // discontinuous transmission (never with the default config)
	}
	pkt := rtp.Packet{
		Header: rtp.Header{
			Version:        2,
			Marker:         a.first,
			SequenceNumber: a.seq,
			Timestamp:      a.tsBase + uint32(pts*AudioRate/time.Second),
		},
		Payload: a.buf,
	}
	a.first = false
	a.seq++
	return a.out.WriteRTP(&pkt)
}

// ReadAudio returns the next 20 ms of audio from the server, decoded: mono
// at 48 kHz (AudioFrameSamples samples), the caller's to keep. Lost
// packets are recovered from in-band FEC or concealed, so the frames are
// continuous while the server sends.
//
// The frame's Timestamp is its arrival time, measured from AudioEpoch (the
// time the Conn was created): AudioEpoch().Add(f.Timestamp) is the wall
// clock time its packet arrived. A frame concealed for a lost packet is
// stamped 20 ms before the next frame's.
//
// Frames that arrived before the connection closed are still returned;
// then it fails with ErrClosed. Without Options.Audio it fails with
// ErrNoAudio.
func (c *Conn) ReadAudio(ctx context.Context) (media.AudioFrame, error) {
	a := c.audio
	if a == nil {
		return media.AudioFrame{}, ErrNoAudio
	}
	select {
	case f := <-a.frames:
		return f, nil
	case <-ctx.Done():
		return media.AudioFrame{}, ctx.Err()
	case <-c.failed:
		select {
		case f := <-a.frames:
			return f, nil
		default:
			return media.AudioFrame{}, ErrClosed
		}
	}
}

// AudioEpoch is the origin of the Timestamp of ReadAudio's frames; zero
// without Options.Audio.
func (c *Conn) AudioEpoch() time.Time {
	if c.audio == nil {
		return time.Time{}
	}
	return c.audio.epoch
}

// AudioStats counts the audio received.
type AudioStats struct {
	PacketsReceived uint64 // Opus packets received
	FramesConcealed uint64 // 20 ms frames made up for lost packets (FEC or PLC)
	FramesDropped   uint64 // decoded frames dropped because nobody read them
}

// AudioStats reports the audio received so far.
func (c *Conn) AudioStats() AudioStats {
	if c.audio == nil {
		return AudioStats{}
	}
	return AudioStats{
		PacketsReceived: c.audio.received.Load(),
		FramesConcealed: c.audio.concealed.Load(),
		FramesDropped:   c.audio.dropped.Load(),
	}
}

// closeAudio releases the audio reader's count if no track came, and
// frees the encoder. Called from shutdown after the peer connection closed.
func (c *Conn) closeAudio() {
	a := c.audio
	if a == nil {
		return
	}
	a.done.Do(func() { c.wg.Done() })
}

// freeAudio frees the encoder once WriteAudio can no longer use it.
func (c *Conn) freeAudio() {
	a := c.audio
	if a == nil {
		return
	}
	a.mu.Lock()
	if a.enc != nil {
		_ = a.enc.Close()
		a.enc = nil
	}
	a.mu.Unlock()
}
