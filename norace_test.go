//go:build !race

package rtcstream_test

const raceEnabled = false
