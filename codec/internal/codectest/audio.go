package codectest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/rtcstream/rtcstream/codec"
)

// AudioConfig is what the audio suite asks of an encoder: AudioFrameDuration
// frames of interleaved 16-bit PCM at SampleRate Hz with Channels channels,
// compressed at BitRate bits per second, with the codec's other settings at
// their defaults except for loss resilience.
type AudioConfig struct {
	SampleRate, Channels, BitRate int

	// FEC asks for in-band forward error correction, tuned for an expected
	// packet loss of LossPercent percent. Without FEC the encoder should
	// send none.
	FEC         bool
	LossPercent int
}

// AudioCodec is an audio codec under test.
type AudioCodec struct {
	// NewEncoder and NewDecoder make an encoder and a decoder. A decoder
	// produces PCM at sampleRate Hz with channels channels.
	NewEncoder func(AudioConfig) (codec.AudioEncoder, error)
	NewDecoder func(sampleRate, channels int) (codec.AudioDecoder, error)

	// SampleRates are the rates to test, the codec's main one first.
	// Default {48000}.
	SampleRates []int

	// FEC tells that the codec has in-band FEC: the suite then requires
	// DecodeFEC to recover a lost packet better than concealment does.
	FEC bool
}

// Quality floors that the audio suite holds codecs to.
const (
	// MinCorrelation is the least normalised correlation, after delay
	// alignment, between a tone or a chirp and its decoded copy, at 32
	// kbit/s per channel.
	MinCorrelation = 0.95
	// MaxLevelError is the largest level difference, in dB, between them.
	MaxLevelError = 1.0
	// MaxAudioDelayMS bounds the codec delay the suite accepts, in
	// milliseconds.
	MaxAudioDelayMS = 30
)

// audioSuite holds the codec under test.
type audioSuite struct {
	AudioCodec
}

// RunAudio runs the conformance suite against an encoder and a decoder of
// the same audio codec. When a constructor fails with an error wrapping
// codec.ErrUnavailable (a build without the codec), the suite is skipped.
//
// The subtests check, with AudioFrameDuration frames:
//   - RoundTrip: at every sample rate, mono and stereo, a 1 kHz tone and a
//     chirp come back, once aligned by the codec delay (which the chirp
//     measures by cross-correlation), with a normalised correlation of
//     MinCorrelation or more and a level within MaxLevelError dB; the
//     channels of a stereo signal stay apart.
//   - AppendsToDst: Encode and Decode append to dst, in place when it has
//     room.
//   - FrameLength: Encode fails on PCM that is not exactly one frame, and
//     the encoder keeps working.
//   - Concealment: a lost packet (Decode with a nil or empty packet) yields
//     a full frame that continues the signal: its level stays within 6 dB
//     of the frame before, and its edges show no click. A burst of losses
//     fades out. A fresh decoder conceals too.
//   - FEC (for codecs with in-band FEC): DecodeFEC rebuilds lost frames of
//     a chirp from the next packet far better than concealment; without FEC
//     data it conceals.
//   - BitrateChange: SetBitrate from 64 to 12 kbit/s and back moves bytes per
//     packet accordingly while the stream decodes on; SetBitrate(0) fails.
//   - ConcurrentControl: SetBitrate races with Encode (run with -race).
//   - DecoderFormat: a decoder at another rate or channel count than the
//     encoder's plays the stream at its own format.
//   - CloseTwice: Close is idempotent; Encode, Decode and DecodeFEC fail
//     after it.
//   - GarbageInput: malformed packets make Decode and DecodeFEC fail with
//     dst unchanged, and the decoder goes on as if it had not seen them;
//     random bytes never crash it.
func RunAudio(t *testing.T, c AudioCodec) {
	t.Helper()
	if len(c.SampleRates) == 0 {
		c.SampleRates = []int{48000}
	}
	s := &audioSuite{c}
	e, err := c.NewEncoder(AudioConfig{SampleRate: c.SampleRates[0], Channels: 1, BitRate: 32000})
	if errors.Is(err, codec.ErrUnavailable) {
		t.Skipf("codec unavailable: %v", err)
	}
	if err != nil {
		t.Fatalf("new encoder: %v", err)
	}
	e.Close()
	d, err := c.NewDecoder(c.SampleRates[0], 1)
	if errors.Is(err, codec.ErrUnavailable) {
		t.Skipf("codec unavailable: %v", err)
	}
	if err != nil {
		t.Fatalf("new decoder: %v", err)
	}
	d.Close()

	t.Run("RoundTrip", s.roundTrip)
	t.Run("AppendsToDst", s.appendsToDst)
	t.Run("FrameLength", s.frameLength)
	t.Run("Concealment", s.concealment)
	if c.FEC {
		t.Run("FEC", s.fec)
	}
	t.Run("BitrateChange", s.bitrateChange)
	t.Run("ConcurrentControl", s.concurrentControl)
	t.Run("DecoderFormat", s.decoderFormat)
	t.Run("CloseTwice", s.closeTwice)
	t.Run("GarbageInput", s.garbageInput)
}

