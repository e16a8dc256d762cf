package server

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"testing"
)

func TestReport(t *testing.T) {
	_, ts := testServer(t, Config{})
	seg := segmentScan(t, ts.URL)
	checkPDF := func(t *testing.T, resp *http.Response) {
		t.Helper()
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body.Bytes())
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := resp.Header.Get("Content-Disposition"); cd !=
			"attachment; filename=brain_report.pdf" {
			t.Errorf("Content-Disposition %q", cd)
		}
		if !bytes.HasPrefix(body.Bytes(), []byte("%PDF-")) ||
			!bytes.Contains(body.Bytes()[max(0, body.Len()-32):], []byte("%%EOF")) {
			t.Errorf("the body is no PDF file: %.20q", body.Bytes())
		}
	}

	t.Run("from a segmented scan", func(t *testing.T) {
		checkPDF(t, postJSON(t, ts.URL+"/api/v1/report", ReportRequest{
			Findings: &seg.Findings, Scan: seg.Scan, Mask: seg.Mask, Lang: "en"}))
	})
	t.Run("from a fresh upload", func(t *testing.T) {
		checkPDF(t, postForm(t, ts.URL+"/api/v1/report",
			imagePart("brain.png", scanPNG(t, 64, 64)), field(FieldLang, "en")))
	})

	small := pngURI(t, scanPNG(t, 32, 32))
	for _, tc := range []struct {
		name   string
		req    ReportRequest
		status int
		want   string
	}{
		{"mask of another prediction", ReportRequest{Findings: &seg.Findings, Scan: seg.Scan,
			Mask: seg.Scan}, 422, "the mask has"},
		{"scan of another size", ReportRequest{Findings: &seg.Findings, Scan: small,
			Mask: seg.Mask}, 422, "scan is 32x32, the findings 64x64"},
		{"scan not a data URI", ReportRequest{Findings: &seg.Findings, Scan: "brain.png",
			Mask: seg.Mask}, 400, `scan is not a data URI starting "data:image/png;base64,"`},
		{"bad base64", ReportRequest{Findings: &seg.Findings, Scan: seg.Scan,
			Mask: dataURIPrefix + "@@"}, 400, "mask: bad base64"},
		{"bomb as the scan", ReportRequest{Findings: &seg.Findings,
			Scan: pngURI(t, bombPNG(100000, 100000)), Mask: seg.Mask}, 413,
			"scan: image is 100000x100000"},
		{"no findings", ReportRequest{Scan: seg.Scan, Mask: seg.Mask}, 400, "no findings"},
		{"unknown language", ReportRequest{Findings: &seg.Findings, Scan: seg.Scan,
			Mask: seg.Mask, Lang: "de"}, 400, `language "de"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, postJSON(t, ts.URL+"/api/v1/report", tc.req), tc.status, tc.want)
		})
	}
	t.Run("fresh upload of an unknown model", func(t *testing.T) {
		wantError(t, postForm(t, ts.URL+"/api/v1/report", imagePart("b.png",
			scanPNG(t, 64, 64)), field(FieldModel, "x")), 404, `no network named "x"`)
	})
}

// pngURI returns PNG bytes as a data URI.
func pngURI(t *testing.T, data []byte) string {
	t.Helper()
	return dataURIPrefix + base64.StdEncoding.EncodeToString(data)
}
