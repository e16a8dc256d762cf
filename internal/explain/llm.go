package explain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"tumorseg/internal/infer"
)

// Environment variables LLMConfig.WithEnv reads.
const (
	EnvBaseURL = "TUMORSEG_LLM_BASE_URL"
	EnvModel   = "TUMORSEG_LLM_MODEL"
	EnvKey     = "TUMORSEG_LLM_KEY"
)

// DefaultTimeout bounds one request to a language model when
// LLMConfig.Timeout is 0.
const DefaultTimeout = 60 * time.Second

// MaxPromptRegions is how many regions, largest first, the language model
// is shown.
const MaxPromptRegions = 10

// MaxAnswerBytes bounds an answer of the language model; a longer one is
// not used. The offline explanation of ten regions is a quarter of it.
const MaxAnswerBytes = 8000

// LLMConfig says which language model to ask and how.
type LLMConfig struct {
	// BaseURL is the OpenAI-compatible API root, e.g.
	// http://localhost:11434/v1 for Ollama; empty means no model.
	BaseURL string
	// Model names the model on that server.
	Model string
	// Key is the API key sent as a bearer token; empty sends none.
	Key string
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
}

// WithEnv returns c with its empty BaseURL, Model and Key taken from the
// environment variables EnvBaseURL, EnvModel and EnvKey, read by getenv.
func (c LLMConfig) WithEnv(getenv func(string) string) LLMConfig {
	for _, f := range []struct {
		dst *string
		env string
	}{{&c.BaseURL, EnvBaseURL}, {&c.Model, EnvModel}, {&c.Key, EnvKey}} {
		if *f.dst == "" {
			*f.dst = getenv(f.env)
		}
	}
	return c
}

// New returns an LLM explainer when cfg names a base URL and an Offline
// one otherwise.
func New(cfg LLMConfig, lang Lang) (Explainer, error) {
	if cfg.BaseURL == "" {
		return Offline{Lang: lang}, nil
	}
	return NewLLM(cfg, lang)
}

// LLM explains findings with a language model behind an OpenAI-compatible
// chat completions API, at temperature 0. It sends the system prompt with a
// summary of the findings as JSON, and no image, file name or other
// identifier of the patient. Answers are checked with Verify; see the
// package comment for the retry and the fallback.
type LLM struct {
	cfg  LLMConfig
	lang Lang
	chat openai.ChatCompletionService
}

