package pipeline

import (
	"time"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/media"
)

// Opus on WebRTC: 48 kHz, 20 ms frames.
const (
	OpusRate     = 48000
	AudioFrame   = 20 * time.Millisecond
	opusFrameLen = OpusRate / 50 // samples per channel in 20 ms
	// maxConceal bounds the packets concealed for one gap; a longer gap
	// is a pause in the sender, not loss.
	maxConceal = 5
)

// DecodeRate is the rate to decode Opus at for a handler that wants
// audio at rate: rate itself when libopus decodes to it (8, 12, 16, 24 or
// 48 kHz), which costs less than decoding at 48 kHz and resampling; else
// 48 kHz.
func DecodeRate(rate int) int {
	switch rate {
	case 8000, 12000, 16000, 24000, 48000:
		return rate
	}
	return OpusRate
}

// AudioIn turns a session's inbound Opus RTP into mono PCM frames at the
// handler's rate. Lost packets are recovered from the next packet's
// forward error correction when it carries some, else concealed, so the
// handler hears no gaps. PushRTP is called from one goroutine.
type AudioIn struct {
	dec     codec.AudioDecoder
	decRate int // the decoder's output rate
	rs      *media.Resampler
	deliver func(media.AudioFrame)
	rate    int

	have    bool
	lastSeq uint16
	firstTS uint32
	pcm     []int16
	out     []int16
}

// NewAudioIn decodes with dec (mono at decRate: DecodeRate(rate) is the
// cheapest) and hands frames resampled to rate to deliver, which owns
// them.
func NewAudioIn(dec codec.AudioDecoder, decRate, rate int, deliver func(media.AudioFrame)) (*AudioIn, error) {
	rs, err := media.NewResampler(decRate, rate, 1, media.QualityMedium)
	if err != nil {
		return nil, err
	}
	return &AudioIn{dec: dec, decRate: decRate, rs: rs, deliver: deliver, rate: rate}, nil
}

// PushRTP takes one inbound packet.
func (a *AudioIn) PushRTP(seq uint16, ts uint32, payload []byte) {
	if !a.have {
		a.have, a.lastSeq, a.firstTS = true, seq-1, ts
	}
	gap := int(int16(seq - a.lastSeq))
	if gap <= 0 {
		return // late or duplicate: its time has passed
	}
	a.pcm = a.pcm[:0]
	if missing := gap - 1; missing > 0 && missing <= maxConceal {
		for range missing - 1 {
			a.pcm, _ = a.dec.Decode(a.pcm, nil)
		}
		a.pcm, _ = a.dec.DecodeFEC(a.pcm, payload)
	}
	a.lastSeq = seq
	concealed := len(a.pcm) // samples standing in for lost packets, before this one's
	var err error
	if a.pcm, err = a.dec.Decode(a.pcm, payload); err != nil && len(a.pcm) == 0 {
		return
	}
	a.out = a.rs.Process(a.out[:0], a.pcm)
	if len(a.out) == 0 {
		return
	}
	samples := make([]int16, len(a.out)) // the receiver keeps it
	copy(samples, a.out)
	// The frame starts with the concealed audio, before the packet's own.
	pts := time.Duration(int64(ts-a.firstTS))*time.Second/OpusRate - time.Duration(concealed)*time.Second/time.Duration(a.decRate)
	a.deliver(media.AudioFrame{Samples: samples, SampleRate: a.rate, Channels: 1, Timestamp: pts})
}
