package media

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// EncodeWAV returns f as a WAV file: 16-bit PCM at f's rate and channels.
// Speech services take WAV uploads (an OpenAI-compatible transcription
// endpoint, a local recogniser), and so do players and editors.
func EncodeWAV(f AudioFrame) ([]byte, error) {
	if f.SampleRate <= 0 || f.Channels <= 0 {
		return nil, fmt.Errorf("media: EncodeWAV: %d Hz, %d channels", f.SampleRate, f.Channels)
	}
	n := 2 * len(f.Samples)
	b := make([]byte, 0, 44+n)
	le := binary.LittleEndian
	b = append(b, "RIFF"...)
	b = le.AppendUint32(b, uint32(36+n))
	b = append(b, "WAVEfmt "...)
	b = le.AppendUint32(b, 16) // fmt chunk size
	b = le.AppendUint16(b, 1)  // PCM
	b = le.AppendUint16(b, uint16(f.Channels))
	b = le.AppendUint32(b, uint32(f.SampleRate))
	b = le.AppendUint32(b, uint32(f.SampleRate*f.Channels*2)) // byte rate
	b = le.AppendUint16(b, uint16(f.Channels*2))              // block align
	b = le.AppendUint16(b, 16)                                // bits per sample
	b = append(b, "data"...)
	b = le.AppendUint32(b, uint32(n))
	for _, s := range f.Samples {
		b = le.AppendUint16(b, uint16(s))
	}
	return b, nil
}

// DecodeWAV reads a 16-bit PCM WAV file (any rate, any number of
// channels, chunks other than fmt and data skipped) into a frame whose
// Timestamp is zero. A data chunk cut short, as a streamed WAV's often
// is, gives the samples that are there.
func DecodeWAV(b []byte) (AudioFrame, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return AudioFrame{}, errors.New("media: DecodeWAV: not a WAV file")
	}
	le := binary.LittleEndian
	var f AudioFrame
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(le.Uint32(b[p+4:p+8]))
		body := b[p+8 : min(len(b), p+8+max(0, size))]
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return AudioFrame{}, errors.New("media: DecodeWAV: short fmt chunk")
			}
			format, bits := le.Uint16(body[0:2]), le.Uint16(body[14:16])
			if format != 1 || bits != 16 {
				return AudioFrame{}, fmt.Errorf("media: DecodeWAV: format %d, %d bits; want 16-bit PCM (format 1)", format, bits)
			}
			f.Channels, f.SampleRate = int(le.Uint16(body[2:4])), int(le.Uint32(body[4:8]))
			if f.Channels <= 0 || f.SampleRate <= 0 {
				return AudioFrame{}, fmt.Errorf("media: DecodeWAV: %d channels at %d Hz", f.Channels, f.SampleRate)
			}
		case "data":
			if f.SampleRate == 0 {
				return AudioFrame{}, errors.New("media: DecodeWAV: data before fmt")
			}
			if size == 0 {
				body = b[p+8:] // a stream's WAV, its length unknown when written
			}
			n := len(body) / 2
			n -= n % f.Channels
			f.Samples = make([]int16, n)
			for i := range f.Samples {
				f.Samples[i] = int16(le.Uint16(body[2*i:]))
			}
			return f, nil
		}
		if size < 0 || p+8+size+size%2 <= p {
			break
		}
		p += 8 + size + size%2
	}
	return AudioFrame{}, errors.New("media: DecodeWAV: no data chunk")
}
