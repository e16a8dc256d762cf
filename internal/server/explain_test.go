package server

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
)

// segmentScan returns the answer of ts's segment route on a 64x64 scan.
func segmentScan(t *testing.T, url string) SegmentResponse {
	t.Helper()
	var got SegmentResponse
	decode(t, postForm(t, url+"/api/v1/segment", imagePart("brain.png", scanPNG(t, 64, 64))),
		http.StatusOK, &got)
	return got
}

func TestExplainWritesTheOfflineText(t *testing.T) {
	_, ts := testServer(t, Config{})
	f := segmentScan(t, ts.URL).Findings
	for _, tc := range []struct {
		lang string
		want explain.Lang
	}{
		{"", explain.English},
		{"en", explain.English},
		{"zh-TW", explain.TraditionalChinese},
		{"zh_tw", explain.TraditionalChinese},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			var got explain.Explanation
			decode(t, postJSON(t, ts.URL+"/api/v1/explain", ExplainRequest{Findings: &f,
				Lang: tc.lang}), http.StatusOK, &got)
			want, err := explain.Offline{Lang: tc.want}.Explain(context.Background(), &f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&got, want) {
				t.Errorf("explanation\n%+v\nwant\n%+v", got, *want)
			}
			for _, c := range got.Checks {
				if !c.Passed {
					t.Errorf("check %s failed: %s", c.Name, c.Detail)
				}
			}
		})
	}
}

func TestExplainRefusesBadRequests(t *testing.T) {
	_, ts := testServer(t, Config{MaxUploadBytes: 1 << 20})
	f := segmentScan(t, ts.URL).Findings
	good, _ := json.Marshal(ExplainRequest{Findings: &f})
	french, _ := json.Marshal(ExplainRequest{Findings: &f, Lang: "fr"})
	old := f
	old.Schema = "tumorseg.findings/v1"
	oldBody, _ := json.Marshal(ExplainRequest{Findings: &old})
	for _, tc := range []struct {
		name, ct, body string
		status         int
		want           string
	}{
		{"unknown language", "application/json", string(french), 400,
			`explain: language "fr" is not en or zh-TW`},
		{"no findings", "application/json", `{"lang":"en"}`, 400, "no findings"},
		{"old schema", "application/json", string(oldBody), 422,
			`findings: schema "tumorseg.findings/v1" is not tumorseg.findings/v2`},
		{"not JSON", "text/plain", string(good), 415,
			`the body is "text/plain"; send application/json`},
		{"broken JSON", "application/json", `{"findings": {`, 400, "bad JSON body"},
		{"two values", "application/json", string(good) + "{}", 400, "more than one value"},
		{"too large", "application/json", `{"lang":"` + strings.Repeat("x", 2<<20) + `"}`,
			413, "larger than 1 MB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, ts.URL+"/api/v1/explain", tc.ct, strings.NewReader(tc.body), "")
			wantError(t, resp, tc.status, tc.want)
		})
	}
}

// fixedExplainer answers every request with its text after delay.
type fixedExplainer struct {
	text  string
	delay time.Duration
}

func (e fixedExplainer) Explain(ctx context.Context, f *infer.Findings) (*explain.Explanation,
	error) {
	select {
	case <-time.After(e.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &explain.Explanation{Lang: explain.English, Source: explain.SourceLLM,
		Text: e.text, Disclaimer: explain.Disclaimer(explain.English), LLMModel: "fixed"}, nil
}

func TestExplainUsesTheConfiguredExplainer(t *testing.T) {
	_, ts := testServer(t, Config{Explainers: map[explain.Lang]explain.Explainer{
		explain.English: fixedExplainer{text: "One area was marked."}}})
	f := segmentScan(t, ts.URL).Findings

	var got explain.Explanation
	decode(t, postJSON(t, ts.URL+"/api/v1/explain", ExplainRequest{Findings: &f}),
		http.StatusOK, &got)
	if got.Text != "One area was marked." || got.LLMModel != "fixed" {
		t.Errorf("explanation %+v", got)
	}
	// Chinese has no explainer configured and falls back to the templates.
	decode(t, postJSON(t, ts.URL+"/api/v1/explain", ExplainRequest{Findings: &f,
		Lang: "zh-TW"}), http.StatusOK, &got)
	if got.Source != explain.SourceOffline || got.Lang != explain.TraditionalChinese {
		t.Errorf("zh-TW explanation from %s in %s", got.Source, got.Lang)
	}
}

func TestExplainTimeout(t *testing.T) {
	_, ts := testServer(t, Config{ExplainTimeout: 100 * time.Millisecond,
		Explainers: map[explain.Lang]explain.Explainer{
			explain.English: fixedExplainer{delay: time.Minute}}})
	f := segmentScan(t, ts.URL).Findings
	wantError(t, postJSON(t, ts.URL+"/api/v1/explain", ExplainRequest{Findings: &f}),
		http.StatusGatewayTimeout, "timed out after 100ms explaining the findings")
}
