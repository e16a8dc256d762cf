//go:build dnnl

package nn

import "testing"

func TestDNNLAgreesWithRef(t *testing.T) {
	d, err := NewDNNL()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range agreementCases {
		t.Run(tc.name, func(t *testing.T) { agree(t, d, tc.n, tc.h, tc.w, tc.c, tc.build) })
	}
}

func TestDNNLTrainingStepAllocations(t *testing.T) {
	d, err := NewDNNL()
	if err != nil {
		t.Fatal(err)
	}
	g := NewGraph(1, 1)
	x := g.ReLU("r", g.BatchNorm("b", g.Conv("c", g.Input(), ConvSpec{Out: 8, Kernel: 3, Pad: 1})))
	p := g.MaxPool2("p", x)
	g.SetOutput(g.Conv("h", g.Concat("cat", g.ConvTranspose2x2("u", p, 8), x),
		ConvSpec{Out: 1, Kernel: 1, Bias: true}))
	g.SetBackend(d)
	in := NewTensor(2, 32, 32, 1)
	target := make([]float32, in.Len())
	dl := NewTensor(2, 32, 32, 1)
	adam := NewAdam(g.Params(), 1e-3)
	step := func() {
		out, err := g.Forward(in, true)
		if err != nil {
			t.Fatal(err)
		}
		DiceLoss(out.Data, target, dl.Data)
		if err := g.Backward(dl); err != nil {
			t.Fatal(err)
		}
		adam.Update()
	}
	step()
	// After the first step every primitive exists: a step allocates no Go
	// memory (oneDNN's buffers were made with the primitives).
	if n := testing.AllocsPerRun(5, step); n != 0 {
		t.Errorf("%.0f allocations per training step, want 0", n)
	}
}
