package agent

import (
	"slices"
	"strings"
	"testing"
)

func TestSplitterSentences(t *testing.T) {
	for _, tc := range []struct {
		pieces []string
		want   []string
	}{
		{[]string{"Hello there. How", " are you? I'm", " fine!"}, []string{"Hello there.", "How are you?", "I'm fine!"}},
		{[]string{"Paris is 2.5 km", " wide. Yes."}, []string{"Paris is 2.5 km wide.", "Yes."}},
		{[]string{"One\nTwo\n\nThree"}, []string{"One", "Two", "Three"}},
		{[]string{"Wait", "...", " what"}, []string{"Wait...", "what"}},
		{[]string{"No end"}, []string{"No end"}},
		{[]string{"", " ", "\n"}, nil},
	} {
		var s splitter
		var got []string
		for _, p := range tc.pieces {
			got = append(got, s.push(p)...)
		}
		if r := s.flush(); r != "" {
			got = append(got, r)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: %q, want %q", tc.pieces, got, tc.want)
		}
	}
}

// A text without sentence ends is still cut, at a space, so it is spoken
// while it streams.
func TestSplitterCutsLongText(t *testing.T) {
	var s splitter
	var got []string
	for range 100 {
		got = append(got, s.push("word ")...)
	}
	if len(got) == 0 {
		t.Fatal("500 characters without an end gave no sentence")
	}
	for _, g := range got {
		if len([]rune(g)) > maxSentence || strings.HasPrefix(g, " ") || strings.HasSuffix(g, "wor") {
			t.Errorf("cut %q", g)
		}
	}
}
