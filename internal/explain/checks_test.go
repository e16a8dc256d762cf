package explain

import (
	"reflect"
	"testing"

	"tumorseg/internal/infer"
)

func ptr(v float64) *float64 { return &v }

// sample returns findings of two regions on a 256x256 scan with a brain
// mask of 50,000 pixels and pixels of 0.5 mm:
//
//	1: 1,236 px = 309 mm², 2.472% of the head, upper left, mean 0.8734;
//	2:   152 px =  38 mm², 0.304% of the head, lower right, mean 0.6612;
//
// and two specks under 7 px left out.
func sample() *infer.Findings {
	const img, brain = 256 * 256, 50000
	return &infer.Findings{
		Schema: infer.FindingsSchema, Image: "jane-doe-2024-05-01.jpg", Width: 256,
		Height: 256, PixelSpacingMM: ptr(0.5), Threshold: 0.5, MinAreaPixels: 7,
		Model: "unet", ModelValDice: ptr(0.81), BrainAreaPixels: brain,
		TumorFound: true, RegionCount: 2,
		Regions: []infer.Region{
			{ID: 1, AreaPixels: 1236, AreaFraction: 1236.0 / img,
				BrainFraction: ptr(1236.0 / brain), AreaMM2: ptr(309),
				BBox:            infer.Box{X: 60, Y: 50, W: 40, H: 38},
				Centroid:        infer.Point{X: 80.25, Y: 69.5},
				Position:        infer.Position{Vertical: infer.Upper, Horizontal: infer.Left},
				MeanProbability: 0.8734},
			{ID: 2, AreaPixels: 152, AreaFraction: 152.0 / img,
				BrainFraction: ptr(152.0 / brain), AreaMM2: ptr(38),
				BBox:            infer.Box{X: 170, Y: 160, W: 12, H: 15},
				Centroid:        infer.Point{X: 176, Y: 167},
				Position:        infer.Position{Vertical: infer.Lower, Horizontal: infer.Right},
				MeanProbability: 0.6612},
		},
		DroppedRegions: 2, DroppedAreaPixels: 9,
		AreaPixels: 1388, AreaFraction: 1388.0 / img, BrainFraction: ptr(1388.0 / brain),
		AreaMM2: ptr(347), BBox: &infer.Box{X: 60, Y: 50, W: 122, H: 125},
		MeanProbability: (1236*0.8734 + 152*0.6612) / 1388,
		PositionNote:    infer.PositionNote,
	}
}

// empty returns findings without regions, one speck left out and no
// pixel spacing.
func empty() *infer.Findings {
	return &infer.Findings{Schema: infer.FindingsSchema, Width: 256, Height: 256,
		Threshold: 0.5, MinAreaPixels: 7, BrainAreaPixels: 50000, Regions: []infer.Region{},
		DroppedRegions: 1, DroppedAreaPixels: 3, PositionNote: infer.PositionNote}
}

