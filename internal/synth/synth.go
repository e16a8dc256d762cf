// Package synth writes synthetic brain-like slices with known tumor
// outlines, so that the demo can prepare, train and evaluate without any
// real scans.
//
// Each slice is an 8-bit gray PNG: a dark background, a bright elliptical
// skull ring, a dark rim of fluid and a brain ellipse with smooth texture
// and two darker ventricle-like shapes. About four slices in five carry one
// or two tumors, brighter textured blobs whose outlines are star-shaped
// polygons; the others carry no tumor and no annotation. A pixel is drawn
// as tumor exactly when its centre lies inside one of the written polygons
// (even-odd rule), so the polygons are the truth of the images.
//
// The annotations follow the COCO layout of the real exports
// (https://cocodataset.org/#format-data): one
// <split>/_annotations.coco.json per split beside its images.
package synth

import (
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"tumorseg/internal/atomicio"
)

// AnnotationsFile is the name of the COCO file written in each split folder.
const AnnotationsFile = "_annotations.coco.json"

// Bounds on Options, so a mistyped flag cannot fill the disk.
const (
	// DefaultSize is the side of a slice when Options.Size is 0.
	DefaultSize = 256
	// MinSize and MaxSize bound Options.Size, in pixels.
	MinSize = 64
	MaxSize = 2048
	// MaxImages bounds the number of slices of one split.
	MaxImages = 100000
)

// Options says how many slices to write to each split and how.
type Options struct {
	// Train, Valid and Test are the number of slices of each split; a split
	// with 0 slices is not written.
	Train, Valid, Test int
	// Size is the width and height of every slice; 0 means DefaultSize.
	Size int
	// Seed makes the output reproducible: equal options give equal files.
	Seed uint64
}

// Summary tells what WriteCOCO wrote.
type Summary struct {
	// Dir is the folder holding the split folders.
	Dir string `json:"dir"`
	// Size is the width and height of every slice.
	Size int `json:"size"`
	// Splits lists the splits written, in the order train, valid, test.
	Splits []Split `json:"splits"`
}

// Split tells what was written for one split.
type Split struct {
	// Name is the split's name and the name of its folder.
	Name string `json:"name"`
	// Annotations is the path of the split's COCO file.
	Annotations string `json:"annotations"`
	// Images is the number of slices.
	Images int `json:"images"`
	// WithTumor is the number of slices with at least one tumor.
	WithTumor int `json:"with_tumor"`
	// Tumors is the number of tumors, one annotation each.
	Tumors int `json:"tumors"`
}

// WriteCOCO writes the slices and annotations described by opts under dir,
// in dir/train, dir/valid and dir/test. Every file is written to a temporary
// name, synced and renamed; a split's COCO file is written after its images.
// Files of earlier runs with the same names are replaced.
func WriteCOCO(dir string, opts Options) (*Summary, error) {
	if opts.Size == 0 {
		opts.Size = DefaultSize
	}
	if opts.Size < MinSize || opts.Size > MaxSize {
		return nil, fmt.Errorf("synth: size %d is outside [%d, %d]", opts.Size, MinSize, MaxSize)
	}
	splits := []struct {
		name string
		n    int
	}{{"train", opts.Train}, {"valid", opts.Valid}, {"test", opts.Test}}
	for _, s := range splits {
		if s.n < 0 || s.n > MaxImages {
			return nil, fmt.Errorf("synth: %s: %d slices is outside [0, %d]", s.name, s.n, MaxImages)
		}
	}

	sum := &Summary{Dir: dir, Size: opts.Size}
	for i, s := range splits {
		if s.n == 0 {
			continue
		}
		sp, err := writeSplit(filepath.Join(dir, s.name), s.name, uint64(i), s.n, opts)
		if err != nil {
			return nil, err
		}
		sum.Splits = append(sum.Splits, *sp)
	}
	return sum, nil
}

// writeSplit writes n slices of one split into dir; index keeps the random
// streams of the splits apart.
func writeSplit(dir, name string, index uint64, n int, opts Options) (*Split, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}
	doc := cocoFile{
		Info:        cocoInfo{Description: "synthetic brain-like slices written by tumorseg"},
		Categories:  categories,
		Images:      []cocoImage{},
		Annotations: []cocoAnnotation{},
	}
	sp := &Split{Name: name, Annotations: filepath.Join(dir, AnnotationsFile), Images: n}

	for i := range n {
		sl := newSliceFor(opts.Seed, index, i, opts.Size)
		file := fmt.Sprintf("%s_%04d.png", name, i)
		if err := atomicio.WriteFile(filepath.Join(dir, file), func(w io.Writer) error {
			return png.Encode(w, sl.gray)
		}); err != nil {
			return nil, err
		}

		doc.Images = append(doc.Images, cocoImage{
			ID: i, FileName: file, Width: opts.Size, Height: opts.Size,
		})
		for _, poly := range sl.tumors {
			doc.Annotations = append(doc.Annotations, newAnnotation(len(doc.Annotations), i, poly))
		}
		if len(sl.tumors) > 0 {
			sp.WithTumor++
		}
		sp.Tumors += len(sl.tumors)
	}

	if err := atomicio.WriteFile(sp.Annotations, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(doc)
	}); err != nil {
		return nil, err
	}
	return sp, nil
}

// cocoFile is the part of the COCO layout that the real exports use.
type cocoFile struct {
	Info        cocoInfo         `json:"info"`
	Categories  []cocoCategory   `json:"categories"`
	Images      []cocoImage      `json:"images"`
	Annotations []cocoAnnotation `json:"annotations"`
}

type cocoInfo struct {
	Description string `json:"description"`
}

type cocoCategory struct {
	ID            int    `json:"id"`
	Name          string `json:"name"`
	Supercategory string `json:"supercategory"`
}

type cocoImage struct {
	ID       int    `json:"id"`
	FileName string `json:"file_name"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
}

type cocoAnnotation struct {
	ID           int         `json:"id"`
	ImageID      int         `json:"image_id"`
	CategoryID   int         `json:"category_id"`
	Segmentation [][]float64 `json:"segmentation"`
	BBox         [4]float64  `json:"bbox"`
	Area         float64     `json:"area"`
	IsCrowd      int         `json:"iscrowd"`
}

// categories mirrors the real exports: a parent category 0 and the tumor
// category 1 that every annotation uses.
var categories = []cocoCategory{
	{ID: 0, Name: "Tumor", Supercategory: "none"},
	{ID: 1, Name: "Tumor", Supercategory: "Tumor"},
}

const tumorCategory = 1

// newAnnotation returns annotation id of image imageID for one polygon.
func newAnnotation(id, imageID int, p polygon) cocoAnnotation {
	x0, y0, x1, y1 := p.bounds()
	flat := make([]float64, 0, 2*len(p))
	for _, v := range p {
		flat = append(flat, v.x, v.y)
	}
	return cocoAnnotation{
		ID:           id,
		ImageID:      imageID,
		CategoryID:   tumorCategory,
		Segmentation: [][]float64{flat},
		BBox:         [4]float64{x0, y0, round2(x1 - x0), round2(y1 - y0)},
		Area:         round2(p.area()),
	}
}
