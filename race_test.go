//go:build race

package rtcstream_test

// raceEnabled reports a build with the race detector, which slows the Go
// side of the frame path several times: timing bounds widen under it.
const raceEnabled = true
