package compare

import (
	"strings"
	"testing"
)

// tableRows are two rows whose formatting the table tests spell out: the
// second has no image with an HD95 and fewer than a thousand parameters.
var tableRows = []Row{
	{Name: "unet", Model: "unet", Base: 16, Depth: 4, Source: "trained", DiceMean: 0.81234,
		DicePooled: 0.8, IoU: 0.7, Precision: 0.9, Recall: 0.75, F1: 0.818181818,
		PixelAccuracy: 0.99, HD95: 3.457, HD95Images: 3, Params: 1942289, EpochsRun: 12,
		BestEpoch: 9, TrainSeconds: 123.44, InferMillis: 80.126, Backend: "dnnl",
		Run: "out/runs/unet"},
	{Name: "rpp, small", Model: "resunet++", Base: 2, Depth: 2, Source: "given", DiceMean: 1,
		DicePooled: 1, IoU: 1, Precision: 1, Recall: 1, F1: 1, PixelAccuracy: 1, Params: 999,
		EpochsRun: 1, BestEpoch: 1, TrainSeconds: 0.5, InferMillis: 5, Backend: "ref",
		Run: "runs/rpp"},
}

func TestWriteMarkdown(t *testing.T) {
	want := "| network | base | depth | Dice (per image) | Dice (pooled) | IoU | precision | " +
		"recall | F1 | pixel accuracy | HD95 (px) | parameters | epochs run | best epoch | " +
		"training (s) | inference (ms/slice) |\n" +
		"| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | " +
		"---: | ---: | ---: | ---: |\n" +
		"| unet | 16 | 4 | 0.8123 | 0.8000 | 0.7000 | 0.9000 | 0.7500 | 0.8182 | 0.9900 | " +
		"3.46 | 1,942,289 | 12 | 9 | 123.4 | 80.13 |\n" +
		"| rpp, small | 2 | 2 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | 1.0000 | " +
		"1.0000 | n/a | 999 | 1 | 1 | 0.5 | 5.00 |\n"
	var b strings.Builder
	if err := WriteMarkdown(&b, tableRows); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("Markdown:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestWriteCSV(t *testing.T) {
	want := "name,model,base,depth,source,dice_mean,dice_pooled,iou,precision,recall,f1," +
		"pixel_accuracy,hd95_mean,hd95_images,params,epochs_run,best_epoch,train_seconds," +
		"infer_ms_per_slice,backend,run\n" +
		"unet,unet,16,4,trained,0.81234,0.8,0.7,0.9,0.75,0.818181818,0.99,3.457,3,1942289," +
		"12,9,123.44,80.126,dnnl,out/runs/unet\n" +
		"\"rpp, small\",resunet++,2,2,given,1,1,1,1,1,1,1,,0,999,1,1,0.5,5,ref,runs/rpp\n"
	var b strings.Builder
	if err := WriteCSV(&b, tableRows); err != nil {
		t.Fatal(err)
	}
	if b.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestGroupDigits(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {31986705, "31,986,705"},
		{-1234567, "-1,234,567"}, {-100, "-100"},
	} {
		if got := GroupDigits(tc.n); got != tc.want {
			t.Errorf("GroupDigits(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
