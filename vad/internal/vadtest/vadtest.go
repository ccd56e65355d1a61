// Package vadtest builds the test signals of the vad packages: the speech
// clips in vad/testdata (espeak-ng, see generate.sh there), silence, noise
// and tones at known levels, put together on a timeline whose spoken parts
// are known to the sample.
package vadtest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/rtcstream/rtcstream/media"
)

// SampleRate is the rate of every signal here, as vad.SampleRate.
const SampleRate = 16000

// Clips in vad/testdata, each speech from its first sample to its last.
const (
	Hello     = "hello"     // "Hello there." (0.65 s)
	HowAreYou = "howareyou" // "How are you today?" (0.83 s)
	Um        = "um"        // "Um." (0.26 s)
	Think     = "think"     // "I think we should leave now." (1.39 s)
	No        = "no"        // "No." (0.31 s)
)

// Dir returns the vad/testdata directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}

// Clip returns the clip called name from vad/testdata, or fails t.
func Clip(t testing.TB, name string) []float32 {
	t.Helper()
	pcm, err := ReadWAV(filepath.Join(Dir(), name+".wav"))
	if err != nil {
		t.Fatal(err)
	}
	return pcm
}

// ReadWAV reads a mono 16-bit PCM WAV file at SampleRate as floats in
// [-1, 1).
func ReadWAV(path string) ([]float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := media.DecodeWAV(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Channels != 1 || f.SampleRate != SampleRate {
		return nil, fmt.Errorf("%s: %d channels, %d Hz; want mono, %d Hz", path, f.Channels, f.SampleRate, SampleRate)
	}
	return media.Int16ToFloat32(nil, f.Samples), nil
}

// WriteWAV writes pcm as a mono 16-bit PCM WAV file at SampleRate.
func WriteWAV(path string, pcm []float32) error {
	b, err := media.EncodeWAV(media.AudioFrame{Samples: media.Float32ToInt16(nil, pcm), SampleRate: SampleRate, Channels: 1})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Samples converts d to samples at SampleRate.
func Samples(d time.Duration) int { return int(d * SampleRate / time.Second) }

// Duration converts n samples at SampleRate to a duration.
func Duration(n int) time.Duration { return time.Duration(n) * time.Second / SampleRate }

// Silence returns d of zeros.
func Silence(d time.Duration) []float32 { return make([]float32, Samples(d)) }

// RMS returns the root mean square of pcm.
func RMS(pcm []float32) float64 {
	var s float64
	for _, v := range pcm {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(max(len(pcm), 1)))
}

// DBFS returns the level of pcm in dB relative to a full-scale square wave
// (RMS 1).
func DBFS(pcm []float32) float64 { return 20 * math.Log10(RMS(pcm)) }

// SetLevel scales pcm in place to an RMS level of db dBFS and returns it.
func SetLevel(pcm []float32, db float64) []float32 {
	g := float32(math.Pow(10, db/20) / RMS(pcm))
	for i := range pcm {
		pcm[i] *= g
	}
	return pcm
}

// White returns d of Gaussian white noise at db dBFS, from seed.
func White(d time.Duration, db float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	pcm := make([]float32, Samples(d))
	for i := range pcm {
		pcm[i] = float32(r.NormFloat64())
	}
	return SetLevel(pcm, db)
}

// Pink returns d of pink (1/f) noise at db dBFS, from seed: white noise
// through Paul Kellet's economy filter, accurate to about 1 dB above 10 Hz.
func Pink(d time.Duration, db float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 2))
	pcm := make([]float32, Samples(d))
	var b0, b1, b2 float64
	for i := range pcm {
		w := r.NormFloat64()
		b0 = 0.99765*b0 + w*0.0990460
		b1 = 0.96300*b1 + w*0.2965164
		b2 = 0.57000*b2 + w*1.0526913
		pcm[i] = float32(b0 + b1 + b2 + w*0.1848)
	}
	return SetLevel(pcm, db)
}