// NewLLM returns the explainer for cfg, writing in lang. It fails when the
// base URL is not an http or https URL, the model is not named, or the
// timeout is negative.
func NewLLM(cfg LLMConfig, lang Lang) (*LLM, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("explain: LLM base URL %q is not an http or https URL",
			cfg.BaseURL)
	}
	if cfg.Model == "" {
		return nil, fmt.Errorf("explain: no LLM model named for %s (set --llm-model or %s)",
			cfg.BaseURL, EnvModel)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("explain: LLM timeout %v is negative", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if _, err := ParseLang(string(lang)); err != nil {
		return nil, err
	}
	// The service is built without the client's defaults, so no OPENAI_*
	// variable of the environment (a key for another server) is sent.
	chat := openai.NewChatCompletionService(option.WithBaseURL(cfg.BaseURL),
		option.WithAPIKey(cfg.Key), option.WithMaxRetries(0),
		option.WithHTTPClient(&http.Client{}))
	return &LLM{cfg: cfg, lang: lang, chat: chat}, nil
}

// Explain asks the model to explain f and returns its answer when it
// passes Verify, else the Offline explanation with a note saying why. It
// fails only when f does not validate or ctx ends.
func (l *LLM) Explain(ctx context.Context, f *infer.Findings) (*Explanation, error) {
	fallback, err := Offline{Lang: l.lang}.Explain(ctx, f)
	if err != nil {
		return nil, err
	}
	view, err := json.MarshalIndent(promptView(f), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	msgs := []openai.ChatCompletionMessageParamUnion{
		openai.SystemMessage(systemPrompt(l.lang, string(view))),
		openai.UserMessage(userPrompt(l.lang)),
	}

	var attempts []Attempt
	var reasons []string
	for range 2 {
		text, err := l.ask(ctx, msgs)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("explain: %w", ctx.Err())
		}
		if err != nil {
			attempts = append(attempts, Attempt{Error: err.Error()})
			reasons = []string{l.requestReason(err)}
			break
		}
		vs := verify(text, f, l.lang)
		attempts = append(attempts, Attempt{Text: text, Checks: checksOf(vs)})
		if allPassed(vs) {
			e := &Explanation{Lang: l.lang, Source: SourceLLM, Text: text,
				Disclaimer: Disclaimer(l.lang), Attempts: attempts, LLMModel: l.cfg.Model}
			e.Checks = append(checksOf(vs), disclaimerCheck(e))
			return e, nil
		}
		reasons = checkReasons(vs, l.lang)
		msgs = append(msgs, openai.AssistantMessage(text), openai.UserMessage(feedback(vs)))
	}

	fallback.Note = fallbackNote(l.lang, reasons)
	fallback.Attempts, fallback.LLMModel = attempts, l.cfg.Model
	fallback.Checks[len(fallback.Checks)-1] = disclaimerCheck(fallback)
	return fallback, nil
}

// Errors of an answer that came but cannot be used.
var (
	errNoChoice = errors.New("explain: the answer holds no choice")
	errEmpty    = errors.New("explain: the answer is empty")
	errTooLong  = fmt.Errorf("explain: the answer is longer than %d bytes", MaxAnswerBytes)
)

// ask sends msgs and returns the text of the first choice, trimmed.
func (l *LLM) ask(ctx context.Context, msgs []openai.ChatCompletionMessageParamUnion) (
	string, error) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	resp, err := l.chat.New(ctx, openai.ChatCompletionNewParams{
		Model:       l.cfg.Model,
		Messages:    msgs,
		Temperature: openai.Float(0),
	})
	if err != nil {
		return "", err
	}
	if len(resp.Choices) == 0 {
		return "", errNoChoice
	}
	text := strings.TrimSpace(resp.Choices[0].Message.Content)
	if text == "" {
		return "", errEmpty
	}
	if len(text) > MaxAnswerBytes {
		return "", errTooLong
	}
	return text, nil
}

// requestReason says in l's language why a request failed.
func (l *LLM) requestReason(err error) string {
	zh := l.lang == TraditionalChinese
	var apiErr *openai.Error
	var urlErr *url.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		if zh {
			return fmt.Sprintf("語言模型未在 %s 內回答", seconds(l.cfg.Timeout))
		}
		return fmt.Sprintf("the language model did not answer within %s",
			seconds(l.cfg.Timeout))
	case errors.As(err, &apiErr):
		if zh {
			return fmt.Sprintf("語言模型伺服器回傳錯誤 %d", apiErr.StatusCode)
		}
		return fmt.Sprintf("the language model server answered with error %d",
			apiErr.StatusCode)
	case errors.Is(err, errEmpty) || errors.Is(err, errNoChoice):
		if zh {
			return "語言模型的回答是空的"
		}
		return "the language model's answer was empty"
	case errors.Is(err, errTooLong):
		if zh {
			return "語言模型的回答太長"
		}
		return "the language model's answer was too long"
	case errors.As(err, &urlErr):
		if zh {
			return "無法連上語言模型伺服器"
		}
		return "the language model server could not be reached"
	}
	if zh {
		return "無法讀取語言模型的回答"
	}
	return "the language model's answer could not be read"
}

// seconds returns d in seconds with its unit: "0.2 s", "60 s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// checksOf returns the Checks of vs.
func checksOf(vs []verdict) []Check {
	out := make([]Check, len(vs))
	for i, v := range vs {
		out[i] = v.Check
	}
	return out
}

