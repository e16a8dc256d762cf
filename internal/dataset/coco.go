package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path"
	"path/filepath"
)

// The parts of a COCO annotation file that locate tumors.
type cocoFile struct {
	Images      *[]cocoImage     `json:"images"`
	Annotations []cocoAnnotation `json:"annotations"`
}

type cocoImage struct {
	ID       *int64 `json:"id"`
	FileName string `json:"file_name"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

type cocoAnnotation struct {
	ID           *int64          `json:"id"`
	ImageID      *int64          `json:"image_id"`
	Segmentation json.RawMessage `json:"segmentation"`
	BBox         []float64       `json:"bbox"`
}

type cocoRLE struct {
	Size   []int           `json:"size"`
	Counts json.RawMessage `json:"counts"`
}

// LoadSplit reads the split folder root/name and its annotation file.
// Images and annotations with problems are left out and recorded in
// Problems; an annotation file that cannot be read or parsed is an error.
func LoadSplit(root, name string) (*Split, error) {
	dir := filepath.Join(root, name)
	rel := path.Join(filepath.ToSlash(name), AnnotationFile)
	f, err := readCOCO(filepath.Join(dir, AnnotationFile))
	if err != nil {
		return nil, &Error{File: rel, Problem: err.Error()}
	}

	s := &Split{Name: name, Dir: dir, Images: len(*f.Images), Annotations: len(f.Annotations)}
	l := splitLoader{split: s, rel: rel, byID: map[int64]*Case{}, rejected: map[int64]bool{}}
	for i, im := range *f.Images {
		l.addImage(i, im)
	}
	l.badImages = maps.Clone(l.rejected)
	for i, a := range f.Annotations {
		l.addAnnotation(i, a)
	}
	for _, c := range l.cases {
		if !l.rejected[c.ImageID] {
			s.Cases = append(s.Cases, c)
		}
	}
	return s, nil
}

// readCOCO reads and parses one annotation file, a UTF-8 byte order mark
// allowed.
func readCOCO(file string) (*cocoFile, error) {
	r, err := os.Open(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("file does not exist")
		}
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, MaxAnnotationBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading: %w", err)
	}
	if len(data) > MaxAnnotationBytes {
		return nil, fmt.Errorf("file is larger than %d bytes", MaxAnnotationBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))

	var f cocoFile
	if err := json.Unmarshal(data, &f); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("malformed JSON at byte %d: %v", syn.Offset, err)
		}
		return nil, fmt.Errorf("malformed JSON: %v", err)
	}
	if f.Images == nil {
		return nil, errors.New("not a COCO file: no images list")
	}
	return &f, nil
}

// splitLoader gathers the cases of one split while its entries are checked.
type splitLoader struct {
	split    *Split
	rel      string // the annotation file, relative to the dataset root
	cases    []*Case
	byID     map[int64]*Case
	byName   map[string]int64
	rejected map[int64]bool // images left out, by id
	// badImages are the images left out for their own entry, before any
	// annotation was read.
	badImages map[int64]bool
}

// problem records a problem; c is the case left out because of it, or nil.
func (l *splitLoader) problem(c *Case, item, format string, args ...any) {
	e := &Error{File: l.rel, Item: item, Problem: fmt.Sprintf(format, args...)}
	if c != nil {
		e.Image = c.Name
		if filepath.IsLocal(filepath.FromSlash(c.Name)) {
			e.Image = path.Join(filepath.ToSlash(l.split.Name), c.Name)
		}
		l.rejected[c.ImageID] = true
	}
	l.split.Problems = append(l.split.Problems, e)
}

func (l *splitLoader) addImage(i int, im cocoImage) {
	if im.ID == nil {
		item := fmt.Sprintf("image at index %d", i)
		l.problem(nil, item, "no id")
		return
	}
	item := fmt.Sprintf("image %d", *im.ID)
	if first := l.byID[*im.ID]; first != nil {
		l.problem(first, item, "id is used by %s and %s", first.Name, im.FileName)
		return
	}
	c := &Case{
		Split:   l.split.Name,
		Name:    im.FileName,
		ImageID: *im.ID,
		Width:   im.Width,
		Height:  im.Height,
	}
	l.byID[c.ImageID] = c
	l.cases = append(l.cases, c)

	local := filepath.FromSlash(im.FileName)
	switch {
	case im.FileName == "":
		l.problem(c, item, "no file_name")
		return
	case !filepath.IsLocal(local):
		l.problem(c, item, "file_name %q leaves the split folder", im.FileName)
		return
	case im.Width <= 0 || im.Height <= 0 || im.Width > MaxSide || im.Height > MaxSide:
		l.problem(c, item, "size %dx%d is outside 1..%d", im.Width, im.Height, MaxSide)
		return
	}
	if l.byName == nil {
		l.byName = map[string]int64{}
	}
	if first, dup := l.byName[path.Clean(im.FileName)]; dup {
		l.problem(c, item, "file_name %q is also image %d", im.FileName, first)
		return
	}
	l.byName[path.Clean(im.FileName)] = c.ImageID

	c.ImagePath = filepath.Join(l.split.Dir, local)
	fi, err := os.Stat(c.ImagePath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		l.problem(c, item, "image file %s does not exist", im.FileName)
	case err != nil:
		l.problem(c, item, "image file: %v", err)
	case !fi.Mode().IsRegular():
		l.problem(c, item, "image file %s is not a regular file", im.FileName)
	}
}

func (l *splitLoader) addAnnotation(i int, a cocoAnnotation) {
	item := fmt.Sprintf("annotation at index %d", i)
	if a.ID != nil {
		item = fmt.Sprintf("annotation %d", *a.ID)
	}
	if a.ImageID == nil {
		l.problem(nil, item, "no image_id")
		return
	}
	c := l.byID[*a.ImageID]
	if c == nil {
		l.problem(nil, item, "image_id %d does not exist", *a.ImageID)
		return
	}
	if l.badImages[c.ImageID] {
		return
	}

	polygons, rle, err := parseSegmentation(a.Segmentation, c.Width, c.Height)
	if err != nil {
		l.problem(c, item, "%v", err)
		return
	}
	switch {
	case rle != nil:
		c.RLEs = append(c.RLEs, *rle)
	case len(polygons) > 0:
		c.Polygons = append(c.Polygons, polygons...)
	default:
		box, err := parseBox(a.BBox)
		if err != nil {
			l.problem(c, item, "no segmentation, and %v", err)
			return
		}
		c.Boxes = append(c.Boxes, box)
	}
	c.Annotations++
}

// parseSegmentation reads a segmentation: a list of polygons, a single flat
// polygon, or a run-length encoding of a w x h mask. An absent or empty
// segmentation returns neither polygons nor an RLE.
func parseSegmentation(raw json.RawMessage, w, h int) ([][]float64, *RLE, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil, nil
	}
	switch raw[0] {
	case '{':
		rle, err := parseRLE(raw, w, h)
		return nil, rle, err
	case '[':
		var polygons [][]float64
		if err := json.Unmarshal(raw, &polygons); err != nil {
			var flat []float64
			if json.Unmarshal(raw, &flat) != nil {
				return nil, nil, errors.New("segmentation is not a list of polygons")
			}
			polygons = [][]float64{flat}
		}
		return checkPolygons(polygons)
	}
	return nil, nil, errors.New("segmentation is neither polygons nor a run-length encoding")
}

// checkPolygons drops empty polygons and checks the others.
func checkPolygons(polygons [][]float64) ([][]float64, *RLE, error) {
	var kept [][]float64
	for k, p := range polygons {
		if len(p) == 0 {
			continue
		}
		which := "polygon"
		if len(polygons) > 1 {
			which = fmt.Sprintf("polygon %d", k+1)
		}
		if len(p)%2 != 0 {
			return nil, nil, fmt.Errorf("%s has an odd number of coordinates (%d)", which, len(p))
		}
		if len(p) < 6 {
			if len(p) == 2 {
				return nil, nil, fmt.Errorf("%s has 1 point", which)
			}
			return nil, nil, fmt.Errorf("%s has %d points", which, len(p)/2)
		}
		for _, v := range p {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, nil, fmt.Errorf("%s has a coordinate that is not finite", which)
			}
		}
		kept = append(kept, p)
	}
	return kept, nil, nil
}

func parseRLE(raw json.RawMessage, w, h int) (*RLE, error) {
	var r cocoRLE
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("run-length encoding: %v", err)
	}
	if len(r.Size) != 2 {
		return nil, errors.New("run-length encoding has no size [height, width]")
	}
	if r.Size[0] != h || r.Size[1] != w {
		return nil, fmt.Errorf("run-length encoding is %dx%d, image is %dx%d",
			r.Size[1], r.Size[0], w, h)
	}

	var counts []uint32
	var s string
	if err := json.Unmarshal(r.Counts, &s); err == nil {
		if counts, err = decodeCounts(s); err != nil {
			return nil, fmt.Errorf("run-length encoding: %v", err)
		}
	} else if err := json.Unmarshal(r.Counts, &counts); err != nil {
		return nil, errors.New("run-length encoding counts are neither a string " +
			"nor a list of non-negative integers")
	}

	var total uint64
	for _, c := range counts {
		total += uint64(c)
	}
	if total != uint64(w)*uint64(h) {
		return nil, fmt.Errorf("run-length encoding covers %d pixels, image has %d",
			total, w*h)
	}
	return &RLE{W: w, H: h, Counts: counts}, nil
}

// parseBox reads a COCO bbox [x, y, width, height].
func parseBox(b []float64) ([4]float64, error) {
	if b == nil {
		return [4]float64{}, errors.New("no bbox")
	}
	if len(b) != 4 {
		return [4]float64{}, fmt.Errorf("bbox has %d numbers, want 4", len(b))
	}
	for _, v := range b {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return [4]float64{}, errors.New("bbox has a number that is not finite")
		}
	}
	if b[2] <= 0 || b[3] <= 0 {
		return [4]float64{}, fmt.Errorf("bbox %v has no area", b)
	}
	return [4]float64{b[0], b[1], b[2], b[3]}, nil
}
