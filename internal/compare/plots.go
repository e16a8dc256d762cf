package compare

import (
	"fmt"
	"image/color"
	"io"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"tumorseg/internal/atomicio"
)

// figureDPI is the resolution every plot is drawn at.
const figureDPI = 96

// savePNG lays plots out in their rows and columns on a w×h canvas, with
// the data areas of each row and column aligned, and writes it to path.
func savePNG(path string, plots [][]*plot.Plot, w, h vg.Length) error {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(figureDPI))
	pad := 4 * vg.Millimeter
	tiles := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: pad, PadY: pad,
		PadTop: pad / 2, PadBottom: pad / 2, PadLeft: pad / 2, PadRight: pad / 2}
	canvases := plot.Align(plots, tiles, draw.New(c))
	for j, row := range plots {
		for i, p := range row {
			p.Draw(canvases[j][i])
		}
	}
	return atomicio.WriteFile(path, func(w io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
		return err
	})
}

// newPlot returns a plot with a title and axis labels.
func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	return p
}

// colour returns the colour that stands for the i-th network in every plot.
func colour(i int) color.Color { return plotutil.Color(i) }

// plotCurves draws, per network, the training and validation soft Dice
// loss (left) and the validation Dice (right) by epoch, with a large dot on
// the best epoch.
func plotCurves(path string, entries []*entry) error {
	loss := newPlot("Dice loss by epoch", "epoch", "soft Dice loss")
	dice := newPlot("Validation Dice by epoch", "epoch", "Dice (mean per image)")
	last := 1
	for i, e := range entries {
		h := e.result.History
		train, val, vdice := make(plotter.XYs, len(h)), make(plotter.XYs, len(h)),
			make(plotter.XYs, len(h))
		for k, ep := range h {
			x := float64(ep.Epoch)
			train[k] = plotter.XY{X: x, Y: ep.TrainLoss}
			val[k] = plotter.XY{X: x, Y: ep.ValLoss}
			vdice[k] = plotter.XY{X: x, Y: ep.ValDice}
			last = max(last, ep.Epoch)
		}
		if err := addLine(loss, train, colour(i), false, e.name+" training"); err != nil {
			return err
		}
		if err := addLine(loss, val, colour(i), true, e.name+" validation"); err != nil {
			return err
		}
		if err := addLine(dice, vdice, colour(i), false, e.name); err != nil {
			return err
		}
		if b := e.result.BestEpoch; b >= 1 && b <= len(h) {
			best, err := plotter.NewScatter(plotter.XYs{{X: float64(b), Y: h[b-1].ValDice}})
			if err != nil {
				return err
			}
			best.GlyphStyle = draw.GlyphStyle{Color: colour(i), Radius: vg.Points(6),
				Shape: draw.CircleGlyph{}}
			dice.Add(best)
		}
	}
	for _, p := range []*plot.Plot{loss, dice} {
		p.X.Min, p.X.Max = 0.5, float64(last)+0.5
		p.X.Tick.Marker = epochTicks(last)
		p.Y.Min, p.Y.Max = 0, 1
		p.Add(plotter.NewGrid())
	}
	// Losses fall from the top left and Dice rises from the bottom left,
	// so those corners stay clear for the legends.
	loss.Legend.Left = true
	dice.Legend.Top, dice.Legend.Left = true, true
	loss.Legend.XOffs, dice.Legend.XOffs = 3*vg.Millimeter, 3*vg.Millimeter
	loss.Legend.YOffs, dice.Legend.YOffs = 2*vg.Millimeter, -2*vg.Millimeter
	dice.Legend.Add("best epoch", bestMark())
	return savePNG(path, [][]*plot.Plot{{loss, dice}}, 12*vg.Inch, 5*vg.Inch)
}

// bestMark is the legend icon of the dot on each best epoch.
func bestMark() plot.Thumbnailer {
	s, _ := plotter.NewScatter(plotter.XYs{{}})
	s.GlyphStyle = draw.GlyphStyle{Color: color.Gray{Y: 90}, Radius: vg.Points(6),
		Shape: draw.CircleGlyph{}}
	return s
}

// addLine adds a line with a point at every epoch to p and to its legend.
func addLine(p *plot.Plot, xys plotter.XYs, c color.Color, dashed bool, label string) error {
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	l.Color, l.Width = c, vg.Points(1.5)
	pts.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
	if dashed {
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		pts.GlyphStyle.Shape = draw.BoxGlyph{}
	}
	p.Add(l, pts)
	p.Legend.Add(label, l, pts)
	return nil
}

// epochTicks marks whole epochs from 1 to last, at most about ten of them.
func epochTicks(last int) plot.Ticker {
	step := max(1, (last+9)/10)
	return plot.TickerFunc(func(_, _ float64) []plot.Tick {
		var ts []plot.Tick
		for e := 1; e <= last; e += step {
			ts = append(ts, plot.Tick{Value: float64(e), Label: strconv.Itoa(e)})
		}
		return ts
	})
}

