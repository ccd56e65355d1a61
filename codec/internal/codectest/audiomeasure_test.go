package codectest

import (
	"math/rand/v2"
	"testing"
)

func TestDelay(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	ref := Chirp(8000, 8000, 200, 3000, 1000)
	for _, lag := range []int{0, 1, 37, 240} {
		got := make([]float64, len(ref))
		for i := lag; i < len(got); i++ {
			got[i] = 0.5*ref[i-lag] + rng.NormFloat64()
		}
		for _, maxLag := range []int{300, 4000} { // direct and by FFT
			l, c := Delay(ref, got, 0, maxLag)
			if l != lag || c < 0.99 {
				t.Errorf("lag %d, search to %d: found %d, correlation %.4f", lag, maxLag, l, c)
			}
		}
		if l, _ := Delay(ref, got, lag+1, lag+10); l == lag {
			t.Errorf("lag %d found outside the search range", lag)
		}
	}
}
