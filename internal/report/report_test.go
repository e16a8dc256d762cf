package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"html"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"

	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
)

func ptr(v float64) *float64 { return &v }

// findings returns two regions on a 64x64 scan with a 2,000-pixel head
// and pixels of 0.5 mm: 40 px (10 mm², 2% of the head) upper left at
// mean 0.9, 12 px (3 mm², 0.6%) lower right at 0.75, and one speck left
// out.
func findings() *infer.Findings {
	return &infer.Findings{Schema: infer.FindingsSchema, Image: "scan-17.png", Width: 64,
		Height: 64, PixelSpacingMM: ptr(0.5), Threshold: 0.5, MinAreaPixels: 2,
		Model: "unet", ModelValDice: ptr(0.8125), BrainAreaPixels: 2000, TumorFound: true,
		RegionCount: 2,
		Regions: []infer.Region{
			{ID: 1, AreaPixels: 40, AreaFraction: 40.0 / 4096, BrainFraction: ptr(0.02),
				AreaMM2: ptr(10), BBox: infer.Box{X: 10, Y: 10, W: 8, H: 5},
				Position:        infer.Position{Vertical: infer.Upper, Horizontal: infer.Left},
				MeanProbability: 0.9},
			{ID: 2, AreaPixels: 12, AreaFraction: 12.0 / 4096, BrainFraction: ptr(0.006),
				AreaMM2: ptr(3), BBox: infer.Box{X: 40, Y: 44, W: 4, H: 3},
				Position:        infer.Position{Vertical: infer.Lower, Horizontal: infer.Right},
				MeanProbability: 0.75},
		},
		DroppedRegions: 1, DroppedAreaPixels: 1, AreaPixels: 52, AreaFraction: 52.0 / 4096,
		BrainFraction: ptr(0.026), AreaMM2: ptr(13), BBox: &infer.Box{X: 10, Y: 10, W: 34, H: 37},
		MeanProbability: (40*0.9 + 12*0.75) / 52, PositionNote: infer.PositionNote}
}

// input returns a report input on findings() with the offline explanation
// in lang, a gray ramp for the scan and a red square on it for the overlay.
func input(t *testing.T, lang explain.Lang) *Input {
	t.Helper()
	f := findings()
	e, err := explain.Offline{Lang: lang}.Explain(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	scan := image.NewGray(image.Rect(0, 0, 64, 64))
	over := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			g := uint8(4 * x)
			scan.SetGray(x, y, color.Gray{g})
			c := color.NRGBA{g, g, g, 255}
			if x >= 10 && x < 18 && y >= 10 && y < 15 {
				c = color.NRGBA{255, 0, 0, 255}
			}
			over.SetNRGBA(x, y, c)
		}
	}
	return &Input{Findings: f, Explanation: e, Scan: scan, Overlay: over,
		Date: time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)}
}

// pdfText reads the PDF at path back and returns its number of pages and
// the text of each. Text in an embedded TrueType font is UTF-16BE in the
// content stream, text in a built-in font one byte a character.
func pdfText(t *testing.T, path string) []string {
	t.Helper()
	f, r, err := pdf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	var pages []string
	for n := 1; n <= r.NumPage(); n++ {
		p := r.Page(n)
		fonts := p.Resources().Key("Font")
		var b strings.Builder
		wide := false
		show := func(v pdf.Value) {
			s := v.RawString()
			if !wide {
				for i := range len(s) {
					b.WriteRune(rune(s[i])) // Latin-1, as Windows-1252 for these tests
				}
				return
			}
			u := make([]uint16, len(s)/2)
			for i := range u {
				u[i] = binary.BigEndian.Uint16([]byte(s[2*i:]))
			}
			b.WriteString(string(utf16.Decode(u)))
		}
		pdf.Interpret(p.V.Key("Contents"), func(stk *pdf.Stack, op string) {
			switch op {
			case "Tf":
				stk.Pop()
				wide = fonts.Key(stk.Pop().Name()).Key("Subtype").Name() == "Type0"
			case "Tj":
				show(stk.Pop())
				b.WriteByte('\n')
			case "TJ":
				a := stk.Pop()
				for i := range a.Len() {
					if a.Index(i).Kind() == pdf.String {
						show(a.Index(i))
					}
				}
				b.WriteByte('\n')
			default:
				for stk.Len() > 0 {
					stk.Pop()
				}
			}
		})
		pages = append(pages, b.String())
	}
	return pages
}