func (s *audioSuite) encoder(t *testing.T, cfg AudioConfig) codec.AudioEncoder {
	t.Helper()
	e, err := s.NewEncoder(cfg)
	if err != nil {
		t.Fatalf("new encoder %+v: %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("encoder Close: %v", err)
		}
	})
	return e
}

func (s *audioSuite) decoder(t *testing.T, rate, channels int) codec.AudioDecoder {
	t.Helper()
	d, err := s.NewDecoder(rate, channels)
	if err != nil {
		t.Fatalf("new decoder %d Hz, %d channel(s): %v", rate, channels, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("decoder Close: %v", err)
		}
	})
	return d
}

// encodeAll encodes pcm (whole frames of the given size, interleaved) and
// returns one packet per frame, nil where the encoder sent none.
func encodeAll(t *testing.T, e codec.AudioEncoder, pcm []int16, frameLen int) [][]byte {
	t.Helper()
	var packets [][]byte
	var buf []byte
	for i := 0; i+frameLen <= len(pcm); i += frameLen {
		var err error
		buf, err = e.Encode(buf[:0], pcm[i:i+frameLen])
		if err != nil {
			t.Fatalf("frame %d: Encode: %v", i/frameLen, err)
		}
		var p []byte
		if len(buf) > 0 {
			p = bytes.Clone(buf)
		}
		packets = append(packets, p)
	}
	return packets
}

// decodeAll decodes the packets, conceals the nil ones, and checks that each
// yields frameLen samples.
func decodeAll(t *testing.T, d codec.AudioDecoder, packets [][]byte, frameLen int) []int16 {
	t.Helper()
	var out []int16
	for i, p := range packets {
		n := len(out)
		var err error
		out, err = d.Decode(out, p)
		if err != nil {
			t.Fatalf("packet %d (%d bytes): Decode: %v", i, len(p), err)
		}
		if got := len(out) - n; got != frameLen {
			t.Fatalf("packet %d (%d bytes): decoded %d samples, want %d", i, len(p), got, frameLen)
		}
	}
	return out
}

// compare aligns got (one channel of decoded audio) with ref by delay
// samples and returns their correlation, level difference and SNR over the
// signal after the first 100 ms.
func compare(ref, got []float64, rate, delay int) (corr, level, snr float64) {
	skip := rate / 10
	n := len(ref) - skip - delay
	r, g := ref[skip:skip+n], got[skip+delay:skip+delay+n]
	return Correlation(r, g), LevelDB(r, g), SNR(r, g)
}

// measureDelay returns the delay of got behind ref, a chirp, in samples:
// the lag that best aligns them after the first 100 ms, which the codec may
// spend settling.
func measureDelay(t *testing.T, ref, got []float64, rate int) int {
	t.Helper()
	skip := rate / 10
	lag, corr := Delay(ref[skip:], got[skip:], 0, rate*MaxAudioDelayMS/1000)
	if corr < MinCorrelation {
		t.Errorf("chirp: best correlation %.4f at a delay of %d samples within %d ms, want >= %v",
			corr, lag, MaxAudioDelayMS, MinCorrelation)
	}
	return lag
}

// refineDelay returns the delay of got behind ref, searched within a third
// of a millisecond of delay, which a chirp measured: close enough for a
// tone of up to 1.5 kHz, whose correlation repeats every period.
func refineDelay(ref, got []float64, rate, delay int) int {
	skip, r := rate/10, max(2, rate/3000)
	lag, _ := Delay(ref[skip:], got[skip:], delay-r, delay+r)
	return lag
}

func (s *audioSuite) roundTrip(t *testing.T) {
	for _, rate := range s.SampleRates {
		for _, channels := range []int{1, 2} {
			t.Run(fmt.Sprintf("%dHz/%dch", rate, channels), func(t *testing.T) {
				s.roundTripAt(t, rate, channels)
			})
		}
	}
}

