package opus

import (
	"fmt"
	"time"
)

// Application is the kind of signal an Encoder is tuned for: libopus's
// OPUS_APPLICATION_* setting. The zero value, AppDefault, means AppVoIP.
type Application int

const (
	// AppDefault is the zero value: it means AppVoIP.
	AppDefault Application = iota
	// AppVoIP (OPUS_APPLICATION_VOIP) favours speech intelligibility: the
	// SILK and hybrid modes, which carry in-band FEC, come into play at
	// voice bitrates. It suits microphones, voice agents and calls.
	AppVoIP
	// AppAudio (OPUS_APPLICATION_AUDIO) favours faithfulness to the input,
	// for music and mixed content. At the default 32 kbit/s it mostly
	// picks the CELT mode, which has no in-band FEC.
	AppAudio
	// AppLowDelay (OPUS_APPLICATION_RESTRICTED_LOWDELAY) uses the CELT mode
	// only, which cuts the codec delay from 6.5 ms to 2.5 ms; it has no
	// in-band FEC.
	AppLowDelay
)

var appNames = [...]string{"default", "voip", "audio", "lowdelay"}

// String returns "default", "voip", "audio" or "lowdelay".
func (a Application) String() string {
	if a >= 0 && int(a) < len(appNames) {
		return appNames[a]
	}
	return fmt.Sprintf("Application(%d)", int(a))
}

// Toggle is an on/off setting whose zero value, Default, means the
// setting's documented default.
type Toggle int

const (
	// Default is the zero value: the setting's documented default.
	Default Toggle = iota
	// On turns the setting on.
	On
	// Off turns the setting off.
	Off
)

var toggleNames = [...]string{"default", "on", "off"}

// String returns "default", "on" or "off".
func (t Toggle) String() string {
	if t >= 0 && int(t) < len(toggleNames) {
		return toggleNames[t]
	}
	return fmt.Sprintf("Toggle(%d)", int(t))
}

// on resolves t against the setting's default.
func (t Toggle) on(def bool) bool {
	switch t {
	case On:
		return true
	case Off:
		return false
	}
	return def
}

// Defaults applied to the zero fields of an EncoderConfig and a
// DecoderConfig.
const (
	defaultSampleRate    = 48000
	defaultChannels      = 1
	defaultFrameDuration = 20 * time.Millisecond
	defaultBitRate       = 32_000 // bits per second
)

// Bounds accepted for a bitrate, by EncoderConfig.BitRate and SetBitrate.
// libopus itself clamps to [500, 300_000 × channels].
const (
	minBitRate = 500
	maxBitRate = 512_000
)

