package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
)

// Environment variables of the browser test.
const (
	// envChromium names the Chromium binary when it is not /usr/bin/chromium.
	envChromium = "CHROMIUM"
	// envScreenshot, when set, is where the test saves a PNG of the page
	// after the upload, e.g. docs/screenshots/serve.png.
	envScreenshot = "TUMORSEG_SCREENSHOT"
	// envBrowserRun and envBrowserScan replace the tiny UNet and its
	// synthetic slice by a real run and scan, for a screenshot worth
	// showing.
	envBrowserRun  = "TUMORSEG_BROWSER_RUN"
	envBrowserScan = "TUMORSEG_BROWSER_SCAN"
)

// chromium returns the Chromium binary to drive, or "" when there is none.
func chromium() string {
	for _, p := range []string{os.Getenv(envChromium), "/usr/bin/chromium"} {
		if st, err := os.Stat(p); p != "" && err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}

// pageState is what the test reads from the page after the upload.
type pageState struct {
	State       string `json:"state"`
	Error       string `json:"error"`
	CanvasW     int    `json:"canvasW"`
	CanvasH     int    `json:"canvasH"`
	Red         int    `json:"red"`
	TumorFound  bool   `json:"tumorFound"`
	SummaryRows int    `json:"summaryRows"`
	Explanation string `json:"explanation"`
	Disclaimer  string `json:"disclaimer"`
	Checks      int    `json:"checks"`
	Passed      int    `json:"passed"`
}

// readState counts the red pixels of the canvas (red above green by more
// than 40) and reads the findings and explanation shown.
const readState = `(() => {
  const c = document.getElementById("canvas");
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let red = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] - d[i + 1] > 40) red++;
  const text = document.getElementById("explanation-text");
  const disc = document.querySelector("#explanation .disclaimer");
  return {
    state: document.body.dataset.state,
    error: document.getElementById("status").textContent,
    canvasW: c.width, canvasH: c.height, red: red,
    tumorFound: document.querySelector("#findings .big").classList.contains("found"),
    summaryRows: document.querySelectorAll("#summary tr").length,
    explanation: text ? text.textContent : "",
    disclaimer: disc ? disc.textContent : "",
    checks: document.querySelectorAll("#checks li").length,
    passed: document.querySelectorAll("#checks .pass").length,
  };
})()`

func TestPageInABrowser(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("no Chromium at /usr/bin/chromium or $CHROMIUM: install Debian's chromium " +
			"(CI=1 scripts/install-deps does) to run the browser test")
	}
	run, scan := os.Getenv(envBrowserRun), os.Getenv(envBrowserScan)
	if run == "" || scan == "" {
		run, scan, _ = tinyRun(t)
	}
	nets, err := LoadNetworks([]string{run}, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	_, ts := testServer(t, Config{Networks: nets})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx, cancel = chromedp.NewExecAllocator(ctx, chromedp.ExecPath(bin), chromedp.Headless,
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 900))
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()

	downloads := t.TempDir()
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL)); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior,
		browser.SetDownloadBehaviorParams{Behavior: browser.SetDownloadBehaviorBehaviorAllow,
			DownloadPath: downloads, EventsEnabled: new(true)}); err != nil {
		t.Fatal(err)
	}

	// Upload the scan and wait until the explanation is shown.
	err = chromedp.Do(ctx, chromedp.EmulateViewport(1100, 900),
		chromedp.WaitVisible(chromedp.ID("drop")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{scan}))
	if err != nil {
		t.Fatal(err)
	}
	state, err := chromedp.Run(ctx, chromedp.Poll[string](
		`["ready", "error"].includes(document.body.dataset.state) && document.body.dataset.state`,
		chromedp.WithPollingTimeout(time.Minute)))
	if err != nil {
		t.Fatalf("waiting for the page: %v", err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](readState))
	if err != nil {
		t.Fatal(err)
	}
	if state != "ready" {
		t.Fatalf("the page shows an error: %q", got.Error)
	}
	if got.CanvasW == 0 || got.CanvasH == 0 || (got.Red > 0) != got.TumorFound {
		t.Errorf("canvas %dx%d with %d red pixels, tumor found %v", got.CanvasW, got.CanvasH,
			got.Red, got.TumorFound)
	}
	if got.SummaryRows < 9 || got.Explanation == "" ||
		!strings.HasPrefix(got.Disclaimer, "This is not a diagnosis.") || got.Checks < 3 ||
		got.Passed != got.Checks {
		t.Errorf("page shows %+v", got)
	}
	if path := os.Getenv(envScreenshot); path != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := saveScreenshot(path, png); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path); err == nil {
			t.Logf("screenshot %s, %d KB", path, st.Size()>>10)
		}
	}

	// Hiding the mask leaves no red on the canvas.
	err = chromedp.Do(ctx, chromedp.Click(chromedp.ID("show")))
	if err != nil {
		t.Fatal(err)
	}
	if hidden, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](readState)); err != nil ||
		hidden.Red != 0 {
		t.Errorf("%d red pixels with the mask hidden (%v)", hidden.Red, err)
	}

	// The PDF report downloads.
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("pdf"))); err != nil {
		t.Fatal(err)
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("waiting for the PDF: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the PDF download was canceled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			break
		}
	}
	files, _ := filepath.Glob(filepath.Join(downloads, "*_report.pdf"))
	if len(files) != 1 {
		t.Fatalf("downloaded %v, want one *_report.pdf", files)
	}
	if pdf, err := os.ReadFile(files[0]); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("%s is no PDF file (%v)", files[0], err)
	}

	// On a phone-sized screen nothing is wider than the screen.
	err = chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	if err != nil {
		t.Fatal(err)
	}
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("the page is %d px wide on a 390 px screen (%v)", w, err)
	}
}
