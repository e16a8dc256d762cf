// Command gobench times tumorseg's networks and layers on one backend and
// prints one JSON object per case, for bench/run to set beside PyTorch's
// figures. Each case reports the median of several timed repetitions after
// a warm-up, the FLOP count and the process's peak resident memory.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"tumorseg/internal/models"
	"tumorseg/internal/nn"
)

// benchCase is one timed workload.
type benchCase struct {
	Name  string
	Model string
	Opts  models.Options
	Batch int
	Size  int
	Train bool
	Conv  *nn.ConvSpec // a single convolution instead of a network
	InC   int
}

var cases = []benchCase{
	{Name: "unet16_train_4x128", Model: "unet", Opts: models.Options{Base: 16, Depth: 4},
		Batch: 4, Size: 128, Train: true},
	{Name: "unet16_train_4x256", Model: "unet", Opts: models.Options{Base: 16, Depth: 4},
		Batch: 4, Size: 256, Train: true},
	{Name: "unet16_forward_1x512", Model: "unet", Opts: models.Options{Base: 16, Depth: 4},
		Batch: 1, Size: 512},
	{Name: "unet64_train_4x128", Model: "unet", Opts: models.Options{Base: 64, Depth: 4},
		Batch: 4, Size: 128, Train: true},
	{Name: "unet64_forward_1x512", Model: "unet", Opts: models.Options{Base: 64, Depth: 4},
		Batch: 1, Size: 512},
	{Name: "resnext50unet_train_4x128", Model: "resnext50-unet", Batch: 4, Size: 128, Train: true},
	{Name: "resnext50unet_forward_1x512", Model: "resnext50-unet", Batch: 1, Size: 512},
	{Name: "resunetpp_train_4x128", Model: "resunet++", Batch: 4, Size: 128, Train: true},
	{Name: "resunetpp_forward_1x512", Model: "resunet++", Batch: 1, Size: 512},
	{Name: "conv3x3_64to64_forward_4x128", Conv: &nn.ConvSpec{Out: 64, Kernel: 3, Pad: 1},
		InC: 64, Batch: 4, Size: 128},
	{Name: "conv3x3_16to16_forward_4x128", Conv: &nn.ConvSpec{Out: 16, Kernel: 3, Pad: 1},
		InC: 16, Batch: 4, Size: 128},
	{Name: "conv3x3_g32_256_forward_4x32", Conv: &nn.ConvSpec{Out: 256, Kernel: 3, Pad: 1,
		Groups: 32}, InC: 256, Batch: 4, Size: 32},
}

// result is one JSON line of output.
type result struct {
	Case      string  `json:"case"`
	Backend   string  `json:"backend"`
	OursMS    float64 `json:"ours_ms"`
	GFLOPs    float64 `json:"gflop"`
	GFLOPS    float64 `json:"gflop_per_s"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	Reps      int     `json:"reps"`
}

func main() {
	backend := flag.String("backend", nn.DefaultBackend(), "backend to time")
	only := flag.String("case", "", "comma-separated case names (default: all)")
	reps := flag.Int("reps", 7, "timed repetitions per case")
	warm := flag.Int("warmup", 2, "untimed repetitions first")
	list := flag.Bool("list", false, "list the case names and exit")
	flag.Parse()
	if *list {
		for _, c := range cases {
			fmt.Println(c.Name)
		}
		return
	}
	want := strings.Split(*only, ",")
	for _, c := range cases {
		if *only != "" && !slices.Contains(want, c.Name) {
			continue
		}
		r, err := run(c, *backend, *reps, *warm)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gobench: %s: %v\n", c.Name, err)
			os.Exit(1)
		}
		json.NewEncoder(os.Stdout).Encode(r)
	}
}

func run(c benchCase, backend string, reps, warm int) (result, error) {
	var g *nn.Graph
	var err error
	if c.Conv != nil {
		g = nn.NewGraph(c.InC, 1)
		g.SetOutput(g.Conv("conv", g.Input(), *c.Conv))
	} else if g, err = models.Build(c.Model, c.Opts, 1); err != nil {
		return result{}, err
	}
	b, err := nn.NewBackend(backend)
	if err != nil {
		return result{}, err
	}
	g.SetBackend(b)
	flops, err := g.FLOPs(c.Batch, c.Size, c.Size)
	if err != nil {
		return result{}, err
	}
	if c.Train {
		flops *= 3
	}
	x := nn.NewTensor(c.Batch, c.Size, c.Size, g.Input().Channels())
	for i := range x.Data {
		x.Data[i] = float32(i%251) / 251
	}
	target := make([]float32, c.Batch*c.Size*c.Size)
	for i := range target {
		if (i/c.Size)%7 < 2 {
			target[i] = 1
		}
	}
	var dl *nn.Tensor
	adam := nn.NewAdam(g.Params(), 1e-3)
	step := func() error {
		out, err := g.Forward(x, c.Train)
		if err != nil || !c.Train {
			return err
		}
		if dl == nil {
			dl = nn.NewTensor(out.N, out.H, out.W, out.C)
		}
		nn.DiceLoss(out.Data, target, dl.Data)
		if err := g.Backward(dl); err != nil {
			return err
		}
		adam.Update()
		return nil
	}
	for range warm {
		if err := step(); err != nil {
			return result{}, err
		}
	}
	times := make([]float64, reps)
	for i := range times {
		t := time.Now()
		if err := step(); err != nil {
			return result{}, err
		}
		times[i] = float64(time.Since(t).Microseconds()) / 1e3
	}
	slices.Sort(times)
	ms := times[len(times)/2]
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return result{Case: c.Name, Backend: b.Name(), OursMS: ms, GFLOPs: float64(flops) / 1e9,
		GFLOPS: float64(flops) / 1e6 / ms, PeakRSSMB: float64(ru.Maxrss) / 1024, Reps: reps}, nil
}
