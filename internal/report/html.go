package report

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"io"
	"strings"
)

// page is what htmlPage fills in.
type page struct {
	Lang              string
	Title             string
	Meta              []string
	Scan, Overlay     template.URL
	ScanAlt, OverAlt  string
	Findings, Explain string
	Header            []string
	Rows              []row
	Notes             []string
	Note              string
	Paragraphs        []string
	Source            string
	Important         string
	Disclaimer        string
	Footer            string
}

// htmlPage is the report page. Its style sits inline and names only fonts
// a reader's system may have; it loads nothing from elsewhere.
var htmlPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: "Noto Sans CJK TC", "PingFang TC", "Microsoft JhengHei",
  "WenQuanYi Zen Hei", "DejaVu Sans", Arial, sans-serif; color: #1d1d1d;
  max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.55; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.2rem; margin-top: 1.8rem; }
.meta { color: #555; font-size: .9rem; margin: 0; }
.images { display: flex; gap: 1rem; flex-wrap: wrap; margin-top: 1.2rem; }
figure { margin: 0; flex: 1 1 18rem; }
figure img { width: 100%; height: auto; image-rendering: pixelated; border: 1px solid #ccc; }
figcaption { font-size: .9rem; color: #444; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { border: 1px solid #bbb; padding: .3rem .5rem; text-align: right; }
th { background: #e8ecf2; text-align: center; }
td:nth-child(2) { text-align: left; }
tr.total td { font-weight: bold; }
.small { color: #555; font-size: .85rem; margin: .3rem 0; }
.note { color: #8a4b00; }
.explanation { font-size: 1.1rem; }
.disclaimer { background: #fff3cd; border: 1px solid #c89628; padding: .8rem 1rem;
  margin-top: 1.5rem; font-size: 1.05rem; }
footer { color: #777; font-size: .8rem; margin-top: 2rem; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Meta}}<p class="meta">{{.}}</p>
{{end}}<div class="images">
<figure><img src="{{.Scan}}" alt="{{.ScanAlt}}"><figcaption>{{.ScanAlt}}</figcaption></figure>
<figure><img src="{{.Overlay}}" alt="{{.OverAlt}}"><figcaption>{{.OverAlt}}</figcaption></figure>
</div>
<h2>{{.Findings}}</h2>
{{if .Rows}}<table>
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr{{if .Total}} class="total"{{end}}>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{end}}{{range .Notes}}<p class="small">{{.}}</p>
{{end}}<h2>{{.Explain}}</h2>
{{if .Note}}<p class="note">{{.Note}}</p>
{{end}}{{range .Paragraphs}}<p class="explanation">{{.}}</p>
{{end}}<p class="small">{{.Source}}</p>
<div class="disclaimer"><strong>{{.Important}}</strong><br>{{.Disclaimer}}</div>
<footer>{{.Footer}}</footer>
</body>
</html>
`))

// row is one row of the findings table.
type row struct {
	Cells []string
	Total bool
}

// HTML writes the HTML report of in to w: one page with its images as PNG
// data URIs and its style inline.
func HTML(w io.Writer, in *Input) error {
	if err := in.check(); err != nil {
		return err
	}
	c := makeContent(in)
	scan, err := dataURI(in.Scan)
	if err != nil {
		return err
	}
	overlay, err := dataURI(in.Overlay)
	if err != nil {
		return err
	}
	pg := page{Lang: string(c.lang), Title: c.title, Meta: c.meta, Scan: scan,
		Overlay: overlay, ScanAlt: c.l.scan, OverAlt: c.l.overlay, Findings: c.l.findings,
		Explain: c.l.explanation, Notes: c.notes, Note: c.note,
		Paragraphs: strings.Split(c.text, "\n\n"), Source: c.source, Important: c.l.important,
		Disclaimer: c.discl, Footer: c.l.footer}
	for i, cells := range c.rows {
		pg.Rows = append(pg.Rows, row{Cells: cells, Total: len(c.rows) > 1 && i == len(c.rows)-1})
	}
	if len(c.rows) > 0 {
		pg.Header = c.header
	}
	if err := htmlPage.Execute(w, pg); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

// dataURI returns m as a PNG data URI.
func dataURI(m image.Image) (template.URL, error) {
	data, err := encodePNG(m)
	if err != nil {
		return "", err
	}
	// The URI is built here from PNG bytes, so it is safe as an image source.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(data)), nil
}
