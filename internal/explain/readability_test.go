package explain

import (
	"math"
	"testing"
)

func TestSyllables(t *testing.T) {
	// Counts from a dictionary's syllable breaks, one word each.
	tests := []struct {
		word string
		want int
	}{
		{"cat", 1}, {"the", 1}, {"you", 1}, {"they", 1}, {"free", 1}, {"these", 1},
		{"marked", 1}, {"lies", 1}, {"sides", 1}, {"spots", 1}, {"scan", 1},
		{"image", 2}, {"table", 2}, {"people", 2}, {"measured", 2}, {"wanted", 2},
		{"needed", 2}, {"covers", 2}, {"studies", 2}, {"region", 2}, {"pixels", 2},
		{"program", 2}, {"doctor", 2}, {"treating", 2}, {"statement", 2}, {"only", 2},
		{"body", 2}, {"sizes", 2}, {"outside", 2}, {"machine", 2}, {"tumor", 2},
		{"percent", 2}, {"largest", 2}, {"tiny", 2}, {"upper", 2}, {"about", 2},
		{"area", 3}, {"areas", 3}, {"images", 3}, {"image's", 3}, {"possible", 3},
		{"computer", 3}, {"certainty", 3}, {"average", 3}, {"measurement", 3},
		{"measurements", 3}, {"agreement", 3}, {"together", 3}, {"covering", 3},
		{"proportions", 3}, {"cerebral", 3},
		{"quantitative", 4}, {"segmentation", 4}, {"identified", 4}, {"territory", 4},
		{"probability", 5}, {"abnormality", 5}, {"considerable", 5},
		{"Area", 3}, {"", 0}, {"42", 0},
	}
	for _, tt := range tests {
		if got := Syllables(tt.word); got != tt.want {
			t.Errorf("Syllables(%q) = %d, want %d", tt.word, got, tt.want)
		}
	}
}

func TestMeasureReadability(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Readability
	}{
		{"one short sentence", "The cat sat on the mat.", Readability{1, 6, 6}},
		// The1 computer3 program2 marked1 one1 area3 on1 this1 scan1 = 14;
		// It1 is1 in1 the1 upper2 left1 part1 of1 the1 image2 = 12.
		{"two sentences",
			"The computer program marked one area on this scan. It is in the upper left " +
				"part of the image.", Readability{2, 19, 26}},
		// 1,236 and 2.5 are one word each, of 4 and 2 syllables:
		// It1 covers2 1,236:4 pixels2 That1 is1 2.5:2 of1 the1 head1 = 16.
		{"numbers", "It covers 1,236 pixels. That is 2.5% of the head.",
			Readability{2, 10, 16}},
		// Area3 1:1 upper2 left1 and Area3 2:1 lower2 right1.
		{"lines without a full stop", "Area 1: upper left\nArea 2: lower right",
			Readability{2, 8, 14}},
		{"runs of marks end one sentence", "Wait... Truly?! Yes.", Readability{3, 3, 4}},
		// 4+4+4+1+5+3+5+3+1+3+4 = 37 syllables in 11 words.
		{"hard sentence", hardText, Readability{1, 11, 37}},
		{"empty", "", Readability{}},
	}
	for _, tt := range tests {
		if got := MeasureReadability(tt.text); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// hardText is one long sentence of long words.
const hardText = "Quantitative segmentation identified one abnormality covering " +
	"considerable proportions of cerebral territory."

func TestGrade(t *testing.T) {
	tests := []struct {
		r    Readability
		want float64
	}{
		{Readability{1, 6, 6}, 0.39*6 + 11.8 - 15.59},           // -1.45
		{Readability{2, 19, 26}, 0.39*9.5 + 11.8*26/19 - 15.59}, // 4.2624
		{Readability{1, 11, 37}, 0.39*11 + 11.8*37/11 - 15.59},  // 28.3909
		{Readability{}, 0},
	}
	for _, tt := range tests {
		if got := tt.r.Grade(); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%+v: grade %v, want %v", tt.r, got, tt.want)
		}
	}
}
