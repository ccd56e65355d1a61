// Package face finds frontal faces in video frames in pure Go, with the
// pixel-intensity-comparison cascade of github.com/esimov/pigo (its
// "facefinder" cascade, embedded in the binary: nothing is read from disk).
// It is the detector of rtcstream's default demo: it needs no cgo, no model
// download and no runtime library.
//
// A [Detector] works on the luma plane of a *image.YCbCr as it is, which is
// the grayscale picture pigo wants, so a frame costs no conversion. About
// 6 ms for a 640x480 or a 1280x720 frame on the project's 2-vCPU machine with
// the default Options; the time is set by Options.MinSize, the smallest face
// looked for (about 50 ms at 640x480 with MinSize 20, pigo's own default).
//
// # Scores
//
// pigo rates each face with Q, the summed cascade output of the windows
// that found it: unbounded, with about 5 as the cut-off pigo's own tools
// use, and several hundred for a clear frontal face at the default scan
// density. [Detection].Score maps it into 0..1 as
//
//	Score = Q / (Q + 12)
//
// so that a confidence slider from 0 to 1 makes sense: Q = 5 gives 0.29
// (the seed demo's default threshold of 0.3 keeps about what pigo keeps), Q
// = 50 gives 0.81, Q = 400 gives 0.97. The mapping is monotonic, so a
// threshold on Score is a threshold on Q.
//
// # Concurrency and images
//
// A Detector is immutable after New and safe for concurrent use by any
// number of goroutines (sessions). Detect only reads the image and keeps
// nothing of it; DrawFaces writes boxes and labels into the image it is
// given and returns it, so the caller must own that image (a frame handed to
// an rtcstream handler is owned by the call).
package face
