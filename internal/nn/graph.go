package nn

import (
	"fmt"
	"math/rand/v2"
)

// Param is a named parameter array: trainable weights with their gradient,
// or a buffer such as batch norm's running statistics (Grad nil).
type Param struct {
	Name  string
	Shape []int
	Data  []float32
	Grad  []float32 // nil for buffers, which the optimizer skips
}

// Trainable reports whether the optimizer updates p.
func (p *Param) Trainable() bool { return p.Grad != nil }

func newParam(name string, trainable bool, shape ...int) *Param {
	n := 1
	for _, s := range shape {
		n *= s
	}
	p := &Param{Name: name, Shape: shape, Data: make([]float32, n)}
	if trainable {
		p.Grad = make([]float32, n)
	}
	return p
}

// op is one layer of a graph. Forward overwrites out; backward adds the
// input gradients into din (an entry is nil where that input needs none)
// and adds the parameter gradients into the parameters' Grad.
type op interface {
	channels(in []int) int
	size(h, w int) (int, int)
	plan(in []*Tensor, out *Tensor, train bool) error
	forward(b Backend, in []*Tensor, out *Tensor, train bool)
	backward(b Backend, in []*Tensor, out, dout *Tensor, din []*Tensor)
	params() []*Param
}

// broadcaster is an op whose second input may have a smaller size that it
// broadcasts; its plan checks the shapes.
type broadcaster interface{ broadcasts() }

// Node is a value in a graph: the output of one layer.
type Node struct {
	id   int // position in the graph's layer order
	name string
	op   op
	in   []*Node
	c    int
	out  *Tensor
	grad *Tensor

	ins, dins []*Tensor // the inputs' outputs and gradients, set by Plan
	alias     *Node     // in a fused inference plan, the node computing this one
}

// Channels returns the number of channels of the node's output.
func (n *Node) Channels() int { return n.c }

// Graph is a static network: layers added in order by its builder methods,
// planned once per input shape and then run forward and backward without
// further allocation in the graph itself.
type Graph struct {
	nodes   []*Node
	input   *Node
	output  *Node
	rng     *rand.Rand
	backend Backend
	names   map[string]bool

	planned     [3]int // n, h, w of the current plan
	plannedFor  bool   // whether the plan holds gradients
	firstWriter []int  // per node, the node whose backward first adds to its gradient
}

// NewGraph returns an empty graph whose parameters are initialized from
// seed, with a single input of c channels.
func NewGraph(c int, seed uint64) *Graph {
	g := &Graph{rng: rand.New(rand.NewPCG(seed, 0x7475_6d6f_7273_6567)),
		names: map[string]bool{}}
	g.input = &Node{name: "input", op: inputOp{c}, c: c}
	g.nodes = append(g.nodes, g.input)
	return g
}

// Input returns the graph's input node.
func (g *Graph) Input() *Node { return g.input }

// SetOutput marks n as the graph's output.
func (g *Graph) SetOutput(n *Node) { g.output = n }

// SetBackend selects the backend that runs the graph.
func (g *Graph) SetBackend(b Backend) { g.backend = b; g.planned = [3]int{} }

// Backend returns the backend that runs the graph, the reference backend
// unless SetBackend chose another.
func (g *Graph) Backend() Backend {
	if g.backend == nil {
		g.backend = NewRef(0)
	}
	return g.backend
}

func (g *Graph) add(name string, o op, in ...*Node) *Node {
	if g.names[name] {
		panic(fmt.Sprintf("nn: layer name %q used twice", name))
	}
	g.names[name] = true
	cs := make([]int, len(in))
	for i, n := range in {
		cs[i] = n.c
	}
	n := &Node{id: len(g.nodes), name: name, op: o, in: in, c: o.channels(cs)}
	g.nodes = append(g.nodes, n)
	g.planned = [3]int{}
	return n
}

// Params returns every parameter and buffer of the graph in layer order.
func (g *Graph) Params() []*Param {
	var ps []*Param
	for _, n := range g.nodes {
		ps = append(ps, n.op.params()...)
	}
	return ps
}

