package media_test

import (
	"fmt"
	"math"
	"time"

	"github.com/rtcstream/rtcstream/media"
)

// Resample a browser's 48 kHz microphone stream to 16 kHz for a speech
// model, one 20 ms frame at a time, reusing one output buffer.
func ExampleResampler() {
	r, err := media.NewResampler(48000, 16000, 1, media.QualityDefault)
	if err != nil {
		fmt.Println(err)
		return
	}
	frame := make([]int16, 960) // 20 ms at 48 kHz, as Opus decodes it
	var out []int16
	for i := range 3 {
		for j := range frame {
			frame[j] = int16(8000 * math.Sin(2*math.Pi*440*float64(i*960+j)/48000))
		}
		out = r.Process(out[:0], frame) // allocates only the first time
		fmt.Printf("frame %d: %d samples in, %d out\n", i, len(frame), len(out))
	}
	fmt.Println("latency:", r.Latency().Round(time.Microsecond))
	// Output:
	// frame 0: 960 samples in, 320 out
	// frame 1: 960 samples in, 320 out
	// frame 2: 960 samples in, 320 out
	// latency: 3.167ms
}

// Resample a whole clip in one go: Process, then Flush for the input the
// filter still holds.
func ExampleResampler_Flush() {
	r, err := media.NewResampler(24000, 48000, 1, media.QualityDefault) // say, a TTS model's output
	if err != nil {
		fmt.Println(err)
		return
	}
	clip := make([]int16, 24000) // one second
	out := r.Process(nil, clip)
	fmt.Println(len(out), "samples, then", len(r.Flush(nil)), "more from Flush")
	// The next Process starts a new stream.
	fmt.Println(len(r.Process(nil, clip)))
	// Output:
	// 48000 samples, then 104 more from Flush
	// 48000
}

// 1024-frame chunks of 44.1 kHz make no whole number of 48 kHz frames; the
// resampler keeps count, so the output never drifts. OutFrames tells how
// much the next call returns, to size a buffer.
func ExampleResampler_OutFrames() {
	r, err := media.NewResampler(44100, 48000, 2, media.QualityDefault)
	if err != nil {
		fmt.Println(err)
		return
	}
	chunk := make([]int16, 2*1024) // 1024 stereo frames, as a sound card delivers them
	var out []int16
	in, total := 0, 0
	for i := range 430 { // ten seconds, nearly
		if i < 3 {
			fmt.Println("next call returns", r.OutFrames(1024), "frames")
		}
		out = r.Process(out[:0], chunk)
		in += 1024
		total += len(out) / 2
	}
	fmt.Println(total, "frames out for", in, "in; exactly", (in*48000+44099)/44100)
	// Output:
	// next call returns 1115 frames
	// next call returns 1115 frames
	// next call returns 1114 frames
	// 479260 frames out for 440320 in; exactly 479260
}

func ExampleRemix() {
	stereo := []int16{100, 300, -50, 50}
	fmt.Println(media.ToMono(nil, stereo, 2))
	fmt.Println(media.ToStereo(nil, []int16{7, 8}, 1))
	fmt.Println(media.Remix(nil, []int16{1, 2, 3, 4}, 4, 2)) // 4.0 folded to stereo
	// Output:
	// [200 0]
	// [7 7 8 8]
	// [2 3]
}

func ExampleFloat32ToInt16() {
	f := media.Int16ToFloat32(nil, []int16{-32768, 0, 16384})
	fmt.Println(f)
	fmt.Println(media.Float32ToInt16(nil, []float32{-1, 0, 0.5, 1, 1.5}))
	// Output:
	// [-1 0 0.5]
	// [-32768 0 16384 32767 32767]
}

func ExampleAudioFrame() {
	f := media.AudioFrame{Samples: make([]int16, 1920), SampleRate: 48000, Channels: 2}
	fmt.Println(f.Frames(), f.Duration())
	// Output: 960 20ms
}
