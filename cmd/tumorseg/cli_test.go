package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"tumorseg/internal/nn"
)

// binary is the tumorseg command built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tumorseg-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tumorseg")
	args := []string{"build", "-o", binary}
	if nn.DefaultBackend() == "dnnl" {
		args = append(args, "-tags", "dnnl")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building tumorseg: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// tumorseg runs the command and returns its combined output, failing the
// test when it exits non-zero.
func tumorseg(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("tumorseg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// tumorsegFails runs the command and returns its output, failing the test
// when it succeeds.
func tumorsegFails(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err == nil {
		t.Fatalf("tumorseg %s succeeded, want an error\n%s", strings.Join(args, " "), out)
	}
	return string(out)
}

// sharedDataset returns ../shared/datasets/<name> from the repository root,
// skipping the test when it is absent.
func sharedDataset(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "datasets", name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("real data not here (%s): %v", p, err)
	}
	return p
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestEndToEndBrainTumorSmall runs prepare, train, evaluate and predict on
// the real brain-tumor-small set at a small size.
func TestEndToEndBrainTumorSmall(t *testing.T) {
	data := sharedDataset(t, "brain-tumor-small")
	work := t.TempDir()
	cacheDir := filepath.Join(work, "cache")
	preview := filepath.Join(work, "preview")

	out := tumorseg(t, "prepare", data, "--out", cacheDir, "--size", "64", "--preview", preview)
	if !strings.Contains(out, "train") {
		t.Errorf("prepare printed no summary:\n%s", out)
	}
	var audit map[string]any
	readJSON(t, filepath.Join(cacheDir, "audit.json"), &audit)
	if pngs, _ := filepath.Glob(filepath.Join(preview, "*", "*_mask.png")); len(pngs) != 178 {
		t.Errorf("%d preview masks, want 178 (one per image)", len(pngs))
	}

	run := filepath.Join(work, "run")
	out = tumorseg(t, "train", "--data", cacheDir, "--out", run, "--epochs", "2",
		"--base", "4", "--depth", "2", "--batch", "8")
	if strings.Count(out, "\nepoch ") != 2 {
		t.Errorf("want one line per epoch:\n%s", out)
	}
	for _, f := range []string{"best.ckpt", "last.ckpt", "history.csv", "run.json"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Errorf("run folder lacks %s", f)
		}
	}

	tumorseg(t, "evaluate", "--run", run, "--data", cacheDir, "--split", "test")
	var ev map[string]any
	readJSON(t, filepath.Join(run, "eval_test.json"), &ev)
	for _, k := range []string{"dice_mean", "dice_pooled", "iou", "precision", "recall",
		"pixel_accuracy", "confusion", "images", "empty_mask_images", "empty_rule"} {
		if _, ok := ev[k]; !ok {
			t.Errorf("eval_test.json lacks %s", k)
		}
	}
	if ev["images"] != 4.0 {
		t.Errorf("images = %v, want 4 (the test split)", ev["images"])
	}

	imgs, _ := filepath.Glob(filepath.Join(data, "test", "*.jpg"))
	pred := filepath.Join(work, "pred")
	tumorseg(t, append([]string{"predict", "--run", run, "--out", pred}, imgs[:2]...)...)
	for _, img := range imgs[:2] {
		stem := strings.TrimSuffix(filepath.Base(img), ".jpg")
		var f map[string]any
		readJSON(t, filepath.Join(pred, stem+"_findings.json"), &f)
		if f["width"] != 256.0 || f["height"] != 256.0 {
			t.Errorf("%s: findings at %vx%v, want the input's 256x256", stem, f["width"], f["height"])
		}
		for _, s := range []string{"_mask.png", "_overlay.png"} {
			if _, err := os.Stat(filepath.Join(pred, stem+s)); err != nil {
				t.Errorf("no %s%s", stem, s)
			}
		}
	}
}

func TestBadInputsNameTheFile(t *testing.T) {
	work := t.TempDir()
	bad := filepath.Join(work, "scan.png")
	os.WriteFile(bad, []byte("not a png"), 0o644)
	missingRun := filepath.Join(work, "norun")
	out := tumorsegFails(t, "predict", "--run", missingRun, "--out", work, bad)
	if !strings.Contains(out, "norun") {
		t.Errorf("error does not name the run folder:\n%s", out)
	}
	out = tumorsegFails(t, "prepare", filepath.Join(work, "nodata"), "--out", filepath.Join(work, "c"))
	if !strings.Contains(out, "nodata") {
		t.Errorf("error does not name the dataset:\n%s", out)
	}
	ckpt := filepath.Join(work, "fake")
	os.MkdirAll(ckpt, 0o755)
	os.WriteFile(filepath.Join(ckpt, "best.ckpt"), []byte("TSEGCKPT\x09\x00\x00\x00"), 0o644)
	out = tumorsegFails(t, "predict", "--run", ckpt, "--out", work, bad)
	if !strings.Contains(out, "best.ckpt") || !strings.Contains(out, "version") {
		t.Errorf("error does not name the checkpoint and its version:\n%s", out)
	}
}