func (s *audioSuite) roundTripAt(t *testing.T, rate, channels int) {
	const seconds = 2
	n := seconds * rate
	fmax := min(6000, 0.4*float64(rate))
	var signals = []struct {
		name  string
		chans [][]float64
	}{
		// The chirp comes first: it measures the delay.
		{"chirp", [][]float64{Chirp(rate, n, 200, fmax, 12000), Chirp(rate, n, fmax, 200, 6000)}},
		{"tone", [][]float64{Sine(rate, n, 1000, 12000), Sine(rate, n, 1500, 6000)}},
	}
	delay := -1
	for _, sig := range signals {
		chans := sig.chans[:channels]
		pcm := Interleave(chans...)
		frameLen := FrameSamples(rate) * channels
		e := s.encoder(t, AudioConfig{SampleRate: rate, Channels: channels, BitRate: 32000 * channels})
		d := s.decoder(t, rate, channels)
		out := decodeAll(t, d, encodeAll(t, e, pcm, frameLen), frameLen)
		if delay < 0 {
			delay = measureDelay(t, chans[0], Channel(out, 0, channels), rate)
		}
		for c := range channels {
			got := Channel(out, c, channels)
			lag := refineDelay(chans[c], got, rate, delay)
			corr, level, snr := compare(chans[c], got, rate, lag)
			t.Logf("%s, channel %d: delay %d samples (%.2f ms), correlation %.4f, level %+.2f dB, SNR %.1f dB",
				sig.name, c, lag, float64(lag)*1000/float64(rate), corr, level, snr)
			if corr < MinCorrelation {
				t.Errorf("%s, channel %d: correlation %.4f, want >= %v", sig.name, c, corr, MinCorrelation)
			}
			if math.Abs(level) > MaxLevelError {
				t.Errorf("%s, channel %d: level %+.2f dB, want within %v dB", sig.name, c, level, MaxLevelError)
			}
		}
	}
}

func (s *audioSuite) appendsToDst(t *testing.T) {
	rate := s.SampleRates[0]
	e := s.encoder(t, AudioConfig{SampleRate: rate, Channels: 1, BitRate: 32000})
	d := s.decoder(t, rate, 1)
	pcm := Interleave(Sine(rate, FrameSamples(rate), 1000, 8000))

	prefix := []byte("prefix")
	dst := make([]byte, len(prefix), 4096)
	copy(dst, prefix)
	out, err := e.Encode(dst, pcm)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if !bytes.HasPrefix(out, prefix) || len(out) <= len(prefix) {
		t.Fatalf("Encode did not append to dst: got %d bytes starting %q", len(out), out[:min(len(out), 8)])
	}
	if &out[0] != &dst[0] {
		t.Errorf("Encode reallocated dst although it had room")
	}

	samples := []int16{1, 2, 3}
	pdst := make([]int16, len(samples), 3+FrameSamples(rate)*2)
	copy(pdst, samples)
	got, err := d.Decode(pdst, out[len(prefix):])
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if len(got) != len(samples)+FrameSamples(rate) || !slices.Equal(got[:3], samples) {
		t.Fatalf("Decode did not append one frame to dst: %d samples, starting %v", len(got), got[:min(len(got), 3)])
	}
	if &got[0] != &pdst[0] {
		t.Errorf("Decode reallocated dst although it had room")
	}
	// Too small a dst grows.
	got, err = d.Decode(make([]int16, 2, 4), nil)
	if err != nil || len(got) != 2+FrameSamples(rate) {
		t.Errorf("Decode into a short dst: %d samples, %v", len(got), err)
	}
}

func (s *audioSuite) frameLength(t *testing.T) {
	rate := s.SampleRates[0]
	e := s.encoder(t, AudioConfig{SampleRate: rate, Channels: 2, BitRate: 64000})
	fl := FrameSamples(rate) * 2
	for _, n := range []int{0, 1, fl / 2, fl - 1, fl + 1, fl * 2, fl / 2 * 3} {
		if out, err := e.Encode(nil, make([]int16, n)); err == nil {
			t.Errorf("Encode of %d samples (a stereo frame is %d): %d bytes, no error", n, fl, len(out))
		} else if len(out) != 0 {
			t.Errorf("Encode of %d samples failed but returned %d bytes", n, len(out))
		}
	}
	pcm := Interleave(Sine(rate, rate/5, 1000, 8000), Sine(rate, rate/5, 700, 8000))
	d := s.decoder(t, rate, 2)
	decodeAll(t, d, encodeAll(t, e, pcm, fl), fl)
}

