package synth

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tumorseg/internal/preprocess"
)

// readCOCO decodes the COCO file of one split written under dir.
func readCOCO(t *testing.T, dir, split string) cocoFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, split, AnnotationsFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc cocoFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", split, err)
	}
	return doc
}

// readGray decodes one written slice.
func readGray(t *testing.T, path string) *image.Gray {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	g, ok := m.(*image.Gray)
	if !ok {
		t.Fatalf("%s: decoded as %T, want *image.Gray", path, m)
	}
	return g
}

// toPolygon turns a COCO segmentation back into a polygon.
func toPolygon(flat []float64) polygon {
	p := make(polygon, len(flat)/2)
	for i := range p {
		p[i] = vertex{flat[2*i], flat[2*i+1]}
	}
	return p
}

func TestWriteCOCOIsDeterministic(t *testing.T) {
	opts := Options{Train: 3, Valid: 1, Test: 1, Size: 64, Seed: 11}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, d := range []string{a, b} {
		if _, err := WriteCOCO(d, opts); err != nil {
			t.Fatal(err)
		}
	}
	other := opts
	other.Seed = 12
	if _, err := WriteCOCO(c, other); err != nil {
		t.Fatal(err)
	}

	files := 0
	differs := false
	err := filepath.WalkDir(a, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, path)
		x, _ := os.ReadFile(path)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two runs with seed 11", rel)
		}
		z, _ := os.ReadFile(filepath.Join(c, rel))
		if strings.HasSuffix(rel, ".png") && !bytes.Equal(x, z) {
			differs = true
		}
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 8 {
		t.Errorf("wrote %d files, want 5 slices and 3 COCO files", files)
	}
	if !differs {
		t.Error("seeds 11 and 12 wrote the same slices")
	}
}

func TestWriteCOCOCounts(t *testing.T) {
	dir := t.TempDir()
	sum, err := WriteCOCO(dir, Options{Train: 40, Valid: 3, Size: 64, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Size != 64 || len(sum.Splits) != 2 {
		t.Fatalf("Summary = %+v, want size 64 and splits train, valid", sum)
	}
	if _, err := os.Stat(filepath.Join(dir, "test")); !os.IsNotExist(err) {
		t.Errorf("test split with 0 slices was written: %v", err)
	}

	for _, sp := range sum.Splits {
		doc := readCOCO(t, dir, sp.Name)
		if len(doc.Images) != sp.Images {
			t.Errorf("%s: %d images in JSON, Summary says %d", sp.Name, len(doc.Images), sp.Images)
		}
		if len(doc.Annotations) != sp.Tumors {
			t.Errorf("%s: %d annotations, Summary says %d tumors",
				sp.Name, len(doc.Annotations), sp.Tumors)
		}
		perImage := map[int]int{}
		for i, a := range doc.Annotations {
			if a.ID != i || a.CategoryID != 1 || a.IsCrowd != 0 || len(a.Segmentation) != 1 {
				t.Errorf("%s: annotation %d = id %d, category %d, iscrowd %d, %d polygons",
					sp.Name, i, a.ID, a.CategoryID, a.IsCrowd, len(a.Segmentation))
			}
			perImage[a.ImageID]++
		}
		for id, n := range perImage {
			if id < 0 || id >= len(doc.Images) || n > 2 {
				t.Errorf("%s: image %d has %d annotations, want an image of the split with 1 or 2",
					sp.Name, id, n)
			}
		}
		if len(perImage) != sp.WithTumor {
			t.Errorf("%s: %d images annotated, Summary says %d", sp.Name, len(perImage), sp.WithTumor)
		}
		for i, im := range doc.Images {
			if im.ID != i || im.Width != 64 || im.Height != 64 {
				t.Errorf("%s: image %d = %+v", sp.Name, i, im)
			}
			g := readGray(t, filepath.Join(dir, sp.Name, im.FileName))
			if g.Rect.Dx() != 64 || g.Rect.Dy() != 64 {
				t.Errorf("%s: %s is %v, want 64x64", sp.Name, im.FileName, g.Rect)
			}
		}
		entries, _ := os.ReadDir(filepath.Join(dir, sp.Name))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("%s: temporary file %s left behind", sp.Name, e.Name())
			}
		}
	}

	// About four slices in five carry a tumor; 40 draws land well within 24..38.
	if w := sum.Splits[0].WithTumor; w < 24 || w > 38 {
		t.Errorf("train: %d of 40 slices with a tumor, want about 32", w)
	}
	if sum.Splits[0].Tumors == sum.Splits[0].WithTumor {
		t.Error("train: no slice has two tumors")
	}
}

