//go:build cgo

package vpx_test

import (
	"fmt"
	"image"
	"time"

	"github.com/rtcstream/rtcstream/codec/vpx"
)

// Encode a few frames, ask for a keyframe midway, and decode them again.
func Example() {
	enc, err := vpx.NewEncoder(vpx.EncoderConfig{Width: 320, Height: 240, BitRate: 500_000})
	if err != nil {
		fmt.Println(err) // for example, a build without cgo
		return
	}
	defer enc.Close()
	dec, err := vpx.NewDecoder()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer dec.Close()

	img := image.NewYCbCr(image.Rect(0, 0, 320, 240), image.YCbCrSubsampleRatio420)
	var (
		buf []byte       // compressed frame, reused
		out *image.YCbCr // decoded picture, reused
	)
	for i := range 4 {
		for j := range img.Y {
			img.Y[j] = byte(16 + (j+4*i)%200) // something that moves
		}
		if i == 2 {
			enc.RequestKeyFrame() // as on an RTCP PLI
		}
		pts := time.Duration(i) * time.Second / 30
		var key bool
		buf, key, err = enc.Encode(buf[:0], img, pts)
		if err != nil {
			fmt.Println(err)
			return
		}
		out, err = dec.Decode(out, buf)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("frame %d: keyframe %v, decoded %v\n", i, key, out.Rect.Size())
	}
	// Output:
	// frame 0: keyframe true, decoded (320,240)
	// frame 1: keyframe false, decoded (320,240)
	// frame 2: keyframe true, decoded (320,240)
	// frame 3: keyframe false, decoded (320,240)
}