// plotDistribution draws a box plot of the per-image Dice of each network
// with every image as a point beside it.
func plotDistribution(path string, entries []*entry, split string) error {
	p := newPlot(fmt.Sprintf("Dice per image on the %s split", split), "", "Dice")
	var names []string
	for i, e := range entries {
		v := make(plotter.Values, len(e.scores.PerImage))
		pts := make(plotter.XYs, len(v))
		for k, im := range e.scores.PerImage {
			v[k] = im.Dice
			// Points spread over a band beside the box, in a fixed order.
			pts[k] = plotter.XY{X: float64(i) + 0.3 + 0.15*jitter(k), Y: im.Dice}
		}
		box, err := plotter.NewBoxPlot(vg.Points(40), float64(i), v)
		if err != nil {
			return err
		}
		box.FillColor = tint(colour(i))
		s, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		s.GlyphStyle = draw.GlyphStyle{Color: colour(i), Radius: vg.Points(2.5),
			Shape: draw.CircleGlyph{}}
		p.Add(box, s)
		names = append(names, fmt.Sprintf("%s\nmean %.3f", e.name, e.scores.DiceMean))
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(entries))-0.2
	p.Y.Min, p.Y.Max = 0, 1.02
	p.Add(plotter.NewGrid())
	w := vg.Length(max(6, 2.2*float64(len(entries)))) * vg.Inch
	return savePNG(path, [][]*plot.Plot{{p}}, w, 5*vg.Inch)
}

// jitter returns a number in [-1, 1) for the k-th point: the fractional
// part of k times the golden ratio, which spreads any run of k evenly.
func jitter(k int) float64 {
	const phi = 0.6180339887498949
	f := float64(k) * phi
	return 2*(f-float64(int(f))) - 1
}

// tint returns c mixed halfway with white.
func tint(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	mix := func(v uint32) uint8 { return uint8((v>>8 + 255) / 2) }
	return color.NRGBA{R: mix(r), G: mix(g), B: mix(b), A: 255}
}

// confusionCells is one network's confusion matrix for a heat map. Columns
// are the prediction (0 tumor, 1 background); rows the mask, drawn bottom
// up (0 background, 1 tumor). Each row is normalized by its pixel count,
// so the tumor row holds recall and miss rate, the background row the
// false-alarm rate and specificity.
type confusionCells struct {
	count [2][2]int64 // [row][col]
}

func (c confusionCells) Dims() (cols, rows int) { return 2, 2 }
func (c confusionCells) X(col int) float64      { return float64(col) }
func (c confusionCells) Y(row int) float64      { return float64(row) }

func (c confusionCells) Z(col, row int) float64 {
	n := c.count[row][0] + c.count[row][1]
	if n == 0 {
		return 0
	}
	return float64(c.count[row][col]) / float64(n)
}

// plotConfusion draws each network's pixel confusion matrix over the
// split, each cell with its count and its share of the mask's row.
func plotConfusion(path string, entries []*entry) error {
	pal, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return err
	}
	row := make([]*plot.Plot, len(entries))
	for i, e := range entries {
		cf := e.scores.Confusion
		cells := confusionCells{count: [2][2]int64{{cf.FP, cf.TN}, {cf.TP, cf.FN}}}
		hm := plotter.NewHeatMap(cells, pal)
		hm.Min, hm.Max = 0, 1
		p := newPlot(e.name, "prediction", "mask")
		p.Add(hm)
		names := [2][2]string{{"FP", "TN"}, {"TP", "FN"}}
		var labels plotter.XYLabels
		var styles []color.Color
		for r := range 2 {
			for c := range 2 {
				z := cells.Z(c, r)
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: float64(r)})
				labels.Labels = append(labels.Labels, fmt.Sprintf("%s\n%s px\n%.1f%%",
					names[r][c], GroupDigits(int(cells.count[r][c])), 100*z))
				styles = append(styles, labelColour(z))
			}
		}
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return err
		}
		for k := range l.TextStyle {
			l.TextStyle[k].Color = styles[k]
			l.TextStyle[k].XAlign, l.TextStyle[k].YAlign = draw.XCenter, draw.YCenter
			l.TextStyle[k].Font.Size = vg.Points(11)
		}
		p.Add(l)
		p.NominalX("tumor", "background")
		p.NominalY("background", "tumor")
		row[i] = p
	}
	w := vg.Length(4*len(entries)) * vg.Inch
	return savePNG(path, [][]*plot.Plot{row}, w, 4.2*vg.Inch)
}

// labelColour returns a text colour that reads on a heat-map cell of
// value z in [0,1]: white on the dark end of the palette, black elsewhere.
func labelColour(z float64) color.Color {
	if z > 0.55 {
		return color.White
	}
	return color.Black
}
