package media

import (
	"encoding/binary"
	"slices"
	"testing"
)

func TestWAVRoundTrip(t *testing.T) {
	for _, f := range []AudioFrame{
		{Samples: []int16{0, 1, -1, 32767, -32768}, SampleRate: 16000, Channels: 1},
		{Samples: []int16{1, 2, 3, 4, 5, 6}, SampleRate: 48000, Channels: 2},
	} {
		b, err := EncodeWAV(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeWAV(b)
		if err != nil {
			t.Fatal(err)
		}
		if got.SampleRate != f.SampleRate || got.Channels != f.Channels || !slices.Equal(got.Samples, f.Samples) {
			t.Errorf("round trip: %+v, want %+v", got, f)
		}
	}
}

// A streamed WAV (espeak-ng --stdout) does not know its length: its data
// chunk's size is 0 or a large placeholder. The samples that are there
// are read.
func TestDecodeWAVStreamed(t *testing.T) {
	b, _ := EncodeWAV(AudioFrame{Samples: []int16{7, 8, 9}, SampleRate: 22050, Channels: 1})
	for _, size := range []uint32{0, 0x7ffff000} {
		c := slices.Clone(b)
		binary.LittleEndian.PutUint32(c[40:], size)
		f, err := DecodeWAV(c)
		if err != nil || !slices.Equal(f.Samples, []int16{7, 8, 9}) {
			t.Errorf("data size %#x: %v %v", size, f.Samples, err)
		}
	}
}

func TestDecodeWAVRefusesOtherFormats(t *testing.T) {
	b, _ := EncodeWAV(AudioFrame{Samples: []int16{1}, SampleRate: 8000, Channels: 1})
	float := slices.Clone(b)
	binary.LittleEndian.PutUint16(float[20:], 3) // IEEE float
	for name, in := range map[string][]byte{"empty": nil, "not RIFF": []byte("RIFX0000WAVE"), "float": float, "truncated": b[:30]} {
		if _, err := DecodeWAV(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := EncodeWAV(AudioFrame{Samples: []int16{1}}); err == nil {
		t.Error("EncodeWAV without a rate: no error")
	}
}
