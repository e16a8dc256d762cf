// Package dataset finds the cases of a brain tumor dataset: each image, its
// split and every tumor region annotated on it.
//
// A dataset root holds one folder per split (train, valid or val, test),
// each with an annotation file in COCO format
// (https://cocodataset.org/#format-data) named _annotations.coco.json
// beside the images. Every annotated region is tumor, whatever its
// category. Problems with single images or annotations are collected in
// Split.Problems, so that a caller can skip those images and report them;
// only a dataset that cannot be read at all is an error of Load.
package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// AnnotationFile is the name of a split's COCO annotation file.
const AnnotationFile = "_annotations.coco.json"

// Bounds on what an annotation file may declare.
const (
	// MaxAnnotationBytes is the largest annotation file read.
	MaxAnnotationBytes = 256 << 20
	// MaxSide is the largest image width or height accepted, in pixels; it
	// equals the bound the image decoder applies.
	MaxSide = 16384
)

// knownSplits are the split folder names in the order they are listed.
var knownSplits = []string{"train", "valid", "val", "test"}

// Dataset is every split found under a root folder.
type Dataset struct {
	Root   string
	Splits []*Split
}

// Split is one split folder and the cases found in it.
type Split struct {
	Name string // the folder's name, such as "train" or "val"
	Dir  string // the folder's path
	// Images and Annotations count the entries of the annotation file,
	// including those left out.
	Images      int
	Annotations int
	// Cases are the usable images, in the order the annotation file lists
	// them.
	Cases []*Case
	// Problems are the images and annotations left out, and why.
	Problems []*Error
}

// Case is one image and every tumor region annotated on it, in the image's
// pixel coordinates.
type Case struct {
	Split     string // the split's name
	Name      string // file_name from the annotation file, relative to the split folder
	ImagePath string // the image file's path
	ImageID   int64
	// Width and Height are the image's size as the annotation file states it.
	Width, Height int
	// Polygons are outlines as flat x0,y0,x1,y1,... lists, at least three
	// points each.
	Polygons [][]float64
	// Boxes are [x, y, width, height] boxes, used for annotations that have
	// no outline.
	Boxes [][4]float64
	// RLEs are run-length encoded masks of the image's size.
	RLEs []RLE
	// Annotations counts the annotations whose regions the case holds.
	Annotations int
}

// Empty reports whether the case has no tumor region.
func (c *Case) Empty() bool {
	return len(c.Polygons) == 0 && len(c.Boxes) == 0 && len(c.RLEs) == 0
}

// Error is a problem with an annotation file or one of its entries.
type Error struct {
	// File is the annotation file, relative to the dataset root.
	File string
	// Image is the image file left out because of the problem: relative to
	// the dataset root, as written when the name leaves its split folder,
	// or "" when the problem concerns no listed image.
	Image string
	// Item names the entry, such as "image 17" or "annotation 12", or is ""
	// for the whole file.
	Item    string
	Problem string
}

// Error returns "coco: <file>: <item>: <problem>".
func (e *Error) Error() string {
	if e.Item == "" {
		return "coco: " + e.File + ": " + e.Problem
	}
	return "coco: " + e.File + ": " + e.Item + ": " + e.Problem
}

// Load reads every split folder under root: the folders named train,
// valid, val and test first, in that order, then any other folder holding
// an annotation file, by name. It fails when root holds no split or an
// annotation file cannot be read or parsed.
func Load(root string) (*Dataset, error) {
	names, err := splitNames(root)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Root: root}
	for _, name := range names {
		s, err := LoadSplit(root, name)
		if err != nil {
			return nil, err
		}
		d.Splits = append(d.Splits, s)
	}
	return d, nil
}

// Split returns the split with the given name, or nil.
func (d *Dataset) Split(name string) *Split {
	for _, s := range d.Splits {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// splitNames lists the folders under root that hold an annotation file.
func splitNames(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("dataset: %s: folder does not exist", root)
		}
		return nil, fmt.Errorf("dataset: %s: %w", root, err)
	}
	var known, other []string
	for _, e := range entries {
		fi, err := os.Stat(filepath.Join(root, e.Name(), AnnotationFile))
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		if slices.Contains(knownSplits, e.Name()) {
			known = append(known, e.Name())
		} else {
			other = append(other, e.Name())
		}
	}
	sort.Slice(known, func(i, j int) bool {
		return slices.Index(knownSplits, known[i]) < slices.Index(knownSplits, known[j])
	})
	sort.Strings(other)
	names := append(known, other...)
	if len(names) == 0 {
		return nil, fmt.Errorf("dataset: %s: no split folder holds %s", root, AnnotationFile)
	}
	return names, nil
}
