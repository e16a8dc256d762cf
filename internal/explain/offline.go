package explain

import (
	"context"
	"fmt"
	"strings"

	"tumorseg/internal/infer"
)

// MaxDescribedRegions is how many regions, largest first, an offline
// explanation describes one by one; the rest are mentioned together.
const MaxDescribedRegions = 5

// Offline writes explanations from fixed templates. It states only what the
// findings measure: how many regions, their size in pixels, as a share of
// the head and in mm² where the pixel spacing is known, where they lie on
// the image and the program's mean probability, in short sentences.
type Offline struct {
	// Lang is the language to write in; empty means English.
	Lang Lang
}

// Explain returns the template explanation of f with Verify's verdicts.
func (o Offline) Explain(ctx context.Context, f *infer.Findings) (*Explanation, error) {
	if err := validate(f); err != nil {
		return nil, err
	}
	lang := o.Lang
	if lang == "" {
		lang = English
	}
	e := &Explanation{Lang: lang, Source: SourceOffline, Text: offlineText(f, lang),
		Disclaimer: Disclaimer(lang)}
	e.Checks = append(Verify(e.Text, f, lang), disclaimerCheck(e))
	return e, nil
}

// offlineText returns the template text about f in lang.
func offlineText(f *infer.Findings, lang Lang) string {
	if lang == TraditionalChinese {
		return chineseText(f)
	}
	return englishText(f)
}

// englishText returns the English template text about f.
func englishText(f *infer.Findings) string {
	var s []string
	n := len(f.Regions)
	switch n {
	case 0:
		s = append(s, "The computer program did not mark any area on this scan.")
	case 1:
		s = append(s, "The computer program marked 1 area on this scan as a possible tumor.")
	default:
		s = append(s, fmt.Sprintf("The computer program marked %d areas on this scan as "+
			"possible tumor. Area 1 is the largest.", n))
	}
	for _, r := range f.Regions[:min(n, MaxDescribedRegions)] {
		s = append(s, fmt.Sprintf("Area %d is in the %s of the image.", r.ID,
			englishPlace(r.Position)))
		size := fmt.Sprintf("It covers %s pixels", FormatCount(r.AreaPixels))
		if r.AreaMM2 != nil {
			size += fmt.Sprintf(", about %s", FormatArea(*r.AreaMM2))
		}
		s = append(s, size+".")
		if r.BrainFraction != nil {
			s = append(s, fmt.Sprintf("That is %s of the head on the image.",
				FormatPercent(*r.BrainFraction)))
		} else {
			s = append(s, fmt.Sprintf("That is %s of the whole image.",
				FormatPercent(r.AreaFraction)))
		}
		s = append(s, fmt.Sprintf("The program's average certainty for this area is %s.",
			FormatConfidence(r.MeanProbability)))
	}
	if n > MaxDescribedRegions {
		s = append(s, "The other areas are smaller.")
	}
	if n > 1 {
		total := fmt.Sprintf("Together the areas cover %s pixels", FormatCount(f.AreaPixels))
		if f.BrainFraction != nil {
			total += fmt.Sprintf(", %s of the head", FormatPercent(*f.BrainFraction))
		}
		s = append(s, total+".")
	}
	switch f.DroppedRegions {
	case 0:
	case 1:
		s = append(s, fmt.Sprintf("It also found 1 tiny spot under %s pixels and left it out.",
			FormatCount(f.MinAreaPixels)))
	default:
		s = append(s, fmt.Sprintf("It also found %d tiny spots under %s pixels each and left "+
			"them out.", f.DroppedRegions, FormatCount(f.MinAreaPixels)))
	}
	if n > 0 {
		s = append(s, "Left and right here mean the sides of the image. They may not be the "+
			"left and right of your body.")
	}
	return strings.Join(s, " ")
}

// englishPlace returns where p lies as a noun phrase after "in the".
func englishPlace(p infer.Position) string {
	switch FormatPosition(p, English) {
	case infer.Middle:
		return "middle"
	case infer.Left, infer.Right:
		return FormatPosition(p, English) + " half"
	}
	return FormatPosition(p, English) + " part"
}

// chineseText returns the Traditional Chinese template text about f.
func chineseText(f *infer.Findings) string {
	var s strings.Builder
	n := len(f.Regions)
	if n == 0 {
		s.WriteString("電腦程式沒有在這張影像上標出任何可能是腫瘤的區域。")
	} else {
		fmt.Fprintf(&s, "電腦程式在這張影像上標出 %d 個可能是腫瘤的區域。", n)
	}
	if n > 1 {
		s.WriteString("區域 1 最大。")
	}
	for _, r := range f.Regions[:min(n, MaxDescribedRegions)] {
		fmt.Fprintf(&s, "區域 %d 位於影像的%s，面積為 %s 個像素", r.ID,
			FormatPosition(r.Position, TraditionalChinese), FormatCount(r.AreaPixels))
		if r.AreaMM2 != nil {
			fmt.Fprintf(&s, "（約 %s）", chineseArea(*r.AreaMM2))
		}
		if r.BrainFraction != nil {
			fmt.Fprintf(&s, "，約占影像中頭部面積的 %s。", FormatPercent(*r.BrainFraction))
		} else {
			fmt.Fprintf(&s, "，約占整張影像的 %s。", FormatPercent(r.AreaFraction))
		}
		fmt.Fprintf(&s, "程式對這個區域的平均把握程度為 %s。",
			FormatConfidence(r.MeanProbability))
	}
	if n > MaxDescribedRegions {
		s.WriteString("其餘區域較小。")
	}
	if n > 1 {
		fmt.Fprintf(&s, "這些區域合計 %s 個像素", FormatCount(f.AreaPixels))
		if f.BrainFraction != nil {
			fmt.Fprintf(&s, "，約占頭部面積的 %s", FormatPercent(*f.BrainFraction))
		}
		s.WriteString("。")
	}
	if f.DroppedRegions > 0 {
		fmt.Fprintf(&s, "程式另外找到 %d 個小於 %s 個像素的微小斑點，已將其略去。",
			f.DroppedRegions, FormatCount(f.MinAreaPixels))
	}
	if n > 0 {
		s.WriteString("這裡的左右是指影像的左右，不一定是您身體的左右。")
	}
	return s.String()
}

// chineseArea returns an area in mm² as FormatArea does, with the units in
// words: 3.1 平方公分, 45 平方毫米.
func chineseArea(mm2 float64) string {
	a := FormatArea(mm2)
	a = strings.Replace(a, " cm²", " 平方公分", 1)
	return strings.Replace(a, " mm²", " 平方毫米", 1)
}
