package report

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"strings"
	"unicode"

	"codeberg.org/go-pdf/fpdf"
)

// Page geometry of the PDF, in millimetres on A4 portrait.
const (
	pageW, margin = 210.0, 15.0
	textW         = pageW - 2*margin
	imageSide     = 85.0 // the largest side of each of the two images
	imageGap      = textW - 2*imageSide
)

// Table column widths, in millimetres; they add up to textW.
var columns = []float64{16, 44, 26, 30, 30, 34}

// family is the name the embedded font is registered under.
const family = "body"

// PDF writes the PDF report of in to w: one A4 page unless the findings
// table or the text is long. It fails when in is incomplete, when no font
// for its language is installed (see FindFont) or when an image cannot be
// embedded.
func PDF(w io.Writer, in *Input) error {
	if err := in.check(); err != nil {
		return err
	}
	c := makeContent(in)
	font, err := FindFont(c.lang)
	if err != nil {
		return err
	}

	p := fpdf.New("P", "mm", "A4", "")
	p.SetMargins(margin, margin, margin)
	p.SetAutoPageBreak(true, 18)
	p.SetCreationDate(in.Date)
	p.SetModificationDate(in.Date)
	p.SetTitle(c.title, true)
	p.SetCreator("tumorseg", true)
	p.AliasNbPages("{nb}")
	tr := func(s string) string { return s }
	fam := family
	if font != nil {
		// TODO(fonts): the CJK packages ship no bold face, so Chinese
		// headings are set in the regular one, only larger.
		p.AddUTF8FontFromBytes(family, "", font.Regular)
		bold := font.Bold
		if bold == nil {
			bold = font.Regular
		}
		p.AddUTF8FontFromBytes(family, "B", bold)
	} else {
		// Without a TrueType font, Helvetica in Windows-1252 covers English.
		fam, tr = "Helvetica", p.UnicodeTranslatorFromDescriptor("")
	}
	p.SetFooterFunc(func() {
		p.SetY(-13)
		p.SetFont(fam, "", 8)
		p.SetTextColor(110, 110, 110)
		p.CellFormat(textW/2, 5, tr(c.l.footer), "", 0, "L", false, 0, "")
		p.CellFormat(textW/2, 5, tr(fmt.Sprintf(c.l.pages, p.PageNo(), "{nb}")), "", 0, "R",
			false, 0, "")
	})
	p.AddPage()

	p.SetFont(fam, "B", 17)
	p.CellFormat(textW, 9, tr(c.title), "", 1, "L", false, 0, "")
	p.SetFont(fam, "", 9)
	p.SetTextColor(70, 70, 70)
	for _, m := range c.meta {
		p.CellFormat(textW, 4.6, tr(m), "", 1, "L", false, 0, "")
	}
	p.SetTextColor(0, 0, 0)
	p.Ln(3)

	if err := pdfImages(p, in, c, fam, tr); err != nil {
		return err
	}

	heading(p, fam, tr(c.l.findings))
	p.SetFont(fam, "B", 9)
	p.SetFillColor(232, 236, 242)
	for i, h := range c.header {
		p.CellFormat(columns[i], 6.5, tr(h), "1", 0, "C", true, 0, "")
	}
	p.Ln(-1)
	p.SetFont(fam, "", 9)
	for r, row := range c.rows {
		total := len(c.rows) > 1 && r == len(c.rows)-1
		if total {
			p.SetFont(fam, "B", 9)
		}
		for i, v := range row {
			align := "R"
			if i == 1 {
				align = "L"
			}
			p.CellFormat(columns[i], 6, tr(v), "1", 0, align, false, 0, "")
		}
		p.Ln(-1)
	}
	p.SetFont(fam, "", 8.5)
	p.SetTextColor(70, 70, 70)
	p.Ln(1.5)
	for _, n := range c.notes {
		paragraph(p, tr, n, 4.3, false, "", "", "")
	}
	p.SetTextColor(0, 0, 0)
	p.Ln(3)

	heading(p, fam, tr(c.l.explanation))
	if c.note != "" {
		p.SetFont(fam, "", 9.5)
		p.SetTextColor(150, 80, 0)
		paragraph(p, tr, c.note, 5, false, "", "", "")
		p.SetTextColor(0, 0, 0)
		p.Ln(1.5)
	}
	p.SetFont(fam, "", 11)
	for _, para := range strings.Split(c.text, "\n\n") {
		paragraph(p, tr, para, 5.8, false, "", "", "")
		p.Ln(1.5)
	}
	p.SetFont(fam, "", 8.5)
	p.SetTextColor(90, 90, 90)
	paragraph(p, tr, c.source, 4.3, false, "", "", "")
	p.SetTextColor(0, 0, 0)
	p.Ln(4)

	p.SetFillColor(255, 243, 205)
	p.SetDrawColor(200, 150, 40)
	p.SetFont(fam, "B", 11)
	p.CellFormat(textW, 6.5, tr(c.l.important), "LTR", 1, "L", true, 0, "")
	p.SetFont(fam, "", 11)
	paragraph(p, tr, c.discl, 5.8, true, "LR", "LR", "LBR")

	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// paragraph writes text in lines of the page's width as wrap breaks them,
// each h high, with the cell border first on the first line, mid on the
// others and last on the last one ("" for none), filled when fill is true.
func paragraph(p *fpdf.Fpdf, tr func(string) string, text string, h float64, fill bool,
	first, mid, last string) {
	width := func(s string) float64 { return p.GetStringWidth(tr(s)) }
	lines := wrap(text, textW-2*p.GetCellMargin(), width)
	for i, line := range lines {
		border := mid
		switch {
		case i == len(lines)-1:
			border = last
		case i == 0:
			border = first
		}
		p.CellFormat(textW, h, tr(line), border, 1, "L", fill, 0, "")
	}
}

// wrap breaks text into lines no wider than w as measured by width. Lines
// break at newlines, at spaces, which are dropped, and between two
// characters where one is Chinese, Japanese or Korean, except before
// closing punctuation or after opening punctuation. A word wider than w
// is broken where it overflows.
func wrap(text string, w float64, width func(string) float64) []string {
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		rs := []rune(para)
		start := 0
		for {
			for start < len(rs) && rs[start] == ' ' {
				start++
			}
			if start >= len(rs) {
				break
			}
			end, cut := start, -1
			for end < len(rs) && width(string(rs[start:end+1])) <= w {
				end++
				if end < len(rs) && breakable(rs[end-1], rs[end]) {
					cut = end
				}
			}
			if end == len(rs) {
				lines = append(lines, string(rs[start:]))
				break
			}
			if cut <= start {
				cut = max(end, start+1)
			}
			lines = append(lines, strings.TrimRight(string(rs[start:cut]), " "))
			start = cut
		}
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}

// Punctuation a line must not start with, or end with.
const (
	closing = "，。、；：！？）」』】%,.;:!?)]"
	opening = "（「『【(["
)

// breakable reports whether a line may break between a and b.
func breakable(a, b rune) bool {
	if a == ' ' || b == ' ' {
		return true
	}
	cjk := func(r rune) bool {
		return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
			unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) ||
			strings.ContainsRune(closing+opening, r) && r > 0x2000
	}
	return (cjk(a) || cjk(b)) && !strings.ContainsRune(closing, b) &&
		!strings.ContainsRune(opening, a)
}