// Tone returns d of a sine at hz, at db dBFS.
func Tone(d time.Duration, hz, db float64) []float32 {
	pcm := make([]float32, Samples(d))
	for i := range pcm {
		pcm[i] = float32(math.Sin(2 * math.Pi * hz * float64(i) / SampleRate))
	}
	return SetLevel(pcm, db)
}

// Scale returns a copy of pcm multiplied by the gain of db decibels.
func Scale(pcm []float32, db float64) []float32 {
	g := float32(math.Pow(10, db/20))
	out := make([]float32, len(pcm))
	for i, v := range pcm {
		out[i] = v * g
	}
	return out
}

// Span is a part of a Timeline: samples [Start, End).
type Span struct{ Start, End int }

// StartTime and EndTime return the span's bounds as durations.
func (s Span) StartTime() time.Duration { return Duration(s.Start) }
func (s Span) EndTime() time.Duration   { return Duration(s.End) }

// Len returns the span's length.
func (s Span) Len() time.Duration { return Duration(s.End - s.Start) }

// Timeline puts signals one after another and remembers where the speech
// is.
type Timeline struct {
	PCM    []float32
	Speech []Span // the spans added with Say
}

// Say appends a clip of speech.
func (tl *Timeline) Say(pcm []float32) *Timeline {
	tl.Speech = append(tl.Speech, Span{len(tl.PCM), len(tl.PCM) + len(pcm)})
	tl.PCM = append(tl.PCM, pcm...)
	return tl
}

// Add appends a signal that is not speech.
func (tl *Timeline) Add(pcm []float32) *Timeline {
	tl.PCM = append(tl.PCM, pcm...)
	return tl
}

// Pause appends d of silence.
func (tl *Timeline) Pause(d time.Duration) *Timeline { return tl.Add(Silence(d)) }

// Mix adds noise under the whole timeline, repeating it if it is shorter.
func (tl *Timeline) Mix(noise []float32) *Timeline {
	for i := range tl.PCM {
		tl.PCM[i] += noise[i%len(noise)]
	}
	return tl
}

// Speak makes speech with espeak-ng and sox, as vad/testdata/generate.sh
// does, in dir: text at 16 kHz, trimmed of silence at both ends. It returns
// an error wrapping exec.ErrNotFound when either tool is missing.
func Speak(dir, text string) ([]float32, error) {
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is needed (Debian: apt-get install espeak-ng sox): %w", tool, err)
		}
	}
	raw, out := filepath.Join(dir, "raw.wav"), filepath.Join(dir, "speech.wav")
	if b, err := exec.Command("espeak-ng", "-w", raw, text).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("espeak-ng: %v: %s", err, b)
	}
	if b, err := exec.Command("sox", raw, "-r", "16000", "-c", "1", "-b", "16", out,
		"silence", "1", "0.005", "-50d", "reverse", "silence", "1", "0.005", "-50d", "reverse").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sox: %v: %s", err, b)
	}
	return ReadWAV(out)
}

// Sox runs sox with args (for padding and joining files, as a user would)
// and reads its output file out.
func Sox(out string, args ...string) ([]float32, error) {
	if b, err := exec.Command("sox", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sox %v: %v: %s", args, err, b)
	}
	return ReadWAV(out)
}

// NeedTools skips t, or fails it when RTCSTREAM_REQUIRE_MODELS=1, if err
// says that espeak-ng or sox is missing.
func NeedTools(t testing.TB, err error) {
	t.Helper()
	if err == nil || !errors.Is(err, exec.ErrNotFound) {
		return
	}
	if os.Getenv("RTCSTREAM_REQUIRE_MODELS") == "1" {
		t.Fatalf("%v (RTCSTREAM_REQUIRE_MODELS=1)", err)
	}
	t.Skipf("skipping: %v (or set RTCSTREAM_REQUIRE_MODELS=1 to make this a failure)", err)
}
