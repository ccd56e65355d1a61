package agent

import (
	"strings"
	"unicode"
)

// maxSentence is where a sentence without an end is cut anyway (at a
// space), so a model that writes no punctuation is still spoken as it
// writes.
const maxSentence = 240

// splitter cuts a streamed text into sentences: at ".", "!", "?", "…",
// ";" or ":" followed by a space, and at line breaks. Pieces may split
// anywhere, even inside a word.
type splitter struct{ buf strings.Builder }

// push adds a piece of text and returns the sentences it completed,
// trimmed, empty ones left out.
func (s *splitter) push(piece string) []string {
	s.buf.WriteString(piece)
	text := s.buf.String()
	var out []string
	start := 0
	runes := []rune(text)
	for i, r := range runes {
		end := -1
		switch {
		case r == '\n':
			end = i
		case strings.ContainsRune(".!?…;:", r) && i+1 < len(runes) && unicode.IsSpace(runes[i+1]):
			end = i + 1
		}
		if end < 0 {
			continue
		}
		if t := strings.TrimSpace(string(runes[start:end])); t != "" {
			out = append(out, t)
		}
		start = end
	}
	rest := runes[start:]
	if len(rest) > maxSentence {
		// Cut at the last space before the bound.
		cut := strings.LastIndexFunc(string(rest[:maxSentence]), unicode.IsSpace)
		if cut > 0 {
			head := []rune(string(rest[:maxSentence])[:cut])
			if t := strings.TrimSpace(string(head)); t != "" {
				out = append(out, t)
			}
			rest = rest[len(head):]
		}
	}
	s.buf.Reset()
	s.buf.WriteString(string(rest))
	return out
}

// flush returns what is left, trimmed: the last sentence, without an end.
func (s *splitter) flush() string {
	t := strings.TrimSpace(s.buf.String())
	s.buf.Reset()
	return t
}
