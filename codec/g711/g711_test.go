package g711

import (
	"math"
	"testing"
)

// The standard's fixed points: silence, the extremes, and that every code
// decodes to a value that encodes back to it.
func TestMuLawTable(t *testing.T) {
	if c := muLaw(0); c != 0xff {
		t.Errorf("0 encodes to %#x, want 0xff", c)
	}
	if v := linear[0xff]; v != 0 {
		t.Errorf("0xff decodes to %d, want 0", v)
	}
	if v := linear[0x00]; v != -32124 {
		t.Errorf("0x00 decodes to %d, want -32124", v)
	}
	if v := linear[0x80]; v != 32124 {
		t.Errorf("0x80 decodes to %d, want 32124", v)
	}
	for c := range 256 {
		if c == 0x7f { // -0 encodes as +0 (0xff)
			continue
		}
		if got := muLaw(linear[c]); got != byte(c) {
			t.Errorf("code %#x decodes to %d, which encodes to %#x", c, linear[c], got)
		}
	}
}

// μ-law keeps about 38 dB of signal to noise over a wide range of levels:
// a tone from -40 to -3 dBFS round-trips at 33 dB SNR or better.
func TestMuLawRoundTripSNR(t *testing.T) {
	for _, dbfs := range []float64{-40, -20, -10, -3} {
		amp := 32767 * math.Pow(10, dbfs/20)
		pcm := make([]int16, Rate)
		for i := range pcm {
			pcm[i] = int16(amp * math.Sin(2*math.Pi*440*float64(i)/Rate))
		}
		back := DecodeMuLaw(nil, EncodeMuLaw(nil, pcm))
		var sig, noise float64
		for i := range pcm {
			d := float64(back[i]) - float64(pcm[i])
			sig += float64(pcm[i]) * float64(pcm[i])
			noise += d * d
		}
		snr := 10 * math.Log10(sig/noise)
		t.Logf("%v dBFS: SNR %.1f dB", dbfs, snr)
		if snr < 33 {
			t.Errorf("%v dBFS: SNR %.1f dB, want >= 33", dbfs, snr)
		}
	}
}

// The encoder takes 20 ms at 48 kHz and gives 160 codes a frame on
// average; the decoder conceals a loss with a fading copy.
func TestEncoderDecoder(t *testing.T) {
	e, err := NewEncoder(48000)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]int16, 960)
	for i := range frame {
		frame[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/48000))
	}
	total := 0
	for range 50 {
		p, err := e.Encode(nil, frame)
		if err != nil {
			t.Fatal(err)
		}
		total += len(p)
	}
	if total < 50*160-20 || total > 50*160+20 {
		t.Errorf("%d codes for a second, want about 8000", total)
	}
	if _, err := e.Encode(nil, frame[:100]); err == nil {
		t.Error("a short frame: no error")
	}
	d := NewDecoder()
	pcm, _ := d.Decode(nil, EncodeMuLaw(nil, frame[:160]))
	lost, _ := d.Decode(nil, nil)
	if len(lost) != len(pcm) || lost[40] != pcm[40]/2 {
		t.Errorf("concealment: %d samples, sample 40 %d (last %d)", len(lost), lost[40], pcm[40])
	}
}
