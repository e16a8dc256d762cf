package explain

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"tumorseg/internal/infer"
)

// MaxGrade is the highest Flesch-Kincaid grade an English text may have.
const MaxGrade = 8

// Verify checks text, written about f in lang, and returns the verdicts of
// CheckNumbers, CheckClaims and, for English, CheckReadability, in that
// order. The text is checked without the disclaimer, which tumorseg adds.
func Verify(text string, f *infer.Findings, lang Lang) []Check {
	var out []Check
	for _, v := range verify(text, f, lang) {
		out = append(out, v.Check)
	}
	return out
}

// verdict is a Check with what a note needs to say why it failed.
type verdict struct {
	Check
	// items are the offending numbers or words.
	items []string
	// grade is the Flesch-Kincaid grade, for CheckReadability.
	grade float64
}

// verify returns the verdicts Verify reports.
func verify(text string, f *infer.Findings, lang Lang) []verdict {
	v := []verdict{numbersVerdict(text, f), claimsVerdict(text)}
	if lang == English {
		v = append(v, readabilityVerdict(text))
	}
	return v
}

// numbersVerdict checks that every number in text matches a quantity of f.
func numbersVerdict(text string, f *infer.Findings) verdict {
	nums := numbersIn(text)
	allowed := allowedValues(f)
	var bad []string
	for _, n := range nums {
		if !matchesAny(n, allowed) {
			bad = append(bad, n.text)
		}
	}
	v := verdict{Check: Check{Name: CheckNumbers, Passed: len(bad) == 0}, items: bad}
	switch {
	case len(bad) > 0:
		v.Detail = "not in the findings: " + strings.Join(bad, ", ")
	case len(nums) == 0:
		v.Detail = "no numbers"
	default:
		v.Detail = fmt.Sprintf("all %d numbers are in the findings", len(nums))
	}
	return v
}

// claimsVerdict checks that text names no diagnosis, prognosis or
// treatment.
func claimsVerdict(text string) verdict {
	found := forbiddenTerms(text)
	v := verdict{Check: Check{Name: CheckClaims, Passed: len(found) == 0}, items: found}
	if len(found) == 0 {
		v.Detail = "no diagnostic, prognostic or treatment words"
	} else {
		v.Detail = "uses " + quoteAll(found)
	}
	return v
}

// readabilityVerdict checks that text reads at grade MaxGrade or below.
func readabilityVerdict(text string) verdict {
	g := MeasureReadability(text).Grade()
	return verdict{Check: Check{Name: CheckReadability, Passed: g <= MaxGrade,
		Detail: fmt.Sprintf("Flesch-Kincaid grade %.1f, limit %d", g, MaxGrade)}, grade: g}
}

// quoteAll returns the words quoted and joined by commas.
func quoteAll(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = strconv.Quote(w)
	}
	return strings.Join(q, ", ")
}

// number is one number written in a text.
type number struct {
	// text is the number as written, after full-width digits are narrowed.
	text string
	// value is its value.
	value float64
	// decimals counts the digits after its decimal point.
	decimals int
	// exact is true for a number written in words, a count that must equal
	// a value of the findings.
	exact bool
}

// Patterns of numbers in a text: digits with optional thousands commas and
// decimals; Chinese numerals before a measure word.
var (
	digitsPattern  = regexp.MustCompile(`\d+(?:,\d{3})*(?:\.\d+)?`)
	chinesePattern = regexp.MustCompile(`[一二兩三四五六七八九十]+(?:個|處|塊|區|片)`)
	wordPattern    = regexp.MustCompile(`[A-Za-z]+`)
)

// englishNumbers are the number words numbersIn reads. "one" is left out:
// it is as often a pronoun ("no one") as a count.
var englishNumbers = map[string]float64{
	"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
	"fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
	"twenty": 20,
}

// chineseDigits are the values of the Chinese numerals chinesePattern reads.
var chineseDigits = map[rune]int{'一': 1, '二': 2, '兩': 2, '三': 3, '四': 4, '五': 5,
	'六': 6, '七': 7, '八': 8, '九': 9}

