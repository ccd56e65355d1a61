package browsertest

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rtcstream/rtcstream/media"
)

// WAVRate is the sample rate of the WAV files WriteSpeechWAV makes: WebRTC's
// Opus rate, so Chromium's fake microphone plays them without resampling.
const WAVRate = 48000

// WriteWAV writes mono 16-bit PCM samples at rate Hz to path as a WAV file
// for Chromium's fake microphone (Options.FakeAudio), which plays it in a
// loop.
func WriteWAV(path string, rate int, samples []int16) error {
	if len(samples) == 0 {
		return errors.New("browsertest: WriteWAV: no samples")
	}
	b, err := media.EncodeWAV(media.AudioFrame{Samples: samples, SampleRate: rate, Channels: 1})
	if err != nil {
		return fmt.Errorf("browsertest: WriteWAV: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}

// ReadWAV reads a mono 16-bit PCM WAV file such as WriteWAV and
// WriteSpeechWAV write, and returns its rate and samples.
func ReadWAV(path string) (rate int, samples []int16, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	f, err := media.DecodeWAV(b)
	if err != nil {
		return 0, nil, fmt.Errorf("browsertest: %s: %w", path, err)
	}
	if f.Channels != 1 {
		return 0, nil, fmt.Errorf("browsertest: %s has %d channels, want mono", path, f.Channels)
	}
	return f.SampleRate, f.Samples, nil
}

// Tone returns d of a sine wave at freq Hz and peak amplitude amp (full scale
// 1), at rate Hz, as 16-bit samples.
func Tone(rate int, freq, amp float64, d time.Duration) []int16 {
	n := int(d.Seconds() * float64(rate))
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(math.Round(amp * 32767 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate))))
	}
	return out
}

// Silence returns d of silence at rate Hz.
func Silence(rate int, d time.Duration) []int16 {
	return make([]int16, int(d.Seconds()*float64(rate)))
}

// SpeechAvailable reports whether WriteSpeechWAV can work here: espeak-ng
// and sox are installed (`apt-get install espeak-ng sox`).
func SpeechAvailable() error {
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("browsertest: %s is not installed (apt-get install espeak-ng sox): %w", tool, err)
		}
	}
	return nil
}

// WriteSpeechWAV speaks text with espeak-ng and writes it to path as a
// 48 kHz mono 16-bit WAV, with padBefore of silence before the speech and
// padAfter after it (sox resamples and pads it, without dither, so the
// padding is digital silence). The fake microphone plays the file in a loop,
// so the padding is the pause between repetitions. It returns how long the
// speech itself lasts.
func WriteSpeechWAV(path, text string, padBefore, padAfter time.Duration) (speech time.Duration, err error) {
	if err := SpeechAvailable(); err != nil {
		return 0, err
	}
	raw := filepath.Join(filepath.Dir(path), "espeak-"+filepath.Base(path))
	defer os.Remove(raw)
	if out, err := exec.Command("espeak-ng", "-w", raw, "--", text).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("browsertest: espeak-ng: %v: %s", err, out)
	}
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
	args := []string{"-D", raw, "-b", "16", "-c", "1", "-e", "signed-integer", path,
		"rate", "-v", strconv.Itoa(WAVRate), "pad", secs(padBefore), secs(padAfter)}
	if out, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("browsertest: sox: %v: %s", err, out)
	}
	rate, samples, err := ReadWAV(path)
	if err != nil {
		return 0, err
	}
	total := time.Duration(len(samples)) * time.Second / time.Duration(rate)
	return total - padBefore - padAfter, nil
}
