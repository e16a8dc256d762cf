package explain

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// reply is one scripted answer of fakeLLM.
type reply struct {
	// content is the assistant's message of a well-formed completion.
	content string
	// status, when not 0, is sent instead of 200.
	status int
	// raw, when not empty, is sent as the body instead of a completion.
	raw string
	// delay is waited before answering, or until the client gives up.
	delay time.Duration
}

// fakeLLM is an OpenAI-compatible chat server on loopback that sends its
// replies in order and records what it was sent.
type fakeLLM struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	replies []reply
	bodies  []string
	auth    []string
}

func newFakeLLM(t *testing.T, replies ...reply) *fakeLLM {
	f := &fakeLLM{t: t, replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLLM) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if r.URL.Path != "/v1/chat/completions" || len(f.replies) == 0 {
		f.mu.Unlock()
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, "unexpected", http.StatusTeapot)
		return
	}
	rep := f.replies[0]
	f.replies = f.replies[1:]
	f.mu.Unlock()

	if rep.delay > 0 {
		select {
		case <-time.After(rep.delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if rep.status != 0 {
		w.WriteHeader(rep.status)
	}
	if rep.raw != "" {
		io.WriteString(w, rep.raw)
		return
	}
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": rep.content}}},
	})
}

// requests returns the bodies received so far.
func (f *fakeLLM) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}