// Plan allocates every activation (and, when train is set, every gradient)
// for an input of shape (n,h,w,C). Forward calls it when the shape changes;
// calling it again with the same shape does nothing.
func (g *Graph) Plan(n, h, w int, train bool) error {
	if g.output == nil {
		return fmt.Errorf("nn: graph has no output")
	}
	if g.planned == [3]int{n, h, w} && (g.plannedFor || !train) {
		return nil
	}
	g.fuse(!train)
	sizes := map[*Node][2]int{}
	for _, nd := range g.nodes {
		oh, ow := h, w
		if len(nd.in) > 0 {
			s := sizes[nd.in[0]]
			oh, ow = nd.op.size(s[0], s[1])
			_, bc := nd.op.(broadcaster)
			for _, other := range nd.in[1:] {
				if sizes[other] != s && !bc {
					return fmt.Errorf("nn: layer %s joins inputs of size %v and %v",
						nd.name, s, sizes[other])
				}
			}
		}
		if oh <= 0 || ow <= 0 {
			return fmt.Errorf("nn: layer %s: input %dx%d is too small", nd.name, h, w)
		}
		sizes[nd] = [2]int{oh, ow}
		if nd.alias != nil {
			nd.out = nd.alias.out
		} else {
			nd.out = NewTensor(n, oh, ow, nd.c)
		}
		nd.grad = nil
		nd.ins = make([]*Tensor, len(nd.in))
		for i, x := range nd.in {
			nd.ins[i] = x.out
		}
		if err := nd.op.plan(nd.ins, nd.out, train); err != nil {
			return fmt.Errorf("nn: layer %s: %w", nd.name, err)
		}
	}
	if train {
		g.planGradients()
	}
	g.planned, g.plannedFor = [3]int{n, h, w}, train
	return nil
}

// planGradients gives every node a gradient tensor, sharing memory between
// gradients whose lifetimes do not overlap. Backward visits the nodes in
// reverse; a node's gradient is first written by its last reader (the
// reader with the highest index) and last read by the node's own backward,
// after which its tensor returns to a pool for a later node of the same
// size. firstWriter records, per node, the index at which Backward zeroes
// its gradient.
func (g *Graph) planGradients() {
	g.firstWriter = make([]int, len(g.nodes))
	for i, nd := range g.nodes {
		for _, in := range nd.in {
			g.firstWriter[in.id] = i
		}
	}
	g.firstWriter[len(g.nodes)-1] = len(g.nodes)
	free := map[int][][]float32{}
	take := func(nd *Node) {
		o := nd.out
		nd.grad = &Tensor{N: o.N, H: o.H, W: o.W, C: o.C}
		if fs := free[o.Len()]; len(fs) > 0 {
			nd.grad.Data, free[o.Len()] = fs[len(fs)-1], fs[:len(fs)-1]
			return
		}
		nd.grad.Data = make([]float32, o.Len())
	}
	take(g.output)
	for j := len(g.nodes) - 1; j >= 0; j-- {
		nd := g.nodes[j]
		for _, in := range nd.in {
			if in.grad == nil {
				take(in)
			}
		}
		if nd != g.input && nd.grad != nil {
			free[nd.grad.Len()] = append(free[nd.grad.Len()], nd.grad.Data)
		}
	}
	for _, nd := range g.nodes {
		nd.dins = make([]*Tensor, len(nd.in))
		for i, x := range nd.in {
			nd.dins[i] = x.grad
		}
	}
}

// Forward runs the graph on x (N,H,W,C) and returns the output tensor, which
// the graph owns and overwrites on the next call. train selects batch
// statistics in batch norm and keeps what Backward needs.
func (g *Graph) Forward(x *Tensor, train bool) (*Tensor, error) {
	if x.C != g.input.c {
		return nil, fmt.Errorf("nn: input has %d channels, graph wants %d", x.C, g.input.c)
	}
	if err := g.Plan(x.N, x.H, x.W, train); err != nil {
		return nil, err
	}
	b := g.Backend()
	copy(g.input.out.Data, x.Data)
	for _, nd := range g.nodes[1:] {
		if nd.alias == nil {
			nd.op.forward(b, nd.ins, nd.out, train)
		}
	}
	return g.output.out, nil
}