// EncoderConfig configures an Encoder. The zero value of every field means
// its documented default, so EncoderConfig{} is a usable configuration: 48
// kHz mono, 20 ms frames, 32 kbit/s, tuned for voice, with in-band FEC
// on and without DTX.
//
// libopus's other settings keep their defaults: constrained VBR, the
// bandwidth and the SILK/CELT/hybrid mode picked automatically from the
// bitrate and the signal, complexity 9.
type EncoderConfig struct {
	// SampleRate is the rate of the PCM given to Encode, in Hz: 8000,
	// 12000, 16000, 24000 or 48000. Default 48000. The RTP clock of Opus is
	// always 48 kHz (RFC 7587) whatever this rate; a packet records the
	// audio bandwidth it codes, not the rate, and a decoder may run at any
	// rate.
	SampleRate int

	// Channels is the number of interleaved channels of the PCM given to
	// Encode: 1 or 2. Default 1.
	//
	// WebRTC always signals Opus as "opus/48000/2" (RFC 7587), but that
	// names the format, not the content: every Opus packet says whether it
	// is mono or stereo, any decoder plays both, and browsers send mono
	// unless the SDP's fmtp has stereo=1. Mono is the default because
	// microphones and synthesised speech are mono, and a stereo encoder fed
	// the same signal twice spends bits on a side channel that is silent.
	// Use 2 for music or a mix with real stereo content.
	Channels int

	// FrameDuration is the duration of the frame that each Encode takes:
	// 2.5, 5, 10, 20, 40, 60, 80, 100 or 120 ms. Default 20 ms, WebRTC's
	// packet duration. Frames shorter than 10 ms use the CELT mode only, so
	// they carry no in-band FEC.
	FrameDuration time.Duration

	// BitRate is the target bitrate in bits per second. Default 32_000,
	// plenty for wideband speech and libwebrtc's default for mono.
	// It must lie in [500, 512_000]; libopus uses at most 300_000 per
	// channel. SetBitrate changes it in place.
	BitRate int

	// Application is what the encoder is tuned for. Default AppVoIP.
	Application Application

	// InbandFEC makes packets carry a low-bitrate copy of the previous
	// frame, from which Decoder.DecodeFEC rebuilds a lost packet (RFC
	// 6716, section 2.1.7; "useinbandfec" in RFC 7587). Default On.
	//
	// libopus sends that copy only in the SILK and hybrid modes (speech,
	// frames of 10 ms or more), only when it expects loss, and only when
	// the bitrate leaves room for it. libopus 1.3 sends none at an expected
	// loss of 0%, so with InbandFEC on the encoder tells libopus to expect
	// at least 1%: on speech at 32 kbit/s that made lost frames come back at
	// 10 dB SNR instead of concealment's 2 dB, for under one byte a packet
	// more and no measurable loss of quality. At 24 kbit/s, libopus found
	// room for FEC only from an expected loss of 5 to 10%, by narrowing the
	// audio bandwidth to wideband; at 16 kbit/s, not at all. A tonal signal
	// (music, a test tone) normally takes the CELT mode, which has no FEC;
	// above about 8% expected loss libopus switches it to SILK to get FEC.
	InbandFEC Toggle

	// PacketLossPercent is the packet loss the encoder expects, 0 to 100.
	// Default 0 (treated as 1 with InbandFEC, see there). The higher, the
	// more bits go to FEC data and the less the encoder leans on prediction
	// across packets. Keep it current from the receiver's reports (the
	// "fraction lost" of RTCP receiver reports, RFC 3550) with
	// Encoder.SetPacketLossPercent, as libwebrtc does.
	PacketLossPercent int

	// Complexity trades the encoder's CPU for quality, 1 to 10; 0 means
	// libopus's default, 9. Each step down costs little quality on
	// speech and saves CPU: libwebrtc uses 5 on phones.
	Complexity int

	// DTX turns on discontinuous transmission: after 200 ms of silence or
	// steady background noise, the encoder sends one comfort-noise update
	// every 400 ms (and a one-byte packet after each, marking the pause),
	// and Encode appends nothing for the frames in between. Default Off. It
	// saves about 85% of the packets of the silent stretches of a voice
	// call; the receiver must take the missing packets for a pause rather
	// than a loss (browsers do: "usedtx" in RFC 7587). It works in every
	// mode and Application.
	DTX Toggle
}

// complexity is the libopus complexity c asks for.
func (c EncoderConfig) complexity() int {
	if c.Complexity == 0 {
		return 9
	}
	return c.Complexity
}

