package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// writeSplit makes root/split with an annotation file and empty image files.
func writeSplit(t *testing.T, root, split, json string, images ...string) {
	t.Helper()
	dir := filepath.Join(root, split)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, AnnotationFile), []byte(json), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, im := range images {
		if err := os.WriteFile(filepath.Join(dir, im), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadPairsAnnotationsByImageID(t *testing.T) {
	root := t.TempDir()
	writeSplit(t, root, "train", "\xef\xbb\xbf"+`{
		"categories": [{"id": 0, "name": "Tumor"}, {"id": 2, "name": "1"}],
		"images": [
			{"id": 7, "file_name": "a.jpg", "width": 4, "height": 3},
			{"id": 3, "file_name": "b.jpg", "width": 5, "height": 2},
			{"id": 5, "file_name": "c.jpg", "width": 6, "height": 6}
		],
		"annotations": [
			{"id": 1, "image_id": 3, "category_id": 2, "segmentation": [[0,0, 2,0, 2,2]]},
			{"id": 2, "image_id": 7, "category_id": 0,
			 "segmentation": [[0,0, 1,0, 1,1], [2,2, 3,2, 3,3, 2,3]]},
			{"id": 3, "image_id": 3, "category_id": 1, "segmentation": [],
			 "bbox": [1, 0.5, 2, 1]},
			{"id": 4, "image_id": 7, "iscrowd": 1,
			 "segmentation": {"size": [3, 4], "counts": "129"}},
			{"id": 6, "image_id": 3, "bbox": [0, 0, 1, 1]},
			{"id": 8, "image_id": 7, "segmentation": {"size": [3, 4], "counts": [11, 1]}}
		]
	}`, "a.jpg", "b.jpg", "c.jpg")

	d, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Splits) != 1 {
		t.Fatalf("%d splits, want 1", len(d.Splits))
	}
	s := d.Split("train")
	if s.Images != 3 || s.Annotations != 6 || len(s.Problems) != 0 {
		t.Fatalf("images %d, annotations %d, problems %v", s.Images, s.Annotations, s.Problems)
	}
	dir := filepath.Join(root, "train")
	want := []*Case{
		{
			Split: "train", Name: "a.jpg", ImagePath: filepath.Join(dir, "a.jpg"),
			ImageID: 7, Width: 4, Height: 3,
			Polygons: [][]float64{{0, 0, 1, 0, 1, 1}, {2, 2, 3, 2, 3, 3, 2, 3}},
			RLEs: []RLE{
				{W: 4, H: 3, Counts: []uint32{1, 2, 9}},
				{W: 4, H: 3, Counts: []uint32{11, 1}},
			},
			Annotations: 3,
		},
		{
			Split: "train", Name: "b.jpg", ImagePath: filepath.Join(dir, "b.jpg"),
			ImageID: 3, Width: 5, Height: 2,
			Polygons:    [][]float64{{0, 0, 2, 0, 2, 2}},
			Boxes:       [][4]float64{{1, 0.5, 2, 1}, {0, 0, 1, 1}},
			Annotations: 3,
		},
		{
			Split: "train", Name: "c.jpg", ImagePath: filepath.Join(dir, "c.jpg"),
			ImageID: 5, Width: 6, Height: 6,
		},
	}
	if !reflect.DeepEqual(s.Cases, want) {
		for i, c := range s.Cases {
			t.Logf("case %d: %+v", i, *c)
		}
		t.Fatal("cases differ")
	}
	if s.Cases[0].Empty() || !s.Cases[2].Empty() {
		t.Error("Empty wrong")
	}
}

// oneBadImage is an annotation file with a good image 2 and an image 1
// whose entry or annotation is given.
func oneBadImage(image1, annotation string) string {
	if image1 == "" {
		image1 = `{"id": 1, "file_name": "a.jpg", "width": 4, "height": 4}`
	}
	return `{"images": [` + image1 + `,
		{"id": 2, "file_name": "b.jpg", "width": 4, "height": 4}],
	"annotations": [` + annotation + `,
		{"id": 20, "image_id": 2, "segmentation": [[0,0, 2,0, 2,2]]}]}`
}

func TestLoadSplitProblems(t *testing.T) {
	const file = "coco: train/_annotations.coco.json: "
	goodAnn := `{"id": 12, "image_id": 1, "segmentation": [[0,0, 2,0, 2,2]]}`
	tests := []struct {
		name      string
		json      string
		wantErr   string
		wantImage string // the image left out, "" for none
		wantCases []string
	}{
		{
			name:      "polygon with two points",
			json:      oneBadImage("", `{"id": 12, "image_id": 1, "segmentation": [[0,0, 2,2]]}`),
			wantErr:   file + "annotation 12: polygon has 2 points",
			wantImage: "train/a.jpg",
		},
		{
			name: "second polygon with one point",
			json: oneBadImage("",
				`{"id": 12, "image_id": 1, "segmentation": [[0,0, 2,0, 2,2], [1,1]]}`),
			wantErr:   file + "annotation 12: polygon 2 has 1 point",
			wantImage: "train/a.jpg",
		},
		{
			name: "odd number of coordinates",
			json: oneBadImage("",
				`{"id": 12, "image_id": 1, "segmentation": [[0,0, 2,0, 2,2, 1]]}`),
			wantErr:   file + "annotation 12: polygon has an odd number of coordinates (7)",
			wantImage: "train/a.jpg",
		},
		{
			name: "annotation of an image that does not exist",
			json: oneBadImage("",
				`{"id": 12, "image_id": 99, "segmentation": [[0,0, 2,0, 2,2]]}`),
			wantErr: file + "annotation 12: image_id 99 does not exist",
		},
		{
			name:      "no segmentation and no box",
			json:      oneBadImage("", `{"id": 12, "image_id": 1, "segmentation": []}`),
			wantErr:   file + "annotation 12: no segmentation, and no bbox",
			wantImage: "train/a.jpg",
		},
		{
			name: "box without area",
			json: oneBadImage("", `{"id": 12, "image_id": 1, "bbox": [1, 1, 0, 2]}`),
			wantErr: file +
				"annotation 12: no segmentation, and bbox [1 1 0 2] has no area",
			wantImage: "train/a.jpg",
		},
		{
			name: "run-length encoding of another size",
			json: oneBadImage("",
				`{"id": 12, "image_id": 1, "segmentation": {"size": [2, 8], "counts": [16]}}`),
			wantErr:   file + "annotation 12: run-length encoding is 8x2, image is 4x4",
			wantImage: "train/a.jpg",
		},
		{
			name: "run-length encoding too short",
			json: oneBadImage("",
				`{"id": 12, "image_id": 1, "segmentation": {"size": [4, 4], "counts": [3, 4]}}`),
			wantErr:   file + "annotation 12: run-length encoding covers 7 pixels, image has 16",
			wantImage: "train/a.jpg",
		},
		{
			name: "run-length string with a bad byte",
			json: oneBadImage("",
				`{"id": 12, "image_id": 1, "segmentation": {"size": [4, 4], "counts": "1 2"}}`),
			wantErr: file +
				"annotation 12: run-length encoding: counts string has byte ' ' at 1",
			wantImage: "train/a.jpg",
		},
		{
			name: "missing image file",
			json: oneBadImage(`{"id": 1, "file_name": "gone.jpg", "width": 4, "height": 4}`,
				goodAnn),
			wantErr:   file + "image 1: image file gone.jpg does not exist",
			wantImage: "train/gone.jpg",
		},
		{
			name: "file name leaving the split",
			json: oneBadImage(`{"id": 1, "file_name": "../b.jpg", "width": 4, "height": 4}`,
				goodAnn),
			wantErr:   file + `image 1: file_name "../b.jpg" leaves the split folder`,
			wantImage: "../b.jpg",
		},
		{
			name: "absolute file name",
			json: oneBadImage(`{"id": 1, "file_name": "/etc/hosts", "width": 4, "height": 4}`,
				goodAnn),
			wantErr:   file + `image 1: file_name "/etc/hosts" leaves the split folder`,
			wantImage: "/etc/hosts",
		},
		{
			name: "no size",
			json: oneBadImage(`{"id": 1, "file_name": "a.jpg"}`, goodAnn),
			wantErr: file +
				"image 1: size 0x0 is outside 1..16384",
			wantImage: "train/a.jpg",
		},
		{
			name: "two images with one id",
			json: oneBadImage(`{"id": 2, "file_name": "a.jpg", "width": 4, "height": 4}`,
				`{"id": 12, "image_id": 2, "bbox": [0, 0, 1, 1]}`),
			wantErr:   file + "image 2: id is used by a.jpg and b.jpg",
			wantImage: "train/a.jpg",
			wantCases: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeSplit(t, root, "train", tt.json, "a.jpg", "b.jpg")
			s, err := LoadSplit(root, "train")
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Problems) != 1 {
				t.Fatalf("problems %v, want one", s.Problems)
			}
			p := s.Problems[0]
			if p.Error() != tt.wantErr || p.Image != tt.wantImage {
				t.Errorf("problem %q with image %q,\nwant %q with image %q",
					p.Error(), p.Image, tt.wantErr, tt.wantImage)
			}

			var names []string
			for _, c := range s.Cases {
				names = append(names, c.Name)
			}
			want := tt.wantCases
			switch {
			case want != nil:
			case tt.wantImage == "":
				want = []string{"a.jpg", "b.jpg"}
			default:
				want = []string{"b.jpg"}
			}
			if !slices.Equal(names, want) {
				t.Errorf("cases %v, want %v", names, want)
			}
		})
	}
}

