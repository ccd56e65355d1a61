//go:build race

package bench

// raceEnabled loosens the integration tests' bounds: under the race
// detector pion runs several times slower, and a loaded two-core machine
// then drops frames.
const raceEnabled = true