// withDefaults returns c with its zero fields replaced by their defaults, or
// an error if a field is out of range.
func (c EncoderConfig) withDefaults() (EncoderConfig, error) {
	if c.SampleRate == 0 {
		c.SampleRate = defaultSampleRate
	}
	if err := checkRate(c.SampleRate); err != nil {
		return c, err
	}
	if c.Channels == 0 {
		c.Channels = defaultChannels
	}
	if err := checkChannels(c.Channels); err != nil {
		return c, err
	}
	if c.FrameDuration == 0 {
		c.FrameDuration = defaultFrameDuration
	}
	if err := checkFrameDuration(c.FrameDuration); err != nil {
		return c, err
	}
	if c.BitRate == 0 {
		c.BitRate = defaultBitRate
	}
	if err := checkBitRate(c.BitRate); err != nil {
		return c, err
	}
	if c.Application == AppDefault {
		c.Application = AppVoIP
	}
	if c.Application < AppVoIP || c.Application > AppLowDelay {
		return c, fmt.Errorf("opus: unknown %v", c.Application)
	}
	if c.InbandFEC == Default {
		c.InbandFEC = On
	}
	if c.InbandFEC != On && c.InbandFEC != Off {
		return c, fmt.Errorf("opus: InbandFEC: unknown %v", c.InbandFEC)
	}
	if err := checkLoss(c.PacketLossPercent); err != nil {
		return c, err
	}
	if c.Complexity < 0 || c.Complexity > 10 {
		return c, fmt.Errorf("opus: complexity %d, want 1 to 10 (0: the default)", c.Complexity)
	}
	if c.DTX == Default {
		c.DTX = Off
	}
	if c.DTX != On && c.DTX != Off {
		return c, fmt.Errorf("opus: DTX: unknown %v", c.DTX)
	}
	return c, nil
}

// frameSize returns the number of samples per channel in one frame.
func (c EncoderConfig) frameSize() int {
	return int(int64(c.SampleRate) * int64(c.FrameDuration) / int64(time.Second))
}

// DecoderConfig configures a Decoder. The zero value of every field means its
// documented default, so DecoderConfig{} is a usable configuration: 48 kHz
// mono.
type DecoderConfig struct {
	// SampleRate is the rate of the PCM that Decode produces, in Hz: 8000,
	// 12000, 16000, 24000 or 48000. Default 48000. It need not match the
	// encoder's: libopus decodes any stream at any of these rates.
	SampleRate int

	// Channels is the number of interleaved channels that Decode produces:
	// 1 or 2. Default 1. It need not match the stream's: a mono decoder
	// downmixes a stereo stream, and a stereo decoder plays a mono stream
	// on both channels. Browsers send mono unless asked for stereo (see
	// EncoderConfig.Channels), so mono is the default.
	Channels int
}

func (c DecoderConfig) withDefaults() (DecoderConfig, error) {
	if c.SampleRate == 0 {
		c.SampleRate = defaultSampleRate
	}
	if err := checkRate(c.SampleRate); err != nil {
		return c, err
	}
	if c.Channels == 0 {
		c.Channels = defaultChannels
	}
	if err := checkChannels(c.Channels); err != nil {
		return c, err
	}
	return c, nil
}

func checkRate(hz int) error {
	switch hz {
	case 8000, 12000, 16000, 24000, 48000:
		return nil
	}
	return fmt.Errorf("opus: sample rate %d Hz not supported: use 8000, 12000, 16000, 24000 or 48000", hz)
}

func checkChannels(n int) error {
	if n != 1 && n != 2 {
		return fmt.Errorf("opus: %d channels not supported: use 1 or 2", n)
	}
	return nil
}

func checkFrameDuration(d time.Duration) error {
	switch d {
	case 2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond,
		40 * time.Millisecond, 60 * time.Millisecond, 80 * time.Millisecond, 100 * time.Millisecond,
		120 * time.Millisecond:
		return nil
	}
	return fmt.Errorf("opus: frame duration %v not supported: use 2.5, 5, 10, 20, 40, 60, 80, 100 or 120 ms", d)
}

func checkBitRate(bps int) error {
	if bps < minBitRate || bps > maxBitRate {
		return fmt.Errorf("opus: bitrate %d bit/s out of range [%d, %d]", bps, minBitRate, maxBitRate)
	}
	return nil
}

func checkLoss(pct int) error {
	if pct < 0 || pct > 100 {
		return fmt.Errorf("opus: packet loss %d%% out of range [0, 100]", pct)
	}
	return nil
}
