package cache

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"tumorseg/internal/dataset"
)

// smallDataset is the real brain-tumor-small set beside the repository.
var smallDataset = filepath.Join("..", "..", "..", "shared", "datasets", "brain-tumor-small")

// The tumor pixel counts come from an independent script that tests every
// pixel centre against every polygon and resizes masks with exact
// fractions.
func TestPrepareBrainTumorSmall(t *testing.T) {
	if _, err := os.Stat(smallDataset); err != nil {
		t.Skipf("real dataset not present: %v", err)
	}
	out := t.TempDir()
	audit, err := Prepare(smallDataset, out, PrepareOptions{Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	want := []SplitAudit{
		{Split: "train", Images: 154, Annotations: 198, Prepared: 154, Polygons: 198,
			TumorPixels: 26526, Skipped: []Skip{}},
		{Split: "val", Images: 20, Annotations: 31, Prepared: 20, Polygons: 31,
			TumorPixels: 3434, Skipped: []Skip{}},
		{Split: "test", Images: 4, Annotations: 4, Prepared: 4, Polygons: 4,
			TumorPixels: 586, Skipped: []Skip{}},
	}
	if !reflect.DeepEqual(audit.Splits, want) {
		t.Fatalf("audit %+v\nwant %+v", audit.Splits, want)
	}

	d, err := dataset.Load(smallDataset)
	if err != nil {
		t.Fatal(err)
	}
	firstTumor := map[string]int{"train": 173, "val": 154, "test": 155}
	for _, ds := range d.Splits {
		s, err := Open(out, ds.Name)
		if err != nil {
			t.Fatal(err)
		}
		if s.Len() != len(ds.Cases) || s.Size() != 64 {
			t.Errorf("%s: %d cases of size %d", ds.Name, s.Len(), s.Size())
		}
		for i, c := range ds.Cases {
			if s.Name(i) != c.Name {
				t.Fatalf("%s case %d is %s, want %s", ds.Name, i, s.Name(i), c.Name)
			}
			for _, v := range s.Image(i) {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("%s: %s has pixel %v", ds.Name, c.Name, v)
				}
			}
		}
		tumor := 0
		for _, v := range s.Mask(0) {
			tumor += int(v)
		}
		if tumor != firstTumor[ds.Name] {
			t.Errorf("%s: first mask has %d tumor pixels, want %d",
				ds.Name, tumor, firstTumor[ds.Name])
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}
	if got, err := ValidationSplit(out); got != "val" || err != nil {
		t.Errorf("validation split %q, %v", got, err)
	}
}