func TestLoadSplitUnreadableFiles(t *testing.T) {
	tests := []struct {
		name, json, want string
	}{
		{"truncated", `{"images": [`,
			"coco: valid/_annotations.coco.json: malformed JSON at byte 12: " +
				"unexpected end of JSON input"},
		{"syntax", `{"images": [}`,
			"coco: valid/_annotations.coco.json: malformed JSON at byte 13: " +
				"invalid character '}' looking for beginning of value"},
		{"wrong type", `{"images": [{"id": "one"}]}`,
			"coco: valid/_annotations.coco.json: malformed JSON: json: cannot unmarshal " +
				"string into Go struct field cocoImage.images.id of type int64"},
		{"no images", `{"annotations": []}`,
			"coco: valid/_annotations.coco.json: not a COCO file: no images list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeSplit(t, root, "valid", tt.json)
			_, err := Load(root)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v,\nwant %s", err, tt.want)
			}
		})
	}
}

func TestLoadFindsSplitsInOrder(t *testing.T) {
	root := t.TempDir()
	empty := `{"images": [], "annotations": []}`
	for _, s := range []string{"test", "extra", "val", "train", "valid"} {
		writeSplit(t, root, s, empty)
	}
	if err := os.Mkdir(filepath.Join(root, "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := Load(root)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range d.Splits {
		names = append(names, s.Name)
	}
	if want := []string{"train", "valid", "val", "test", "extra"}; !slices.Equal(names, want) {
		t.Errorf("splits %v, want %v", names, want)
	}
}

func TestLoadWithoutSplits(t *testing.T) {
	root := t.TempDir()
	_, err := Load(root)
	if want := "dataset: " + root + ": no split folder holds _annotations.coco.json"; err == nil ||
		err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	_, err = Load(filepath.Join(root, "none"))
	if err == nil || !strings.HasSuffix(err.Error(), "none: folder does not exist") {
		t.Errorf("error %v", err)
	}
}
