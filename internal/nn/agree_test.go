package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// agreementTolerance is how far another backend may stray from ref, as a
// fraction of the largest magnitude of the compared array: float32
// summation in another order differs in the last few bits, well under it.
const agreementTolerance = 1e-4

// closeEnough reports the worst difference between a and b relative to the
// largest magnitude in b.
func closeEnough(a, b []float32) float64 {
	scale := 1e-6
	for _, v := range b {
		scale = max(scale, math.Abs(float64(v)))
	}
	worst := 0.0
	for i := range a {
		worst = max(worst, math.Abs(float64(a[i]-b[i]))/scale)
	}
	return worst
}

// agree runs the graph that build makes on backend other and on ref, forward
// in training and inference and backward, and compares every output and
// gradient.
func agree(t *testing.T, other Backend, n, h, w, c int, build func(g *Graph, x *Node) *Node) {
	t.Helper()
	graphs := [2]*Graph{NewGraph(c, 1), NewGraph(c, 1)}
	for i, g := range graphs {
		g.SetOutput(build(g, g.Input()))
		if i == 1 {
			g.SetBackend(other)
		} else {
			g.SetBackend(NewRef(0))
		}
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x := NewTensor(n, h, w, c)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	var outs, infers [2][]float32
	for i, g := range graphs {
		o, err := g.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		outs[i] = append([]float32(nil), o.Data...)
	}
	dy := NewTensor(n, graphs[0].output.out.H, graphs[0].output.out.W, graphs[0].output.c)
	for i := range dy.Data {
		dy.Data[i] = float32(rng.NormFloat64())
	}
	for _, g := range graphs {
		g.ZeroGrad()
		if err := g.Backward(dy); err != nil {
			t.Fatal(err)
		}
	}
	for i, g := range graphs {
		o, err := g.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		infers[i] = append([]float32(nil), o.Data...)
	}
	if e := closeEnough(outs[1], outs[0]); e > agreementTolerance {
		t.Errorf("training forward differs by %.3g", e)
	}
	if e := closeEnough(infers[1], infers[0]); e > agreementTolerance {
		t.Errorf("inference forward differs by %.3g", e)
	}
	if e := closeEnough(graphs[1].InputGrad().Data, graphs[0].InputGrad().Data); e > agreementTolerance {
		t.Errorf("input gradient differs by %.3g", e)
	}
	ps0, ps1 := graphs[0].Params(), graphs[1].Params()
	for i := range ps0 {
		if ps0[i].Trainable() {
			if e := closeEnough(ps1[i].Grad, ps0[i].Grad); e > agreementTolerance {
				t.Errorf("%s gradient differs by %.3g", ps0[i].Name, e)
			}
		} else if e := closeEnough(ps1[i].Data, ps0[i].Data); e > agreementTolerance {
			t.Errorf("%s differs by %.3g", ps0[i].Name, e)
		}
	}
}

// agreementCases are the layers every backend must compute as ref does.
var agreementCases = []struct {
	name       string
	n, h, w, c int
	build      func(g *Graph, x *Node) *Node
}{
	{"conv 3x3", 2, 12, 10, 5, func(g *Graph, x *Node) *Node {
		return g.Conv("c", x, ConvSpec{Out: 7, Kernel: 3, Pad: 1})
	}},
	{"conv 3x3 bias stride 2", 2, 11, 9, 4, func(g *Graph, x *Node) *Node {
		return g.Conv("c", x, ConvSpec{Out: 8, Kernel: 3, Pad: 1, Stride: 2, Bias: true})
	}},
	{"conv 1x1 bias", 3, 8, 8, 16, func(g *Graph, x *Node) *Node {
		return g.Conv("c", x, ConvSpec{Out: 1, Kernel: 1, Bias: true})
	}},
	{"conv dilated 6", 1, 20, 20, 8, func(g *Graph, x *Node) *Node {
		return g.Conv("c", x, ConvSpec{Out: 8, Kernel: 3, Pad: 6, Dilation: 6})
	}},
	{"conv grouped 32", 2, 8, 8, 64, func(g *Graph, x *Node) *Node {
		return g.Conv("c", x, ConvSpec{Out: 64, Kernel: 3, Pad: 1, Groups: 32})
	}},
	{"conv 7x7 stride 2", 1, 32, 32, 1, func(g *Graph, x *Node) *Node {
		return g.Conv("c", x, ConvSpec{Out: 16, Kernel: 7, Pad: 3, Stride: 2})
	}},
	{"transposed conv 2x2", 2, 6, 5, 12, func(g *Graph, x *Node) *Node {
		return g.ConvTranspose2x2("u", x, 6)
	}},
	{"batch norm", 4, 6, 6, 16, func(g *Graph, x *Node) *Node { return g.BatchNorm("b", x) }},
	{"max pool 3x3 stride 2", 2, 9, 8, 3, func(g *Graph, x *Node) *Node {
		return g.MaxPool("p", x, 3, 2, 1)
	}},
	{"squeeze excitation and attention gates", 2, 6, 6, 4, func(g *Graph, x *Node) *Node {
		s := g.Sigmoid("s", g.Conv("fc", g.GlobalAvgPool("gap", x), ConvSpec{Out: 4, Kernel: 1}))
		a := g.Conv("att", x, ConvSpec{Out: 1, Kernel: 1, Bias: true})
		return g.Add("sum", g.Mul("m1", x, s), g.Mul("m2", x, a))
	}},
	{"upsample bilinear and nearest", 2, 4, 3, 2, func(g *Graph, x *Node) *Node {
		return g.Add("sum", g.Upsample2x("b", x, true), g.Upsample2x("n", x, false))
	}},
	{"conv bn relu pool concat", 2, 8, 8, 3, func(g *Graph, x *Node) *Node {
		a := g.ReLU("r", g.BatchNorm("b", g.Conv("c", x, ConvSpec{Out: 8, Kernel: 3, Pad: 1})))
		p := g.MaxPool2("p", a)
		u := g.ConvTranspose2x2("u", p, 4)
		return g.Concat("cat", u, a)
	}},
}
