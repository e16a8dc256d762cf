package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
	"tumorseg/internal/preprocess"
	"tumorseg/internal/report"
)

// ReportRequest is the JSON body of /api/v1/report for a scan already
// segmented: the findings, scan and mask of a SegmentResponse.
type ReportRequest struct {
	// Findings are the findings to report.
	Findings *infer.Findings `json:"findings"`
	// Scan is the gray scan as a PNG data URI, as SegmentResponse.Scan.
	Scan string `json:"scan"`
	// Mask is the prediction as a PNG data URI, as SegmentResponse.Mask;
	// its tumor pixels must number Findings.AreaPixels.
	Mask string `json:"mask"`
	// Lang is the language of the report, "en" (the default) or "zh-TW".
	Lang string `json:"lang"`
}

// report answers POST /api/v1/report with a PDF. The body is either a
// ReportRequest in JSON or, for a fresh scan, a multipart form as for
// /api/v1/segment with an optional FieldLang. The explanation in the PDF
// is always written by the server's own explainer, so a report never
// carries text the server did not write and check; the overlay is drawn
// again from the scan and the mask.
func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	if isMultipart(r) {
		return s.reportUpload(w, r)
	}
	return s.reportJSON(w, r)
}

// reportUpload answers a report request with a fresh scan: it segments
// the scan in an inference slot, then writes the report.
func (s *Server) reportUpload(w http.ResponseWriter, r *http.Request) error {
	t, busy := s.admit(w, s.infer)
	if busy != nil {
		return busy
	}
	defer t.release()
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.InferTimeout)
	defer cancel()

	up, err := s.readUpload(w, r, FieldModel, FieldPixelSpacing, FieldLang)
	if err != nil {
		return err
	}
	lang, err := parseLang(up.fields[FieldLang])
	if err != nil {
		return err
	}
	out, err := s.segmentUpload(ctx, t, up)
	if err != nil {
		return err
	}
	et, busy := s.admit(w, s.explain)
	if busy != nil {
		return busy
	}
	defer et.release()
	return s.writeReport(w, r, et, &out.res.Findings, lang, func() (*preprocess.Image,
		[]uint8, error) {
		return out.img, out.res.Mask, nil
	})
}

// reportJSON answers a report request with a ReportRequest. The findings
// must validate, the scan and the mask must be PNG images of the findings'
// size, and the mask must hold as many tumor pixels as the findings count.
func (s *Server) reportJSON(w http.ResponseWriter, r *http.Request) error {
	t, busy := s.admit(w, s.explain)
	if busy != nil {
		return busy
	}
	defer t.release()
	var req ReportRequest
	if err := s.readJSON(w, r, &req); err != nil {
		return err
	}
	lang, err := parseLang(req.Lang)
	if err != nil {
		return err
	}
	f := req.Findings
	if err := checkFindings(f); err != nil {
		return err
	}
	scan, err := s.dataImage("scan", req.Scan, f)
	if err != nil {
		return err
	}
	mask, err := s.dataImage("mask", req.Mask, f)
	if err != nil {
		return err
	}
	return s.writeReport(w, r, t, f, lang, func() (*preprocess.Image, []uint8, error) {
		img, err := scan.decode()
		if err != nil {
			return nil, nil, err
		}
		m, err := mask.decode()
		if err != nil {
			return nil, nil, err
		}
		bits := make([]uint8, len(m.Pix))
		area := 0
		for i, v := range m.Pix {
			if v >= 0.5 {
				bits[i] = 1
				area++
			}
		}
		if area != f.AreaPixels {
			return nil, nil, errorf(http.StatusUnprocessableEntity,
				"the mask has %d tumor pixels, the findings %d", area, f.AreaPixels)
		}
		return img, bits, nil
	})
}

// writeReport waits with t for an explanation slot, then gets the scan and
// the mask from images, explains f in lang and writes the PDF, all within
// Config.ExplainTimeout.
func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, t *ticket,
	f *infer.Findings, lang explain.Lang,
	images func() (*preprocess.Image, []uint8, error)) error {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ExplainTimeout)
	defer cancel()
	if err := t.wait(ctx); err != nil {
		return timeoutError(ctx, s.cfg.ExplainTimeout, "waiting to write the report")
	}

	img, mask, err := images()
	if err != nil {
		return err
	}
	e, err := s.explainFindings(ctx, f, lang)
	if err != nil {
		return err
	}
	var pdf bytes.Buffer
	err = report.PDF(&pdf, &report.Input{Findings: f, Explanation: e,
		Scan: infer.ScanImage(img), Overlay: infer.Overlay(img, mask), Date: time.Now()})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}

	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.Itoa(pdf.Len()))
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": reportName(f.Image)}))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(pdf.Bytes())
	return err
}

// reportName returns the file name of the report on the scan called image.
func reportName(image string) string {
	stem := strings.TrimSuffix(image, filepath.Ext(image))
	if stem == "" {
		stem = "scan"
	}
	return stem + "_report.pdf"
}

// dataImage returns the upload in the PNG data URI uri of the field called
// what, its header checked, or a 400, 413, 415 or 422 *Error unless it is
// an image of f's size.
func (s *Server) dataImage(what, uri string, f *infer.Findings) (*upload, error) {
	b64, ok := strings.CutPrefix(uri, dataURIPrefix)
	if !ok {
		return nil, errorf(http.StatusBadRequest, "%s is not a data URI starting %q", what,
			dataURIPrefix)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "%s: bad base64: %v", what, err)
	}
	up := &upload{name: what, data: data}
	if err := s.checkHeader(up); err != nil {
		return nil, err
	}
	if up.width != f.Width || up.height != f.Height {
		return nil, errorf(http.StatusUnprocessableEntity, "%s is %dx%d, the findings %dx%d",
			what, up.width, up.height, f.Width, f.Height)
	}
	return up, nil
}