// explainer returns an LLM explainer asking f.
func (f *fakeLLM) explainer(t *testing.T, lang Lang, timeout time.Duration) *LLM {
	t.Helper()
	l, err := NewLLM(LLMConfig{BaseURL: f.srv.URL + "/v1", Model: "test-model",
		Key: "test-key", Timeout: timeout}, lang)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Scripted answers about sample().
const (
	// 9 numbers; 72 words, 103 syllables, 9 sentences:
	// 0.39·72/9 + 11.8·103/72 − 15.59 = 4.41.
	goodEnglish = "The program marked 2 areas on this scan. Area 1 is in the upper left part " +
		"of the image. It covers 1,236 pixels, about 3.1 cm². That is 2.5% of the head. " +
		"The program was 87% sure about it. Area 2 is in the lower right part. It covers " +
		"152 pixels. The program was 66% sure about it. Left and right are the sides of " +
		"the image, not always of your body."
	// 1 number; 18 words, 24 syllables, 2 sentences: 3.51 + 15.73 − 15.59 = 3.65.
	noDisclaimer = "The program marked 2 areas. They are in the upper left and lower right " +
		"parts of the image."
	// 4.2 is made up; 12 words, 19 syllables, 2 sentences: 2.34 + 18.68 − 15.59 = 5.43.
	inventedNumber = "The program marked 2 areas. Area 1 is about 4.2 cm wide."
	// 14 words, 21 syllables, 3 sentences: 1.82 + 17.7 − 15.59 = 3.93.
	diagnosis = "The program marked 2 areas. They look like a cancer. Surgery can remove them."
	// 8 numbers.
	goodChinese = "程式在這張影像上標出 2 個區域。區域 1 在影像的左上方，有 1,236 個像素，" +
		"約 3.1 平方公分。區域 2 在右下方，有 152 個像素。程式對區域 1 的把握約為 87%。" +
		"這裡的左右是影像的左右。"
	diagnosisChinese = "程式標出 2 個區域，這可能是膠質瘤。"
)

// Verdicts on the scripted answers.
var (
	claimsPass = Check{CheckClaims, true, "no diagnostic, prognostic or treatment words"}
	disclaimed = Check{CheckDisclaimer, true, "tumorseg's disclaimer ends the text"}
	grade      = func(g string, ok bool) Check {
		return Check{CheckReadability, ok, "Flesch-Kincaid grade " + g + ", limit 8"}
	}
	numbersPass = func(n string) Check {
		return Check{CheckNumbers, true, "all " + n + " numbers are in the findings"}
	}
	inventedChecks = []Check{{CheckNumbers, false, "not in the findings: 4.2"}, claimsPass,
		grade("5.4", true)}
	diagnosisChecks = []Check{numbersPass("1"),
		{CheckClaims, false, `uses "cancer", "surgery"`}, grade("3.9", true)}
	hardChecks = []Check{{CheckNumbers, true, "no numbers"}, claimsPass, grade("28.4", false)}
)

func TestLLMExplain(t *testing.T) {
	const failed = "tumorseg wrote this explanation from the measurements. The language " +
		"model's answer was not used: "
	tests := []struct {
		name     string
		lang     Lang
		replies  []reply
		source   string
		text     string
		note     string
		checks   []Check
		attempts []Attempt // Error holds a prefix of the error
	}{
		{"good answer", English, []reply{{content: goodEnglish}}, SourceLLM, goodEnglish, "",
			[]Check{numbersPass("9"), claimsPass, grade("4.4", true), disclaimed},
			[]Attempt{{Text: goodEnglish, Checks: []Check{numbersPass("9"), claimsPass,
				grade("4.4", true)}}}},
		{"answer without a disclaimer", English, []reply{{content: noDisclaimer}}, SourceLLM,
			noDisclaimer, "",
			[]Check{numbersPass("1"), claimsPass, grade("3.7", true), disclaimed},
			[]Attempt{{Text: noDisclaimer, Checks: []Check{numbersPass("1"), claimsPass,
				grade("3.7", true)}}}},
		{"invented number, then a good answer", English,
			[]reply{{content: inventedNumber}, {content: goodEnglish}}, SourceLLM, goodEnglish, "",
			[]Check{numbersPass("9"), claimsPass, grade("4.4", true), disclaimed},
			[]Attempt{{Text: inventedNumber, Checks: inventedChecks},
				{Text: goodEnglish, Checks: []Check{numbersPass("9"), claimsPass,
					grade("4.4", true)}}}},
		{"invented number twice", English,
			[]reply{{content: inventedNumber}, {content: inventedNumber}}, SourceOffline,
			sampleEnglish,
			failed + "it gave numbers that are not in the measurements (4.2).",
			passed(16, "5.9"),
			[]Attempt{{Text: inventedNumber, Checks: inventedChecks},
				{Text: inventedNumber, Checks: inventedChecks}}},
		{"diagnosis twice", English, []reply{{content: diagnosis}, {content: diagnosis}},
			SourceOffline, sampleEnglish,
			failed + `it used words about diagnosis or treatment ("cancer", "surgery").`,
			passed(16, "5.9"),
			[]Attempt{{Text: diagnosis, Checks: diagnosisChecks},
				{Text: diagnosis, Checks: diagnosisChecks}}},
		{"too hard to read twice", English, []reply{{content: hardText}, {content: hardText}},
			SourceOffline, sampleEnglish,
			failed + "it was too hard to read (grade 28.4, limit 8).", passed(16, "5.9"),
			[]Attempt{{Text: hardText, Checks: hardChecks}, {Text: hardText, Checks: hardChecks}}},
		{"timeout", English, []reply{{delay: 5 * time.Second, content: goodEnglish}},
			SourceOffline, sampleEnglish,
			failed + "the language model did not answer within 0.1 s.", passed(16, "5.9"),
			[]Attempt{{Error: "context deadline exceeded"}}},
		{"server error", English,
			[]reply{{status: 500, raw: `{"error":{"message":"boom","type":"server_error"}}`}},
			SourceOffline, sampleEnglish,
			failed + "the language model server answered with error 500.", passed(16, "5.9"),
			[]Attempt{{Error: "OpenAI API error: 500 Internal Server Error"}}},
		{"malformed JSON", English, []reply{{raw: `{"choices": [`}}, SourceOffline,
			sampleEnglish, failed + "the language model's answer could not be read.",
			passed(16, "5.9"), []Attempt{{Error: ""}}},
		{"empty answer", English, []reply{{content: "  \n"}}, SourceOffline, sampleEnglish,
			failed + "the language model's answer was empty.", passed(16, "5.9"),
			[]Attempt{{Error: "explain: the answer is empty"}}},
		{"answer too long", English,
			[]reply{{content: strings.Repeat("Area 1 is small. ", 500)}},
			SourceOffline, sampleEnglish, failed + "the language model's answer was too long.",
			passed(16, "5.9"), []Attempt{{Error: "explain: the answer is longer than 8000 bytes"}}},
		{"good Chinese answer", TraditionalChinese, []reply{{content: goodChinese}}, SourceLLM,
			goodChinese, "", []Check{numbersPass("8"), claimsPass, disclaimed},
			[]Attempt{{Text: goodChinese, Checks: []Check{numbersPass("8"), claimsPass}}}},
		{"Chinese diagnosis twice", TraditionalChinese,
			[]reply{{content: diagnosisChinese}, {content: diagnosisChinese}}, SourceOffline,
			sampleChinese, "以下說明由 tumorseg 依測量結果撰寫。語言模型的回答未被採用：" +
				"其中有關於診斷或治療的字詞（「膠質瘤」）。", passed(16, ""),
			[]Attempt{
				{Text: diagnosisChinese, Checks: []Check{numbersPass("1"),
					{CheckClaims, false, `uses "膠質瘤"`}}},
				{Text: diagnosisChinese, Checks: []Check{numbersPass("1"),
					{CheckClaims, false, `uses "膠質瘤"`}}}}},
	}
	for _, tt := range tests {
		srv := newFakeLLM(t, tt.replies...)
		e, err := srv.explainer(t, tt.lang, 100*time.Millisecond).Explain(
			context.Background(), sample())
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if e.Source != tt.source || e.Text != tt.text || e.Note != tt.note {
			t.Errorf("%s: source %q, text\n%s\nnote %q\nwant %q,\n%s\n%q", tt.name, e.Source,
				e.Text, e.Note, tt.source, tt.text, tt.note)
		}
		if !reflect.DeepEqual(e.Checks, tt.checks) {
			t.Errorf("%s: checks\n%+v\nwant\n%+v", tt.name, e.Checks, tt.checks)
		}
		checkAttempts(t, tt.name, e.Attempts, tt.attempts)
		if n := len(srv.requests()); n != len(tt.attempts) {
			t.Errorf("%s: %d requests, want %d", tt.name, n, len(tt.attempts))
		}
		if !strings.HasSuffix(e.String(), "\n\n"+Disclaimer(tt.lang)) ||
			tt.note != "" && !strings.HasPrefix(e.String(), tt.note+"\n\n") {
			t.Errorf("%s: String() = %q, want the note first and the disclaimer last",
				tt.name, e.String())
		}
		if e.LLMModel != "test-model" || e.Lang != tt.lang || e.Disclaimer != Disclaimer(tt.lang) {
			t.Errorf("%s: model %q, lang %q", tt.name, e.LLMModel, e.Lang)
		}
	}
}

// checkAttempts reports how got differs from want, whose Error is a prefix.
func checkAttempts(t *testing.T, name string, got, want []Attempt) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d attempts, want %d: %+v", name, len(got), len(want), got)
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		failed := w.Text == ""
		if g.Text != w.Text || !reflect.DeepEqual(g.Checks, w.Checks) ||
			failed != (g.Error != "") || !strings.HasPrefix(g.Error, w.Error) {
			t.Errorf("%s: attempt %d\n%+v\nwant\n%+v", name, i+1, g, w)
		}
	}
}

