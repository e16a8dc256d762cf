package infer

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"tumorseg/internal/preprocess"
)

// f32 returns v as the float32 probability a segmenter holds, widened.
func f32(v float64) float64 { return float64(float32(v)) }

// ptr returns a pointer to v.
func ptr(v float64) *float64 { return &v }

// paint sets the pixels at the (x, y) pairs xy of the size-wide p to v.
func paint(p []float32, size int, v float32, xy ...int) {
	for i := 0; i < len(xy); i += 2 {
		p[xy[i+1]*size+xy[i]] = v
	}
}

// fourRegions returns 10x10 probabilities holding four regions at the
// threshold 0.5:
//
//	A: (1,1) (2,1) (1,2) (2,2) at 0.9 and (3,3) at 0.7, joined to (2,2)
//	   only through a corner;
//	B: columns 6..8 of rows 6..7 at 0.6;
//	C: (8,1) alone at 0.9;
//	D: (0,8) and (0,9) at 0.8.
func fourRegions() []float32 {
	p := make([]float32, 100)
	paint(p, 10, 0.9, 1, 1, 2, 1, 1, 2, 2, 2)
	paint(p, 10, 0.7, 3, 3)
	paint(p, 10, 0.6, 6, 6, 7, 6, 8, 6, 6, 7, 7, 7, 8, 7)
	paint(p, 10, 0.9, 8, 1)
	paint(p, 10, 0.8, 0, 8, 0, 9)
	return p
}

// ringScan returns a 10x10 scan, black but for a white square ring on
// rows and columns 2..7 and a white speck at (0,9): the brain mask is the
// ring with its 4x4 inside filled, 36 pixels; the speck lies on the border
// and is background.
func ringScan() *preprocess.Image {
	img := gray(10, 10, 0)
	for i := 2; i <= 7; i++ {
		paint(img.Pix, 10, 1, i, 2, i, 7, 2, i, 7, i)
	}
	paint(img.Pix, 10, 1, 0, 9)
	return img
}

func TestPredictRegions(t *testing.T) {
	res, err := PredictWith(&fakeSegmenter{size: 10, prob: fourRegions()}, ringScan(),
		Options{Threshold: 0.5, MinAreaPixels: 2, PixelSpacingMM: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Findings

	// B (6 px) before A (5) before D (2); C (1 px) is under the minimum.
	// Centroids: B ((6+7+8)·2/6, (6·3+7·3)/6) = (7, 6.5); A (9/5, 9/5);
	// D (0, 8.5). The midlines are column and row 4.5. Brain shares count
	// the pixels inside the 6x6 mask: B 4 (columns 6-7 of rows 6-7), A 2
	// ((2,2) and (3,3)), D none.
	want := []Region{
		{ID: 1, AreaPixels: 6, AreaFraction: 0.06, BrainFraction: ptr(4.0 / 36),
			AreaMM2: ptr(1.5), BBox: Box{X: 6, Y: 6, W: 3, H: 2},
			Centroid: Point{X: 7, Y: 6.5}, Position: Position{Lower, Right},
			MeanProbability: 6 * f32(0.6) / 6},
		{ID: 2, AreaPixels: 5, AreaFraction: 0.05, BrainFraction: ptr(2.0 / 36),
			AreaMM2: ptr(1.25), BBox: Box{X: 1, Y: 1, W: 3, H: 3},
			Centroid: Point{X: 1.8, Y: 1.8}, Position: Position{Upper, Left},
			MeanProbability: (4*f32(0.9) + f32(0.7)) / 5},
		{ID: 3, AreaPixels: 2, AreaFraction: 0.02, BrainFraction: ptr(0.0),
			AreaMM2: ptr(0.5), BBox: Box{X: 0, Y: 8, W: 1, H: 2},
			Centroid: Point{X: 0, Y: 8.5}, Position: Position{Lower, Left},
			MeanProbability: f32(0.8)},
	}
	if len(f.Regions) != len(want) || f.RegionCount != len(want) {
		t.Fatalf("%d regions (count %d), want %d: %+v", len(f.Regions), f.RegionCount,
			len(want), f.Regions)
	}
	for i, w := range want {
		checkRegion(t, f.Regions[i], w)
	}

	if f.DroppedRegions != 1 || f.DroppedAreaPixels != 1 || f.MinAreaPixels != 2 {
		t.Errorf("dropped %d regions of %d px under %d, want 1 of 1 under 2",
			f.DroppedRegions, f.DroppedAreaPixels, f.MinAreaPixels)
	}
	if f.BrainAreaPixels != 36 {
		t.Errorf("brain area %d, want 36", f.BrainAreaPixels)
	}
	checkRegion(t, Region{AreaPixels: f.AreaPixels, AreaFraction: f.AreaFraction,
		BrainFraction: f.BrainFraction, AreaMM2: f.AreaMM2, BBox: *f.BBox,
		MeanProbability: f.MeanProbability},
		Region{AreaPixels: 13, AreaFraction: 0.13, BrainFraction: ptr(6.0 / 36),
			AreaMM2: ptr(3.25), BBox: Box{X: 0, Y: 1, W: 9, H: 9},
			MeanProbability: (6*f32(0.6) + 4*f32(0.9) + f32(0.7) + 2*f32(0.8)) / 13})
	if !f.TumorFound || *f.PixelSpacingMM != 0.5 || f.PositionNote != PositionNote {
		t.Errorf("found %v, spacing %v, note %q", f.TumorFound, *f.PixelSpacingMM,
			f.PositionNote)
	}

	// The dropped speck is cleared from the mask, so it holds the 13 kept pixels.
	var n int
	for _, m := range res.Mask {
		n += int(m)
	}
	if n != 13 || res.Mask[1*10+8] != 0 {
		t.Errorf("mask holds %d pixels, (8,1) = %d; want 13 and 0", n, res.Mask[18])
	}
	if err := f.Validate(); err != nil {
		t.Errorf("findings do not validate: %v", err)
	}
}

// checkRegion reports how got differs from want; floats agree to 1e-12.
func checkRegion(t *testing.T, got, want Region) {
	t.Helper()
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }
	nearPtr := func(a, b *float64) bool {
		return a == nil && b == nil || a != nil && b != nil && near(*a, *b)
	}
	if got.ID != want.ID || got.AreaPixels != want.AreaPixels || got.BBox != want.BBox ||
		got.Position != want.Position || !near(got.AreaFraction, want.AreaFraction) ||
		!nearPtr(got.BrainFraction, want.BrainFraction) || !nearPtr(got.AreaMM2, want.AreaMM2) ||
		!near(got.Centroid.X, want.Centroid.X) || !near(got.Centroid.Y, want.Centroid.Y) ||
		!near(got.MeanProbability, want.MeanProbability) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("region\n got %s\nwant %s", g, w)
	}
}