func TestNumbersIn(t *testing.T) {
	tests := []struct {
		text string
		want []number
	}{
		{"Area 1 covers 1,236 pixels, about 3.1 cm² and 2.5%.", []number{
			{"1", 1, 0, false}, {"1,236", 1236, 0, false}, {"3.1", 3.1, 1, false},
			{"2.5", 2.5, 1, false}}},
		{"On T1 images, in mm2 units.", nil},
		{"two areas and Twelve spots; one area", []number{{"two", 2, 0, true},
			{"Twelve", 12, 0, true}}},
		{"區域１約占２．５％", []number{{"1", 1, 0, false}, {"2.5", 2.5, 1, false}}},
		{"兩個區域、十二處、二十三個斑點、十塊與一個", []number{
			{"兩", 2, 0, true}, {"十二", 12, 0, true}, {"二十三", 23, 0, true},
			{"十", 10, 0, true}}},
		{"It is 1.5.", []number{{"1.5", 1.5, 1, false}}},
		{"regions 1,2 and 3", []number{{"1", 1, 0, false}, {"2", 2, 0, false},
			{"3", 3, 0, false}}},
	}
	for _, tt := range tests {
		if got := numbersIn(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("numbersIn(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestMatchesAny(t *testing.T) {
	tests := []struct {
		text  string
		value float64
		want  bool
	}{
		{"1,236", 1236, true},
		{"1,200", 1236, true}, // rounded to hundreds: 100 is under a tenth of 1,200
		{"1,300", 1236, false},
		{"150", 152, true},
		{"100", 87.34, false}, // 100 is not a tenth of itself
		{"20", 23, false},
		{"87", 87.34, true},
		{"88", 87.34, false},
		{"3.1", 3.09, true},
		{"3.0", 3.09, false},
		{"2.47", 2.472, true},
		{"0", 0, true},
	}
	for _, tt := range tests {
		n := numbersIn(tt.text)
		if len(n) != 1 {
			t.Fatalf("%q holds %d numbers", tt.text, len(n))
		}
		if got := matchesAny(n[0], []float64{tt.value}); got != tt.want {
			t.Errorf("%s for %v: %v, want %v", tt.text, tt.value, got, tt.want)
		}
	}
}

func TestNumbersVerdictUnitsAndShares(t *testing.T) {
	tests := []struct {
		text string
		want Check
	}{
		{"Area 1 covers 1,236 pixels, about 3.1 cm² or 309 mm², 2.5% of the head " +
			"(0.025 of it) and 1.9% of the image. The program was 87% sure.",
			Check{CheckNumbers, true, "all 8 numbers are in the findings"}},
		// 2.47 and 0.3 are the shown percentages of the head, 0.87 the probability.
		{"Shares of 2.47% and 0.3%, probabilities 0.87 and 66.1%.",
			Check{CheckNumbers, true, "all 4 numbers are in the findings"}},
		{"Area 1 is 4.2 cm wide and 14 mm deep.",
			Check{CheckNumbers, false, "not in the findings: 4.2, 14"}},
		// Words are counts: "three" may not round 3.09 (cm² of region 1).
		{"The program marked three areas.",
			Check{CheckNumbers, false, "not in the findings: three"}},
		{"程式標出兩個區域，共 1,388 個像素。",
			Check{CheckNumbers, true, "all 2 numbers are in the findings"}},
		{"No numbers here.", Check{CheckNumbers, true, "no numbers"}},
	}
	for _, tt := range tests {
		if got := numbersVerdict(tt.text, sample()).Check; got != tt.want {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.text, got, tt.want)
		}
	}
}

func TestForbiddenTerms(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"The program marked 2 areas.", nil},
		{"This looks like a Glioma.", []string{"glioma"}},
		{"Gliomas grow.", []string{"glioma"}},
		{"You have a tumor.", []string{"you have"}},
		{"you\n  have it", []string{"you have"}},
		{"you’ve got one", []string{"you've got"}},
		{"It is benign.", []string{"benign"}},
		{"It is non-malignant.", []string{"malignan"}},
		{"a pituitary adenoma", []string{"adenoma"}},
		{"Surgery or chemotherapy may help; the prognosis is good.",
			[]string{"prognos", "surgery", "chemo"}},
		{"The survival rate is high.", []string{"surviv"}},
		{"Talk with your treating doctor.", nil},
		{"This is not a diagnosis.", nil},
		{"It is insecure.", nil},
		{"程式標出 2 個區域。", nil},
		{"這可能是膠質瘤。", []string{"膠質瘤"}},
		{"您患有惡性腫瘤", []string{"惡性", "患有"}},
		{"建議手術切除，並接受化療", []string{"手術", "切除", "化療"}},
		{"預後良好", []string{"預後"}},
		{"腦癌", []string{"癌"}},
		{"請與您的主治醫師討論", nil},
	}
	for _, tt := range tests {
		if got := forbiddenTerms(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("forbiddenTerms(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name string
		text string
		lang Lang
		want []Check
	}{
		{"plain English", "The program marked 2 areas on this scan.", English, []Check{
			{CheckNumbers, true, "all 1 numbers are in the findings"},
			{CheckClaims, true, "no diagnostic, prognostic or treatment words"},
			// The1 program2 marked1 2:1 areas3 on1 this1 scan1: 8 words, 11
			// syllables; 0.39·8 + 11.8·11/8 − 15.59 = 3.755.
			{CheckReadability, true, "Flesch-Kincaid grade 3.8, limit 8"},
		}},
		{"hard English", hardText, English, []Check{
			{CheckNumbers, true, "no numbers"},
			{CheckClaims, true, "no diagnostic, prognostic or treatment words"},
			{CheckReadability, false, "Flesch-Kincaid grade 28.4, limit 8"},
		}},
		{"Chinese is not graded", "這可能是膠質瘤，大小 5 公分。", TraditionalChinese, []Check{
			{CheckNumbers, false, "not in the findings: 5"},
			{CheckClaims, false, `uses "膠質瘤"`},
		}},
	}
	for _, tt := range tests {
		if got := Verify(tt.text, sample(), tt.lang); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}
