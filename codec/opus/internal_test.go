//go:build cgo

package opus

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/codec/internal/codectest"
)

func newEncoder(t testing.TB, cfg EncoderConfig) *Encoder {
	t.Helper()
	e, err := NewEncoder(cfg)
	if err != nil {
		t.Fatalf("NewEncoder(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func newDecoder(t testing.TB, cfg DecoderConfig) *Decoder {
	t.Helper()
	d, err := NewDecoder(cfg)
	if err != nil {
		t.Fatalf("NewDecoder(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// encodeAll encodes pcm frame by frame; a frame the encoder does not send
// gives a nil packet.
func encodeAll(t testing.TB, e *Encoder, pcm []int16) [][]byte {
	t.Helper()
	fl := e.FrameSize() * e.cfg.Channels
	var packets [][]byte
	for i := 0; i+fl <= len(pcm); i += fl {
		p, err := e.Encode(nil, pcm[i:i+fl])
		if err != nil {
			t.Fatalf("frame %d: %v", i/fl, err)
		}
		packets = append(packets, p)
	}
	return packets
}

func decodeAll(t testing.TB, d *Decoder, packets [][]byte) []int16 {
	t.Helper()
	var out []int16
	for i, p := range packets {
		var err error
		if out, err = d.Decode(out, p); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	return out
}

func TestLibopusSettings(t *testing.T) {
	for _, c := range []struct {
		cfg  EncoderConfig
		want map[int]int
	}{
		{EncoderConfig{}, map[int]int{
			getBitrate: 32000, getInbandFEC: 1, getPacketLoss: 1, getDTX: 0,
			getVBR: 1, getVBRConstraint: 1, getApplication: applicationVoIP, getComplexity: 9,
		}},
		{EncoderConfig{BitRate: 64000, InbandFEC: Off, DTX: On, Application: AppAudio}, map[int]int{
			getBitrate: 64000, getInbandFEC: 0, getPacketLoss: 0, getDTX: 1, getApplication: applicationAudio,
		}},
		{EncoderConfig{PacketLossPercent: 15, Application: AppLowDelay, Complexity: 5}, map[int]int{
			getPacketLoss: 15, getApplication: applicationLowDel, getComplexity: 5,
		}},
	} {
		e := newEncoder(t, c.cfg)
		for req, want := range c.want {
			if got, err := e.get(req); err != nil || got != want {
				t.Errorf("%+v: libopus request %d = %d, %v; want %d", c.cfg, req, got, err, want)
			}
		}
	}
}

// TestLookahead checks that Lookahead is the delay measured between the
// input and the decoded output, for every application and several rates.
func TestLookahead(t *testing.T) {
	for _, app := range []Application{AppVoIP, AppAudio, AppLowDelay} {
		for _, rate := range []int{48000, 16000, 8000} {
			e := newEncoder(t, EncoderConfig{SampleRate: rate, Application: app})
			d := newDecoder(t, DecoderConfig{SampleRate: rate})
			ref := codectest.Chirp(rate, rate, 200, min(6000, 0.4*float64(rate)), 12000)
			got := codectest.Channel(decodeAll(t, d, encodeAll(t, e, codectest.Interleave(ref))), 0, 1)
			skip := rate / 10
			lag, corr := codectest.Delay(ref[skip:], got[skip:], 0, rate/50)
			want := 6500 * time.Microsecond
			if app == AppLowDelay {
				want = 2500 * time.Microsecond
			}
			t.Logf("%v at %d Hz: measured delay %d samples (correlation %.4f), Lookahead %v", app, rate, lag, corr, e.Lookahead())
			// The delay is frequency dependent, within a tenth of a
			// millisecond: AppVoIP high-passes the input, and at 48 kHz the
			// SILK resampler and CELT's overlap differ slightly.
			wantLag := int(int64(want) * int64(rate) / int64(time.Second))
			if e.Lookahead() != want || lag < wantLag-rate/16000 || lag > wantLag {
				t.Errorf("%v at %d Hz: Lookahead %v, measured %d samples; want %v", app, rate, e.Lookahead(), lag, want)
			}
		}
	}
}

func TestFrameDurations(t *testing.T) {
	const rate = 48000
	for _, ms := range []float64{2.5, 5, 10, 20, 40, 60, 80, 100, 120} {
		dur := time.Duration(ms * float64(time.Millisecond))
		e := newEncoder(t, EncoderConfig{FrameDuration: dur, BitRate: 48000})
		d := newDecoder(t, DecoderConfig{})
		fs := e.FrameSize()
		if fs != int(ms*48) {
			t.Fatalf("%v: FrameSize %d, want %d", dur, fs, int(ms*48))
		}
		n := (rate / fs) * fs
		ref := codectest.Chirp(rate, n, 200, 3000, 12000)
		packets := encodeAll(t, e, codectest.Interleave(ref))
		var out []int16
		size := 0
		for i, p := range packets {
			before := len(out)
			var err error
			if out, err = d.Decode(out, p); err != nil {
				t.Fatalf("%v: packet %d: %v", dur, i, err)
			}
			if len(out)-before != fs {
				t.Fatalf("%v: packet %d decoded to %d samples, want %d", dur, i, len(out)-before, fs)
			}
			size += len(p)
		}
		got := codectest.Channel(out, 0, 1)
		skip, la := rate/10, e.lookahead
		corr := codectest.Correlation(ref[skip:n-la], got[skip+la:])
		t.Logf("%v frames at 48 kbit/s: %d bytes a packet, correlation %.4f", dur, size/len(packets), corr)
		if corr < 0.9 {
			t.Errorf("%v frames: correlation %.4f, want >= 0.9", dur, corr)
		}
	}
}

func TestDTX(t *testing.T) {
	const rate, fs = 48000, 960
	e := newEncoder(t, EncoderConfig{DTX: On})
	d := newDecoder(t, DecoderConfig{})
	// One second of speech-like sound, three of silence, one of sound.
	sig := slices.Concat(codectest.Vowel(rate, rate, 10000), make([]float64, 3*rate), codectest.Vowel(rate, rate, 10000))
	pcm := codectest.Interleave(sig)
	var sent, small, silent int
	var out []int16
	for i := 0; i < len(pcm); i += fs {
		p, err := e.Encode(nil, pcm[i:i+fs])
		if err != nil {
			t.Fatal(err)
		}
		inSilence := i >= rate && i < 4*rate
		if !inSilence && i >= rate/10 && len(p) <= 2 {
			t.Errorf("frame %d of sound: %d-byte packet", i/fs, len(p))
		}
		if len(p) > 0 {
			sent++
			if len(p) <= 2 {
				small++
			}
			if inSilence {
				silent++
			}
		}
		// The receiver conceals what was not sent; a one- or two-byte DTX
		// packet decodes to a frame too.
		before := len(out)
		if out, err = d.Decode(out, p); err != nil || len(out)-before != fs {
			t.Fatalf("frame %d (%d bytes): %d samples, %v", i/fs, len(p), len(out)-before, err)
		}
	}
	t.Logf("5 s with 3 s of silence: %d of 250 frames sent, %d of 150 in the silence, %d DTX packets of at most 2 bytes",
		sent, silent, small)
	// In the silence: 200 ms before DTX starts (10 frames), then per 400 ms
	// an update and the DTX packet after it.
	if want := 10 + 2*(3000-200)/400; silent > want+3 || silent < want-3 {
		t.Errorf("%d packets sent in 3 s of silence, want about %d", silent, want)
	}
	if sent != silent+100 {
		t.Errorf("%d packets sent for 2 s of sound, want 100", sent-silent)
	}
	if small == 0 {
		t.Errorf("no DTX packet was sent to mark the start of silence")
	}
}

func TestSetBitrateInPlace(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	c := e.c
	pcm := codectest.Interleave(codectest.Vowel(48000, 960*20, 8000))
	for _, bps := range []int{6000, 128_000, 500, 512_000, 32000} {
		if err := e.SetBitrate(bps); err != nil {
			t.Fatal(err)
		}
		encodeAll(t, e, pcm)
		want := min(bps, 300_000) // libopus's ceiling for one channel
		if got, _ := e.get(getBitrate); got != want || e.bitrate != bps {
			t.Errorf("after SetBitrate(%d): libopus %d, encoder %d", bps, got, e.bitrate)
		}
		if e.c != c {
			t.Errorf("SetBitrate(%d) recreated the encoder", bps)
		}
	}
	for _, bad := range []int{0, 499, 512_001, -32000} {
		if err := e.SetBitrate(bad); err == nil || !strings.HasPrefix(err.Error(), "opus: ") {
			t.Errorf("SetBitrate(%d): %v", bad, err)
		}
	}
}

func TestSetPacketLossPercent(t *testing.T) {
	frame := make([]int16, 960)
	for _, c := range []struct {
		fec        Toggle
		set, wantC int
	}{
		{On, 0, 1}, // libopus sends no FEC at 0%
		{On, 12, 12},
		{Off, 0, 0},
		{Off, 30, 30},
	} {
		e := newEncoder(t, EncoderConfig{InbandFEC: c.fec, PacketLossPercent: 50})
		if err := e.SetPacketLossPercent(c.set); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Encode(nil, frame); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.get(getPacketLoss); got != c.wantC {
			t.Errorf("FEC %v, SetPacketLossPercent(%d): libopus expects %d%%, want %d%%", c.fec, c.set, got, c.wantC)
		}
		for _, bad := range []int{-1, 101} {
			if err := e.SetPacketLossPercent(bad); err == nil {
				t.Errorf("SetPacketLossPercent(%d): no error", bad)
			}
		}
		e.Close()
		if err := e.SetPacketLossPercent(5); err == nil {
			t.Errorf("SetPacketLossPercent after Close: no error")
		}
	}
}

func TestErrorText(t *testing.T) {
	d := newDecoder(t, DecoderConfig{})
	for _, m := range codectest.MalformedPackets {
		_, err := d.Decode(nil, m.Data)
		if err == nil || err.Error() != "opus: decode: corrupted stream" {
			t.Errorf("Decode of %s: %v, want libopus's text", m.Name, err)
		}
		_, err = d.DecodeFEC(nil, m.Data)
		if err == nil || err.Error() != "opus: decode FEC: corrupted stream" {
			t.Errorf("DecodeFEC with %s: %v, want libopus's text", m.Name, err)
		}
	}
	e := newEncoder(t, EncoderConfig{Channels: 2})
	if _, err := e.Encode(nil, make([]int16, 960)); err == nil ||
		err.Error() != "opus: Encode: got 960 samples, want one frame of 1920 (20ms of 2 channel(s) at 48000 Hz)" {
		t.Errorf("Encode of half a frame: %v", err)
	}
}

// TestMalformedLeavesNoTrace checks that a rejected packet leaves the
// decoder exactly as it was.
func TestMalformedLeavesNoTrace(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	packets := encodeAll(t, e, codectest.Interleave(codectest.Chirp(48000, 48000, 200, 3000, 12000)))
	want := decodeAll(t, newDecoder(t, DecoderConfig{}), packets)
	d := newDecoder(t, DecoderConfig{})
	var got []int16
	for i, p := range packets {
		if i%5 == 3 {
			m := codectest.MalformedPackets[i%len(codectest.MalformedPackets)]
			if _, err := d.Decode(nil, m.Data); err == nil {
				t.Fatalf("%s: no error", m.Name)
			}
		}
		var err error
		if got, err = d.Decode(got, p); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("malformed packets changed the decoder's output")
	}
}

func TestConcealBeforeFirstPacket(t *testing.T) {
	for _, cfg := range []DecoderConfig{{}, {SampleRate: 16000, Channels: 2}} {
		d := newDecoder(t, cfg)
		cfg, _ = cfg.withDefaults()
		for _, f := range []func([]int16, []byte) ([]int16, error){d.Decode, d.DecodeFEC} {
			out, err := f(nil, nil)
			if err != nil || len(out) != cfg.SampleRate/50*cfg.Channels {
				t.Errorf("%+v: concealment before the first packet: %d samples, %v; want 20 ms", cfg, len(out), err)
			}
			for _, v := range out {
				if v != 0 {
					t.Fatalf("%+v: concealment before the first packet is not silent", cfg)
				}
			}
		}
	}
}

// TestLossDurations checks the length of what Decode(nil) and DecodeFEC
// append with packets of other durations than 20 ms.
func TestLossDurations(t *testing.T) {
	for _, ms := range []int{10, 40, 60} {
		e := newEncoder(t, EncoderConfig{FrameDuration: time.Duration(ms) * time.Millisecond, PacketLossPercent: 20})
		packets := encodeAll(t, e, codectest.Interleave(codectest.Vowel(48000, 48000, 10000)))
		d := newDecoder(t, DecoderConfig{SampleRate: 16000})
		want := 16 * ms
		// A fresh decoder recovering the first packet from the second
		// takes the second's duration.
		out, err := d.DecodeFEC(nil, packets[1])
		if err != nil || len(out) != want {
			t.Errorf("%d ms: DecodeFEC first: %d samples, %v; want %d", ms, len(out), err, want)
		}
		for i, p := range packets[1:] {
			var n int
			switch i % 3 {
			case 0:
				out, err = d.Decode(out[:0], p)
			case 1:
				out, err = d.Decode(out[:0], nil)
			case 2:
				out, err = d.DecodeFEC(out[:0], p)
			}
			n = len(out)
			if err != nil || n != want {
				t.Fatalf("%d ms, step %d: %d samples, %v; want %d", ms, i, n, err, want)
			}
		}
	}
}

// TestFECNeedsSILK shows where libopus puts FEC data: DecodeFEC rebuilds a
// lost frame of a chirp from the next packet only when the encoder codes
// it with SILK.
func TestFECNeedsSILK(t *testing.T) {
	const rate, fs = 48000, 960
	ref := codectest.Chirp(rate, 100*fs, 200, 3000, 12000)
	for _, c := range []struct {
		cfg     EncoderConfig
		wantFEC bool
	}{
		{EncoderConfig{PacketLossPercent: 10}, true},
		{EncoderConfig{PacketLossPercent: 2}, false}, // CELT: a chirp is not speech
		{EncoderConfig{PacketLossPercent: 10, InbandFEC: Off}, false},
		{EncoderConfig{PacketLossPercent: 10, Application: AppLowDelay}, false},
		{EncoderConfig{PacketLossPercent: 10, FrameDuration: 5 * time.Millisecond}, false},
	} {
		e := newEncoder(t, c.cfg)
		packets := encodeAll(t, e, codectest.Interleave(ref))
		fs := e.FrameSize()
		la := e.lookahead
		var fec, plc float64
		n := 0
		for k := 30; k < len(packets)-5; k += len(packets) / 8 {
			for _, useFEC := range []bool{true, false} {
				d := newDecoder(t, DecoderConfig{})
				var out []int16
				for i, p := range packets {
					var err error
					switch {
					case i != k:
						out, err = d.Decode(out, p)
					case useFEC:
						out, err = d.DecodeFEC(out, packets[i+1])
					default:
						out, err = d.Decode(out, nil)
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				got := codectest.Channel(out, 0, 1)
				corr := codectest.Correlation(ref[k*fs-la:(k+1)*fs-la], got[k*fs:(k+1)*fs])
				if useFEC {
					fec += corr
				} else {
					plc += corr
				}
			}
			n++
		}
		fec, plc = fec/float64(n), plc/float64(n)
		t.Logf("%+v: lost frame correlation %.3f with DecodeFEC, %.3f concealed", c.cfg, fec, plc)
		if got := fec > plc+0.1; got != c.wantFEC {
			t.Errorf("%+v: FEC recovered a lost frame: %v, want %v", c.cfg, got, c.wantFEC)
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	e := newEncoder(t, EncoderConfig{PacketLossPercent: 10})
	d := newDecoder(t, DecoderConfig{})
	frames := [][]int16{
		codectest.Interleave(codectest.Vowel(48000, 960, 10000)),
		codectest.Interleave(codectest.Chirp(48000, 960, 300, 900, 10000)),
	}
	buf := make([]byte, 0, 1500)
	pcm := make([]int16, 0, 960)
	n := 0
	var err error
	step := func() {
		if buf, err = e.Encode(buf[:0], frames[n%2]); err != nil {
			t.Fatal(err)
		}
		switch n % 4 {
		case 1:
			pcm, err = d.Decode(pcm[:0], nil)
		case 3:
			pcm, err = d.DecodeFEC(pcm[:0], buf)
		default:
			pcm, err = d.Decode(pcm[:0], buf)
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	step()
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Errorf("Encode+Decode: %v allocations per frame, want 0", allocs)
	}
	if allocs := testing.AllocsPerRun(100, func() {
		e.SetBitrate(20000 + 100*n)
		e.SetPacketLossPercent(n % 20)
		step()
	}); allocs != 0 {
		t.Errorf("Encode+Decode with SetBitrate and SetPacketLossPercent: %v allocations per frame, want 0", allocs)
	}
}

func TestStereoToMonoDownmix(t *testing.T) {
	// Left and right carry different tones; a mono decoder gets their mean.
	const rate = 48000
	l, r := codectest.Sine(rate, rate, 440, 10000), codectest.Sine(rate, rate, 1320, 6000)
	e := newEncoder(t, EncoderConfig{Channels: 2, BitRate: 96000})
	packets := encodeAll(t, e, codectest.Interleave(l, r))
	mono := codectest.Channel(decodeAll(t, newDecoder(t, DecoderConfig{}), packets), 0, 1)
	mix := make([]float64, rate)
	for i := range mix {
		mix[i] = (l[i] + r[i]) / 2
	}
	la := e.lookahead
	corr := codectest.Correlation(mix[rate/10:rate-la], mono[rate/10+la:])
	level := codectest.LevelDB(mix[rate/10:rate-la], mono[rate/10+la:])
	t.Logf("stereo to mono: correlation %.4f with the mean of the channels, level %+.2f dB", corr, level)
	if corr < 0.95 || level < -1 || level > 1 {
		t.Errorf("stereo to mono: correlation %.4f, level %+.2f dB", corr, level)
	}
}

func TestEncodeAppendsNothingOnError(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	dst := []byte("abc")
	out, err := e.Encode(dst, make([]int16, 100))
	if err == nil || !bytes.Equal(out, dst) {
		t.Errorf("Encode of a short frame: %q, %v", out, err)
	}
}

// TestDTXEveryMode checks that DTX works in the CELT mode too.
func TestDTXEveryMode(t *testing.T) {
	for _, app := range []Application{AppVoIP, AppAudio, AppLowDelay} {
		e := newEncoder(t, EncoderConfig{DTX: On, Application: app})
		silence := make([]int16, 960)
		sent := 0
		for range 150 {
			p, err := e.Encode(nil, silence)
			if err != nil {
				t.Fatal(err)
			}
			if len(p) > 0 {
				sent++
			}
		}
		t.Logf("%v: %d of 150 frames of silence sent", app, sent)
		if sent > 30 {
			t.Errorf("%v: %d of 150 frames of silence sent, want at most 30", app, sent)
		}
	}
}
