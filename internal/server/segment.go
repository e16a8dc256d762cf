package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strconv"
	"time"

	"tumorseg/internal/infer"
	"tumorseg/internal/preprocess"
)

// SegmentResponse is the answer of /api/v1/segment.
type SegmentResponse struct {
	// Findings measure the prediction, in the scan's pixels.
	Findings infer.Findings `json:"findings"`
	// Scan is the scan as the network saw it, in gray, at its own size.
	Scan string `json:"scan"`
	// Mask is the prediction at the scan's size: 255 for tumor, 0
	// elsewhere.
	Mask string `json:"mask"`
	// Overlay is the scan in gray with the prediction tinted red and
	// outlined, as tumorseg predict writes it.
	Overlay string `json:"overlay"`
	// Seconds is how long decoding, segmenting and encoding took.
	Seconds float64 `json:"seconds"`
}

// The images of SegmentResponse are PNG files in data URIs (RFC 2397).
const dataURIPrefix = "data:image/png;base64,"

// segmented is one scan's prediction with the images of its answer.
type segmented struct {
	img  *preprocess.Image
	res  *infer.Result
	resp *SegmentResponse
}

// segment answers POST /api/v1/segment: a multipart form with the scan in
// FieldImage and optional FieldModel and FieldPixelSpacing.
func (s *Server) segment(w http.ResponseWriter, r *http.Request) error {
	t, busy := s.admit(w, s.infer)
	if busy != nil {
		return busy
	}
	defer t.release()
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.InferTimeout)
	defer cancel()

	up, err := s.readUpload(w, r, FieldModel, FieldPixelSpacing)
	if err != nil {
		return err
	}
	out, err := s.segmentUpload(ctx, t, up)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out.resp)
	return nil
}

// admit returns a ticket of l, or a 503 *Error with a Retry-After header
// set on w.
func (s *Server) admit(w http.ResponseWriter, l *limiter) (*ticket, *Error) {
	t, busy := l.admit()
	if busy != nil {
		w.Header().Set("Retry-After", strconv.Itoa(l.retryAfter()))
		return nil, busy
	}
	return t, nil
}

// segmentUpload checks up, waits with t for an inference slot and segments
// the scan with the network it names, all within ctx.
func (s *Server) segmentUpload(ctx context.Context, t *ticket, up *upload) (*segmented,
	error) {
	n, err := s.network(up.fields[FieldModel])
	if err != nil {
		return nil, err
	}
	spacing, err := up.pixelSpacing()
	if err != nil {
		return nil, err
	}
	if err := s.checkHeader(up); err != nil {
		return nil, err
	}
	if path, err := s.keep(up); err != nil {
		return nil, err
	} else if path != "" {
		s.cfg.Log.Info("upload kept", "path", path, "image", up.name)
	}

	return work(ctx, t, n, s.cfg.InferTimeout, func(seg infer.Segmenter) (*segmented, error) {
		start := time.Now()
		img, err := up.decode()
		if err != nil {
			return nil, err
		}
		res, err := infer.PredictWith(seg, img, infer.Options{Threshold: s.cfg.Threshold,
			MinAreaPixels: infer.DefaultMinArea(img.W, img.H), PixelSpacingMM: spacing})
		if err != nil {
			return nil, fmt.Errorf("server: %s: %w", up.name, err)
		}
		res.Findings.Image = up.name
		res.Findings.Model = n.Name
		res.Findings.ModelValDice = n.ValDice
		resp, err := respond(img, res)
		if err != nil {
			return nil, err
		}
		resp.Seconds = time.Since(start).Seconds()
		return &segmented{img: img, res: res, resp: resp}, nil
	})
}

// work runs job on a free instance of n once t holds an inference slot,
// and returns its result, or a 504 *Error when ctx's deadline, limit after
// the request came, passes first. A network cannot be stopped midway, so
// after a 504 the job runs on and keeps its slot and instance until it
// ends: the slots bound the work really running, not only the requests
// still waiting for it.
func work[T any](ctx context.Context, t *ticket, n *network, limit time.Duration,
	job func(infer.Segmenter) (T, error)) (T, error) {
	var zero T
	if err := t.wait(ctx); err != nil {
		return zero, timeoutError(ctx, limit, "waiting for a free inference slot")
	}
	var seg infer.Segmenter
	select {
	case seg = <-n.free:
	case <-ctx.Done():
		return zero, timeoutError(ctx, limit, "waiting for a free instance of "+n.Name)
	}

	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	free := t.handOff()
	go func() {
		defer free()
		defer func() { n.free <- seg }()
		v, err := job(seg)
		done <- result{v, err}
	}()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return zero, timeoutError(ctx, limit, "segmenting the scan")
	}
}

// timeoutError returns the *Error for ctx ended while doing what: a 504
// when its deadline, limit after the request came, passed, and a 499 when
// the client went away.
func timeoutError(ctx context.Context, limit time.Duration, what string) *Error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errorf(http.StatusGatewayTimeout, "timed out after %v %s", limit, what)
	}
	return errorf(499, "the client closed the request while %s", what)
}

// respond encodes the images of res on img into a SegmentResponse.
func respond(img *preprocess.Image, res *infer.Result) (*SegmentResponse, error) {
	mask := image.NewGray(image.Rect(0, 0, img.W, img.H))
	for i, v := range res.Mask {
		if v != 0 {
			mask.Pix[i] = 255
		}
	}
	r := &SegmentResponse{Findings: res.Findings}
	for _, p := range []struct {
		dst *string
		img image.Image
	}{{&r.Scan, infer.ScanImage(img)}, {&r.Mask, mask}, {&r.Overlay, infer.Overlay(img, res.Mask)}} {
		uri, err := pngDataURI(p.img)
		if err != nil {
			return nil, err
		}
		*p.dst = uri
	}
	return r, nil
}

// pngEncoder trades file size for speed: the answer is read once.
var pngEncoder = png.Encoder{CompressionLevel: png.BestSpeed}

// pngDataURI returns m as a PNG in a data URI.
func pngDataURI(m image.Image) (string, error) {
	var b bytes.Buffer
	if err := pngEncoder.Encode(&b, m); err != nil {
		return "", fmt.Errorf("server: encoding PNG: %w", err)
	}
	return dataURIPrefix + base64.StdEncoding.EncodeToString(b.Bytes()), nil
}
