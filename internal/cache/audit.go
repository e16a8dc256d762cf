package cache

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Audit records what Prepare found in a dataset and what it wrote.
type Audit struct {
	Root   string       `json:"root"`
	Size   int          `json:"size"`
	Splits []SplitAudit `json:"splits"`
}

// SplitAudit counts one split. Images and Annotations count the entries of
// the annotation file; the other counts cover the prepared cases only.
type SplitAudit struct {
	Split       string `json:"split"`
	Images      int    `json:"images"`
	Annotations int    `json:"annotations"`
	// Prepared is the number of records written.
	Prepared int `json:"prepared"`
	Polygons int `json:"polygons"`
	Boxes    int `json:"boxes"`
	RLEs     int `json:"rles"`
	// EmptyMasks counts prepared masks without a tumor pixel.
	EmptyMasks int `json:"empty_masks"`
	// VanishedMasks counts masks that had tumor pixels at the source
	// resolution and lost all of them in resizing; they are among EmptyMasks.
	VanishedMasks int `json:"vanished_masks"`
	// TumorPixels is the number of tumor pixels over all prepared masks.
	TumorPixels int64 `json:"tumor_pixels"`
	// Skipped lists the images and annotations left out, and why.
	Skipped []Skip `json:"skipped"`
}

// Skip is one file left out of the cache.
type Skip struct {
	// File is the image, relative to the dataset root, or the annotation
	// file when the problem concerns no image.
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// add counts a prepared case.
func (sa *SplitAudit) add(t *task) {
	sa.Prepared++
	sa.Polygons += len(t.c.Polygons)
	sa.Boxes += len(t.c.Boxes)
	sa.RLEs += len(t.c.RLEs)
	sa.TumorPixels += int64(t.tumor)
	if t.tumor == 0 {
		sa.EmptyMasks++
	}
	if t.vanished {
		sa.VanishedMasks++
	}
}

// Summary returns the audit as a table, one line per split and a total,
// followed by the skipped files.
func (a *Audit) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s at %dx%d\n", a.Root, a.Size, a.Size)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "split\timages\tannotations\tprepared\tpolygons\tboxes\tRLEs\t"+
		"empty masks\tvanished\ttumor pixels\tskipped\t")
	var total SplitAudit
	row := func(s SplitAudit, skipped int) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", s.Split, s.Images,
			s.Annotations, s.Prepared, s.Polygons, s.Boxes, s.RLEs, s.EmptyMasks,
			s.VanishedMasks, s.TumorPixels, skipped)
	}
	skipped := 0
	for _, s := range a.Splits {
		row(s, len(s.Skipped))
		total.Images += s.Images
		total.Annotations += s.Annotations
		total.Prepared += s.Prepared
		total.Polygons += s.Polygons
		total.Boxes += s.Boxes
		total.RLEs += s.RLEs
		total.EmptyMasks += s.EmptyMasks
		total.VanishedMasks += s.VanishedMasks
		total.TumorPixels += s.TumorPixels
		skipped += len(s.Skipped)
	}
	total.Split = "total"
	row(total, skipped)
	tw.Flush()

	for _, s := range a.Splits {
		for _, k := range s.Skipped {
			fmt.Fprintf(&b, "skipped %s: %s\n", k.File, k.Reason)
		}
	}
	return b.String()
}
