package models

import (
	"fmt"
	"os"
	"testing"

	"tumorseg/internal/nn"
)

// BenchmarkUNetTrainStep times one forward, Dice loss, backward and Adam
// update of the UNet on the reference backend.
func BenchmarkUNetTrainStep(b *testing.B) {
	for _, tc := range []struct{ base, depth, batch, size int }{
		{16, 4, 4, 128}, {8, 4, 8, 128}, {16, 4, 8, 128},
	} {
		b.Run(fmt.Sprintf("base%d_depth%d_%dx%d", tc.base, tc.depth, tc.batch, tc.size),
			func(b *testing.B) {
				g, err := Build("unet", Options{Base: tc.base, Depth: tc.depth}, 1)
				if err != nil {
					b.Fatal(err)
				}
				be, err := nn.NewBackend(benchBackend())
				if err != nil {
					b.Fatal(err)
				}
				g.SetBackend(be)
				x := nn.NewTensor(tc.batch, tc.size, tc.size, 1)
				y := make([]float32, x.Len())
				for i := range x.Data {
					x.Data[i] = float32(i%97) / 97
					if i%5 == 0 {
						y[i] = 1
					}
				}
				d := nn.NewTensor(tc.batch, tc.size, tc.size, 1)
				adam := nn.NewAdam(g.Params(), 1e-3)
				for b.Loop() {
					out, err := g.Forward(x, true)
					if err != nil {
						b.Fatal(err)
					}
					nn.DiceLoss(out.Data, y, d.Data)
					if err := g.Backward(d); err != nil {
						b.Fatal(err)
					}
					adam.Update()
				}
			})
	}
}

// benchBackend is the backend the benchmarks run on: $TUMORSEG_BACKEND, or
// the fastest one built in.
func benchBackend() string {
	if b := os.Getenv("TUMORSEG_BACKEND"); b != "" {
		return b
	}
	return nn.DefaultBackend()
}