// squash returns s without white space, so that text wrapped across lines
// still matches.
func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func TestPDFEnglish(t *testing.T) {
	in := input(t, explain.English)
	path := filepath.Join(t.TempDir(), "scan-17_report.pdf")
	if err := WritePDF(path, in); err != nil {
		t.Fatal(err)
	}
	pages := pdfText(t, path)
	if len(pages) != 1 {
		t.Fatalf("%d pages, want 1", len(pages))
	}
	text := squash(pages[0])
	for _, want := range []string{
		"Brain scan measurements", "Date: 2025-03-04", "Image: scan-17.png",
		"Model: unet (validation Dice 0.812)", "Probability threshold: 0.5",
		"Pixel size: 0.5 mm",
		"Area", "Position on the image", "Share of head", "Mean probability",
		"upper left", "2.0%", "10 mm²", "90%", "lower right", "0.6%", "3.0 mm²", "75%",
		"All", "52", "2.6%", "13 mm²", "87%",
		"1 smaller spot (under 2 pixels) was left out.", infer.PositionNote,
		"What the measurements say", in.Explanation.Text,
		"Written by tumorseg from the measurements.",
		"Important", explain.Disclaimer(explain.English), "Page 1 of 1",
	} {
		if !strings.Contains(text, squash(want)) {
			t.Errorf("PDF text lacks %q:\n%s", want, pages[0])
		}
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("%d files beside the report, want it alone", len(entries))
	}
}

func TestPDFChinese(t *testing.T) {
	if _, err := FindFont(explain.TraditionalChinese); err != nil {
		t.Skipf("no CJK font installed: %v", err)
	}
	in := input(t, explain.TraditionalChinese)
	in.Explanation.Note = "以下說明由 tumorseg 依測量結果撰寫。"
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := WritePDF(path, in); err != nil {
		t.Fatal(err)
	}
	pages := pdfText(t, path)
	if len(pages) != 1 {
		t.Fatalf("%d pages, want 1", len(pages))
	}
	text := squash(pages[0])
	for _, want := range []string{
		"腦部影像測量結果", "日期: 2025-03-04", "模型: unet (驗證集 Dice 0.812)",
		"在影像上的位置", "左上方", "右下方", "合計", "另有 1 個小於 2 像素的斑點未列入。",
		"測量結果說明", in.Explanation.Note, in.Explanation.Text,
		explain.Disclaimer(explain.TraditionalChinese), "第 1 頁，共 1 頁",
	} {
		if !strings.Contains(text, squash(want)) {
			t.Errorf("PDF text lacks %q:\n%s", want, pages[0])
		}
	}
}

func TestPDFWithoutCJKFontNamesThePackage(t *testing.T) {
	saved := cjkFonts
	defer func() { cjkFonts = saved }()
	cjkFonts = []fontFile{{path: filepath.Join(t.TempDir(), "none.ttc"), pkg: "x"}}
	err := PDF(&bytes.Buffer{}, input(t, explain.TraditionalChinese))
	if err == nil || !strings.Contains(err.Error(), "apt-get install fonts-wqy-zenhei") ||
		!strings.Contains(err.Error(), "none.ttc") {
		t.Errorf("error %v, want one naming the package and the paths tried", err)
	}
}

func TestPDFBuiltInFontWithoutLatinFonts(t *testing.T) {
	saved := latinFonts
	defer func() { latinFonts = saved }()
	latinFonts = nil
	path := filepath.Join(t.TempDir(), "r.pdf")
	if err := WritePDF(path, input(t, explain.English)); err != nil {
		t.Fatal(err)
	}
	text := squash(pdfText(t, path)[0])
	for _, want := range []string{"Brain scan measurements", "10 mm²",
		explain.Disclaimer(explain.English)} {
		if !strings.Contains(text, squash(want)) {
			t.Errorf("PDF in Helvetica lacks %q", want)
		}
	}
}

func TestHTMLSelfContained(t *testing.T) {
	in := input(t, explain.TraditionalChinese)
	in.Explanation.Text = "第一段 <b>粗</b>\n\n第二段"
	path := filepath.Join(t.TempDir(), "r.html")
	if err := WriteHTML(path, in); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	// Entities such as &#43; in attributes stand for their characters.
	unescaped := html.UnescapeString(page)
	for _, want := range []string{`<html lang="zh-TW">`, "<title>腦部影像測量結果</title>",
		"日期: 2025-03-04", "模型: unet (驗證集 Dice 0.812)", "<th>在影像上的位置</th>",
		"<td>左上方</td>", `<tr class="total"><td>合計</td>`,
		`<p class="explanation">第一段 &lt;b&gt;粗&lt;/b&gt;</p>`,
		`<p class="explanation">第二段</p>`, explain.Disclaimer(explain.TraditionalChinese)} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, outside := range []string{"http://", "https://", "<script", "<link", "@import",
		"url("} {
		if strings.Contains(page, outside) {
			t.Errorf("page holds %q: it must load nothing from elsewhere", outside)
		}
	}

	uris := regexp.MustCompile(`src="data:image/png;base64,([A-Za-z0-9+/=]+)"`).
		FindAllStringSubmatch(unescaped, -1)
	if len(uris) != 2 {
		t.Fatalf("%d embedded images, want the scan and the overlay", len(uris))
	}
	for i, u := range uris {
		data, err := base64.StdEncoding.DecodeString(u[1])
		if err != nil {
			t.Fatal(err)
		}
		m, err := png.Decode(bytes.NewReader(data))
		if err != nil || m.Bounds().Dx() != 64 {
			t.Errorf("image %d: %v, %v; want a 64-wide PNG", i, err, m)
		}
	}
	red := color.NRGBAModel.Convert(mustDecode(t, uris[1][1]).At(12, 12)).(color.NRGBA)
	if red != (color.NRGBA{255, 0, 0, 255}) {
		t.Errorf("overlay pixel (12,12) = %v, want red", red)
	}
}

