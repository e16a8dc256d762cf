package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// gradCheck builds a one-layer graph with build, runs it on a random input,
// and compares the gradients of L = Σ out·r (r random) with respect to the
// input and every trainable parameter against central finite differences.
func gradCheck(t *testing.T, n, h, w, c int, build func(g *Graph, x *Node) *Node) {
	t.Helper()
	g := NewGraph(c, 1)
	g.SetOutput(build(g, g.Input()))
	rng := rand.New(rand.NewPCG(2, 3))
	x := NewTensor(n, h, w, c)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	out, err := g.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	r := NewTensor(out.N, out.H, out.W, out.C)
	for i := range r.Data {
		r.Data[i] = float32(rng.NormFloat64())
	}
	loss := func() float64 {
		o, err := g.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for i, v := range o.Data {
			s += float64(v) * float64(r.Data[i])
		}
		return s
	}
	g.ZeroGrad()
	loss()
	if err := g.Backward(r); err != nil {
		t.Fatal(err)
	}
	check := func(what string, data, analytic []float32) {
		const h = 1e-2
		worst, scale := 0.0, 1e-3
		for _, v := range analytic {
			scale = max(scale, math.Abs(float64(v)))
		}
		idx := rng.Perm(len(data))
		for _, i := range idx[:min(len(idx), 40)] {
			old := data[i]
			data[i] = old + h
			lp := loss()
			data[i] = old - h
			lm := loss()
			data[i] = old
			num := (lp - lm) / (2 * h)
			worst = max(worst, math.Abs(num-float64(analytic[i]))/scale)
		}
		if worst > 2e-2 {
			t.Errorf("%s: worst gradient error %.3g of the largest gradient", what, worst)
		}
	}
	check("input", x.Data, append([]float32(nil), g.InputGrad().Data...))
	for _, p := range g.Params() {
		if p.Trainable() {
			check(p.Name, p.Data, append([]float32(nil), p.Grad...))
		}
	}
}

func TestConvGradients(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    int
		s    ConvSpec
	}{
		{"3x3 pad 1 bias", 3, ConvSpec{Out: 4, Kernel: 3, Pad: 1, Bias: true}},
		{"1x1", 5, ConvSpec{Out: 2, Kernel: 1}},
		{"stride 2", 2, ConvSpec{Out: 3, Kernel: 3, Stride: 2, Pad: 1}},
		{"dilation 2", 2, ConvSpec{Out: 2, Kernel: 3, Pad: 2, Dilation: 2}},
		{"groups 2", 4, ConvSpec{Out: 6, Kernel: 3, Pad: 1, Groups: 2, Bias: true}},
		{"7x7 stride 2 pad 3", 1, ConvSpec{Out: 2, Kernel: 7, Stride: 2, Pad: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gradCheck(t, 2, 6, 5, tc.c, func(g *Graph, x *Node) *Node {
				return g.Conv("conv", x, tc.s)
			})
		})
	}
}

func TestConvTransposeGradients(t *testing.T) {
	gradCheck(t, 2, 3, 4, 3, func(g *Graph, x *Node) *Node {
		return g.ConvTranspose2x2("up", x, 2)
	})
}

func TestBatchNormGradients(t *testing.T) {
	gradCheck(t, 3, 4, 3, 2, func(g *Graph, x *Node) *Node { return g.BatchNorm("bn", x) })
}

func TestReLUGradients(t *testing.T) {
	gradCheck(t, 2, 4, 4, 3, func(g *Graph, x *Node) *Node { return g.ReLU("relu", x) })
}

func TestMaxPoolGradients(t *testing.T) {
	gradCheck(t, 2, 4, 6, 3, func(g *Graph, x *Node) *Node { return g.MaxPool2("pool", x) })
}

func TestConcatGradients(t *testing.T) {
	gradCheck(t, 2, 3, 3, 2, func(g *Graph, x *Node) *Node {
		a := g.Conv("a", x, ConvSpec{Out: 3, Kernel: 1, Bias: true})
		return g.Concat("cat", a, x)
	})
}

func TestSharedInputGradientsAdd(t *testing.T) {
	// x feeds two convolutions whose outputs are joined: its gradient is
	// the sum of both paths.
	gradCheck(t, 1, 4, 4, 2, func(g *Graph, x *Node) *Node {
		a := g.Conv("a", x, ConvSpec{Out: 2, Kernel: 3, Pad: 1})
		b := g.Conv("b", x, ConvSpec{Out: 1, Kernel: 1})
		return g.Concat("cat", a, b)
	})
}

func TestDiceLossGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	z := make([]float32, 50)
	y := make([]float32, 50)
	for i := range z {
		z[i] = float32(rng.NormFloat64() * 2)
		if rng.IntN(3) == 0 {
			y[i] = 1
		}
	}
	d := make([]float32, 50)
	DiceLoss(z, y, d)
	scratch := make([]float32, 50)
	for i := range z {
		const h = 1e-2
		old := z[i]
		z[i] = old + h
		lp := DiceLoss(z, y, scratch)
		z[i] = old - h
		lm := DiceLoss(z, y, scratch)
		z[i] = old
		if num := (lp - lm) / (2 * h); math.Abs(num-float64(d[i])) > 1e-4 {
			t.Errorf("logit %d: analytic %g, numeric %g", i, d[i], num)
		}
	}
}

func TestMaxPool3x3Stride2Gradients(t *testing.T) {
	gradCheck(t, 2, 7, 6, 2, func(g *Graph, x *Node) *Node { return g.MaxPool("pool", x, 3, 2, 1) })
}

func TestAddMulGradients(t *testing.T) {
	gradCheck(t, 2, 4, 4, 3, func(g *Graph, x *Node) *Node {
		a := g.Conv("a", x, ConvSpec{Out: 3, Kernel: 1, Bias: true})
		return g.Mul("mul", g.Add("add", a, x), a)
	})
}

func TestChannelGateGradients(t *testing.T) {
	// Squeeze-and-excitation: x scaled by sigmoid(conv(mean of x)) per channel.
	gradCheck(t, 2, 4, 5, 4, func(g *Graph, x *Node) *Node {
		s := g.GlobalAvgPool("gap", x)
		s = g.Sigmoid("sig", g.Conv("fc", s, ConvSpec{Out: 4, Kernel: 1, Bias: true}))
		return g.Mul("gate", x, s)
	})
}

func TestPixelGateGradients(t *testing.T) {
	gradCheck(t, 2, 4, 4, 3, func(g *Graph, x *Node) *Node {
		a := g.Conv("att", x, ConvSpec{Out: 1, Kernel: 1, Bias: true})
		return g.Mul("gate", x, a)
	})
}

func TestUpsampleGradients(t *testing.T) {
	for _, bilinear := range []bool{false, true} {
		gradCheck(t, 2, 3, 4, 2, func(g *Graph, x *Node) *Node {
			return g.Upsample2x("up", x, bilinear)
		})
	}
}

func TestFusedInferenceMatchesUnfused(t *testing.T) {
	// conv → BN → ReLU, with trained-looking running statistics: the fused
	// inference plan (BN folded, ReLU as post-op) gives what the three
	// layers give one by one.
	build := func() *Graph {
		g := NewGraph(2, 3)
		c := g.Conv("c", g.Input(), ConvSpec{Out: 3, Kernel: 3, Pad: 1, Bias: true})
		r := g.ReLU("r", g.BatchNorm("b", c))
		g.SetOutput(g.Conv("h", r, ConvSpec{Out: 1, Kernel: 1}))
		for _, p := range g.Params() {
			for i := range p.Data {
				switch {
				case p.Name == "b.running_var":
					p.Data[i] = 0.5 + float32(i)
				case p.Name != "c.weight" && p.Name != "h.weight":
					p.Data[i] = 0.3*float32(i) - 0.2
				}
			}
		}
		return g
	}
	x := NewTensor(2, 5, 4, 2)
	for i := range x.Data {
		x.Data[i] = float32(i%7) - 3
	}
	fused := build()
	got, err := fused.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	if fused.nodes[3].alias != fused.nodes[1] || fused.nodes[2].alias != fused.nodes[1] {
		t.Fatal("the batch norm and ReLU were not fused into the convolution")
	}
	plain := build()
	plain.fuse(false)
	want := NewTensor(2, 5, 4, 1)
	// Run the same layers unfused: a training plan, then inference forwards
	// layer by layer.
	if err := plain.Plan(2, 5, 4, true); err != nil {
		t.Fatal(err)
	}
	b := plain.Backend()
	copy(plain.input.out.Data, x.Data)
	for _, nd := range plain.nodes[1:] {
		nd.op.forward(b, nd.ins, nd.out, false)
	}
	copy(want.Data, plain.output.out.Data)
	if e := closeEnough(got.Data, want.Data); e > 1e-5 {
		t.Errorf("fused output differs by %.3g", e)
	}
}