// lossTrace decodes packets, treating those at the indexes in lost as lost,
// and returns the decoded audio of channel 0.
func lossTrace(t *testing.T, d codec.AudioDecoder, packets [][]byte, lost map[int]bool, frameLen int, useFEC bool) []float64 {
	t.Helper()
	var out []int16
	for i, p := range packets {
		n := len(out)
		var err error
		switch {
		case !lost[i]:
			out, err = d.Decode(out, p)
		case useFEC && i+1 < len(packets) && !lost[i+1]:
			out, err = d.DecodeFEC(out, packets[i+1])
		default:
			// Alternate the two spellings of a lost packet.
			if i%2 == 0 {
				out, err = d.Decode(out, nil)
			} else {
				out, err = d.Decode(out, []byte{})
			}
		}
		if err != nil {
			t.Fatalf("packet %d (lost %v, FEC %v): %v", i, lost[i], useFEC, err)
		}
		if got := len(out) - n; got != frameLen {
			t.Fatalf("packet %d (lost %v, FEC %v): %d samples, want %d", i, lost[i], useFEC, got, frameLen)
		}
	}
	return Channel(out, 0, 1)
}

func (s *audioSuite) concealment(t *testing.T) {
	rate := s.SampleRates[0]
	fs := FrameSamples(rate)
	frames := 60
	ref := Vowel(rate, frames*fs, 12000)
	e := s.encoder(t, AudioConfig{SampleRate: rate, Channels: 1, BitRate: 32000})
	packets := encodeAll(t, e, Interleave(ref), fs)

	// One lost packet.
	const k = 30
	got := lossTrace(t, s.decoder(t, rate, 1), packets, map[int]bool{k: true}, fs, false)
	clean := decodeAll(t, s.decoder(t, rate, 1), packets, fs)
	cleanF := Channel(clean, 0, 1)
	frame := func(s []float64, i int) []float64 { return s[i*fs : (i+1)*fs] }
	before, lostFrame := RMS(frame(got, k-1)), RMS(frame(got, k))
	level := 20 * math.Log10(lostFrame/before)
	// A click is a step between neighbouring samples much larger than any
	// in the clean signal; look across both edges of the concealed frame.
	edges := got[(k-1)*fs+fs/2 : (k+2)*fs]
	step, cleanStep := MaxStep(edges), MaxStep(cleanF[(k-1)*fs+fs/2:(k+2)*fs])
	t.Logf("one lost packet: concealed frame %+.1f dB against the one before; largest step %.0f (clean decode %.0f)",
		level, step, cleanStep)
	if level < -6 || level > 3 {
		t.Errorf("concealed frame at %+.1f dB against the one before, want within [-6, +3] dB: silence or a burst", level)
	}
	if step > 1.5*cleanStep+200 {
		t.Errorf("click at the concealed frame: step of %.0f between neighbouring samples, %.0f in the clean decode", step, cleanStep)
	}
	// After the loss the decoder is back on track.
	if c := Correlation(frame(got, k+3), frame(cleanF, k+3)); c < 0.9 {
		t.Errorf("three frames after the loss: correlation %.3f with the clean decode, want >= 0.9", c)
	}

	// A burst of ten losses fades out rather than repeat forever, and never
	// grows.
	burst := map[int]bool{}
	for i := 30; i < 40; i++ {
		burst[i] = true
	}
	got = lossTrace(t, s.decoder(t, rate, 1), packets, burst, fs, false)
	first, last := RMS(frame(got, 30)), RMS(frame(got, 39))
	t.Logf("burst of 10 losses: first concealed frame %.0f RMS, tenth %.0f RMS (signal %.0f)", first, last, RMS(ref))
	if last > first/2 {
		t.Errorf("burst of 10 losses: the tenth concealed frame (%.0f RMS) has not faded below half the first (%.0f)", last, first)
	}
	for i := 30; i < 40; i++ {
		if r := RMS(frame(got, i)); r > 2*RMS(ref) {
			t.Errorf("burst: concealed frame %d at %.0f RMS, over twice the signal's %.0f", i, r, RMS(ref))
		}
	}

	// A decoder that has seen no packet conceals a frame too.
	d := s.decoder(t, rate, 1)
	out, err := d.Decode(nil, nil)
	if err != nil || len(out) == 0 {
		t.Errorf("concealment before the first packet: %d samples, %v", len(out), err)
	}
}