// allPassed reports whether every verdict passed.
func allPassed(vs []verdict) bool {
	for _, v := range vs {
		if !v.Passed {
			return false
		}
	}
	return true
}

// checkReasons says in lang why each failed verdict of vs failed.
func checkReasons(vs []verdict, lang Lang) []string {
	zh := lang == TraditionalChinese
	var out []string
	for _, v := range vs {
		if v.Passed {
			continue
		}
		switch {
		case v.Name == CheckNumbers && zh:
			out = append(out, "其中有測量結果以外的數字（"+strings.Join(v.items, "、")+"）")
		case v.Name == CheckNumbers:
			out = append(out, "it gave numbers that are not in the measurements ("+
				strings.Join(v.items, ", ")+")")
		case v.Name == CheckClaims && zh:
			out = append(out, "其中有關於診斷或治療的字詞（「"+
				strings.Join(v.items, "」、「")+"」）")
		case v.Name == CheckClaims:
			out = append(out, "it used words about diagnosis or treatment ("+
				quoteAll(v.items)+")")
		case v.Name == CheckReadability:
			out = append(out, fmt.Sprintf("it was too hard to read (grade %.1f, limit %d)",
				v.grade, MaxGrade))
		}
	}
	return out
}

// fallbackNote returns the note on an offline explanation used because of
// reasons.
func fallbackNote(lang Lang, reasons []string) string {
	if lang == TraditionalChinese {
		return "以下說明由 tumorseg 依測量結果撰寫。語言模型的回答未被採用：" +
			strings.Join(reasons, "；") + "。"
	}
	return "tumorseg wrote this explanation from the measurements. The language " +
		"model's answer was not used: " + strings.Join(reasons, "; ") + "."
}

// feedback tells the model what was wrong with its answer.
func feedback(vs []verdict) string {
	var b strings.Builder
	b.WriteString("Your answer broke these rules:\n")
	for _, v := range vs {
		if v.Passed {
			continue
		}
		switch v.Name {
		case CheckNumbers:
			fmt.Fprintf(&b, "- It used numbers that are not in the findings: %s. Use only "+
				"numbers from the findings JSON; you may round them.\n",
				strings.Join(v.items, ", "))
		case CheckClaims:
			fmt.Fprintf(&b, "- It used words about diagnosis, prognosis or treatment: %s. "+
				"Leave them out.\n", quoteAll(v.items))
		case CheckReadability:
			fmt.Fprintf(&b, "- It is too hard to read (Flesch-Kincaid grade %.1f, limit %d). "+
				"Use short sentences and short, everyday words.\n", v.grade, MaxGrade)
		}
	}
	b.WriteString("Write the whole explanation again and follow every rule of the " +
		"first message.")
	return b.String()
}

// systemPrompt returns the instructions to the model, with the findings
// summary view as JSON.
func systemPrompt(lang Lang, view string) string {
	language := "English"
	extra := ""
	if lang == TraditionalChinese {
		language = "Traditional Chinese as written in Taiwan (繁體中文)"
		extra = "10. Write every number with Arabic digits (2, 3.5%), not Chinese numerals.\n"
	}
	return "You explain the result of a computer program that marks possible tumor on " +
		"one brain scan image. The reader is the patient, not a doctor.\n\n" +
		"Write in " + language + ". Use plain, everyday words and short sentences that a " +
		"12-year-old could follow (for English, Flesch-Kincaid grade 8 or lower).\n\n" +
		"Rules:\n" +
		"1. State only the measured facts in the findings below: how many areas the " +
		"program marked, their size, where they lie on the image, and how sure the " +
		"program was (its mean probability).\n" +
		"2. Use only numbers that appear in the findings. You may round them and write " +
		"them as percentages or in cm². Do not compute or estimate any other number, " +
		"such as a width in cm or a volume.\n" +
		"3. Do not diagnose. Do not name any disease or kind of tumor, and do not say " +
		"whether anything is benign or malignant.\n" +
		"4. Do not say what will happen: no prognosis, survival or outcome.\n" +
		"5. Do not suggest any treatment, surgery, test or medicine.\n" +
		"6. Do not write \"you have\"; write \"the program marked\".\n" +
		"7. Left and right are the sides of the image, which may not be the sides of " +
		"the patient's body; say so when you name a side.\n" +
		"8. Do not add a disclaimer or tell the reader to see a doctor: tumorseg adds " +
		"its own.\n" +
		"9. Answer with the explanation only, as plain text: no headings, lists or " +
		"markdown.\n" + extra +
		"\nFindings (JSON):\n" + view + "\n"
}

