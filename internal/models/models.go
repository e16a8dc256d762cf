// Package models builds tumorseg's segmentation networks on the engine of
// package nn. Every network takes a one-channel (N,H,W,1) image and ends in
// one logit channel (N,H,W,1); the sigmoid lives in the loss and in
// inference.
package models

import (
	"fmt"
	"sort"

	"tumorseg/internal/nn"
)

// Options are the architecture options shared by the networks. Zero values
// take each network's default.
type Options struct {
	// Base is the number of channels at the first level; each level down
	// doubles it.
	Base int `json:"base"`
	// Depth is the number of 2x downsamplings between the input and the
	// bottleneck; the input's sides must be divisible by 2^Depth.
	Depth int `json:"depth"`
}

// Info describes a network for listings.
type Info struct {
	Name        string
	Description string
	Defaults    Options
}

type builder struct {
	info  Info
	build func(o Options, seed uint64) (*nn.Graph, error)
}

var registry = map[string]builder{
	"unet": {Info{"unet", "UNet (Ronneberger et al. 2015): two 3x3 conv+BN+ReLU per level, " +
		"2x2 max pooling down, 2x2 transposed convolution up, skip concatenation",
		Options{Base: 16, Depth: 4}}, buildUNet},
	"resnext50-unet": {Info{"resnext50-unet", "UNet decoder on a ResNeXt50 32x4d encoder " +
		"(Xie et al. 2017): stem, 3-4-6-3 bottleneck blocks with 32-group 3x3 convolutions",
		Options{Base: 16, Depth: 5}}, buildResNeXtUNet},
	"resunet++": {Info{"resunet++", "ResUNet++ (Jha et al. 2019): residual units with " +
		"squeeze-excitation, ASPP bridge, attention blocks, ASPP head",
		Options{Base: 16, Depth: 3}}, buildResUNetPP},
}

// Names returns the names of the networks, sorted.
func Names() []string {
	var ns []string
	for n := range registry {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Describe returns the description and defaults of the named network.
func Describe(name string) (Info, error) {
	b, ok := registry[name]
	if !ok {
		return Info{}, fmt.Errorf("models: unknown network %q (have %v)", name, Names())
	}
	return b.info, nil
}

// Resolve fills the zero fields of o with the named network's defaults.
func Resolve(name string, o Options) (Options, error) {
	info, err := Describe(name)
	if err != nil {
		return o, err
	}
	if o.Base == 0 {
		o.Base = info.Defaults.Base
	}
	if o.Depth == 0 {
		o.Depth = info.Defaults.Depth
	}
	if o.Base < 1 || o.Depth < 1 || o.Depth > 8 {
		return o, fmt.Errorf("models: %s: base %d and depth %d out of range", name, o.Base, o.Depth)
	}
	return o, nil
}

// Build returns the named network with its weights initialized from seed.
func Build(name string, o Options, seed uint64) (*nn.Graph, error) {
	o, err := Resolve(name, o)
	if err != nil {
		return nil, err
	}
	return registry[name].build(o, seed)
}
