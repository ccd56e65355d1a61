package opus

import (
	"errors"
	"testing"

	"github.com/rtcstream/rtcstream/codec"
	"github.com/rtcstream/rtcstream/codec/internal/codectest"
)

// benchSignal returns one second of interleaved test audio at rate Hz: a
// voice-like sound on the first channel, a chirp on the second.
func benchSignal(rate, channels int) []int16 {
	chans := [][]float64{codectest.Vowel(rate, rate, 10000), codectest.Chirp(rate, rate, 200, 3000, 8000)}
	return codectest.Interleave(chans[:channels]...)
}

func benchEncoder(b *testing.B, cfg EncoderConfig) *Encoder {
	b.Helper()
	e, err := NewEncoder(cfg)
	if errors.Is(err, codec.ErrUnavailable) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

func benchDecoder(b *testing.B, cfg DecoderConfig) *Decoder {
	b.Helper()
	d, err := NewDecoder(cfg)
	if errors.Is(err, codec.ErrUnavailable) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

// benchPackets encodes benchSignal into one second of packets.
func benchPackets(b *testing.B, cfg EncoderConfig) [][]byte {
	b.Helper()
	e := benchEncoder(b, cfg)
	cfg, _ = cfg.withDefaults()
	pcm := benchSignal(cfg.SampleRate, cfg.Channels)
	fl := e.FrameSize() * cfg.Channels
	var packets [][]byte
	for i := 0; i+fl <= len(pcm); i += fl {
		p, err := e.Encode(nil, pcm[i:i+fl])
		if err != nil {
			b.Fatal(err)
		}
		packets = append(packets, p)
	}
	return packets
}

func benchEncode(b *testing.B, cfg EncoderConfig) {
	e := benchEncoder(b, cfg)
	cfg, _ = cfg.withDefaults()
	pcm := benchSignal(cfg.SampleRate, cfg.Channels)
	fl := e.FrameSize() * cfg.Channels
	frames := len(pcm) / fl
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	n, size := 0, 0
	for b.Loop() {
		var err error
		off := (n % frames) * fl
		if buf, err = e.Encode(buf[:0], pcm[off:off+fl]); err != nil {
			b.Fatal(err)
		}
		size += len(buf)
		n++
	}
	b.ReportMetric(float64(size)/float64(n), "B/packet")
}

func BenchmarkEncode48kMono(b *testing.B) { benchEncode(b, EncoderConfig{}) }
func BenchmarkEncode48kStereo(b *testing.B) {
	benchEncode(b, EncoderConfig{Channels: 2, BitRate: 64000})
}
func BenchmarkEncode16kMono(b *testing.B) { benchEncode(b, EncoderConfig{SampleRate: 16000}) }
func BenchmarkEncode48kMonoFEC10(b *testing.B) {
	benchEncode(b, EncoderConfig{PacketLossPercent: 10})
}

func benchDecode(b *testing.B, ecfg EncoderConfig, dcfg DecoderConfig, mode string) {
	packets := benchPackets(b, ecfg)
	d := benchDecoder(b, dcfg)
	dcfg, _ = dcfg.withDefaults()
	pcm := make([]int16, 0, dcfg.SampleRate/50*dcfg.Channels)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var err error
		p := packets[n%len(packets)]
		switch {
		case mode == "plc" && n%2 == 1:
			pcm, err = d.Decode(pcm[:0], nil)
		case mode == "fec" && n%2 == 1:
			pcm, err = d.DecodeFEC(pcm[:0], p)
		default:
			pcm, err = d.Decode(pcm[:0], p)
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}

func BenchmarkDecode48kMono(b *testing.B) { benchDecode(b, EncoderConfig{}, DecoderConfig{}, "") }
func BenchmarkDecode48kStereo(b *testing.B) {
	benchDecode(b, EncoderConfig{Channels: 2, BitRate: 64000}, DecoderConfig{Channels: 2}, "")
}
func BenchmarkDecode48kTo16kMono(b *testing.B) {
	benchDecode(b, EncoderConfig{}, DecoderConfig{SampleRate: 16000}, "")
}

// BenchmarkDecodeConceal alternates a packet and a lost one: ns/op is the
// mean of a decode and a concealment.
func BenchmarkDecodeConceal(b *testing.B) { benchDecode(b, EncoderConfig{}, DecoderConfig{}, "plc") }

// BenchmarkDecodeFEC alternates a packet and a recovery from the next one.
func BenchmarkDecodeFEC(b *testing.B) {
	benchDecode(b, EncoderConfig{PacketLossPercent: 10}, DecoderConfig{}, "fec")
}

// BenchmarkEncode48kMonoSilence encodes digital silence, what an output
// sends between replies.
func BenchmarkEncode48kMonoSilence(b *testing.B) {
	e := benchEncoder(b, EncoderConfig{})
	pcm := make([]int16, e.FrameSize())
	buf := make([]byte, 0, 1500)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = e.Encode(buf[:0], pcm); err != nil {
			b.Fatal(err)
		}
	}
}
