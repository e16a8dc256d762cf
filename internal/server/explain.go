package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
)

// ExplainRequest is the body of /api/v1/explain.
type ExplainRequest struct {
	// Findings are the findings to explain, as /api/v1/segment returns
	// them.
	Findings *infer.Findings `json:"findings"`
	// Lang is the language to write in, "en" (the default) or "zh-TW".
	Lang string `json:"lang"`
}

// explainRoute answers POST /api/v1/explain with the explain.Explanation
// of the findings sent.
func (s *Server) explainRoute(w http.ResponseWriter, r *http.Request) error {
	t, busy := s.admit(w, s.explain)
	if busy != nil {
		return busy
	}
	defer t.release()
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ExplainTimeout)
	defer cancel()

	var req ExplainRequest
	if err := s.readJSON(w, r, &req); err != nil {
		return err
	}
	lang, err := parseLang(req.Lang)
	if err != nil {
		return err
	}
	if err := checkFindings(req.Findings); err != nil {
		return err
	}
	if err := t.wait(ctx); err != nil {
		return timeoutError(ctx, s.cfg.ExplainTimeout, "waiting to explain the findings")
	}
	e, err := s.explainFindings(ctx, req.Findings, lang)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// explainFindings returns the explanation of f in lang, or a 504 *Error
// when ctx ends first.
func (s *Server) explainFindings(ctx context.Context, f *infer.Findings,
	lang explain.Lang) (*explain.Explanation, error) {
	e, err := s.explainer(lang).Explain(ctx, f)
	if err != nil && ctx.Err() != nil {
		return nil, timeoutError(ctx, s.cfg.ExplainTimeout, "explaining the findings")
	}
	return e, err
}

// parseLang returns the language named by s, English when s is empty, or a
// 400 *Error.
func parseLang(s string) (explain.Lang, error) {
	if s == "" {
		return explain.English, nil
	}
	lang, err := explain.ParseLang(s)
	if err != nil {
		return "", &Error{Status: http.StatusBadRequest, Message: err.Error()}
	}
	return lang, nil
}

// checkFindings returns a 400 *Error when f is missing and a 422 when it
// does not validate.
func checkFindings(f *infer.Findings) error {
	if f == nil {
		return errorf(http.StatusBadRequest, "no findings in the request")
	}
	if err := f.Validate(); err != nil {
		return errorf(http.StatusUnprocessableEntity, "findings: %v", err)
	}
	return nil
}

// readJSON decodes the JSON body of r, at most Config.MaxUploadBytes, into
// v. It returns a 415 *Error for a body declared as anything but JSON, a
// 413 for one over the limit and a 400 for one that does not decode.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if t, _, err := mime.ParseMediaType(ct); err != nil || t != "application/json" {
			return errorf(http.StatusUnsupportedMediaType,
				"the body is %q; send application/json", ct)
		}
	}
	if err := s.limitBody(w, r); err != nil {
		return err
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return s.tooLarge()
		}
		return errorf(http.StatusBadRequest, "bad JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errorf(http.StatusBadRequest, "bad JSON body: more than one value")
	}
	return nil
}