// Backward propagates dout, the gradient of the loss with respect to the
// last Forward's output, through the graph and adds the parameter gradients
// into each Param's Grad. Forward must have run with train set.
func (g *Graph) Backward(dout *Tensor) error {
	if !g.plannedFor || g.output.grad == nil {
		return fmt.Errorf("nn: Backward needs a training Forward first")
	}
	if dout.Len() != g.output.out.Len() {
		return fmt.Errorf("nn: output gradient %s does not match output %s",
			dout.Shape(), g.output.out.Shape())
	}
	copy(g.output.grad.Data, dout.Data)
	b := g.Backend()
	for i := len(g.nodes) - 1; i > 0; i-- {
		nd := g.nodes[i]
		// Gradients share memory: clear each input's just before its first
		// contribution.
		for _, in := range nd.in {
			if g.firstWriter[in.id] == i {
				in.grad.Zero()
			}
		}
		nd.op.backward(b, nd.ins, nd.out, nd.grad, nd.dins)
	}
	return nil
}

// InputGrad returns the gradient with respect to the input from the last
// Backward, (N,H,W,C); the graph owns it.
func (g *Graph) InputGrad() *Tensor { return g.input.grad }

// ZeroGrad clears every parameter gradient.
func (g *Graph) ZeroGrad() {
	for _, p := range g.Params() {
		clear(p.Grad)
	}
}

// NumParams returns the number of trainable parameters.
func (g *Graph) NumParams() int {
	n := 0
	for _, p := range g.Params() {
		if p.Trainable() {
			n += len(p.Data)
		}
	}
	return n
}

// inputOp is the graph's input placeholder.
type inputOp struct{ c int }

func (o inputOp) channels([]int) int                                     { return o.c }
func (inputOp) size(h, w int) (int, int)                                 { return h, w }
func (inputOp) plan([]*Tensor, *Tensor, bool) error                      { return nil }
func (inputOp) forward(Backend, []*Tensor, *Tensor, bool)                {}
func (inputOp) backward(Backend, []*Tensor, *Tensor, *Tensor, []*Tensor) {}
func (inputOp) params() []*Param                                         { return nil }

// grad returns t's data, or nil for a nil tensor.
func grad(t *Tensor) []float32 {
	if t == nil {
		return nil
	}
	return t.Data
}

// FLOPs returns the floating-point operations of one forward pass on an
// (n,h,w,C) input, counting the multiply-adds of convolutions and
// transposed convolutions as two operations each and ignoring the rest.
// A training step costs about three times as much (forward, backward data
// and backward weights).
func (g *Graph) FLOPs(n, h, w int) (int64, error) {
	if err := g.Plan(n, h, w, false); err != nil {
		return 0, err
	}
	var f int64
	for _, nd := range g.nodes {
		switch o := nd.op.(type) {
		case *convOp:
			d := o.d
			f += 2 * int64(d.N*d.OutH*d.OutW*d.OutC) * int64(d.KH*d.KW*d.InC/d.Groups)
		case *convTransposeOp:
			x := nd.in[0].out
			f += 2 * int64(x.N*x.H*x.W*x.C) * int64(4*o.out)
		}
	}
	return f, nil
}

// fuse decides, for an inference plan (on), which layers run inside the
// convolution before them: a batch norm that alone reads a convolution's
// output is folded into its weights and bias, and a ReLU that alone reads
// that batch norm becomes the convolution's post-op. The fused layers
// share the convolution's output tensor and are skipped. A training plan
// (on false) undoes every fusion.
func (g *Graph) fuse(on bool) {
	readers := map[*Node]int{}
	for _, nd := range g.nodes {
		nd.alias = nil
		for _, in := range nd.in {
			readers[in]++
		}
		if c, ok := nd.op.(*convOp); ok {
			c.fold, c.relu = nil, false
		}
	}
	if !on {
		return
	}
	for _, nd := range g.nodes {
		bn, ok := nd.op.(*batchNormOp)
		if !ok {
			continue
		}
		src := nd.in[0]
		conv, ok := src.op.(*convOp)
		if !ok || readers[src] != 1 || src == g.output {
			continue
		}
		conv.fold, nd.alias = bn, src
		for _, r := range g.nodes {
			if _, isReLU := r.op.(reluOp); isReLU && r.in[0] == nd && readers[nd] == 1 &&
				nd != g.output {
				conv.relu, r.alias = true, src
			}
		}
	}
}
