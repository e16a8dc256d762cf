package explain

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"tumorseg/internal/infer"
)

// passed is the verdicts on a text with n numbers, all in the findings,
// graded grade when English.
func passed(n int, grade string) []Check {
	c := []Check{{CheckNumbers, true, ""}, {CheckClaims, true,
		"no diagnostic, prognostic or treatment words"}}
	c[0].Detail = "all " + FormatCount(n) + " numbers are in the findings"
	if grade != "" {
		c = append(c, Check{CheckReadability, true, "Flesch-Kincaid grade " + grade + ", limit 8"})
	}
	return append(c, Check{CheckDisclaimer, true, "tumorseg's disclaimer ends the text"})
}

// Expected offline texts of sample() and empty().
const (
	sampleEnglish = "The computer program marked 2 areas on this scan as possible tumor. " +
		"Area 1 is the largest. Area 1 is in the upper left part of the image. It covers " +
		"1,236 pixels, about 3.1 cm². That is 2.5% of the head on the image. The program's " +
		"average certainty for this area is 87%. Area 2 is in the lower right part of the " +
		"image. It covers 152 pixels, about 38 mm². That is 0.3% of the head on the image. " +
		"The program's average certainty for this area is 66%. Together the areas cover " +
		"1,388 pixels, 2.8% of the head. It also found 2 tiny spots under 7 pixels each and " +
		"left them out. Left and right here mean the sides of the image. They may not be " +
		"the left and right of your body."
	sampleChinese = "電腦程式在這張影像上標出 2 個可能是腫瘤的區域。區域 1 最大。" +
		"區域 1 位於影像的左上方，面積為 1,236 個像素（約 3.1 平方公分），" +
		"約占影像中頭部面積的 2.5%。程式對這個區域的平均把握程度為 87%。" +
		"區域 2 位於影像的右下方，面積為 152 個像素（約 38 平方毫米），" +
		"約占影像中頭部面積的 0.3%。程式對這個區域的平均把握程度為 66%。" +
		"這些區域合計 1,388 個像素，約占頭部面積的 2.8%。" +
		"程式另外找到 2 個小於 7 個像素的微小斑點，已將其略去。" +
		"這裡的左右是指影像的左右，不一定是您身體的左右。"
	emptyEnglish = "The computer program did not mark any area on this scan. " +
		"It also found 1 tiny spot under 7 pixels and left it out."
	emptyChinese = "電腦程式沒有在這張影像上標出任何可能是腫瘤的區域。" +
		"程式另外找到 1 個小於 7 個像素的微小斑點，已將其略去。"
)

func TestOfflineTexts(t *testing.T) {
	tests := []struct {
		name     string
		findings *infer.Findings
		lang     Lang
		text     string
		checks   []Check
	}{
		// 2, 1, 1, 1,236, 3.1, 2.5, 87, 2, 152, 38, 0.3, 66, 1,388, 2.8, 2, 7.
		{"two regions, English", sample(), English, sampleEnglish, passed(16, "5.9")},
		{"two regions, Chinese", sample(), TraditionalChinese, sampleChinese, passed(16, "")},
		{"no region, English", empty(), English, emptyEnglish, passed(2, "5.3")},
		{"no region, Chinese", empty(), TraditionalChinese, emptyChinese, passed(2, "")},
	}
	for _, tt := range tests {
		e, err := Offline{Lang: tt.lang}.Explain(context.Background(), tt.findings)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if e.Text != tt.text {
			t.Errorf("%s: text\n%s\nwant\n%s", tt.name, e.Text, tt.text)
		}
		if !reflect.DeepEqual(e.Checks, tt.checks) {
			t.Errorf("%s: checks\n%+v\nwant\n%+v", tt.name, e.Checks, tt.checks)
		}
		if e.Source != SourceOffline || e.Lang != tt.lang || e.Note != "" ||
			e.Disclaimer != Disclaimer(tt.lang) {
			t.Errorf("%s: source %q, lang %q, note %q", tt.name, e.Source, e.Lang, e.Note)
		}
		if want := tt.text + "\n\n" + Disclaimer(tt.lang); e.String() != want {
			t.Errorf("%s: String() = %q, want the text and the disclaimer", tt.name, e.String())
		}
	}
}

func TestOfflineWithoutSpacingOrHead(t *testing.T) {
	f := sample()
	f.PixelSpacingMM, f.AreaMM2, f.BrainAreaPixels, f.BrainFraction = nil, nil, 0, nil
	for i := range f.Regions {
		f.Regions[i].AreaMM2, f.Regions[i].BrainFraction = nil, nil
	}
	e, err := Offline{}.Explain(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	// 1,236 and 152 of 65,536 pixels: 1.886% and 0.232%.
	for _, s := range []string{"It covers 1,236 pixels. That is 1.9% of the whole image.",
		"It covers 152 pixels. That is 0.2% of the whole image.",
		"Together the areas cover 1,388 pixels. It also"} {
		if !strings.Contains(e.Text, s) {
			t.Errorf("text lacks %q:\n%s", s, e.Text)
		}
	}
	if strings.Contains(e.Text, "mm²") || strings.Contains(e.Text, "head") || e.Lang != English {
		t.Errorf("text names an area or the head it does not know, or is not English:\n%s",
			e.Text)
	}
}

func TestOfflineDescribesFiveRegions(t *testing.T) {
	f := &infer.Findings{Schema: infer.FindingsSchema, Width: 64, Height: 64, Threshold: 0.5,
		MinAreaPixels: 1, TumorFound: true, PositionNote: infer.PositionNote}
	for i := range 7 {
		area := 10 - i
		f.Regions = append(f.Regions, infer.Region{ID: i + 1, AreaPixels: area,
			AreaFraction: float64(area) / 4096, BBox: infer.Box{X: 2 * i, Y: 0, W: 1, H: 10},
			Position:        infer.Position{Vertical: infer.Upper, Horizontal: infer.Left},
			MeanProbability: 0.9})
		f.AreaPixels += area
	}
	// 10+9+...+4 = 49 pixels.
	f.RegionCount, f.AreaFraction, f.BBox = 7, float64(f.AreaPixels)/4096, &infer.Box{W: 13, H: 10}
	e, err := Offline{Lang: English}.Explain(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.Text, "Area 5 is in") || strings.Contains(e.Text, "Area 6") ||
		!strings.Contains(e.Text,
			"The other areas are smaller. Together the areas cover 49 pixels.") {
		t.Errorf("want areas 1 to 5 described, then the rest together:\n%s", e.Text)
	}
	for _, c := range e.Checks {
		if !c.Passed {
			t.Errorf("check %+v failed", c)
		}
	}
}

func TestOfflineRejectsBadFindings(t *testing.T) {
	bad := sample()
	bad.Schema = "tumorseg.findings/v1"
	for _, f := range []*infer.Findings{nil, bad} {
		if _, err := (Offline{}).Explain(context.Background(), f); err == nil ||
			!strings.HasPrefix(err.Error(), "explain: ") {
			t.Errorf("Explain(%v): error %v, want one from explain", f, err)
		}
	}
}