func TestLLMRequests(t *testing.T) {
	srv := newFakeLLM(t, reply{content: inventedNumber}, reply{content: goodEnglish})
	f := sample()
	ex := srv.explainer(t, English, time.Second)
	if _, err := ex.Explain(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i, body := range reqs {
		var req struct {
			Model       string   `json:"model"`
			Temperature *float64 `json:"temperature"`
			Messages    []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			t.Fatalf("request %d: %v\n%s", i+1, err, body)
		}
		if req.Model != "test-model" || req.Temperature == nil || *req.Temperature != 0 {
			t.Errorf("request %d: model %q, temperature %v; want test-model at 0", i+1,
				req.Model, req.Temperature)
		}
		for _, leak := range []string{"jane-doe", ".jpg", f.Image, "image_url", "base64"} {
			if strings.Contains(body, leak) {
				t.Errorf("request %d sends %q", i+1, leak)
			}
		}
		sys := req.Messages[0]
		for _, s := range []string{"Do not diagnose", "no prognosis", "Do not suggest any " +
			"treatment", `"area_pixels": 1236`, `"position_on_image": "upper left"`,
			`"percent_of_head": 2.47`} {
			if sys.Role != "system" || !strings.Contains(sys.Content, s) {
				t.Errorf("request %d: system prompt lacks %q", i+1, s)
			}
		}
		if srv.auth[i] != "Bearer test-key" {
			t.Errorf("request %d: authorization %q", i+1, srv.auth[i])
		}
		if want := 2 + 2*i; len(req.Messages) != want {
			t.Fatalf("request %d has %d messages, want %d", i+1, len(req.Messages), want)
		}
	}

	var retry struct {
		Messages []struct{ Role, Content string } `json:"messages"`
	}
	json.Unmarshal([]byte(reqs[1]), &retry)
	if m := retry.Messages[2]; m.Role != "assistant" || m.Content != inventedNumber {
		t.Errorf("retry replays %+v, want the first answer", m)
	}
	if m := retry.Messages[3]; m.Role != "user" || !strings.Contains(m.Content,
		"It used numbers that are not in the findings: 4.2.") {
		t.Errorf("retry feedback %q does not name the invented number", m.Content)
	}
}

func TestLLMCancelled(t *testing.T) {
	srv := newFakeLLM(t, reply{delay: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := srv.explainer(t, English, 5*time.Second).Explain(ctx, sample())
	if err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("error %v, want the cancellation", err)
	}
}

func TestNewAndConfig(t *testing.T) {
	env := map[string]string{EnvBaseURL: "http://127.0.0.1:11434/v1", EnvModel: "llama3",
		EnvKey: "k"}
	cfg := LLMConfig{Model: "qwen"}.WithEnv(func(k string) string { return env[k] })
	if want := (LLMConfig{BaseURL: env[EnvBaseURL], Model: "qwen", Key: "k"}); cfg != want {
		t.Errorf("WithEnv = %+v, want %+v (flags win over the environment)", cfg, want)
	}
	if e, err := New(LLMConfig{}, TraditionalChinese); err != nil ||
		e != (Offline{Lang: TraditionalChinese}) {
		t.Errorf("New without a base URL = %v, %v; want Offline", e, err)
	}
	if e, err := New(cfg, English); err != nil {
		t.Errorf("New(%+v): %v", cfg, err)
	} else if l, ok := e.(*LLM); !ok || l.cfg.Timeout != DefaultTimeout {
		t.Errorf("New(%+v) = %T, want an LLM with the default timeout", cfg, e)
	}

	for _, tt := range []struct {
		cfg  LLMConfig
		lang Lang
		want string
	}{
		{LLMConfig{BaseURL: "localhost:11434", Model: "m"}, English, "not an http or https URL"},
		{LLMConfig{BaseURL: "ftp://host/v1", Model: "m"}, English, "not an http or https URL"},
		{LLMConfig{BaseURL: "http://host/v1"}, English, "no LLM model named"},
		{LLMConfig{BaseURL: "http://host/v1", Model: "m", Timeout: -time.Second}, English,
			"timeout -1s is negative"},
		{LLMConfig{BaseURL: "http://host/v1", Model: "m"}, "fr", `language "fr"`},
	} {
		_, err := NewLLM(tt.cfg, tt.lang)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewLLM(%+v): error %v, want %q", tt.cfg, err, tt.want)
		}
	}
}
