package browsertest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// WAVRate is the sample rate of the WAV files WriteSpeechWAV makes: WebRTC's
// Opus rate, so Chromium's fake microphone plays them without resampling.
const WAVRate = 48000

// WriteWAV writes mono 16-bit PCM samples at rate Hz to path as a WAV file
// for Chromium's fake microphone (Options.FakeAudio), which plays it in a
// loop.
func WriteWAV(path string, rate int, samples []int16) error {
	if rate <= 0 {
		return fmt.Errorf("browsertest: WriteWAV: rate %d is not positive", rate)
	}
	if len(samples) == 0 {
		return errors.New("browsertest: WriteWAV: no samples")
	}
	data := len(samples) * 2
	var b bytes.Buffer
	b.Grow(44 + data)
	le := binary.LittleEndian
	b.WriteString("RIFF")
	b.Write(le.AppendUint32(nil, uint32(36+data)))
	b.WriteString("WAVEfmt ")
	b.Write(le.AppendUint32(nil, 16))             // fmt chunk size
	b.Write(le.AppendUint16(nil, 1))              // PCM
	b.Write(le.AppendUint16(nil, 1))              // mono
	b.Write(le.AppendUint32(nil, uint32(rate)))   // sample rate
	b.Write(le.AppendUint32(nil, uint32(rate*2))) // byte rate
	b.Write(le.AppendUint16(nil, 2))              // block align
	b.Write(le.AppendUint16(nil, 16))             // bits per sample
	b.WriteString("data")
	b.Write(le.AppendUint32(nil, uint32(data)))
	for _, s := range samples {
		b.Write(le.AppendUint16(nil, uint16(s)))
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// ReadWAV reads a mono 16-bit PCM WAV file such as WriteWAV and
// WriteSpeechWAV write, and returns its rate and samples.
func ReadWAV(path string) (rate int, samples []int16, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0, nil, fmt.Errorf("browsertest: %s is not a WAV file", path)
	}
	le := binary.LittleEndian
	var channels, bits int
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(le.Uint32(b[p+4:p+8]))
		body := b[p+8 : min(len(b), p+8+size)]
		switch id {
		case "fmt ":
			if len(body) < 16 || le.Uint16(body[0:2]) != 1 {
				return 0, nil, fmt.Errorf("browsertest: %s is not PCM", path)
			}
			channels, rate, bits = int(le.Uint16(body[2:4])), int(le.Uint32(body[4:8])), int(le.Uint16(body[14:16]))
		case "data":
			if channels != 1 || bits != 16 {
				return 0, nil, fmt.Errorf("browsertest: %s has %d channels of %d bits, want mono 16-bit", path, channels, bits)
			}
			samples = make([]int16, len(body)/2)
			for i := range samples {
				samples[i] = int16(le.Uint16(body[2*i:]))
			}
			return rate, samples, nil
		}
		p += 8 + size + size%2
	}
	return 0, nil, fmt.Errorf("browsertest: %s has no data chunk", path)
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
