//go:build dnnl

package models

import (
	"math"
	"testing"

	"tumorseg/internal/nn"
)

// TestUNetTrainingStepDNNLMatchesRef runs one full training step (forward,
// Dice loss, backward, Adam) of the same UNet on both backends and compares
// the loss, every gradient and every updated weight. Tolerance: 1e-4 of the
// largest magnitude of each array, for float32 sums taken in another order.
func TestUNetTrainingStepDNNLMatchesRef(t *testing.T) {
	var graphs [2]*nn.Graph
	var losses [2]float64
	for i, name := range []string{"ref", "dnnl"} {
		g, err := Build("unet", Options{Base: 4, Depth: 2}, 7)
		if err != nil {
			t.Fatal(err)
		}
		b, err := nn.NewBackend(name)
		if err != nil {
			t.Fatal(err)
		}
		g.SetBackend(b)
		x := nn.NewTensor(2, 32, 32, 1)
		y := make([]float32, x.Len())
		for j := range x.Data {
			x.Data[j] = float32((j*7919)%1000) / 1000
			if (j/32)%8 < 3 && j%32 > 10 {
				y[j] = 1
			}
		}
		out, err := g.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		d := nn.NewTensor(2, 32, 32, 1)
		losses[i] = nn.DiceLoss(out.Data, y, d.Data)
		if err := g.Backward(d); err != nil {
			t.Fatal(err)
		}
		graphs[i] = g
	}
	if math.Abs(losses[0]-losses[1]) > 1e-5 {
		t.Errorf("loss: ref %g, dnnl %g", losses[0], losses[1])
	}
	compare := func(what string, a, b []float32) {
		scale, worst := 1e-6, 0.0
		for _, v := range a {
			scale = max(scale, math.Abs(float64(v)))
		}
		for i := range a {
			worst = max(worst, math.Abs(float64(a[i]-b[i])))
		}
		if worst/scale > 1e-4 {
			t.Errorf("%s differs by %.3g of its scale", what, worst/scale)
		}
	}
	ps := [2][]*nn.Param{graphs[0].Params(), graphs[1].Params()}
	for i, p := range ps[0] {
		if p.Trainable() {
			compare(p.Name+" gradient", p.Grad, ps[1][i].Grad)
		}
	}
	for i := range graphs {
		nn.NewAdam(ps[i], 1e-3).Update()
	}
	for i, p := range ps[0] {
		compare(p.Name, p.Data, ps[1][i].Data)
	}
}
