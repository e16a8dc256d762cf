package cache

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tumorseg/internal/preprocess"
)

func writePNGFile(t *testing.T, path string, m image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ramp is an 8x8 gray image with pixel (x, y) = 10x + 20y.
func ramp() *image.Gray {
	m := image.NewGray(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		for x := range 8 {
			m.SetGray(x, y, color.Gray{Y: uint8(10*x + 20*y)})
		}
	}
	return m
}

func flat16(w, h int, v uint16) *image.Gray16 {
	m := image.NewGray16(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetGray16(x, y, color.Gray16{Y: v})
		}
	}
	return m
}

// makeDataset writes a small dataset with every kind of case:
//
//	train/a.png  8x8 ramp, a square polygon and a box
//	train/b.png  4x4 white, 16-bit, no annotation
//	train/c.png  not an image
//	train/d.png  8x8, but listed as 4x4
//	train/e.png  its polygon has 2 points
//	train/f.png  8x8, an RLE of one pixel that vanishes at 4x4
//	valid/g.png  2x2 gray 128 covered by a polygon
func makeDataset(t *testing.T) string {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "train", "_annotations.coco.json"), `{
		"images": [
			{"id": 1, "file_name": "a.png", "width": 8, "height": 8},
			{"id": 2, "file_name": "b.png", "width": 4, "height": 4},
			{"id": 3, "file_name": "c.png", "width": 8, "height": 8},
			{"id": 4, "file_name": "d.png", "width": 4, "height": 4},
			{"id": 5, "file_name": "e.png", "width": 8, "height": 8},
			{"id": 6, "file_name": "f.png", "width": 8, "height": 8}
		],
		"annotations": [
			{"id": 10, "image_id": 1, "segmentation": [[0,0, 4,0, 4,4, 0,4]]},
			{"id": 11, "image_id": 5, "segmentation": [[0,0, 4,4]]},
			{"id": 12, "image_id": 1, "segmentation": [], "bbox": [6, 6, 2, 2]},
			{"id": 13, "image_id": 6, "iscrowd": 1,
			 "segmentation": {"size": [8, 8], "counts": [0, 1, 63]}}
		]
	}`)
	writePNGFile(t, filepath.Join(root, "train", "a.png"), ramp())
	writePNGFile(t, filepath.Join(root, "train", "b.png"), flat16(4, 4, 65535))
	writeFile(t, filepath.Join(root, "train", "c.png"), "not an image")
	writePNGFile(t, filepath.Join(root, "train", "d.png"), ramp())
	writePNGFile(t, filepath.Join(root, "train", "e.png"), ramp())
	writePNGFile(t, filepath.Join(root, "train", "f.png"), ramp())

	writeFile(t, filepath.Join(root, "valid", "_annotations.coco.json"), `{
		"images": [{"id": 0, "file_name": "g.png", "width": 2, "height": 2}],
		"annotations": [{"id": 0, "image_id": 0, "segmentation": [[0,0, 2,0, 2,2, 0,2]]}]
	}`)
	g := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(g.Pix, []uint8{128, 128, 128, 128})
	writePNGFile(t, filepath.Join(root, "valid", "g.png"), g)
	return root
}

func TestPrepareAudit(t *testing.T) {
	root := makeDataset(t)
	out := t.TempDir()
	var progress []string
	audit, err := Prepare(root, out, PrepareOptions{Size: 4, Workers: 2,
		Progress: func(split string, done, total int) {
			progress = append(progress, fmt.Sprintf("%s:%d/%d", split, done, total))
		}})
	if err != nil {
		t.Fatal(err)
	}

	train := filepath.Join(root, "train")
	want := &Audit{Root: root, Size: 4, Splits: []SplitAudit{
		{
			Split: "train", Images: 6, Annotations: 4, Prepared: 3,
			Polygons: 1, Boxes: 1, RLEs: 1, EmptyMasks: 2, VanishedMasks: 1, TumorPixels: 5,
			Skipped: []Skip{
				{"train/e.png", "coco: train/_annotations.coco.json: annotation 11: " +
					"polygon has 2 points"},
				{"train/c.png", "preprocess: " + filepath.Join(train, "c.png") +
					": unsupported image format (want JPEG, PNG or TIFF)"},
				{"train/d.png", "cache: train/d.png: image is 8x8, " +
					"the annotation file says 4x4"},
			},
		},
		{
			Split: "valid", Images: 1, Annotations: 1, Prepared: 1,
			Polygons: 1, TumorPixels: 16, Skipped: []Skip{},
		},
	}}
	if !reflect.DeepEqual(audit, want) {
		t.Errorf("audit\n%+v\nwant\n%+v", audit, want)
	}
	wantProgress := []string{"train:0/5", "train:1/5", "train:2/5", "train:3/5",
		"train:4/5", "train:5/5", "valid:0/1", "valid:1/1"}
	if !slices.Equal(progress, wantProgress) {
		t.Errorf("progress %v, want %v", progress, wantProgress)
	}

	js, err := os.ReadFile(filepath.Join(out, AuditFile))
	if err != nil || !bytes.Contains(js, []byte(`"vanished_masks": 1`)) {
		t.Errorf("audit.json: %v\n%s", err, js)
	}
	summary := audit.Summary()
	for _, line := range []string{
		"  train       6            4         3         1      1     1" +
			"            2         1             5        3",
		"skipped train/d.png: cache: train/d.png: image is 8x8, the annotation file says 4x4",
	} {
		if !strings.Contains(summary, line) {
			t.Errorf("summary lacks %q:\n%s", line, summary)
		}
	}
}