// heading writes a section heading.
func heading(p *fpdf.Fpdf, fam, s string) {
	p.SetFont(fam, "B", 12.5)
	p.CellFormat(textW, 7.5, s, "", 1, "L", false, 0, "")
	p.Ln(0.5)
}

// pdfImages places the scan and the overlay side by side, captioned, each
// fitted in an imageSide square.
func pdfImages(p *fpdf.Fpdf, in *Input, c content, fam string, tr func(string) string) error {
	y, bottom := p.GetY(), 0.0
	for i, im := range []struct {
		name, caption string
		m             image.Image
	}{{"scan", c.l.scan, in.Scan}, {"overlay", c.l.overlay, in.Overlay}} {
		data, err := encodePNG(im.m)
		if err != nil {
			return err
		}
		b := im.m.Bounds()
		w, h := imageSide, imageSide*float64(b.Dy())/float64(b.Dx())
		if h > imageSide {
			w, h = imageSide*float64(b.Dx())/float64(b.Dy()), imageSide
		}
		opt := fpdf.ImageOptions{ImageType: "PNG"}
		p.RegisterImageOptionsReader(im.name, opt, bytes.NewReader(data))
		x := margin + float64(i)*(imageSide+imageGap)
		p.ImageOptions(im.name, x, y, w, h, false, opt, 0, "")
		p.SetXY(x, y+h+1)
		p.SetFont(fam, "", 9)
		p.CellFormat(imageSide, 5, tr(im.caption), "", 0, "L", false, 0, "")
		bottom = max(bottom, y+h+8)
	}
	if err := p.Error(); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	p.SetXY(margin, bottom)
	return nil
}
