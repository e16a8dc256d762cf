package infer

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"tumorseg/internal/preprocess"
)

// FindingsSchema names the layout of Findings; it changes when a field
// changes meaning. docs/findings-schema.md describes every field.
const FindingsSchema = "tumorseg.findings/v2"

// PositionNote travels with every Findings: the positions are the image's,
// not the patient's.
const PositionNote = "Left, right, upper and lower are positions on the image as " +
	"displayed, relative to its vertical and horizontal midlines. The image's left " +
	"is not necessarily the patient's left."

// Position words of a Region.
const (
	Upper  = "upper"
	Lower  = "lower"
	Left   = "left"
	Right  = "right"
	Middle = "middle"
)

// Limits on a findings file read by ReadFindings.
const (
	// MaxFindingsBytes is the largest findings file accepted.
	MaxFindingsBytes = 16 << 20
	// MaxRegions is the largest number of regions accepted.
	MaxRegions = 10000
)

// Findings is what the prediction says about a scan, in the scan's pixels.
// Pointer fields are null in JSON when the quantity is unknown.
type Findings struct {
	// Schema is FindingsSchema.
	Schema string `json:"schema"`
	// Image names the scan; Predict leaves it empty for the caller to set.
	Image string `json:"image"`
	// Width and Height are the scan's size in pixels.
	Width  int `json:"width"`
	Height int `json:"height"`
	// PixelSpacingMM is the side of one pixel in millimetres, nil when
	// unknown (JPEG and PNG files carry none).
	PixelSpacingMM *float64 `json:"pixel_spacing_mm"`
	// Threshold is the probability at or above which a pixel is tumor.
	Threshold float64 `json:"threshold"`
	// MinAreaPixels is the area under which a region was dropped.
	MinAreaPixels int `json:"min_area_pixels"`
	// Model names the network: the Segmenter's Name() when it has one.
	Model string `json:"model"`
	// ModelValDice is the network's validation Dice, nil when unknown.
	ModelValDice *float64 `json:"model_val_dice"`
	// BrainAreaPixels is the area of BrainMask on the scan.
	BrainAreaPixels int `json:"brain_area_pixels"`

	// TumorFound is true when at least one region is kept.
	TumorFound bool `json:"tumor_found"`
	// RegionCount is len(Regions).
	RegionCount int `json:"region_count"`
	// Regions are the kept 8-connected regions of the prediction, largest
	// first (ties in raster order of their first pixel), numbered from 1.
	Regions []Region `json:"regions"`
	// DroppedRegions counts the regions smaller than MinAreaPixels, and
	// DroppedAreaPixels their pixels; neither counts in the totals.
	DroppedRegions    int `json:"dropped_regions"`
	DroppedAreaPixels int `json:"dropped_area_pixels"`

	// AreaPixels, AreaFraction, BrainFraction, AreaMM2, BBox and
	// MeanProbability total the kept regions as Region does one; BBox is
	// nil when there are none.
	AreaPixels      int      `json:"area_pixels"`
	AreaFraction    float64  `json:"area_fraction"`
	BrainFraction   *float64 `json:"brain_fraction"`
	AreaMM2         *float64 `json:"area_mm2"`
	BBox            *Box     `json:"bbox"`
	MeanProbability float64  `json:"mean_probability"`

	// PositionNote is the constant PositionNote.
	PositionNote string `json:"position_note"`
}

// Region is one connected region of the prediction.
type Region struct {
	// ID numbers the region from 1, largest first.
	ID int `json:"id"`
	// AreaPixels is the region's number of pixels.
	AreaPixels int `json:"area_pixels"`
	// AreaFraction is AreaPixels divided by the scan's Width*Height.
	AreaFraction float64 `json:"area_fraction"`
	// BrainFraction is the number of the region's pixels inside the brain
	// mask divided by BrainAreaPixels, nil when the brain mask is empty; it
	// is never above 1.
	BrainFraction *float64 `json:"brain_fraction"`
	// AreaMM2 is AreaPixels times the pixel spacing squared, nil when the
	// spacing is unknown.
	AreaMM2 *float64 `json:"area_mm2"`
	// BBox is the smallest box holding the region.
	BBox Box `json:"bbox"`
	// Centroid is the mean column and row of the region's pixels, the
	// pixel in column x and row y standing at (x, y).
	Centroid Point `json:"centroid"`
	// Position places the centroid on the image.
	Position Position `json:"position"`
	// MeanProbability is the mean probability over the region's pixels.
	MeanProbability float64 `json:"mean_probability"`
}

// Box is a rectangle of whole pixels: columns X to X+W-1, rows Y to Y+H-1.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