func TestPrepareRecords(t *testing.T) {
	root := makeDataset(t)
	out := t.TempDir()
	preview := t.TempDir()
	if _, err := Prepare(root, out, PrepareOptions{Size: 4, PreviewDir: preview}); err != nil {
		t.Fatal(err)
	}

	s, err := Open(out, "train")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Len() != 3 || s.Size() != 4 {
		t.Fatalf("len %d size %d, want 3 and 4", s.Len(), s.Size())
	}
	var names []string
	for i := range s.Len() {
		names = append(names, s.Name(i))
	}
	if want := []string{"a.png", "b.png", "f.png"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	if got, want := s.Source(0), filepath.Join(root, "train", "a.png"); got != want {
		t.Errorf("source %q, want %q", got, want)
	}

	// Each output pixel of the halved ramp is the mean of a 2x2 block:
	// 10(2X+0.5) + 20(2Y+0.5) = 20X + 40Y + 15.
	for i, v := range s.Image(0) {
		x, y := i%4, i/4
		want := float64(20*x+40*y+15) / 255
		if math.Abs(float64(v)-want) > 1e-6 {
			t.Errorf("a.png pixel (%d,%d) = %v, want %v", x, y, v, want)
		}
	}
	wantMasks := [][]uint8{
		{1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
		make([]uint8, 16),
		make([]uint8, 16),
	}
	for i, want := range wantMasks {
		if got := s.Mask(i); !slices.Equal(got, want) {
			t.Errorf("mask %d = %v, want %v", i, got, want)
		}
	}
	for _, v := range s.Image(1) {
		if v != 1 {
			t.Fatalf("b.png pixel %v, want 1", v)
		}
	}

	v, err := Open(out, "valid")
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	for i := range 16 {
		if v.Image(0)[i] != float32(128)/255 || v.Mask(0)[i] != 1 {
			t.Fatalf("g.png pixel %d: %v, mask %d", i, v.Image(0)[i], v.Mask(0)[i])
		}
	}

	img, err := preprocess.Decode(filepath.Join(preview, "train", "a.png"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range img.Pix {
		if math.Abs(float64(p-s.Image(0)[i])) > 0.5/65535 {
			t.Errorf("preview pixel %d = %v, record %v", i, p, s.Image(0)[i])
		}
	}
	m, err := preprocess.Decode(filepath.Join(preview, "train", "a_mask.png"))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Pix {
		if p != float32(wantMasks[0][i]) {
			t.Errorf("preview mask pixel %d = %v", i, p)
		}
	}
	if _, err := os.Stat(filepath.Join(preview, "train", "c.png")); err == nil {
		t.Error("preview written for a skipped case")
	}
}

func TestPrepareDoesNotDependOnWorkers(t *testing.T) {
	root := makeDataset(t)
	var files [][]byte
	for _, w := range []int{1, 3, 8} {
		out := t.TempDir()
		if _, err := Prepare(root, out, PrepareOptions{Size: 5, Workers: w}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(out, "train"+Ext))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	// Header, three records of 5*25 bytes padded to 128, and the index.
	if len(files[0]) <= dataOffset+3*128 {
		t.Fatalf("file is %d bytes", len(files[0]))
	}
	for i := 1; i < len(files); i++ {
		if !bytes.Equal(files[0], files[i]) {
			t.Errorf("run %d differs from run 0", i)
		}
	}
}

func TestPrepareStrictLeavesOutputAlone(t *testing.T) {
	root := makeDataset(t)
	out := t.TempDir()
	if _, err := Prepare(root, out, PrepareOptions{Size: 4}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(out, "train"+Ext))
	if err != nil {
		t.Fatal(err)
	}

	_, err = Prepare(root, out, PrepareOptions{Size: 8, Strict: true})
	want := "coco: train/_annotations.coco.json: annotation 11: polygon has 2 points"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}

	// Without the bad annotation, the undecodable image fails next.
	writeFile(t, filepath.Join(root, "train", "_annotations.coco.json"), `{
		"images": [
			{"id": 1, "file_name": "a.png", "width": 8, "height": 8},
			{"id": 3, "file_name": "c.png", "width": 8, "height": 8}
		]}`)
	_, err = Prepare(root, out, PrepareOptions{Size: 8, Strict: true})
	want = "preprocess: " + filepath.Join(root, "train", "c.png") +
		": unsupported image format (want JPEG, PNG or TIFF)"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}

	after, err := os.ReadFile(filepath.Join(out, "train"+Ext))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("failed Prepare changed train%s: %v", Ext, err)
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{AuditFile, "train" + Ext, "valid" + Ext}; !slices.Equal(names, want) {
		t.Errorf("out holds %v, want %v", names, want)
	}
}

func TestPrepareReplacesStaleSplits(t *testing.T) {
	root := makeDataset(t)
	out := t.TempDir()
	writeFile(t, filepath.Join(out, "val"+Ext), "old")
	writeFile(t, filepath.Join(out, "notes.txt"), "kept")
	if _, err := Prepare(root, out, PrepareOptions{Size: 4}); err != nil {
		t.Fatal(err)
	}
	got, err := Splits(out)
	if err != nil || !slices.Equal(got, []string{"train", "valid"}) {
		t.Errorf("splits %v, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(out, "notes.txt")); err != nil {
		t.Error(err)
	}
}

func TestPrepareRejectsSize(t *testing.T) {
	_, err := Prepare(t.TempDir(), t.TempDir(), PrepareOptions{Size: 5000})
	if want := "cache: size 5000 is outside 1..4096"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestOpenRejectsBadFiles(t *testing.T) {
	root := makeDataset(t)
	out := t.TempDir()
	if _, err := Prepare(root, out, PrepareOptions{Size: 4}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(out, "train"+Ext))
	if err != nil {
		t.Fatal(err)
	}
	n := len(good)
	edit := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"wrong magic", edit(func(b []byte) []byte { b[0] = 'X'; return b }),
			"not a tumorseg cache file (wrong magic)"},
		{"other version", edit(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[8:], 2)
			return b
		}), "cache format version 2, this program reads version 1; prepare the dataset again"},
		{"damaged header", edit(func(b []byte) []byte { b[12]++; return b }),
			"header checksum mismatch"},
		{"truncated index", good[:n-10],
			"truncated: file is " + strconv.Itoa(n-10) + " bytes, header says " + strconv.Itoa(n)},
		{"truncated records", good[:dataOffset+200],
			"truncated: 3 records do not fit in 4296 bytes"},
		{"truncated header", good[:10], "truncated: file is 10 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "train"+Ext)
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir, "train")
			if want := "cache: " + path + ": " + tt.want; err == nil || err.Error() != want {
				t.Errorf("error %v,\nwant %s", err, want)
			}
		})
	}

	_, err = Open(out, "test")
	if want := "cache: " + filepath.Join(out, "test"+Ext) + ": file does not exist"; err == nil ||
		err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestValidationSplit(t *testing.T) {
	tests := []struct {
		files []string
		want  string
	}{
		{[]string{"train", "valid", "test"}, "valid"},
		{[]string{"train", "val"}, "val"},
		{[]string{"val", "valid"}, "valid"},
		{[]string{"train"}, ""},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		for _, f := range tt.files {
			writeFile(t, filepath.Join(dir, f+Ext), "")
		}
		got, err := ValidationSplit(dir)
		if got != tt.want || (err != nil) != (tt.want == "") {
			t.Errorf("%v: got %q, %v; want %q", tt.files, got, err, tt.want)
		}
	}

	dir := t.TempDir()
	for _, f := range []string{"test" + Ext, "extra" + Ext, "train" + Ext, ".train.tsc.tmp1",
		"val" + Ext, "audit.json"} {
		writeFile(t, filepath.Join(dir, f), "")
	}
	got, err := Splits(dir)
	if want := []string{"train", "val", "test", "extra"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("splits %v, %v; want %v", got, err, want)
	}
}
