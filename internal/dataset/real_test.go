package dataset

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedDatasets is the folder of real datasets beside the repository.
const sharedDatasets = "../../../shared/datasets"

// The expected numbers were counted from the annotation files with an
// independent script.
func TestLoadRealDatasets(t *testing.T) {
	type splitCounts struct {
		name                      string
		images, annotations, poly int
		empty, several            int // cases with no and with several regions
	}
	tests := []struct {
		folder string
		splits []splitCounts
	}{
		{"brain-tumor-small", []splitCounts{
			{"train", 154, 198, 198, 0, 35},
			{"val", 20, 31, 31, 0, 7},
			{"test", 4, 4, 4, 0, 0},
		}},
		{"brain-tumor-polygons", []splitCounts{
			{"train", 500, 481, 481, 47, 26},
			{"valid", 201, 128, 128, 74, 1},
		}},
		{"brain-tumor-seed", []splitCounts{
			{"train", 1502, 1502, 1502, 1, 1},
			{"valid", 429, 429, 429, 0, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.folder, func(t *testing.T) {
			root := filepath.Join(sharedDatasets, tt.folder)
			if _, err := os.Stat(root); err != nil {
				t.Skipf("real dataset not present: %v", err)
			}
			d, err := Load(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Splits) != len(tt.splits) {
				t.Fatalf("%d splits, want %d", len(d.Splits), len(tt.splits))
			}
			for i, want := range tt.splits {
				s := d.Splits[i]
				got := splitCounts{name: s.Name, images: s.Images, annotations: s.Annotations}
				for _, c := range s.Cases {
					got.poly += len(c.Polygons)
					if c.Empty() {
						got.empty++
					}
					if c.Annotations > 1 {
						got.several++
					}
				}
				if got != want || len(s.Cases) != s.Images || len(s.Problems) != 0 {
					t.Errorf("got %+v with %d cases and problems %v, want %+v",
						got, len(s.Cases), s.Problems, want)
				}
			}
		})
	}
}
