package compare

import (
	"fmt"
	"strings"

	"tumorseg/internal/models"
	"tumorseg/internal/nn"
)

// Parts counts a network's trainable parameters by the part of the network
// that holds them, told apart by the parameter's name:
//
//	encoder  names starting with "enc" or "stem"
//	bridge   names starting with "bottleneck" or "bridge": the deepest level,
//	         between encoder and decoder (UNet's bottleneck, ResUNet++'s ASPP)
//	decoder  every other name: decoder levels, output ASPP and head
//
// Batch-norm running statistics are buffers, not parameters, and are not
// counted, so Total equals nn.Graph.NumParams.
type Parts struct {
	Encoder int `json:"encoder"`
	Bridge  int `json:"bridge"`
	Decoder int `json:"decoder"`
	Total   int `json:"total"`
}

// PartsRule says in one sentence how Parts splits the parameters.
const PartsRule = "encoder: parameters named enc* or stem*; bridge: bottleneck* or " +
	"bridge* (the deepest level); decoder: all others (decoder levels, output ASPP, head)"

// CountParts returns the trainable parameters of g split as Parts.
func CountParts(g *nn.Graph) Parts {
	var p Parts
	for _, param := range g.Params() {
		if !param.Trainable() {
			continue
		}
		n := len(param.Data)
		switch name := param.Name; {
		case strings.HasPrefix(name, "enc"), strings.HasPrefix(name, "stem"):
			p.Encoder += n
		case strings.HasPrefix(name, "bottleneck"), strings.HasPrefix(name, "bridge"):
			p.Bridge += n
		default:
			p.Decoder += n
		}
		p.Total += n
	}
	return p
}

// Network describes one network at the widths asked for.
type Network struct {
	// Name is the network's name, as models.Names gives it.
	Name string `json:"name"`
	// Description is models.Info's description.
	Description string `json:"description"`
	// Options are the options the network was built with.
	Options models.Options `json:"options"`
	// Parts counts its parameters.
	Parts Parts `json:"params"`
	// Note says why Options differ from those asked for, empty when they
	// do not.
	Note string `json:"note,omitempty"`
}

// Networks builds every network of models.Names with the options o (zero
// fields take each network's default) and counts its parameters. A network
// that refuses o.Depth, such as ResNeXt50-UNet whose depth is fixed, is
// built at its default depth instead and says so in Note.
func Networks(o models.Options) ([]Network, error) {
	var out []Network
	for _, name := range models.Names() {
		info, err := models.Describe(name)
		if err != nil {
			return nil, err
		}
		n := Network{Name: name, Description: info.Description}
		if n.Options, err = models.Resolve(name, o); err != nil {
			return nil, err
		}
		g, err := models.Build(name, n.Options, 1)
		if err != nil && o.Depth != 0 {
			n.Note = fmt.Sprintf("depth %d not accepted (%v); shown at depth %d",
				o.Depth, err, info.Defaults.Depth)
			n.Options.Depth = info.Defaults.Depth
			g, err = models.Build(name, n.Options, 1)
		}
		if err != nil {
			return nil, err
		}
		n.Parts = CountParts(g)
		out = append(out, n)
	}
	return out, nil
}
