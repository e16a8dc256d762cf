package explain

import (
	"math"
	"strconv"
	"strings"

	"tumorseg/internal/infer"
)

// FormatCount returns n in digits with a comma between thousands: 1,234.
func FormatCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// FormatPercent returns the fraction f as a percentage: one decimal from
// 0.05% up (12.3%), two significant digits below (0.042%), 0% for 0.
func FormatPercent(f float64) string {
	return small(100*f, 1) + "%"
}

// FormatConfidence returns a probability as a whole percentage: 87%.
func FormatConfidence(p float64) string {
	return strconv.FormatFloat(math.Round(100*p), 'f', 0, 64) + "%"
}

// FormatArea returns an area given in mm²: in cm² with one decimal from
// 100 mm² up (3.1 cm²), in whole mm² from 10 mm² (45 mm²), with one decimal
// from 0.05 mm² (4.5 mm²) and two significant digits below.
func FormatArea(mm2 float64) string {
	switch {
	case mm2 >= 100:
		return strconv.FormatFloat(mm2/100, 'f', 1, 64) + " cm²"
	case mm2 >= 10:
		return strconv.FormatFloat(mm2, 'f', 0, 64) + " mm²"
	}
	return small(mm2, 1) + " mm²"
}

// small returns v with the given decimals when that shows a nonzero digit,
// else with two significant digits and no trailing zeros, never in
// exponent form; 0 is "0".
func small(v float64, decimals int) string {
	if v == 0 {
		return "0"
	}
	if math.Abs(v) >= 0.5*math.Pow10(-decimals) {
		return strconv.FormatFloat(v, 'f', decimals, 64)
	}
	d := 1 - int(math.Floor(math.Log10(math.Abs(v))))
	s := strconv.FormatFloat(v, 'f', d, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// FormatPosition returns where p lies on the image, in lang: "upper left",
// "left", "upper", "middle"; 左上方, 左側, 上方, 正中央.
func FormatPosition(p infer.Position, lang Lang) string {
	v, h := p.Vertical, p.Horizontal
	if lang == TraditionalChinese {
		zh := map[string]string{infer.Upper: "上", infer.Lower: "下", infer.Left: "左",
			infer.Right: "右"}
		switch {
		case v == infer.Middle && h == infer.Middle:
			return "正中央"
		case v == infer.Middle:
			return zh[h] + "側"
		case h == infer.Middle:
			return zh[v] + "方"
		}
		return zh[h] + zh[v] + "方"
	}
	switch {
	case v == infer.Middle && h == infer.Middle:
		return infer.Middle
	case v == infer.Middle:
		return h
	case h == infer.Middle:
		return v
	}
	return v + " " + h
}
