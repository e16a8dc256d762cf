// Package report writes the report of one scan for the patient and the
// treating doctor, as a PDF and as a self-contained HTML page: the scan and
// its overlay, the findings table, the explanation, the disclaimer, the
// model with its validation Dice, and the date.
//
// The PDF embeds a TrueType font found where Debian packages install them
// (FindFont); Chinese text needs one with CJK glyphs. The HTML page carries
// its images as data URIs and its style inline, and loads nothing from
// elsewhere. Files are written atomically.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // scans may be JPEG
	"image/png"
	"io"
	"os"
	"strconv"
	"time"

	_ "golang.org/x/image/tiff" // scans may be TIFF

	"tumorseg/internal/atomicio"
	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
	"tumorseg/internal/preprocess"
)

// Input is what a report shows.
type Input struct {
	// Findings are the measurements.
	Findings *infer.Findings
	// Explanation explains them; its language is the report's.
	Explanation *explain.Explanation
	// Scan is the scan; Overlay the scan with the prediction drawn on it.
	Scan, Overlay image.Image
	// Date is the day the report is made.
	Date time.Time
}

// check returns an error unless in holds everything a report needs.
func (in *Input) check() error {
	switch {
	case in == nil || in.Findings == nil:
		return errors.New("report: no findings")
	case in.Explanation == nil:
		return errors.New("report: no explanation")
	case in.Scan == nil || in.Overlay == nil:
		return errors.New("report: the scan and the overlay are both needed")
	}
	if err := in.Findings.Validate(); err != nil {
		return fmt.Errorf("report: findings: %w", err)
	}
	// A scan or overlay of another size belongs to another image.
	w, h := in.Findings.Width, in.Findings.Height
	for _, m := range []struct {
		what string
		img  image.Image
	}{{"scan", in.Scan}, {"overlay", in.Overlay}} {
		if b := m.img.Bounds(); b.Dx() != w || b.Dy() != h {
			return fmt.Errorf("report: the %s is %dx%d but the findings are of a %dx%d image",
				m.what, b.Dx(), b.Dy(), w, h)
		}
	}
	return nil
}

// WritePDF writes the PDF report of in to path atomically.
func WritePDF(path string, in *Input) error {
	var buf bytes.Buffer
	if err := PDF(&buf, in); err != nil {
		return err
	}
	return atomicio.WriteBytes(path, buf.Bytes())
}

// WriteHTML writes the HTML report of in to path atomically.
func WriteHTML(path string, in *Input) error {
	var buf bytes.Buffer
	if err := HTML(&buf, in); err != nil {
		return err
	}
	return atomicio.WriteBytes(path, buf.Bytes())
}

// LoadImage reads the PNG, JPEG or TIFF image at path in its own colours,
// refusing one wider or taller than preprocess.MaxSide before decoding it.
func LoadImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > preprocess.MaxSide ||
		cfg.Height > preprocess.MaxSide {
		return nil, fmt.Errorf("report: %s: image is %dx%d, outside [1, %d]", path,
			cfg.Width, cfg.Height, preprocess.MaxSide)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	m, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	return m, nil
}

// encodePNG returns m as PNG bytes.
func encodePNG(m image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return buf.Bytes(), nil
}

// labels are the fixed words of a report in one language.
type labels struct {
	title, date, image, model, dice, unknownModel, threshold, spacing, unknown  string
	scan, overlay, findings, region, position, pixels, share, size, probability string
	total, none, explanation, byTemplate, byModel, important, footer, pages     string
	dropped1, dropped, positionNote                                             string
}

