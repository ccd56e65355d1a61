//go:build cgo

package opus_test

import (
	"fmt"
	"math"

	"github.com/rtcstream/rtcstream/codec/opus"
)

// Encode 20 ms frames of a tone, lose one packet on the way, and decode the
// stream, rebuilding the lost packet from the next one's FEC data.
func Example() {
	enc, err := opus.NewEncoder(opus.EncoderConfig{}) // 48 kHz mono, 20 ms, 32 kbit/s, FEC
	if err != nil {
		fmt.Println(err) // for example, a build without cgo
		return
	}
	defer enc.Close()
	dec, err := opus.NewDecoder(opus.DecoderConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer dec.Close()

	// Encode five frames.
	frame := make([]int16, enc.FrameSize()) // 960 samples: 20 ms at 48 kHz
	var packets [][]byte
	for i := range 5 {
		for j := range frame {
			t := float64(i*len(frame)+j) / 48000
			frame[j] = int16(8000 * math.Sin(2*math.Pi*440*t))
		}
		packet, err := enc.Encode(nil, frame)
		if err != nil {
			fmt.Println(err)
			return
		}
		packets = append(packets, packet)
	}

	// Packet 2 is lost: recover it from packet 3, then decode packet 3 as
	// usual. Decode(pcm, nil) would conceal it instead.
	var pcm []int16 // decoded audio, appended to
	for i, p := range packets {
		before := len(pcm)
		switch i {
		case 2:
			pcm, err = dec.DecodeFEC(pcm, packets[3])
		default:
			pcm, err = dec.Decode(pcm, p)
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("packet %d: %d samples\n", i, len(pcm)-before)
	}
	fmt.Println("codec delay:", enc.Lookahead())
	// Output:
	// packet 0: 960 samples
	// packet 1: 960 samples
	// packet 2: 960 samples
	// packet 3: 960 samples
	// packet 4: 960 samples
	// codec delay: 6.5ms
}

// A server fed by a browser decodes at the rate its handler wants, here 16
// kHz for speech recognition, whatever the browser sent.
func ExampleNewDecoder() {
	dec, err := opus.NewDecoder(opus.DecoderConfig{SampleRate: 16000, Channels: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer dec.Close()
	pcm, err := dec.Decode(nil, nil) // a lost packet before any arrived: 20 ms of silence
	fmt.Println(len(pcm), err)
	// Output: 320 <nil>
}
