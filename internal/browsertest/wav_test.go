package browsertest

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestWriteWAVRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.wav")
	samples := append(Tone(WAVRate, 1000, 0.25, 10*time.Millisecond), Silence(WAVRate, 5*time.Millisecond)...)
	if len(samples) != 720 {
		t.Fatalf("%d samples, want 480 + 240", len(samples))
	}
	if err := WriteWAV(path, WAVRate, samples); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 44+2*len(samples) || string(b[:4]) != "RIFF" || string(b[36:40]) != "data" ||
		binary.LittleEndian.Uint32(b[24:28]) != WAVRate || binary.LittleEndian.Uint16(b[22:24]) != 1 {
		t.Errorf("header % x", b[:44])
	}
	rate, got, err := ReadWAV(path)
	if err != nil || rate != WAVRate || !slices.Equal(got, samples) {
		t.Errorf("ReadWAV: rate %d, %d samples, err %v", rate, len(got), err)
	}
	if peak := slices.Max(samples); peak < 8100 || peak > 8192 {
		t.Errorf("tone peak %d, want a quarter of full scale", peak)
	}
	if err := WriteWAV(path, 0, samples); err == nil {
		t.Error("WriteWAV with rate 0: no error")
	}
	if err := WriteWAV(path, WAVRate, nil); err == nil {
		t.Error("WriteWAV with no samples: no error")
	}
}

func TestWriteSpeechWAV(t *testing.T) {
	if err := SpeechAvailable(); err != nil {
		if RequireBrowser() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	path := filepath.Join(t.TempDir(), "speech.wav")
	speech, err := WriteSpeechWAV(path, "Hello there. How are you today?", 300*time.Millisecond, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if speech < time.Second || speech > 5*time.Second {
		t.Errorf("speech lasts %v", speech)
	}
	rate, samples, err := ReadWAV(path)
	if err != nil || rate != WAVRate {
		t.Fatalf("rate %d, err %v", rate, err)
	}
	// The padding is silence; the speech is loud.
	head := samples[:rate*250/1000]
	tail := samples[len(samples)-rate*900/1000:]
	if slices.Max(head) != 0 || slices.Min(head) != 0 || slices.Max(tail) != 0 || slices.Min(tail) != 0 {
		t.Error("the padding is not silent")
	}
	if peak := max(slices.Max(samples), -slices.Min(samples)); peak < 8000 {
		t.Errorf("speech peaks at %d, want loud speech", peak)
	}
}