// userPrompt returns the request that follows the system prompt.
func userPrompt(lang Lang) string {
	if lang == TraditionalChinese {
		return "請用繁體中文向病人說明這些結果。"
	}
	return "Please explain these findings to the patient."
}

// view is the summary of findings the language model is shown: no image
// name or other identifier, sizes ready to read.
type view struct {
	TumorFound           bool         `json:"tumor_found"`
	RegionCount          int          `json:"region_count"`
	RegionsListed        int          `json:"regions_listed"`
	Regions              []viewRegion `json:"regions"`
	TotalAreaPixels      int          `json:"total_area_pixels"`
	TotalPercentOfHead   *float64     `json:"total_percent_of_head"`
	SmallSpotsLeftOut    int          `json:"small_spots_left_out"`
	SmallSpotLimitPixels int          `json:"small_spot_limit_pixels"`
	Notes                []string     `json:"notes"`
}

// viewRegion is one region as the language model is shown it.
type viewRegion struct {
	ID                     int      `json:"id"`
	AreaPixels             int      `json:"area_pixels"`
	PercentOfImage         float64  `json:"percent_of_image"`
	PercentOfHead          *float64 `json:"percent_of_head"`
	AreaMM2                *float64 `json:"area_mm2"`
	AreaCM2                *float64 `json:"area_cm2"`
	PositionOnImage        string   `json:"position_on_image"`
	MeanProbabilityPercent float64  `json:"mean_probability_percent"`
}

// promptView returns the summary of f shown to the language model.
func promptView(f *infer.Findings) view {
	v := view{TumorFound: f.TumorFound, RegionCount: f.RegionCount,
		Regions: []viewRegion{}, TotalAreaPixels: f.AreaPixels,
		TotalPercentOfHead: scaled(f.BrainFraction, 100, 2),
		SmallSpotsLeftOut:  f.DroppedRegions, SmallSpotLimitPixels: f.MinAreaPixels,
		Notes: []string{f.PositionNote,
			"percent_of_head is a share of a rough outline of the head on the image, " +
				"skull included.",
			"area_mm2 and area_cm2 are null when the size of a pixel is unknown.",
			"Spots smaller than small_spot_limit_pixels were left out and are not regions."}}
	for _, r := range f.Regions[:min(len(f.Regions), MaxPromptRegions)] {
		v.Regions = append(v.Regions, viewRegion{ID: r.ID, AreaPixels: r.AreaPixels,
			PercentOfImage:         round(100*r.AreaFraction, 2),
			PercentOfHead:          scaled(r.BrainFraction, 100, 2),
			AreaMM2:                scaled(r.AreaMM2, 1, 1),
			AreaCM2:                scaled(r.AreaMM2, 0.01, 2),
			PositionOnImage:        FormatPosition(r.Position, English),
			MeanProbabilityPercent: round(100*r.MeanProbability, 1)})
	}
	v.RegionsListed = len(v.Regions)
	return v
}

// round returns v rounded to the given decimals.
func round(v float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(v*p) / p
}

// scaled returns *p times k rounded to the given decimals, nil for nil.
func scaled(p *float64, k float64, decimals int) *float64 {
	if p == nil {
		return nil
	}
	v := round(*p*k, decimals)
	return &v
}