func TestPolygonsLieInsideTheImage(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteCOCO(dir, Options{Train: 30, Size: 64, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	for _, a := range readCOCO(t, dir, "train").Annotations {
		flat := a.Segmentation[0]
		if n := len(flat) / 2; len(flat)%2 != 0 || n < 24 || n > 40 {
			t.Errorf("annotation %d: %d coordinates, want 24 to 40 points", a.ID, len(flat))
		}
		for _, v := range flat {
			if v < 0 || v > 64 {
				t.Errorf("annotation %d: coordinate %v outside [0, 64]", a.ID, v)
			}
		}
		p := toPolygon(flat)
		x0, y0, x1, y1 := p.bounds()
		want := [4]float64{x0, y0, round2(x1 - x0), round2(y1 - y0)}
		if a.BBox != want {
			t.Errorf("annotation %d: bbox %v, want %v", a.ID, a.BBox, want)
		}
		if a.Area <= 0 || math.Abs(a.Area-p.area()) > 0.005 {
			t.Errorf("annotation %d: area %v, shoelace gives %v", a.ID, a.Area, p.area())
		}
	}
}

func TestTumorPixelsAreThePolygons(t *testing.T) {
	const size = 96
	dir := t.TempDir()
	if _, err := WriteCOCO(dir, Options{Valid: 12, Size: size, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	doc := readCOCO(t, dir, "valid")
	for _, im := range doc.Images {
		g := readGray(t, filepath.Join(dir, "valid", im.FileName))
		// The masks preprocess rasterizes from the JSON are the truth.
		var polys [][]float64
		for _, a := range doc.Annotations {
			if a.ImageID == im.ID {
				polys = append(polys, a.Segmentation...)
			}
		}
		mask := preprocess.RasterizeMask(size, size, polys, nil)

		// Inside the brain, tumor is the only tissue brighter than 0.66.
		sl := newSliceFor(5, 1, im.ID, size)
		var tumorSum, brainSum float64
		var tumorN, brainN int
		for i, m := range mask {
			in, v := m != 0, float64(g.Pix[i])/255
			if in && !sl.brain[i] {
				t.Fatalf("%s: tumor pixel %d outside the brain", im.FileName, i)
			}
			if !sl.brain[i] {
				continue
			}
			if bright := v > 0.66; bright != in {
				t.Fatalf("%s: pixel (%d,%d) = %.3f, in polygon %v",
					im.FileName, i%size, i/size, v, in)
			}
			if in {
				tumorSum, tumorN = tumorSum+v, tumorN+1
			} else {
				brainSum, brainN = brainSum+v, brainN+1
			}
		}
		if tumorN > 0 && tumorSum/float64(tumorN) < brainSum/float64(brainN)+0.25 {
			t.Errorf("%s: tumor mean %.3f not well above brain mean %.3f", im.FileName,
				tumorSum/float64(tumorN), brainSum/float64(brainN))
		}
	}
}

func TestWriteCOCORejectsBadOptions(t *testing.T) {
	tests := []struct {
		opts Options
		want string
	}{
		{Options{Train: 1, Size: 32}, "size 32"},
		{Options{Train: 1, Size: 4096}, "size 4096"},
		{Options{Train: -1}, "train: -1 slices"},
		{Options{Test: MaxImages + 1}, "test: 100001 slices"},
	}
	for _, tt := range tests {
		_, err := WriteCOCO(t.TempDir(), tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("WriteCOCO(%+v) = %v, want an error with %q", tt.opts, err, tt.want)
		}
	}
}
