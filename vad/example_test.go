package vad_test

import (
	"fmt"
	"math"
	"time"

	"github.com/rtcstream/rtcstream/vad"
)

// voiced returns d of a voiced sound at 16 kHz, a stand-in for speech: a
// 120 Hz buzz with 30 harmonics, at about -20 dBFS.
func voiced(d time.Duration) []float32 {
	pcm := make([]float32, int(d*vad.SampleRate/time.Second))
	for i := range pcm {
		var v float64
		for h := 1.0; h <= 30; h++ {
			v += math.Sin(2*math.Pi*120*h*float64(i)/vad.SampleRate) / h
		}
		pcm[i] = float32(0.07 * v)
	}
	return pcm
}

func silence(d time.Duration) []float32 { return make([]float32, int(d*vad.SampleRate/time.Second)) }

// A stream of 20 ms frames at 16 kHz goes through a PauseDetector, which
// says when the speaker starts and when the pause that ends the turn comes,
// with the turn's audio. With ONNX Runtime, use a vad/silero Detector in
// place of the EnergyDetector.
func Example() {
	pd, err := vad.NewPauseDetector(vad.NewEnergyDetector(), vad.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// 1 s of silence, 1.5 s of "speech", a 300 ms hesitation, 0.5 s more,
	// then silence.
	var audio []float32
	for _, part := range [][]float32{silence(time.Second), voiced(1500 * time.Millisecond),
		silence(300 * time.Millisecond), voiced(500 * time.Millisecond), silence(time.Second)} {
		audio = append(audio, part...)
	}

	var events []vad.Event
	for i := 0; i+320 <= len(audio); i += 320 {
		at := time.Duration(i) * time.Second / vad.SampleRate // the frame's timestamp
		events, err = pd.Process(events[:0], at, audio[i:i+320])
		if err != nil {
			fmt.Println(err)
			return
		}
		for _, e := range events {
			switch e.Type {
			case vad.StartedTalking:
				fmt.Printf("started talking at %v (decided at %v)\n", e.Start, e.At)
			case vad.PauseDetected:
				// Here a voice agent hands e.Audio to its speech recogniser.
				fmt.Printf("turn over at %v: %v of speech, %v of audio with padding\n",
					e.At, e.Duration(), time.Duration(len(e.Audio))*time.Second/vad.SampleRate)
			}
		}
	}
	// Output:
	// started talking at 992ms (decided at 1.248s)
	// turn over at 3.872s: 2.4s of speech, 2.8s of audio with padding
}

// Barge-in: the caller says when its reply starts and stops playing; the
// speaker talking over it for 150 ms (here 160 ms, 5 windows) gives
// BargeIn, the moment to cancel the reply and drop its queued audio.
func ExamplePauseDetector_ReplyStarted() {
	pd, err := vad.NewPauseDetector(vad.NewEnergyDetector(), vad.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	audio := append(append(silence(time.Second), voiced(time.Second)...), silence(time.Second)...)
	pd.ReplyStarted() // the agent is talking
	var events []vad.Event
	for i := 0; i+320 <= len(audio); i += 320 {
		events, _ = pd.Process(events[:0], time.Duration(i)*time.Second/vad.SampleRate, audio[i:i+320])
		for _, e := range events {
			fmt.Println(e.Type, "at", e.At)
			if e.Type == vad.BargeIn {
				// Cancel the reply generator, drop queued output, then:
				pd.ReplyEnded()
			}
		}
	}
	// Output:
	// BargeIn at 1.152s
	// StartedTalking at 1.248s
	// PauseDetected at 2.56s
}
