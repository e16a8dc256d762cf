package nn

import (
	"fmt"
	"math"
)

// Adam is the Adam optimizer (Kingma and Ba 2015) with optional decoupled
// weight decay (AdamW, Loshchilov and Hutter 2019). For each trainable
// parameter θ with gradient g, at step t:
//
//	m = β1 m + (1-β1) g;  v = β2 v + (1-β2) g²
//	θ -= lr (m/(1-β1^t)) / (sqrt(v/(1-β2^t)) + ε) + lr·wd·θ
//
// matching PyTorch's Adam (wd 0) and AdamW.
type Adam struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64

	Step int         // steps taken
	M, V [][]float32 // first and second moments, one per trainable parameter

	params []*Param
}

// NewAdam returns an optimizer over the trainable parameters in ps with
// PyTorch's defaults (β1 0.9, β2 0.999, ε 1e-8).
func NewAdam(ps []*Param, lr float64) *Adam {
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	for _, p := range ps {
		if p.Trainable() {
			a.params = append(a.params, p)
			a.M = append(a.M, make([]float32, len(p.Data)))
			a.V = append(a.V, make([]float32, len(p.Data)))
		}
	}
	return a
}

// Update applies one step to every parameter from its Grad, then clears
// the gradients.
func (a *Adam) Update() {
	a.Step++
	c1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	lr, eps, wd := float32(a.LR/c1), float32(a.Eps), float32(a.LR*a.WeightDecay)
	s2 := float32(1 / math.Sqrt(c2))
	for k, p := range a.params {
		m, v := a.M[k], a.V[k]
		for i, g := range p.Grad {
			m[i] = b1*m[i] + (1-b1)*g
			v[i] = b2*v[i] + (1-b2)*g*g
			p.Data[i] -= lr*m[i]/(float32(math.Sqrt(float64(v[i])))*s2+eps) + wd*p.Data[i]
		}
		clear(p.Grad)
	}
}

// State returns the moments as parameters named after the weights they
// belong to ("<name>.adam_m", "<name>.adam_v"), for checkpoints.
func (a *Adam) State() []*Param {
	var ps []*Param
	for k, p := range a.params {
		ps = append(ps,
			&Param{Name: p.Name + ".adam_m", Shape: p.Shape, Data: a.M[k]},
			&Param{Name: p.Name + ".adam_v", Shape: p.Shape, Data: a.V[k]})
	}
	return ps
}

// checkState verifies that the moments still match the parameters.
func (a *Adam) checkState() error {
	for k, p := range a.params {
		if len(a.M[k]) != len(p.Data) || len(a.V[k]) != len(p.Data) {
			return fmt.Errorf("nn: adam state for %s has the wrong size", p.Name)
		}
	}
	return nil
}
