package explain

import (
	"strings"
	"unicode"
)

// Readability holds the counts behind the Flesch-Kincaid grade of an
// English text (Kincaid et al. 1975, "Derivation of new readability
// formulas for Navy enlisted personnel").
type Readability struct {
	Sentences, Words, Syllables int
}

// Grade returns the Flesch-Kincaid grade level
//
//	0.39·words/sentences + 11.8·syllables/words − 15.59,
//
// 0 for a text without words.
func (r Readability) Grade() float64 {
	if r.Words == 0 || r.Sentences == 0 {
		return 0
	}
	return 0.39*float64(r.Words)/float64(r.Sentences) +
		11.8*float64(r.Syllables)/float64(r.Words) - 15.59
}

// MeasureReadability counts the sentences, words and syllables of an
// English text.
//
// A word is a run of letters, digits and apostrophes; hyphens and slashes
// split words. A word with a digit in it is a number and counts one
// syllable per digit, a rough stand-in for how it is spoken; a point or
// comma between digits (2.5, 1,234) stays inside the number. A sentence
// ends at a run of '.', '!' or '?' and at the end of a line that holds
// words after the last end.
func MeasureReadability(text string) Readability {
	var r Readability
	for _, line := range strings.Split(text, "\n") {
		rs := []rune(line)
		open := false // words seen since the last sentence end
		for i := 0; i < len(rs); {
			c := rs[i]
			switch {
			case isWordRune(c):
				j := i
				for j < len(rs) && (isWordRune(rs[j]) || inNumber(rs, j)) {
					j++
				}
				r.Words++
				r.Syllables += wordSyllables(string(rs[i:j]))
				open = true
				i = j
			case c == '.' || c == '!' || c == '?':
				for i < len(rs) && (rs[i] == '.' || rs[i] == '!' || rs[i] == '?') {
					i++
				}
				if open {
					r.Sentences++
					open = false
				}
			default:
				i++
			}
		}
		if open {
			r.Sentences++
		}
	}
	return r
}

// inNumber reports whether rs[j] is a point or comma between two digits.
func inNumber(rs []rune, j int) bool {
	return (rs[j] == '.' || rs[j] == ',') && j > 0 && j+1 < len(rs) &&
		unicode.IsDigit(rs[j-1]) && unicode.IsDigit(rs[j+1])
}

// isWordRune reports whether c belongs to a word.
func isWordRune(c rune) bool {
	return unicode.IsLetter(c) || unicode.IsDigit(c) || c == '\'' || c == '’'
}

// wordSyllables returns the syllables of a word as MeasureReadability
// counts them: one per digit for a number, Syllables otherwise.
func wordSyllables(w string) int {
	digits := 0
	for _, c := range w {
		if unicode.IsDigit(c) {
			digits++
		}
	}
	if digits > 0 {
		return digits
	}
	return Syllables(w)
}

// Syllables estimates the syllables of an English word from its spelling:
// the groups of adjacent vowels (a, e, i, o, u, and y after the first
// letter), after dropping a silent ending, at least 1. The endings taken
// as silent are a final "e" (but not "ee", or "le" after a consonant, as
// in "table"), "es" (but not after s, x, z, ch, sh, c or g, as in
// "images"), "ed" (but not after t or d), and the "e" of "ement" after a
// consonant other than l ("measurement"). A final "ea" or "eas" is two
// syllables ("area"). Words of up to three letters have one. It is a
// heuristic: "created" counts 2, not 3.
func Syllables(word string) int {
	var b strings.Builder
	for _, c := range strings.ToLower(word) {
		if c >= 'a' && c <= 'z' {
			b.WriteRune(c)
		}
	}
	w := b.String()
	if w == "" {
		return 0
	}
	if len(w) <= 3 {
		return 1
	}

	extra := 0
	if strings.HasSuffix(w, "ea") || strings.HasSuffix(w, "eas") {
		extra++
	}
	stem := w
	switch {
	case strings.HasSuffix(w, "es") && !syllabicES(w):
		stem = w[:len(w)-2]
	case strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "ted") &&
		!strings.HasSuffix(w, "ded"):
		stem = w[:len(w)-2]
	case strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "ee") && !consonantLE(w):
		stem = w[:len(w)-1]
	}

	n := 0
	prevVowel := false
	for i, c := range stem {
		v := strings.ContainsRune("aeiou", c) || c == 'y' && i > 0
		if v && !prevVowel {
			n++
		}
		prevVowel = v
	}
	for i := 1; i+5 <= len(stem); i++ {
		if stem[i:i+5] == "ement" && !strings.ContainsRune("aeiouyl", rune(stem[i-1])) {
			n--
		}
	}
	return max(1, n+extra)
}

// syllabicES reports whether the final "es" of w is spoken: after s, x, z,
// ch, sh, c or g.
func syllabicES(w string) bool {
	s := w[:len(w)-2]
	return strings.HasSuffix(s, "ch") || strings.HasSuffix(s, "sh") ||
		strings.ContainsAny(s[len(s)-1:], "sxzcg")
}

// consonantLE reports whether w ends in "le" after a consonant.
func consonantLE(w string) bool {
	return len(w) >= 3 && strings.HasSuffix(w, "le") &&
		!strings.ContainsRune("aeiouy", rune(w[len(w)-3]))
}