func (s *audioSuite) fec(t *testing.T) {
	rate := s.SampleRates[0]
	fs := FrameSamples(rate)
	const frames = 100
	ref := Chirp(rate, frames*fs, 200, 3000, 12000)
	pcm := Interleave(ref)
	lost := map[int]bool{}
	for i := 15; i < frames-5; i += 10 {
		lost[i] = true
	}

	e := s.encoder(t, AudioConfig{SampleRate: rate, Channels: 1, BitRate: 32000, FEC: true, LossPercent: 10})
	packets := encodeAll(t, e, pcm, fs)
	clean := Channel(decodeAll(t, s.decoder(t, rate, 1), packets, fs), 0, 1)
	delay := measureDelay(t, ref, clean, rate)
	withFEC := lossTrace(t, s.decoder(t, rate, 1), packets, lost, fs, true)
	withPLC := lossTrace(t, s.decoder(t, rate, 1), packets, lost, fs, false)

	// Compare each recovered frame with the input it stands for.
	var fecSum, plcSum float64
	for i := range lost {
		r := ref[i*fs-delay : (i+1)*fs-delay]
		fecSum += Correlation(r, withFEC[i*fs:(i+1)*fs])
		plcSum += Correlation(r, withPLC[i*fs:(i+1)*fs])
	}
	fecCorr, plcCorr := fecSum/float64(len(lost)), plcSum/float64(len(lost))
	t.Logf("%d lost packets of a chirp: mean correlation of the recovered frame %.3f with FEC, %.3f with concealment",
		len(lost), fecCorr, plcCorr)
	if fecCorr < 0.8 {
		t.Errorf("FEC: mean correlation %.3f, want >= 0.8", fecCorr)
	}
	if fecCorr < plcCorr+0.2 {
		t.Errorf("FEC: mean correlation %.3f, not clearly better than concealment's %.3f", fecCorr, plcCorr)
	}

	// Without FEC data, DecodeFEC conceals.
	e = s.encoder(t, AudioConfig{SampleRate: rate, Channels: 1, BitRate: 32000})
	packets = encodeAll(t, e, pcm, fs)
	lossTrace(t, s.decoder(t, rate, 1), packets, lost, fs, true)
}

func (s *audioSuite) bitrateChange(t *testing.T) {
	rate := s.SampleRates[0]
	fs := FrameSamples(rate)
	const frames = 50
	e := s.encoder(t, AudioConfig{SampleRate: rate, Channels: 1, BitRate: 64000})
	d := s.decoder(t, rate, 1)
	ref := Chirp(rate, 3*frames*fs, 200, 3000, 12000)
	pcm := Interleave(ref)
	var out []int16
	var buf []byte
	window := func(part int) float64 {
		size := 0
		for i := range frames {
			off := (part*frames + i) * fs
			var err error
			if buf, err = e.Encode(buf[:0], pcm[off:off+fs]); err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if out, err = d.Decode(out, buf); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if i >= frames/2 {
				size += len(buf)
			}
		}
		return float64(size) / float64(frames-frames/2)
	}
	high := window(0)
	if err := e.SetBitrate(12000); err != nil {
		t.Fatalf("SetBitrate(12000): %v", err)
	}
	low := window(1)
	if err := e.SetBitrate(64000); err != nil {
		t.Fatalf("SetBitrate(64000): %v", err)
	}
	again := window(2)
	t.Logf("bytes per packet: %.0f at 64 kbit/s, %.0f at 12 kbit/s, %.0f at 64 kbit/s again", high, low, again)
	if low > high/3 {
		t.Errorf("lowering the bitrate from 64 to 12 kbit/s cut bytes per packet only from %.0f to %.0f", high, low)
	}
	if again < 2.5*low {
		t.Errorf("raising the bitrate again left bytes per packet at %.0f (was %.0f)", again, low)
	}
	// The stream decoded on through both changes.
	got := Channel(out, 0, 1)
	delay := measureDelay(t, ref, got, rate)
	for part, name := range []string{"64 kbit/s", "12 kbit/s", "64 kbit/s again"} {
		lo, hi := (part*frames+frames/2)*fs, ((part+1)*frames-1)*fs
		c := Correlation(ref[lo:hi], got[lo+delay:hi+delay])
		t.Logf("%s: correlation %.4f", name, c)
		if c < 0.8 {
			t.Errorf("%s: correlation %.4f, want >= 0.8", name, c)
		}
	}
	for _, bad := range []int{0, -1} {
		if err := e.SetBitrate(bad); err == nil {
			t.Errorf("SetBitrate(%d) = nil, want an error", bad)
		}
	}
}

