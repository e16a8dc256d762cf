package compare

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"tumorseg/internal/atomicio"
)

// markdownColumns are the headers of the Markdown table; the first column
// is left-aligned, the others hold numbers and are right-aligned.
var markdownColumns = []string{"network", "base", "depth", "Dice (per image)",
	"Dice (pooled)", "IoU", "precision", "recall", "F1", "pixel accuracy", "HD95 (px)",
	"parameters", "epochs run", "best epoch", "training (s)", "inference (ms/slice)"}

// WriteMarkdown writes rows as a GitHub-flavoured Markdown table for
// reading: scores to 4 decimals, HD95 to 2 ("n/a" when no image had one),
// parameters with thousands separators, training time in seconds to 1
// decimal and inference time in milliseconds to 2.
func WriteMarkdown(w io.Writer, rows []Row) error {
	bw := bufio.NewWriter(w)
	line := func(cells []string) {
		bw.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	line(markdownColumns)
	rule := make([]string, len(markdownColumns))
	for i := range rule {
		rule[i] = "---:"
	}
	rule[0] = "---"
	line(rule)
	for _, r := range rows {
		hd := "n/a"
		if r.HD95Images > 0 {
			hd = fmt.Sprintf("%.2f", r.HD95)
		}
		line([]string{r.Name, strconv.Itoa(r.Base), strconv.Itoa(r.Depth),
			cell(r.DiceMean), cell(r.DicePooled), cell(r.IoU), cell(r.Precision),
			cell(r.Recall), cell(r.F1), cell(r.PixelAccuracy), hd, GroupDigits(r.Params),
			strconv.Itoa(r.EpochsRun), strconv.Itoa(r.BestEpoch),
			fmt.Sprintf("%.1f", r.TrainSeconds), fmt.Sprintf("%.2f", r.InferMillis)})
	}
	return bw.Flush()
}

// cell formats a score in [0,1] for reading.
func cell(v float64) string { return fmt.Sprintf("%.4f", v) }

// GroupDigits formats n in decimal with a comma between groups of three
// digits, as in 31,986,705.
func GroupDigits(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// csvColumns are the header of the CSV table, named as the JSON fields of
// Row.
var csvColumns = []string{"name", "model", "base", "depth", "source", "dice_mean",
	"dice_pooled", "iou", "precision", "recall", "f1", "pixel_accuracy", "hd95_mean",
	"hd95_images", "params", "epochs_run", "best_epoch", "train_seconds",
	"infer_ms_per_slice", "backend", "run"}

// WriteCSV writes rows as CSV (RFC 4180) with a header row, every number in
// the shortest form that reads back to the same value. hd95_mean is empty
// when hd95_images is 0.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	cw.Write(csvColumns)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, r := range rows {
		hd := ""
		if r.HD95Images > 0 {
			hd = f(r.HD95)
		}
		cw.Write([]string{r.Name, r.Model, strconv.Itoa(r.Base), strconv.Itoa(r.Depth),
			r.Source, f(r.DiceMean), f(r.DicePooled), f(r.IoU), f(r.Precision), f(r.Recall),
			f(r.F1), f(r.PixelAccuracy), hd, strconv.Itoa(r.HD95Images), strconv.Itoa(r.Params),
			strconv.Itoa(r.EpochsRun), strconv.Itoa(r.BestEpoch), f(r.TrainSeconds),
			f(r.InferMillis), r.Backend, r.Run})
	}
	cw.Flush()
	return cw.Error()
}

// writeWith writes rows to path atomically with one of the table writers.
func writeWith(path string, rows []Row, table func(io.Writer, []Row) error) error {
	return atomicio.WriteFile(path, func(w io.Writer) error { return table(w, rows) })
}
