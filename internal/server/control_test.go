package server

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestUnknownInputsIsOneWarning(t *testing.T) {
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = fmt.Sprintf("id%04d", 4999-i)
	}
	for _, tc := range []struct {
		ids  []string
		want string
	}{
		{[]string{"gain"}, `input "gain" is not an input of this stream`},
		{[]string{"b", "a"}, `inputs "a", "b" are not inputs of this stream`},
		{ids, `inputs "id0000", "id0001", "id0002" and 4997 more are not inputs of this stream`},
		{[]string{strings.Repeat("x", 1000)}, `input "` + strings.Repeat("x", 64) + `…" is not an input of this stream`},
	} {
		if got := unknownInputs(tc.ids); got != tc.want {
			t.Errorf("unknownInputs(%d ids) = %q, want %q", len(tc.ids), got, tc.want)
		}
	}
}

func TestControlBudget(t *testing.T) {
	var b controlBudget
	now := time.Now()
	taken, warnings := 0, 0
	// 1000 messages in one second: the burst, then the rate.
	for i := range 1000 {
		ok, warn := b.take(now.Add(time.Duration(i) * time.Millisecond))
		if ok {
			taken++
		}
		if warn {
			warnings++
		}
	}
	if want := controlBurst + controlRate; taken < want-2 || taken > want+2 {
		t.Fatalf("%d messages taken in a second, want about %d", taken, want)
	}
	if warnings != 1 {
		t.Fatalf("%d warnings in a second, want one, at the first drop", warnings)
	}
	if got, want := b.droppedCount(), uint64(1000-taken); got != want {
		t.Fatalf("%d counted dropped, want %d", got, want)
	}
	// Past a second, the next drop is told again.
	for i := range 200 {
		if _, warn := b.take(now.Add(1500*time.Millisecond + time.Duration(i)*time.Microsecond)); warn {
			return
		}
	}
	t.Fatal("no warning in the next second")
}