func (s *audioSuite) concurrentControl(t *testing.T) {
	rate := s.SampleRates[0]
	fs := FrameSamples(rate)
	e := s.encoder(t, AudioConfig{SampleRate: rate, Channels: 1, BitRate: 32000})
	d := s.decoder(t, rate, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := e.SetBitrate(8000 + 1000*(i%50)); err != nil {
				t.Errorf("SetBitrate: %v", err)
				return
			}
		}
	})
	pcm := Interleave(Vowel(rate, 50*fs, 8000))
	decodeAll(t, d, encodeAll(t, e, pcm, fs), fs)
	close(stop)
	wg.Wait()
}

func (s *audioSuite) decoderFormat(t *testing.T) {
	rate := s.SampleRates[0]
	n := rate * 3 / 2
	ref := Chirp(rate, n, 200, 3000, 12000)
	for _, c := range []struct {
		name              string
		inCh, outCh, outR int
	}{
		{"mono to stereo", 1, 2, rate},
		{"stereo to mono", 2, 1, rate},
		{"other rate", 1, 1, s.SampleRates[len(s.SampleRates)-1]},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A stereo source has the same signal on both channels, so the
			// mono downmix is that signal.
			chans := [][]float64{ref, ref}[:c.inCh]
			e := s.encoder(t, AudioConfig{SampleRate: rate, Channels: c.inCh, BitRate: 32000 * c.inCh})
			d := s.decoder(t, c.outR, c.outCh)
			packets := encodeAll(t, e, Interleave(chans...), FrameSamples(rate)*c.inCh)
			out := decodeAll(t, d, packets, FrameSamples(c.outR)*c.outCh)
			want := ref
			if c.outR != rate {
				// 3 kHz is below the Nyquist frequency of every Opus rate
				// but 8 kHz's; keep it so.
				want = Chirp(c.outR, n*c.outR/rate, 200, 3000, 12000)
			}
			for ch := range c.outCh {
				got := Channel(out, ch, c.outCh)
				delay := measureDelay(t, want, got, c.outR)
				corr, level, _ := compare(want, got, c.outR, delay)
				t.Logf("channel %d at %d Hz: delay %d, correlation %.4f, level %+.2f dB", ch, c.outR, delay, corr, level)
				if corr < MinCorrelation || math.Abs(level) > MaxLevelError {
					t.Errorf("channel %d: correlation %.4f (want >= %v), level %+.2f dB (want within %v)",
						ch, corr, MinCorrelation, level, MaxLevelError)
				}
			}
		})
	}
}