// Point is a position in pixels: X the column, Y the row.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Position says on which side of the image's midlines a point lies. For a
// w×h scan the vertical midline is column (w-1)/2 and the horizontal one
// row (h-1)/2; a point on a midline is Middle on that axis.
type Position struct {
	// Vertical is Upper, Lower or Middle.
	Vertical string `json:"vertical"`
	// Horizontal is Left, Right or Middle, as the image is displayed.
	Horizontal string `json:"horizontal"`
}

// regionSum accumulates one labelled region.
type regionSum struct {
	label          int32
	area           int
	inBrain        int // pixels inside the brain mask
	sumX, sumY     int64
	sumP           float64
	x0, y0, x1, y1 int
}

// measure returns the findings of mask and prob on the scan img and clears
// from mask the regions smaller than minArea. spacing is the pixel side in
// mm, 0 when unknown. Image, Threshold, Model and ModelValDice are left for
// the caller.
func measure(img, prob *preprocess.Image, mask []uint8, minArea int,
	spacing float64) Findings {
	w, h := prob.W, prob.H
	f := Findings{Schema: FindingsSchema, Width: w, Height: h, MinAreaPixels: minArea,
		Regions: []Region{}, PositionNote: PositionNote}
	if spacing > 0 {
		f.PixelSpacingMM = &spacing
	}
	brain := BrainMask(img)
	for _, b := range brain {
		f.BrainAreaPixels += int(b)
	}

	labels, n := label(mask, w, h, true)
	sums := make([]regionSum, n)
	for i := range sums {
		sums[i] = regionSum{label: int32(i + 1), x0: w, y0: h, x1: -1, y1: -1}
	}
	for i, l := range labels {
		if l == 0 {
			continue
		}
		s, x, y := &sums[l-1], i%w, i/w
		s.area++
		s.inBrain += int(brain[i])
		s.sumX += int64(x)
		s.sumY += int64(y)
		s.sumP += float64(prob.Pix[i])
		s.x0, s.x1 = min(s.x0, x), max(s.x1, x)
		s.y0, s.y1 = min(s.y0, y), max(s.y1, y)
	}
	slices.SortStableFunc(sums, func(a, b regionSum) int { return cmp.Compare(b.area, a.area) })

	dropped := make([]bool, n+1)
	total := regionSum{x0: w, y0: h, x1: -1, y1: -1}
	for _, s := range sums {
		if s.area < minArea {
			dropped[s.label] = true
			f.DroppedRegions++
			f.DroppedAreaPixels += s.area
			continue
		}
		f.Regions = append(f.Regions, f.region(len(f.Regions)+1, s))
		total.area += s.area
		total.inBrain += s.inBrain
		total.sumP += s.sumP
		total.x0, total.x1 = min(total.x0, s.x0), max(total.x1, s.x1)
		total.y0, total.y1 = min(total.y0, s.y0), max(total.y1, s.y1)
	}
	for i, l := range labels {
		if dropped[l] {
			mask[i] = 0
		}
	}

	f.RegionCount = len(f.Regions)
	if f.RegionCount == 0 {
		return f
	}
	t := f.region(0, total)
	f.TumorFound = true
	f.AreaPixels, f.AreaFraction, f.BrainFraction = t.AreaPixels, t.AreaFraction, t.BrainFraction
	f.AreaMM2, f.BBox, f.MeanProbability = t.AreaMM2, &t.BBox, t.MeanProbability
	return f
}

// region returns the Region numbered id that s accumulates on the scan of
// f. Its centroid and position are only meaningful when s has sums.
func (f *Findings) region(id int, s regionSum) Region {
	a := float64(s.area)
	r := Region{ID: id, AreaPixels: s.area, AreaFraction: a / float64(f.Width*f.Height),
		BBox:            Box{X: s.x0, Y: s.y0, W: s.x1 - s.x0 + 1, H: s.y1 - s.y0 + 1},
		Centroid:        Point{X: float64(s.sumX) / a, Y: float64(s.sumY) / a},
		MeanProbability: s.sumP / a}
	if f.BrainAreaPixels > 0 {
		v := float64(s.inBrain) / float64(f.BrainAreaPixels)
		r.BrainFraction = &v
	}
	if f.PixelSpacingMM != nil {
		v := a * *f.PixelSpacingMM * *f.PixelSpacingMM
		r.AreaMM2 = &v
	}
	// Compare 2·Σx with n·(w−1), not the mean with (w−1)/2, to stay exact.
	r.Position = Position{
		Vertical:   side(2*s.sumY, int64(s.area)*int64(f.Height-1), Upper, Lower),
		Horizontal: side(2*s.sumX, int64(s.area)*int64(f.Width-1), Left, Right),
	}
	return r
}

