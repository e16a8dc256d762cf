package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"tumorseg/internal/cache"
	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
	"tumorseg/internal/models"
	"tumorseg/internal/synth"
	"tumorseg/internal/train"
)

// tiny is a UNet trained once for the package's tests.
var tiny struct {
	once      sync.Once
	run, scan string
	dice      float64
	err       error
}

// TestMain removes the tiny run when the tests end.
func TestMain(m *testing.M) {
	code := m.Run()
	if tiny.run != "" {
		os.RemoveAll(filepath.Dir(tiny.run))
	}
	os.Exit(code)
}

// tinyRun returns the folder of a UNet (base 2, depth 2) trained for one
// epoch on 64px synthetic slices with the ref backend, a few seconds of
// work, and the path of a test slice it never saw.
func tinyRun(t *testing.T) (run, scan string, dice float64) {
	t.Helper()
	tiny.once.Do(func() {
		dir, err := os.MkdirTemp("", "tumorseg-server-run")
		if err != nil {
			tiny.err = err
			return
		}
		tiny.run = filepath.Join(dir, "run")
		sum, err := synth.WriteCOCO(filepath.Join(dir, "data"),
			synth.Options{Train: 8, Valid: 4, Test: 1, Size: 64, Seed: 5})
		if err != nil {
			tiny.err = err
			return
		}
		if _, err := cache.Prepare(sum.Dir, filepath.Join(dir, "cache"),
			cache.PrepareOptions{Size: 64, Workers: 1}); err != nil {
			tiny.err = err
			return
		}
		cfg := train.Defaults()
		cfg.Data, cfg.Options, cfg.Backend = filepath.Join(dir, "cache"),
			models.Options{Base: 2, Depth: 2}, "ref"
		cfg.Epochs, cfg.BatchSize, cfg.Augment, cfg.Workers = 1, 4, false, 1
		res, err := train.Run(context.Background(), cfg, tiny.run, train.Hooks{})
		if err != nil {
			tiny.err = err
			return
		}
		tiny.dice = res.BestDice
		scans, err := filepath.Glob(filepath.Join(sum.Dir, "test", "*.png"))
		if err != nil || len(scans) == 0 {
			tiny.err = err
			return
		}
		tiny.scan = scans[0]
	})
	if tiny.err != nil || tiny.scan == "" {
		t.Fatalf("training the tiny UNet: %v", tiny.err)
	}
	return tiny.run, tiny.scan, tiny.dice
}

func TestSegmentWithATrainedUNet(t *testing.T) {
	run, scanPath, dice := tinyRun(t)
	nets, err := LoadNetworks([]string{"tiny=" + run}, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	if n := nets[0]; n.Name != "tiny" || n.Architecture != "unet" || *n.ValDice != dice ||
		n.Epoch != 1 || n.Size != 64 || n.Backend != "ref" || len(n.Instances) != 2 {
		t.Fatalf("loaded %+v", n)
	}
	_, ts := testServer(t, Config{Networks: nets})
	scan, err := os.ReadFile(scanPath)
	if err != nil {
		t.Fatal(err)
	}

	var got SegmentResponse
	decode(t, postForm(t, ts.URL+"/api/v1/segment", imagePart("slice.png", scan),
		field(FieldModel, "tiny")), http.StatusOK, &got)
	f := got.Findings
	if f.Schema != infer.FindingsSchema || f.Model != "tiny" || *f.ModelValDice != dice ||
		f.Width != 64 || f.Height != 64 || f.Image != "slice.png" {
		t.Errorf("findings %+v", f)
	}
	if err := f.Validate(); err != nil {
		t.Errorf("findings do not validate: %v", err)
	}
	// Whatever one epoch learned, the mask must agree with the findings.
	mask := decodeDataURI(t, got.Mask)
	area := 0
	for y := range 64 {
		for x := range 64 {
			if r, _, _, _ := mask.At(x, y).RGBA(); r != 0 {
				area++
			}
		}
	}
	if area != f.AreaPixels {
		t.Errorf("mask has %d tumor pixels, findings %d", area, f.AreaPixels)
	}

	var e explain.Explanation
	decode(t, postJSON(t, ts.URL+"/api/v1/explain", ExplainRequest{Findings: &f}),
		http.StatusOK, &e)
	if e.Source != explain.SourceOffline || e.Text == "" {
		t.Errorf("explanation %+v", e)
	}
	resp := postJSON(t, ts.URL+"/api/v1/report", ReportRequest{Findings: &f, Scan: got.Scan,
		Mask: got.Mask})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("report: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestLoadNetworksNamesEachRunOnce(t *testing.T) {
	run, _, _ := tinyRun(t)
	if _, err := LoadNetworks([]string{run, run}, "", 1); err == nil ||
		err.Error() != "server: runs "+run+" and "+run+` are both named "unet"; name `+
			"them with --run NAME=DIR" {
		t.Errorf("error %v", err)
	}
	nets, err := LoadNetworks([]string{run, "second=" + run}, "", 1)
	if err != nil || len(nets) != 2 || nets[0].Name != "unet" || nets[1].Name != "second" {
		t.Errorf("networks %v, %v", nets, err)
	}
	if _, err := LoadNetworks([]string{filepath.Join(run, "missing")}, "", 1); err == nil {
		t.Error("a missing run loaded")
	}
}