func (s *audioSuite) closeTwice(t *testing.T) {
	rate := s.SampleRates[0]
	fs := FrameSamples(rate)
	e, err := s.NewEncoder(AudioConfig{SampleRate: rate, Channels: 1, BitRate: 32000})
	if err != nil {
		t.Fatalf("new encoder: %v", err)
	}
	d, err := s.NewDecoder(rate, 1)
	if err != nil {
		t.Fatalf("new decoder: %v", err)
	}
	pcm := make([]int16, fs)
	packet, err := e.Encode(nil, pcm)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	if _, err := d.Decode(nil, packet); err != nil {
		t.Fatalf("Decode: %v", err)
	}
	for i := range 2 {
		if err := e.Close(); err != nil {
			t.Errorf("encoder Close #%d: %v", i+1, err)
		}
		if err := d.Close(); err != nil {
			t.Errorf("decoder Close #%d: %v", i+1, err)
		}
	}
	if out, err := e.Encode(nil, pcm); err == nil {
		t.Errorf("Encode after Close: %d bytes, no error", len(out))
	}
	_ = e.SetBitrate(20000) // must not panic
	if out, err := d.Decode(nil, packet); err == nil {
		t.Errorf("Decode after Close: %d samples, no error", len(out))
	}
	if out, err := d.Decode(nil, nil); err == nil {
		t.Errorf("Decode(nil) after Close: %d samples, no error", len(out))
	}
	if out, err := d.DecodeFEC(nil, packet); err == nil {
		t.Errorf("DecodeFEC after Close: %d samples, no error", len(out))
	}

	// Closing before any use is fine too.
	e, err = s.NewEncoder(AudioConfig{SampleRate: rate, Channels: 1, BitRate: 32000})
	if err != nil {
		t.Fatalf("new encoder: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("Close of unused encoder: %v", err)
	}
}

// MalformedPackets are packets whose framing breaks the rules of RFC 6716,
// section 3.4, each named by the rule; a decoder must reject them all.
var MalformedPackets = []struct {
	Name string
	Data []byte
}{
	{"code 1, odd payload (R3)", []byte{0x01, 0xaa}},
	{"code 2, length past the end (R4)", []byte{0x02, 0xfb, 0x01, 0x02}},
	{"code 2, truncated length (R4)", []byte{0x02, 0xfc}},
	{"code 3, no frame count (R6)", []byte{0x03}},
	{"code 3, zero frames (R5)", []byte{0x03, 0x00}},
	{"code 3, 48 x 20 ms = 960 ms (R5)", []byte{0x0b, 0x30, 0x00}},
	{"code 3 CBR, payload not a multiple of the count (R6)", []byte{0x03, 0x02, 0x01, 0x02, 0x03}},
	{"code 3, padding past the end (R7)", []byte{0x03, 0x41, 0xff}},
	{"code 0, frame over 1275 bytes (R2)", append([]byte{0x00}, make([]byte, 1276)...)},
}

func (s *audioSuite) garbageInput(t *testing.T) {
	rate := s.SampleRates[0]
	fs := FrameSamples(rate)
	const frames = 40
	ref := Chirp(rate, frames*fs, 200, 3000, 12000)
	e := s.encoder(t, AudioConfig{SampleRate: rate, Channels: 1, BitRate: 32000})
	packets := encodeAll(t, e, Interleave(ref), fs)
	want := decodeAll(t, s.decoder(t, rate, 1), packets, fs)

	// Malformed packets, each fed in the middle of the stream.
	d := s.decoder(t, rate, 1)
	var got []int16
	for i, p := range packets {
		if i >= 10 && i-10 < len(MalformedPackets) {
			m := MalformedPackets[i-10]
			dst := []int16{7}
			if out, err := d.Decode(dst, m.Data); err == nil {
				t.Errorf("Decode of a malformed packet, %s: %d samples, no error", m.Name, len(out)-1)
			} else if len(out) != 1 || out[0] != 7 {
				t.Errorf("Decode of a malformed packet, %s: failed but changed dst to %d samples", m.Name, len(out))
			}
			if out, err := d.DecodeFEC(dst, m.Data); err == nil {
				t.Errorf("DecodeFEC with a malformed packet, %s: %d samples, no error", m.Name, len(out)-1)
			} else if len(out) != 1 {
				t.Errorf("DecodeFEC with a malformed packet, %s: failed but changed dst", m.Name)
			}
		}
		var err error
		if got, err = d.Decode(got, p); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	// The decoder went on as if it had not seen them.
	if c := Correlation(Channel(want, 0, 1), Channel(got, 0, 1)); c < 0.999 {
		t.Errorf("after malformed packets: correlation %.4f with an undisturbed decoder, want >= 0.999", c)
	}

	// Random bytes may decode to noise (Opus has no checksum) or fail, but
	// must not crash the decoder, which then recovers.
	rng := rand.New(rand.NewPCG(3, 4))
	d = s.decoder(t, rate, 1)
	got = got[:0]
	for i, p := range packets {
		if i == 10 {
			for range 50 {
				junk := make([]byte, 1+rng.IntN(400))
				for j := range junk {
					junk[j] = byte(rng.Uint32())
				}
				out, err := d.Decode(nil, junk)
				if err == nil && (len(out) == 0 || len(out) > rate*120/1000) {
					t.Errorf("Decode of %d random bytes: %d samples, no error", len(junk), len(out))
				}
			}
		}
		var err error
		if got, err = d.Decode(got, p); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	w, g := Channel(want, 0, 1), Channel(got, 0, 1)
	if c := Correlation(w[20*fs:], g[20*fs:]); c < 0.95 {
		t.Errorf("ten packets after random bytes: correlation %.4f with an undisturbed decoder, want >= 0.95", c)
	}
}