// numbersIn returns the numbers written in text: runs of digits (1,234 and
// 2.5 each count once; a run right after a Latin letter, as in "mm2" or
// "T1", is a name, not a number), the English number words two to twenty,
// and Chinese numerals from 2 to 99 before a measure word (兩個, 十二處).
// Full-width digits count as digits.
//
// TODO(numbers): Chinese numerals without a measure word (百分之八十七) and
// English number words past twenty are not read, so such numbers go
// unchecked.
func numbersIn(text string) []number {
	text = narrow(text)
	var out []number
	for _, loc := range digitsPattern.FindAllStringIndex(text, -1) {
		if loc[0] > 0 && isLatinLetter(text[loc[0]-1]) {
			continue
		}
		s := text[loc[0]:loc[1]]
		v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
		if err != nil {
			continue
		}
		d := 0
		if i := strings.IndexByte(s, '.'); i >= 0 {
			d = len(s) - i - 1
		}
		out = append(out, number{text: s, value: v, decimals: d})
	}
	for _, w := range wordPattern.FindAllString(text, -1) {
		if v, ok := englishNumbers[strings.ToLower(w)]; ok {
			out = append(out, number{text: w, value: v, exact: true})
		}
	}
	for _, m := range chinesePattern.FindAllString(text, -1) {
		digits := strings.TrimRight(m, "個處塊區片")
		if v, ok := chineseValue(digits); ok && v > 1 {
			out = append(out, number{text: digits, value: float64(v), exact: true})
		}
	}
	return out
}

// chineseValue returns the value of a Chinese numeral under 100: 三, 十,
// 十二, 二十, 二十三.
func chineseValue(s string) (int, bool) {
	r := []rune(s)
	switch {
	case len(r) == 1 && r[0] == '十':
		return 10, true
	case len(r) == 1:
		v, ok := chineseDigits[r[0]]
		return v, ok
	}
	i := strings.IndexRune(s, '十')
	if i < 0 {
		return 0, false
	}
	tens, units := 1, 0
	before, after := []rune(s[:i]), []rune(s[i+len("十"):])
	if len(before) > 1 || len(after) > 1 {
		return 0, false
	}
	if len(before) == 1 {
		t, ok := chineseDigits[before[0]]
		if !ok {
			return 0, false
		}
		tens = t
	}
	if len(after) == 1 {
		u, ok := chineseDigits[after[0]]
		if !ok {
			return 0, false
		}
		units = u
	}
	return 10*tens + units, true
}

// narrow returns text with full-width digits, point and percent sign
// replaced by their ASCII forms.
func narrow(text string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．':
			return '.'
		case r == '％':
			return '%'
		}
		return r
	}, text)
}

func isLatinLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

// allowedValues returns every value a number in an explanation of f may
// round: counts and pixel quantities as they are; fractions and
// probabilities also as percentages; areas in mm² also in cm²; the values
// the language model is shown, as it is shown them.
//
// TODO(numbers): a number is matched against every quantity, not the one
// its sentence names, so a true value put in the wrong place (the head
// share given as the mean probability) passes.
func allowedValues(f *infer.Findings) []float64 {
	var v []float64
	plain := func(x ...float64) { v = append(v, x...) }
	fraction := func(x float64) { v = append(v, x, 100*x) }
	area := func(x float64) { v = append(v, x, x/100) }
	opt := func(p *float64, add func(float64)) {
		if p != nil {
			add(*p)
		}
	}

	plain(float64(f.Width), float64(f.Height), float64(f.RegionCount),
		float64(f.DroppedRegions), float64(f.DroppedAreaPixels), float64(f.MinAreaPixels),
		float64(f.BrainAreaPixels), float64(f.AreaPixels))
	fraction(f.AreaFraction)
	fraction(f.MeanProbability)
	fraction(f.Threshold)
	opt(f.BrainFraction, fraction)
	opt(f.ModelValDice, fraction)
	opt(f.AreaMM2, area)
	opt(f.PixelSpacingMM, func(x float64) { plain(x) })
	if b := f.BBox; b != nil {
		plain(float64(b.X), float64(b.Y), float64(b.W), float64(b.H))
	}
	for _, r := range f.Regions {
		plain(float64(r.ID), float64(r.AreaPixels), r.Centroid.X, r.Centroid.Y,
			float64(r.BBox.X), float64(r.BBox.Y), float64(r.BBox.W), float64(r.BBox.H))
		fraction(r.AreaFraction)
		fraction(r.MeanProbability)
		opt(r.BrainFraction, fraction)
		opt(r.AreaMM2, area)
	}
	view := promptView(f)
	plain(float64(view.RegionsListed))
	for _, r := range view.Regions {
		plain(r.PercentOfImage, r.MeanProbabilityPercent)
		opt(r.PercentOfHead, func(x float64) { plain(x) })
		opt(r.AreaMM2, func(x float64) { plain(x) })
		opt(r.AreaCM2, func(x float64) { plain(x) })
	}
	opt(view.TotalPercentOfHead, func(x float64) { plain(x) })
	return v
}

