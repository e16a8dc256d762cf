// Package explain turns findings into words a patient can read, in English
// or Traditional Chinese.
//
// Two Explainers share one interface. Offline fills fixed templates with the
// measured facts. LLM asks a language model behind any OpenAI-compatible
// chat API (Ollama, llama.cpp's server, vLLM, OpenAI) and checks its answer
// with Verify before using it: every number must come from the findings, no
// word may name a diagnosis, prognosis or treatment, and English text must
// read at grade 8 or below (Flesch-Kincaid). An answer that fails gets one
// retry that names what was wrong; a second failure, or any failure to get
// an answer, falls back to Offline with a note saying why.
//
// Every Explanation ends with tumorseg's fixed Disclaimer: it is added
// here, never left to the model.
package explain

import (
	"context"
	"fmt"
	"strings"

	"tumorseg/internal/infer"
)

// Lang is the language of an explanation, as a BCP 47 tag.
type Lang string

// The languages explanations are written in.
const (
	English            Lang = "en"
	TraditionalChinese Lang = "zh-TW"
)

// ParseLang returns the Lang named by s: "en" or "zh-TW", in any case and
// with "_" for "-".
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "-")) {
	case "en":
		return English, nil
	case "zh-tw":
		return TraditionalChinese, nil
	}
	return "", fmt.Errorf("explain: language %q is not en or zh-TW", s)
}

// Sources of an explanation's text.
const (
	// SourceOffline marks text filled into tumorseg's templates.
	SourceOffline = "offline"
	// SourceLLM marks text written by a language model that passed Verify.
	SourceLLM = "llm"
)

// Explainer writes the explanation of findings.
type Explainer interface {
	// Explain returns the explanation of f. It fails only when f does not
	// validate or ctx ends; an explainer that cannot get a good text falls
	// back to templates.
	Explain(ctx context.Context, f *infer.Findings) (*Explanation, error)
}

// Check is the verdict of one check on a text.
type Check struct {
	// Name is one of the Check* constants.
	Name string `json:"name"`
	// Passed is true when the text passed.
	Passed bool `json:"passed"`
	// Detail says what was found, in English.
	Detail string `json:"detail"`
}

// Names of the checks Verify runs.
const (
	CheckNumbers     = "numbers"
	CheckClaims      = "no_diagnosis"
	CheckReadability = "readability"
	CheckDisclaimer  = "disclaimer"
)

// Attempt is one request to a language model and how its answer fared.
type Attempt struct {
	// Text is the model's answer, empty when the request failed.
	Text string `json:"text,omitempty"`
	// Error says why the request failed, empty when an answer came.
	Error string `json:"error,omitempty"`
	// Checks are Verify's verdicts on Text.
	Checks []Check `json:"checks,omitempty"`
}

// Explanation is the text a patient reads about one scan and how it was
// made.
type Explanation struct {
	// Lang is the language of Text, Note and Disclaimer.
	Lang Lang `json:"lang"`
	// Source is SourceOffline or SourceLLM.
	Source string `json:"source"`
	// Text explains the findings, without the note and disclaimer.
	Text string `json:"text"`
	// Note says why the language model's answer was not used; empty when
	// it was, or when none was asked for.
	Note string `json:"note,omitempty"`
	// Disclaimer is Disclaimer(Lang).
	Disclaimer string `json:"disclaimer"`
	// Checks are the verdicts on the final text.
	Checks []Check `json:"checks"`
	// Attempts lists the requests to the language model, in order.
	Attempts []Attempt `json:"attempts,omitempty"`
	// LLMModel names the language model asked, if any.
	LLMModel string `json:"llm_model,omitempty"`
}

// String returns what the patient reads: the note when there is one, the
// text and the disclaimer, separated by blank lines. It always ends with
// the disclaimer.
func (e *Explanation) String() string {
	parts := make([]string, 0, 3)
	if e.Note != "" {
		parts = append(parts, e.Note)
	}
	parts = append(parts, e.Text, Disclaimer(e.Lang))
	return strings.Join(parts, "\n\n")
}

// Disclaimer returns tumorseg's fixed disclaimer in lang: the text is not a
// diagnosis and the treating doctor must be consulted.
func Disclaimer(lang Lang) string {
	if lang == TraditionalChinese {
		return "這不是診斷。這些測量結果由電腦程式產生，可能有錯誤。" +
			"請務必與您的主治醫師討論這張影像及其對您的意義。"
	}
	return "This is not a diagnosis. A computer program made these measurements, " +
		"and it can be wrong. Please talk with your treating doctor about this scan " +
		"and what it means for you."
}

// disclaimerCheck returns the verdict on whether e's full text ends with
// the disclaimer.
func disclaimerCheck(e *Explanation) Check {
	if strings.HasSuffix(e.String(), Disclaimer(e.Lang)) {
		return Check{Name: CheckDisclaimer, Passed: true,
			Detail: "tumorseg's disclaimer ends the text"}
	}
	return Check{Name: CheckDisclaimer, Detail: "the text does not end with the disclaimer"}
}

// validate returns an error unless f is findings an explainer can use.
func validate(f *infer.Findings) error {
	if f == nil {
		return fmt.Errorf("explain: no findings")
	}
	if err := f.Validate(); err != nil {
		return fmt.Errorf("explain: findings: %w", err)
	}
	return nil
}