// side returns below when a < b, above when a > b and Middle otherwise.
func side(a, b int64, below, above string) string {
	switch {
	case a < b:
		return below
	case a > b:
		return above
	}
	return Middle
}

// Validate returns an error naming the first field of f that a findings
// file of FindingsSchema could not hold: a wrong schema, a size outside
// [1, preprocess.MaxSide], too many regions, or a region whose area, box,
// fractions or probability are out of range.
func (f *Findings) Validate() error {
	if f.Schema != FindingsSchema {
		return fmt.Errorf("schema %q is not %s; predict the scan again", f.Schema,
			FindingsSchema)
	}
	if f.Width < 1 || f.Height < 1 || f.Width > preprocess.MaxSide ||
		f.Height > preprocess.MaxSide {
		return fmt.Errorf("size %dx%d is outside [1, %d]", f.Width, f.Height,
			preprocess.MaxSide)
	}
	if len(f.Regions) > MaxRegions || f.RegionCount != len(f.Regions) {
		return fmt.Errorf("region_count %d with %d regions (at most %d)", f.RegionCount,
			len(f.Regions), MaxRegions)
	}
	if f.TumorFound != (len(f.Regions) > 0) {
		return fmt.Errorf("tumor_found is %v with %d regions", f.TumorFound, len(f.Regions))
	}
	if s := f.PixelSpacingMM; s != nil && !(*s > 0 && *s <= MaxPixelSpacingMM) {
		return fmt.Errorf("pixel_spacing_mm %v is outside (0, %d]", *s, MaxPixelSpacingMM)
	}
	pixels := f.Width * f.Height
	sum := 0
	for i, r := range f.Regions {
		if r.ID != i+1 {
			return fmt.Errorf("region %d has id %d", i+1, r.ID)
		}
		if err := r.validate(f.Width, f.Height); err != nil {
			return fmt.Errorf("region %d: %w", r.ID, err)
		}
		sum += r.AreaPixels
	}
	if sum != f.AreaPixels || sum+f.DroppedAreaPixels > pixels {
		return fmt.Errorf("area_pixels %d, regions hold %d, dropped %d, of %d pixels",
			f.AreaPixels, sum, f.DroppedAreaPixels, pixels)
	}
	if !(f.MeanProbability >= 0 && f.MeanProbability <= 1) {
		return fmt.Errorf("mean_probability %v is outside [0, 1]", f.MeanProbability)
	}
	if d := f.ModelValDice; d != nil && !(*d >= 0 && *d <= 1) {
		return fmt.Errorf("model_val_dice %v is outside [0, 1]", *d)
	}
	return nil
}

// validate returns an error when r does not fit a w×h scan.
func (r *Region) validate(w, h int) error {
	b := r.BBox
	if r.AreaPixels < 1 || r.AreaPixels > b.W*b.H {
		return fmt.Errorf("area_pixels %d does not fit its %dx%d box", r.AreaPixels, b.W, b.H)
	}
	if b.X < 0 || b.Y < 0 || b.W < 1 || b.H < 1 || b.X+b.W > w || b.Y+b.H > h {
		return fmt.Errorf("bbox %+v is outside the %dx%d image", b, w, h)
	}
	if !(r.MeanProbability >= 0 && r.MeanProbability <= 1) {
		return fmt.Errorf("mean_probability %v is outside [0, 1]", r.MeanProbability)
	}
	for _, v := range []*float64{&r.AreaFraction, r.BrainFraction, r.AreaMM2} {
		if v != nil && (math.IsNaN(*v) || *v < 0) {
			return fmt.Errorf("an area of %v", *v)
		}
	}
	if r.AreaFraction > 1 {
		return fmt.Errorf("area_fraction %v is above 1", r.AreaFraction)
	}
	for _, p := range []string{r.Position.Vertical, r.Position.Horizontal} {
		switch p {
		case Upper, Lower, Left, Right, Middle:
		default:
			return fmt.Errorf("position %q is not upper, lower, left, right or middle", p)
		}
	}
	return nil
}

// ReadFindings reads and validates the findings file at path. Errors name
// the file.
func ReadFindings(path string) (*Findings, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("infer: %w", err)
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, MaxFindingsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("infer: %s: %w", path, err)
	}
	if len(data) > MaxFindingsBytes {
		return nil, fmt.Errorf("infer: %s: larger than %d bytes", path, MaxFindingsBytes)
	}
	var f Findings
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("infer: %s: %w", path, err)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("infer: %s: %w", path, err)
	}
	return &f, nil
}