// matchesAny reports whether n is a rounding of one of values: within half
// a unit of its last written decimal. A whole number ending in k zeros may
// round to 10^k when 10^k is at most a tenth of it (1,200 for 1,234, not
// 100 for 87). A number in words must equal a value.
func matchesAny(n number, values []float64) bool {
	tol := 0.5 * math.Pow10(-n.decimals)
	if n.exact {
		tol = 0
	}
	if n.decimals == 0 && !n.exact {
		digits := strings.ReplaceAll(n.text, ",", "")
		k := len(digits) - len(strings.TrimRight(digits, "0"))
		if k > 0 && k < len(digits) && 10*math.Pow10(k) <= n.value {
			tol = 0.5 * math.Pow10(k)
		}
	}
	for _, v := range values {
		if math.Abs(n.value-v) <= tol*(1+1e-9)+1e-12 {
			return true
		}
	}
	return false
}

// Words and phrases an explanation must not use: names of diagnoses, claims
// that the patient has a disease, prognoses and treatments. An English term
// matches whole words, case-insensitive; one ending in "*" matches any word
// it begins. A Chinese term matches anywhere.
var (
	englishTerms = []string{
		// Diagnoses and their kinds.
		"glioma*", "glioblastoma*", "astrocytoma*", "oligodendroglioma*", "ependymoma*",
		"meningioma*", "medulloblastoma*", "schwannoma*", "adenoma*", "lymphoma*",
		"carcinoma*", "sarcoma*", "cancer*", "malignan*", "benign", "metasta*", "diagnosed",
		"diagnosis is", "grade i", "grade ii", "grade iii", "grade iv",
		// Claims about the patient.
		"you have", "you've got", "you suffer*", "suffering from",
		// Prognosis.
		"prognos*", "surviv*", "life expectancy", "months to live", "terminal", "fatal",
		"deadly", "curable", "incurable", "cure", "cured",
		// Treatment.
		"surgery", "surgeries", "surgical*", "surgeon*", "radiosurgery", "operation",
		"operate on", "resect*", "biops*", "chemo*", "radiotherap*", "radiation therapy",
		"radiation treatment", "immunotherap*", "steroid*", "medication*", "medicine*",
		"treatment*", "therapy", "therapies",
	}
	chineseTerms = []string{
		// Diagnoses and their kinds.
		"膠質瘤", "膠質母細胞瘤", "星狀細胞瘤", "腦膜瘤", "髓母細胞瘤", "神經鞘瘤", "腺瘤",
		"淋巴瘤", "肉瘤", "癌", "惡性", "良性", "轉移", "確診", "診斷為", "診斷出", "第四級",
		// Claims about the patient.
		"患有", "罹患", "得了",
		// Prognosis.
		"預後", "存活", "生存期", "壽命", "末期", "致命", "治癒",
		// Treatment.
		"手術", "開刀", "切除", "切片", "活檢", "化療", "化學治療", "放療", "放射治療",
		"放射線治療", "電療", "標靶", "免疫治療", "類固醇", "藥物", "服藥", "吃藥",
		"治療方式", "治療方案", "接受治療", "需要治療", "建議治療", "療程",
	}
)

// forbiddenTerms returns the terms of englishTerms and chineseTerms that
// text uses, in list order, each once.
func forbiddenTerms(text string) []string {
	lower := strings.Join(strings.Fields(strings.ToLower(
		strings.ReplaceAll(text, "’", "'"))), " ")
	var found []string
	for _, t := range englishTerms {
		if containsTerm(lower, t) {
			found = append(found, strings.TrimSuffix(t, "*"))
		}
	}
	for _, t := range chineseTerms {
		if strings.Contains(text, t) {
			found = append(found, t)
		}
	}
	return found
}

// containsTerm reports whether the lower-case text holds term as whole
// words, or as the start of a word when term ends in "*".
func containsTerm(text, term string) bool {
	prefix := strings.HasSuffix(term, "*")
	term = strings.TrimSuffix(term, "*")
	for i := 0; ; {
		j := strings.Index(text[i:], term)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(term)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		if (start == 0 || !unicode.IsLetter(before)) &&
			(prefix || end == len(text) || !unicode.IsLetter(after)) {
			return true
		}
		i = start + 1
	}
}
