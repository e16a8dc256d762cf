package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
)

func explainCommand() *cobra.Command {
	var lang string
	var asJSON bool
	var llm llmFlags
	cmd := &cobra.Command{
		Use:   "explain FINDINGS.json",
		Short: "Explain findings in plain words for the patient, checked",
		Long: "explain writes what a findings file (from predict) measures in words a patient\n" +
			"can read, in English or Traditional Chinese, ending with tumorseg's disclaimer.\n\n" +
			"Without a language model it fills fixed templates. With one (any\n" +
			"OpenAI-compatible chat API: Ollama, llama.cpp's server, vLLM, OpenAI) it asks\n" +
			"the model and checks the answer: every number must come from the findings, no\n" +
			"word may name a diagnosis, prognosis or treatment, and English must read at\n" +
			"grade 8 or below. A failed answer gets one retry; then the templates are used,\n" +
			"with a note saying why. The model gets a summary of the findings only: no\n" +
			"image and no file name.",
		Example: "  tumorseg explain predictions/scan1_findings.json\n" +
			"  TUMORSEG_LLM_BASE_URL=http://localhost:11434/v1 TUMORSEG_LLM_MODEL=llama3.1 \\\n" +
			"    tumorseg explain --lang zh-TW --json predictions/scan1_findings.json",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := explain.ParseLang(lang)
			if err != nil {
				return err
			}
			f, err := infer.ReadFindings(args[0])
			if err != nil {
				return err
			}
			ex, err := newExplainer(llm.config(), l)
			if err != nil {
				return err
			}
			e, err := ex.Explain(cmd.Context(), f)
			if err != nil {
				return err
			}
			logExplanation(e)
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(e)
			}
			_, err = fmt.Fprintln(w, e.String())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&lang, "lang", "en", "language of the explanation: en or zh-TW")
	f.BoolVar(&asJSON, "json", false, "print the explanation with every check's verdict as JSON")
	llm.add(cmd)
	return cmd
}

// llmFlags are the flags that name a language model; each falls back to
// its environment variable.
type llmFlags struct {
	baseURL, model, key string
	timeout             time.Duration
}

// add declares the flags on cmd.
func (l *llmFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.baseURL, "llm-base-url", "", "OpenAI-compatible API root, e.g. "+
		"http://localhost:11434/v1 (or $"+explain.EnvBaseURL+"); none: templates only")
	f.StringVar(&l.model, "llm-model", "", "model name on that server (or $"+
		explain.EnvModel+")")
	f.StringVar(&l.key, "llm-key", "", "API key (or $"+explain.EnvKey+
		", which keeps it out of the process list)")
	f.DurationVar(&l.timeout, "llm-timeout", explain.DefaultTimeout,
		"time limit for each request to the model")
}

// config returns the model configuration of the flags and the environment.
func (l *llmFlags) config() explain.LLMConfig {
	return explain.LLMConfig{BaseURL: l.baseURL, Model: l.model, Key: l.key,
		Timeout: l.timeout}.WithEnv(os.Getenv)
}

// newExplainer returns the explainer cfg names, writing in lang, and logs
// which it is.
func newExplainer(cfg explain.LLMConfig, lang explain.Lang) (explain.Explainer, error) {
	ex, err := explain.New(cfg, lang)
	if err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		slog.Info("explaining from templates", "lang", lang)
	} else {
		slog.Info("explaining with a language model", "base_url", cfg.BaseURL,
			"model", cfg.Model, "lang", lang)
	}
	return ex, nil
}

// logExplanation logs where the text of e came from and why a model's
// answer was not used.
func logExplanation(e *explain.Explanation) {
	for _, c := range e.Checks {
		if !c.Passed {
			slog.Warn("explanation check failed", "check", c.Name, "detail", c.Detail)
		}
	}
	if e.Note != "" {
		slog.Warn("language model answer not used", "attempts", len(e.Attempts),
			"why", e.Note)
	}
}
