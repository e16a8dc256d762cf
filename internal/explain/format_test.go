package explain

import (
	"testing"

	"tumorseg/internal/infer"
)

func TestFormatCount(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {1236, "1,236"},
		{262144, "262,144"}, {1234567, "1,234,567"}, {-1500, "-1,500"},
	} {
		if got := FormatCount(tt.n); got != tt.want {
			t.Errorf("FormatCount(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestFormatPercentAndConfidence(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		want string
	}{
		{0, "0%"}, {0.02472, "2.5%"}, {0.5, "50.0%"}, {1, "100.0%"}, {0.00304, "0.3%"},
		// Below 0.05%, two significant digits: 0.042% and 0.0061%.
		{0.00042, "0.042%"}, {0.000061, "0.0061%"}, {0.0007, "0.1%"},
	} {
		if got := FormatPercent(tt.f); got != tt.want {
			t.Errorf("FormatPercent(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
	for _, tt := range []struct {
		p    float64
		want string
	}{{0.8734, "87%"}, {0.6612, "66%"}, {1, "100%"}, {0.004, "0%"}} {
		if got := FormatConfidence(tt.p); got != tt.want {
			t.Errorf("FormatConfidence(%v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestFormatArea(t *testing.T) {
	for _, tt := range []struct {
		mm2  float64
		want string
	}{
		{309, "3.1 cm²"}, {100, "1.0 cm²"}, {99.4, "99 mm²"}, {38, "38 mm²"},
		{4.52, "4.5 mm²"}, {0.26, "0.3 mm²"}, {0.012, "0.012 mm²"},
	} {
		if got := FormatArea(tt.mm2); got != tt.want {
			t.Errorf("FormatArea(%v) = %q, want %q", tt.mm2, got, tt.want)
		}
	}
}

func TestFormatPosition(t *testing.T) {
	for _, tt := range []struct {
		v, h   string
		en, zh string
	}{
		{infer.Upper, infer.Left, "upper left", "左上方"},
		{infer.Lower, infer.Right, "lower right", "右下方"},
		{infer.Upper, infer.Middle, "upper", "上方"},
		{infer.Middle, infer.Left, "left", "左側"},
		{infer.Middle, infer.Middle, "middle", "正中央"},
	} {
		p := infer.Position{Vertical: tt.v, Horizontal: tt.h}
		en, zh := FormatPosition(p, English), FormatPosition(p, TraditionalChinese)
		if en != tt.en || zh != tt.zh {
			t.Errorf("%+v: %q, %q; want %q, %q", p, en, zh, tt.en, tt.zh)
		}
	}
}

func TestParseLang(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want Lang
		ok   bool
	}{
		{"en", English, true}, {"EN", English, true}, {"zh-TW", TraditionalChinese, true},
		{"zh_tw", TraditionalChinese, true}, {"zh-CN", "", false}, {"", "", false},
	} {
		got, err := ParseLang(tt.s)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseLang(%q) = %q, %v; want %q, ok %v", tt.s, got, err, tt.want, tt.ok)
		}
	}
}