func TestPredictConnectivityAndMinimum(t *testing.T) {
	tests := []struct {
		name    string
		minArea int
		areas   []int
		dropped int
	}{
		// A's corner pixel joins it under 8-connectivity: 6, 5, 2 and the speck.
		{"keep all", 0, []int{6, 5, 2, 1}, 0},
		{"area equal to the minimum is kept", 2, []int{6, 5, 2}, 1},
		{"above the smaller two", 3, []int{6, 5}, 2},
		{"above all", 7, nil, 4},
	}
	for _, tt := range tests {
		res, err := PredictWith(&fakeSegmenter{size: 10, prob: fourRegions()}, ringScan(),
			Options{Threshold: 0.5, MinAreaPixels: tt.minArea})
		if err != nil {
			t.Fatal(err)
		}
		f := res.Findings
		var areas []int
		for _, r := range f.Regions {
			areas = append(areas, r.AreaPixels)
		}
		if !equalInts(areas, tt.areas) || f.DroppedRegions != tt.dropped {
			t.Errorf("%s: areas %v, dropped %d; want %v, %d", tt.name, areas,
				f.DroppedRegions, tt.areas, tt.dropped)
		}
		if f.TumorFound != (len(tt.areas) > 0) || f.PixelSpacingMM != nil ||
			f.Regions == nil {
			t.Errorf("%s: found %v, spacing %v, regions %v", tt.name, f.TumorFound,
				f.PixelSpacingMM, f.Regions)
		}
		if len(tt.areas) == 0 && (f.BBox != nil || f.AreaPixels != 0 || f.BrainFraction != nil) {
			t.Errorf("%s: empty findings carry totals %+v", tt.name, f)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRegionPositions(t *testing.T) {
	tests := []struct {
		name string
		size int
		xy   []int
		want Position
	}{
		// On 9x9 the midlines are column and row 4.
		{"centre pixel", 9, []int{4, 4}, Position{Middle, Middle}},
		{"top of the vertical midline", 9, []int{4, 0}, Position{Upper, Middle}},
		{"bar across the midline, low", 9, []int{3, 6, 4, 6, 5, 6}, Position{Lower, Middle}},
		{"left on the horizontal midline", 9, []int{0, 4}, Position{Middle, Left}},
		{"lower right corner", 9, []int{8, 8}, Position{Lower, Right}},
		// On 10x10 the midlines are 4.5: a pair on columns 4 and 5 is central.
		{"pair astride the midline", 10, []int{4, 1, 5, 1}, Position{Upper, Middle}},
		{"just left of 4.5", 10, []int{4, 7}, Position{Lower, Left}},
		{"just right of 4.5", 10, []int{5, 2}, Position{Upper, Right}},
	}
	for _, tt := range tests {
		p := make([]float32, tt.size*tt.size)
		paint(p, tt.size, 1, tt.xy...)
		res, err := PredictWith(&fakeSegmenter{size: tt.size, prob: p},
			gray(tt.size, tt.size, 0.5), Options{Threshold: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if r := res.Findings.Regions; len(r) != 1 || r[0].Position != tt.want {
			t.Errorf("%s: regions %+v, want one at %+v", tt.name, r, tt.want)
		}
	}
}

func TestOtsuLevel(t *testing.T) {
	tests := []struct {
		name string
		hist map[int]int
		want int
		ok   bool
	}{
		{"two levels: the lowest separating level", map[int]int{0: 5, 255: 3}, 0, true},
		{"two levels inside the range", map[int]int{51: 4, 204: 4}, 51, true},
		// t in 10..19: 2·4·(155−10)² = 168200; t in 20..199:
		// 3·3·(200−40/3)² = 313600, the larger, so t = 20.
		{"three levels", map[int]int{10: 2, 20: 1, 200: 3}, 20, true},
		{"one level", map[int]int{128: 9}, 0, false},
		{"empty", map[int]int{}, 0, false},
	}
	for _, tt := range tests {
		got, ok := otsuLevel(histogram(tt.hist))
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: otsuLevel = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// histogram returns the 256 bins holding counts.
func histogram(counts map[int]int) [256]int {
	var h [256]int
	for l, c := range counts {
		h[l] = c
	}
	return h
}

// blurredSquare is the histogram of a white 20x20 square on a black 64x64
// scan after a 3x3 box blur: 324 pixels stay 255, the 72 inner edge pixels
// become 170 (6/9 white), the 4 inner corners 113 (4/9); outside, 72 edge
// pixels become 85 (3/9), the 8 at the ends of the edges 57 (2/9), the 4
// corners 28 (1/9), and the other 3,612 stay 0.
var blurredSquare = map[int]int{0: 3612, 28: 4, 57: 8, 85: 72, 113: 4, 170: 72, 255: 324}

func TestOtsuLevels(t *testing.T) {
	tests := []struct {
		name   string
		hist   map[int]int
		t1, t2 int
		ok     bool
	}{
		// Any split between the three levels leaves no variance inside a
		// class; the lowest such pair wins.
		{"three levels", map[int]int{10: 2, 100: 3, 200: 3}, 10, 100, true},
		// Σ w·μ² over the classes {0,28,57} {85,113,170} {255} is
		// 568²/3624 + 18812²/148 + 82620²/324 = 23,459,347, above the
		// 23,447,948 of {0,28} {57..170} {255} and every other split.
		{"blurred square", blurredSquare, 57, 170, true},
		{"two levels", map[int]int{0: 5, 255: 3}, 0, 0, false},
	}
	for _, tt := range tests {
		t1, t2, ok := otsuLevels(histogram(tt.hist))
		if t1 != tt.t1 || t2 != tt.t2 || ok != tt.ok {
			t.Errorf("%s: otsuLevels = %d, %d, %v; want %d, %d, %v", tt.name, t1, t2, ok,
				tt.t1, tt.t2, tt.ok)
		}
	}
}

func TestBoxBlur(t *testing.T) {
	tests := []struct {
		name   string
		levels []uint8
		w, r   int
		want   []uint8
	}{
		// Corner windows hold 4 pixels (90/4 = 22.5 rounds up), edges 6, the centre 9.
		{"dot", []uint8{0, 0, 0, 0, 90, 0, 0, 0, 0}, 3, 1,
			[]uint8{23, 15, 23, 15, 10, 15, 23, 15, 23}},
		// 100/2, 300/3, 555/3, 455/2 = 227.5.
		{"row", []uint8{0, 100, 200, 255}, 4, 1, []uint8{50, 100, 185, 228}},
		{"no blur", []uint8{1, 2, 3}, 3, 0, []uint8{1, 2, 3}},
	}
	for _, tt := range tests {
		got := boxBlur(tt.levels, tt.w, len(tt.levels)/tt.w, tt.r)
		if string(got) != string(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// square returns a size×size scan of value bg with the square of columns
// and rows lo..hi set to v.
func square(size int, bg, v float32, lo, hi int) *preprocess.Image {
	img := gray(size, size, bg)
	for y := lo; y <= hi; y++ {
		for x := lo; x <= hi; x++ {
			img.Pix[y*size+x] = v
		}
	}
	return img
}

// block returns the indices of columns and rows lo..hi of a size-wide image.
func block(size, lo, hi int) []int {
	var out []int
	for y := lo; y <= hi; y++ {
		for x := lo; x <= hi; x++ {
			out = append(out, y*size+x)
		}
	}
	return out
}

func TestBrainMask(t *testing.T) {
	// ring: a white square ring on rows and columns 2..5 of a black 8x8
	// scan, black inside. steps: a 4x4 square of gray 0.5 with a white
	// 2x2 centre. pair: white squares of 3x3 and 4x4 on a black 12x12.
	// frame: the border of an 8x8 scan white, as some exports draw it, and
	// a white 2x2 in the middle.
	ring := square(8, 0, 1, 2, 5)
	paint(ring.Pix, 8, 0, 3, 3, 4, 3, 3, 4, 4, 4)
	steps := square(8, 0, 0.5, 2, 5)
	paint(steps.Pix, 8, 1, 3, 3, 4, 3, 3, 4, 4, 4)
	pair := square(12, 0, 1, 6, 9)
	for y := 2; y <= 4; y++ {
		paint(pair.Pix, 12, 1, 2, y, 3, y, 4, y)
	}
	frame := square(8, 1, 0, 1, 6)
	paint(frame.Pix, 8, 1, 3, 3, 4, 3, 3, 4, 4, 4)

	tests := []struct {
		name string
		img  *preprocess.Image
		want []int // indices of the mask's ones
	}{
		// Two levels: Otsu's single threshold 0; the black inside cannot
		// be reached from the border, so it fills.
		{"dark inside the head stays", ring, block(8, 2, 5)},
		// Levels 0, 128, 255: the lower of the two thresholds is 0.
		{"the darkest class is background", steps, block(8, 2, 5)},
		{"largest component kept", pair, block(12, 6, 9)},
		{"bright border frame is background", frame, block(8, 3, 4)},
		{"constant scan", gray(4, 4, 0.7), nil},
	}
	for _, tt := range tests {
		m := BrainMask(tt.img)
		var got []int
		for i, v := range m {
			if v != 0 {
				got = append(got, i)
			}
		}
		if !equalInts(got, tt.want) {
			t.Errorf("%s: mask ones at %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBrainMaskBlurred(t *testing.T) {
	// At 64x64 the blur radius is 1 and the border band 2 pixels. The
	// blurred square has the histogram blurredSquare, so the background
	// is at or below 57: the mask is the 20x20 square and the 72 pixels
	// beside its sides, not the 8 at their ends or the 4 corners.
	m := BrainMask(square(64, 0, 1, 22, 41))
	var n int
	for _, v := range m {
		n += int(v)
	}
	if n != 472 || m[21*64+30] != 1 || m[21*64+22] != 0 || m[22*64+22] != 1 {
		t.Errorf("mask holds %d pixels, (30,21)=%d (22,21)=%d (22,22)=%d; want 472, 1, 0, 1",
			n, m[21*64+30], m[21*64+22], m[22*64+22])
	}
	if BlurRadius(64, 64) != 1 || BlurRadius(63, 512) != 0 || BlurRadius(256, 256) != 4 {
		t.Errorf("BlurRadius is not 1/64 of the shorter side")
	}
}

func TestDefaultMinArea(t *testing.T) {
	for _, tt := range []struct{ w, h, want int }{
		{512, 512, 27}, {256, 256, 7}, {100, 100, 1}, {101, 100, 2}, {8, 8, 1},
	} {
		if got := DefaultMinArea(tt.w, tt.h); got != tt.want {
			t.Errorf("DefaultMinArea(%d, %d) = %d, want %d", tt.w, tt.h, got, tt.want)
		}
	}
}

func TestPredictOptionErrors(t *testing.T) {
	seg := &fakeSegmenter{size: 8, prob: fill(64, 0)}
	tests := []struct {
		opt  Options
		want string
	}{
		{Options{Threshold: 0.5, MinAreaPixels: -1}, "minimum area -1 is negative"},
		{Options{Threshold: 0.5, PixelSpacingMM: -0.1}, "pixel spacing -0.1 mm"},
		{Options{Threshold: 0.5, PixelSpacingMM: 11}, "pixel spacing 11 mm"},
		{Options{Threshold: 0.5, PixelSpacingMM: math.NaN()}, "pixel spacing NaN mm"},
	}
	for _, tt := range tests {
		_, err := PredictWith(seg, gray(8, 8, 0), tt.opt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.opt, err, tt.want)
		}
	}
}

// writeFindings writes f as JSON under a temporary folder and returns the path.
func writeFindings(t *testing.T, f any) string {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "scan_findings.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadFindingsRoundTrip(t *testing.T) {
	res, err := PredictWith(&fakeSegmenter{size: 10, prob: fourRegions()}, ringScan(),
		Options{Threshold: 0.5, MinAreaPixels: 2, PixelSpacingMM: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	res.Findings.Image = "scan.png"
	res.Findings.ModelValDice = ptr(0.75)
	p, err := WriteOutputs(t.TempDir(), "scan", ringScan(), res)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ReadFindings(p.Findings)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(f)
	b, _ := json.Marshal(res.Findings)
	if string(a) != string(b) {
		t.Errorf("read back\n%s\nwant\n%s", a, b)
	}
}

func TestReadFindingsErrors(t *testing.T) {
	good := func() *Findings {
		res, err := PredictWith(&fakeSegmenter{size: 10, prob: fourRegions()}, ringScan(),
			Options{Threshold: 0.5, MinAreaPixels: 2})
		if err != nil {
			t.Fatal(err)
		}
		return &res.Findings
	}
	tests := []struct {
		name  string
		spoil func(f *Findings)
		want  string
	}{
		{"old schema", func(f *Findings) { f.Schema = "tumorseg.findings/v1" },
			`schema "tumorseg.findings/v1" is not tumorseg.findings/v2`},
		{"zero width", func(f *Findings) { f.Width = 0 }, "size 0x10"},
		{"count disagrees", func(f *Findings) { f.RegionCount = 2 }, "region_count 2 with 3"},
		{"found without regions", func(f *Findings) {
			f.Regions, f.RegionCount, f.AreaPixels = []Region{}, 0, 0
		}, "tumor_found is true with 0 regions"},
		{"box outside", func(f *Findings) { f.Regions[0].BBox.X = 8 },
			"region 1: bbox {X:8 Y:6 W:3 H:2} is outside the 10x10 image"},
		{"area beyond its box", func(f *Findings) { f.Regions[2].AreaPixels = 3 },
			"region 3: area_pixels 3 does not fit its 1x2 box"},
		{"ids out of order", func(f *Findings) { f.Regions[1].ID = 5 }, "region 2 has id 5"},
		{"total disagrees", func(f *Findings) { f.AreaPixels = 12 },
			"area_pixels 12, regions hold 13"},
		{"probability above 1", func(f *Findings) { f.Regions[0].MeanProbability = 1.5 },
			"region 1: mean_probability 1.5"},
		{"unknown position", func(f *Findings) { f.Regions[1].Position.Vertical = "top" },
			`region 2: position "top"`},
		{"spacing zero", func(f *Findings) { f.PixelSpacingMM = ptr(0) },
			"pixel_spacing_mm 0 is outside"},
		{"dice above 1", func(f *Findings) { f.ModelValDice = ptr(2) },
			"model_val_dice 2 is outside"},
	}
	for _, tt := range tests {
		f := good()
		tt.spoil(f)
		path := writeFindings(t, f)
		_, err := ReadFindings(path)
		if err == nil || !strings.HasPrefix(err.Error(), "infer: "+path+": ") ||
			!strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one naming the file with %q", tt.name, err, tt.want)
		}
	}

	path := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(path, []byte(`{"schema": `), 0o644)
	if _, err := ReadFindings(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("truncated file: error %v, want one naming %s", err, path)
	}
	if _, err := ReadFindings(filepath.Join(t.TempDir(), "none.json")); err == nil ||
		!strings.Contains(err.Error(), "none.json") {
		t.Errorf("missing file: error %v, want one naming it", err)
	}
}