// words holds the labels of each language a report is written in.
var words = map[explain.Lang]labels{
	explain.English: {
		title: "Brain scan measurements", date: "Date", image: "Image", model: "Model",
		dice: "validation Dice", unknownModel: "not named", threshold: "Probability threshold",
		spacing: "Pixel size", unknown: "unknown",
		scan: "Scan", overlay: "Marked areas (red)", findings: "Findings", region: "Area",
		position: "Position on the image", pixels: "Pixels", share: "Share of head",
		size: "Size", probability: "Mean probability", total: "All",
		none:        "No area was marked.",
		explanation: "What the measurements say",
		byTemplate:  "Written by tumorseg from the measurements.",
		byModel:     "Written by the language model %s and checked by tumorseg.",
		important:   "Important", footer: "tumorseg · for research, not a diagnostic device",
		pages:        "Page %d of %s",
		dropped1:     "%d smaller spot (under %d pixels) was left out.",
		dropped:      "%d smaller spots (under %d pixels) were left out.",
		positionNote: infer.PositionNote,
	},
	explain.TraditionalChinese: {
		title: "腦部影像測量結果", date: "日期", image: "影像", model: "模型",
		dice: "驗證集 Dice", unknownModel: "未命名", threshold: "機率門檻",
		spacing: "像素大小", unknown: "未知",
		scan: "原始影像", overlay: "標出的區域（紅色）", findings: "測量結果", region: "區域",
		position: "在影像上的位置", pixels: "像素", share: "占頭部比例", size: "面積",
		probability: "平均機率", total: "合計", none: "沒有標出任何區域。",
		explanation: "測量結果說明",
		byTemplate:  "由 tumorseg 依測量結果撰寫。",
		byModel:     "由語言模型 %s 撰寫，並經 tumorseg 檢查。",
		important:   "重要", footer: "tumorseg · 僅供研究使用，並非診斷工具",
		pages:    "第 %d 頁，共 %s 頁",
		dropped1: "另有 %d 個小於 %d 像素的斑點未列入。",
		dropped:  "另有 %d 個小於 %d 像素的斑點未列入。",
		positionNote: "左、右、上、下是指影像上的位置，以影像的中線為準；" +
			"影像的左側不一定是病人的左側。",
	},
}

// content is a report's text, laid out by PDF and HTML alike.
type content struct {
	lang                      explain.Lang
	l                         labels
	title                     string
	meta                      []string // "Date: 2025-01-02" and the like
	header                    []string
	rows                      [][]string // one per region, then the total
	notes                     []string   // under the table
	note, text, source, discl string
}

// makeContent returns the text of the report of in.
func makeContent(in *Input) content {
	f, e := in.Findings, in.Explanation
	lang := e.Lang
	l, ok := words[lang]
	if !ok {
		lang, l = explain.English, words[explain.English]
	}
	c := content{lang: lang, l: l, title: l.title, note: e.Note, text: e.Text,
		discl: explain.Disclaimer(lang)}

	model := l.unknownModel
	if f.Model != "" {
		model = f.Model
	}
	if f.ModelValDice != nil {
		model += fmt.Sprintf(" (%s %.3f)", l.dice, *f.ModelValDice)
	}
	spacing := l.unknown
	if f.PixelSpacingMM != nil {
		spacing = strconv.FormatFloat(*f.PixelSpacingMM, 'f', -1, 64) + " mm"
	}
	c.meta = []string{
		l.date + ": " + in.Date.Format("2006-01-02"),
		l.image + ": " + f.Image,
		l.model + ": " + model,
		l.threshold + ": " + strconv.FormatFloat(f.Threshold, 'f', -1, 64) + "  ·  " +
			l.spacing + ": " + spacing,
	}
	if f.Image == "" {
		c.meta = append(c.meta[:1], c.meta[2:]...)
	}

	c.header = []string{l.region, l.position, l.pixels, l.share, l.size, l.probability}
	for _, r := range f.Regions {
		c.rows = append(c.rows, []string{strconv.Itoa(r.ID),
			explain.FormatPosition(r.Position, lang), explain.FormatCount(r.AreaPixels),
			percent(r.BrainFraction, l), area(r.AreaMM2, l),
			explain.FormatConfidence(r.MeanProbability)})
	}
	if len(f.Regions) > 1 {
		c.rows = append(c.rows, []string{l.total, "", explain.FormatCount(f.AreaPixels),
			percent(f.BrainFraction, l), area(f.AreaMM2, l),
			explain.FormatConfidence(f.MeanProbability)})
	}
	if len(f.Regions) == 0 {
		c.notes = append(c.notes, l.none)
	}
	switch f.DroppedRegions {
	case 0:
	case 1:
		c.notes = append(c.notes, fmt.Sprintf(l.dropped1, 1, f.MinAreaPixels))
	default:
		c.notes = append(c.notes, fmt.Sprintf(l.dropped, f.DroppedRegions, f.MinAreaPixels))
	}
	c.notes = append(c.notes, l.positionNote)

	c.source = l.byTemplate
	if e.Source == explain.SourceLLM {
		c.source = fmt.Sprintf(l.byModel, e.LLMModel)
	}
	return c
}

// percent returns a share for the table, l.unknown for nil.
func percent(p *float64, l labels) string {
	if p == nil {
		return l.unknown
	}
	return explain.FormatPercent(*p)
}

// area returns an area in mm² for the table, l.unknown for nil.
func area(p *float64, l labels) string {
	if p == nil {
		return l.unknown
	}
	return explain.FormatArea(*p)
}
