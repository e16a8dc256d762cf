package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
	"tumorseg/internal/preprocess"
	"tumorseg/internal/report"
)

func reportCommand() *cobra.Command {
	var scan, overlay, lang string
	var outs []string
	var llm llmFlags
	cmd := &cobra.Command{
		Use:   "report FINDINGS.json --scan IMAGE --overlay OVERLAY.png --out REPORT.pdf",
		Short: "Write the PDF or HTML report of one scan",
		Long: "report writes, for the patient and the treating doctor, the scan and its\n" +
			"overlay, the findings table, the explanation (as tumorseg explain makes it,\n" +
			"with the same language-model flags), the disclaimer, the model with its\n" +
			"validation Dice and the date. --out ending in .pdf writes a PDF, in .html a\n" +
			"self-contained web page; give --out twice for both. Chinese PDFs need a CJK\n" +
			"TrueType font: Debian's " + report.CJKPackage + " or one like it.",
		Example: "  tumorseg report predictions/scan1_findings.json --scan scan1.jpg \\\n" +
			"    --overlay predictions/scan1_overlay.png --out scan1.pdf --out scan1.html",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if scan == "" || overlay == "" || len(outs) == 0 {
				return fmt.Errorf("report needs --scan IMAGE, --overlay OVERLAY.png and " +
					"--out REPORT.pdf or REPORT.html")
			}
			for _, o := range outs {
				if _, err := reportWriter(o); err != nil {
					return err
				}
			}
			l, err := explain.ParseLang(lang)
			if err != nil {
				return err
			}
			f, err := infer.ReadFindings(args[0])
			if err != nil {
				return err
			}
			in := &report.Input{Findings: f, Date: time.Now()}
			if in.Scan, err = report.LoadImage(scan); err != nil {
				return err
			}
			if in.Overlay, err = report.LoadImage(overlay); err != nil {
				return err
			}
			ex, err := newExplainer(llm.config(), l)
			if err != nil {
				return err
			}
			if in.Explanation, err = ex.Explain(cmd.Context(), f); err != nil {
				return err
			}
			logExplanation(in.Explanation)
			for _, o := range outs {
				write, _ := reportWriter(o)
				if err := write(o, in); err != nil {
					return fmt.Errorf("%s: %w", o, err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), o)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&scan, "scan", "", "the scan the findings are of (PNG, JPEG or TIFF)")
	f.StringVar(&overlay, "overlay", "", "its overlay (<name>_overlay.png from predict)")
	f.StringArrayVar(&outs, "out", nil, "report to write, .pdf or .html (repeatable)")
	f.StringVar(&lang, "lang", "en", "language of the report: en or zh-TW")
	llm.add(cmd)
	return cmd
}

// reportWriter returns the function that writes a report to path, chosen
// by its extension.
func reportWriter(path string) (func(string, *report.Input) error, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pdf":
		return report.WritePDF, nil
	case ".html", ".htm":
		return report.WriteHTML, nil
	}
	return nil, fmt.Errorf("report: %s: write .pdf or .html", path)
}

// writeReports explains the prediction res on the scan img with ex and
// writes dir/<stem>_report.pdf and dir/<stem>_report.html, returning their
// paths.
func writeReports(ctx context.Context, ex explain.Explainer, dir, stem string,
	img *preprocess.Image, res *infer.Result) ([]string, error) {
	e, err := ex.Explain(ctx, &res.Findings)
	if err != nil {
		return nil, err
	}
	logExplanation(e)
	in := &report.Input{Findings: &res.Findings, Explanation: e, Scan: infer.ScanImage(img),
		Overlay: infer.Overlay(img, res.Mask), Date: time.Now()}
	paths := []string{filepath.Join(dir, stem+"_report.pdf"),
		filepath.Join(dir, stem+"_report.html")}
	if err := report.WritePDF(paths[0], in); err != nil {
		return nil, err
	}
	if err := report.WriteHTML(paths[1], in); err != nil {
		return nil, err
	}
	return paths, nil
}
