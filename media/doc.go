// Package media holds rtcstream's frame types and the pure-Go pixel work on
// the path of every video frame: conversions between RGB and BT.601
// limited-range 4:2:0 Y'CbCr, and drawing helpers that mark up a 4:2:0 frame
// in place.
//
// # Frames
//
// A [VideoFrame] is a 4:2:0 *image.YCbCr (the I420 layout that VP8 encodes
// and decodes) plus a presentation timestamp. image.YCbCr wraps I420 planes
// without a copy. [NewI420] allocates one; [IsI420] tells whether an image can
// go to an encoder as it is; [CopyI420] makes a private copy.
//
// # Colour
//
// Video uses BT.601 "studio swing": Y in 16..235 and Cb, Cr in 16..240. The
// standard library's color.RGBToYCbCr and the RGBA method of color.YCbCr
// implement the full-range JPEG variant instead, so converting a video frame
// through image/draw or At().RGBA() gives washed-out blacks and dull colours.
// This package treats the samples of every *image.YCbCr as limited range and
// converts with integer fixed-point arithmetic, rounding to nearest and
// clamping: [RGBToYCbCr] and [YCbCrToRGB] for one colour, [RGBAToI420],
// [NRGBAToI420] and [I420ToRGBA] for whole images, and [ToI420] and [ToRGBA]
// for any image.Image, with fast paths for the common types. Alpha is dropped
// by compositing over black.
//
// The conversions run row by row without per-pixel calls or interfaces, and
// do not allocate when given a destination. On the project's 2-vCPU machine a
// 640x480 frame takes about 0.6 ms from RGBA and 0.7 ms to RGBA, on the
// calling goroutine. Splitting the rows over two goroutines was measured at
// 640x480 to save under 10% of the wall time (30% at 1280x720) while adding
// allocations and goroutine hand-offs; a server's other core is better spent
// on other sessions' decoding and encoding, so the conversions stay serial.
//
// As with the standard library's own methods, an *image.YCbCr whose planes do
// not cover its Rect panics; image.NewYCbCr makes such images for some
// rectangles with negative coordinates.
//
// # Drawing
//
// [FillRect], [DrawRect] and [DrawLabel] draw boxes and text straight onto
// Y'CbCr samples, so a detector can annotate the frame it was given without an
// RGBA round trip. They clip to the image and never panic on rectangles that
// lie partly or wholly outside it, are empty or are inverted. Colours are
// converted with [RGBToYCbCr]; a color.YCbCr or color.NYCbCrA is taken as
// limited-range samples and written as it is. A colour with alpha is blended
// over the image; a nil or fully transparent one draws nothing. Because a
// chroma sample is shared by a block of pixels (2x2 in 4:2:0), every chroma
// sample whose block touches a painted pixel takes the colour's chroma: hues
// bleed by at most one pixel past an edge at an odd position, while luma stays
// exact. Text, whose strokes are one pixel wide, mixes chroma in proportion to
// coverage instead (see DrawLabel). The helpers accept any subsample ratio.
//
// # Concurrency
//
// Functions in this package keep no state between calls and are safe to call
// from many goroutines at once, provided no two calls write the same image (or
// one writes an image that another reads) at the same time.
package media