func mustDecode(t *testing.T, b64 string) image.Image {
	t.Helper()
	data, _ := base64.StdEncoding.DecodeString(b64)
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestHTMLWithoutRegions(t *testing.T) {
	in := input(t, explain.English)
	in.Findings = &infer.Findings{Schema: infer.FindingsSchema, Width: 64, Height: 64,
		Threshold: 0.5, Regions: []infer.Region{}, PositionNote: infer.PositionNote}
	var buf bytes.Buffer
	if err := HTML(&buf, in); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "<table>") || !strings.Contains(page, "No area was marked.") ||
		strings.Contains(page, "Image: ") || !strings.Contains(page, "Model: not named") {
		t.Errorf("page without regions:\n%s", page)
	}
}

func TestReportInputErrors(t *testing.T) {
	bad := input(t, explain.English)
	bad.Findings.RegionCount = 5
	for _, tt := range []struct {
		name string
		in   *Input
		want string
	}{
		{"nil", nil, "report: no findings"},
		{"no explanation", &Input{Findings: findings()}, "report: no explanation"},
		{"no images", &Input{Findings: findings(), Explanation: &explain.Explanation{}},
			"the scan and the overlay are both needed"},
		{"invalid findings", bad, "report: findings: region_count 5"},
	} {
		for name, write := range map[string]func(*Input) error{
			"pdf":  func(in *Input) error { return PDF(&bytes.Buffer{}, in) },
			"html": func(in *Input) error { return HTML(&bytes.Buffer{}, in) },
		} {
			if err := write(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s, %s: error %v, want %q", tt.name, name, err, tt.want)
			}
		}
	}
}

func TestLoadImage(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, m image.Image) string {
		var buf bytes.Buffer
		png.Encode(&buf, m)
		p := filepath.Join(dir, name)
		os.WriteFile(p, buf.Bytes(), 0o644)
		return p
	}
	ok := write("ok.png", image.NewNRGBA(image.Rect(0, 0, 3, 2)))
	if m, err := LoadImage(ok); err != nil || m.Bounds().Dx() != 3 || m.Bounds().Dy() != 2 {
		t.Errorf("LoadImage(%s) = %v, %v", ok, m, err)
	}
	wide := write("wide.png", image.NewGray(image.Rect(0, 0, 16385, 1)))
	junk := filepath.Join(dir, "junk.png")
	os.WriteFile(junk, []byte("not an image"), 0o644)
	for path, want := range map[string]string{
		wide:                         "image is 16385x1, outside [1, 16384]",
		junk:                         "junk.png: image: unknown format",
		filepath.Join(dir, "no.png"): "no.png",
	} {
		if _, err := LoadImage(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadImage(%s): error %v, want %q", path, err, want)
		}
	}
}

func TestWrap(t *testing.T) {
	// Every rune is one unit wide.
	width := func(s string) float64 { return float64(len([]rune(s))) }
	tests := []struct {
		text string
		w    float64
		want []string
	}{
		{"ab cd ef", 5, []string{"ab cd", "ef"}},
		{"ab  cd", 3, []string{"ab", "cd"}},
		{"abcdefgh", 3, []string{"abc", "def", "gh"}},
		// No line starts with 。 so 五 moves down with it; nothing is lost.
		{"一二三四五。六", 5, []string{"一二三四", "五。六"}},
		{"區域 1 位於左上方", 6, []string{"區域 1 位", "於左上方"}},
		{"one\ntwo", 10, []string{"one", "two"}},
		{"", 10, []string{""}},
	}
	for _, tt := range tests {
		if got := wrap(tt.text, tt.w, width); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("wrap(%q, %v) = %q, want %q", tt.text, tt.w, got, tt.want)
		}
	}
}
