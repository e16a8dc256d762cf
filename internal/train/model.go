package train

import (
	"fmt"
	"path/filepath"

	"tumorseg/internal/cache"
	"tumorseg/internal/metrics"
	"tumorseg/internal/nn"
)

// Model is a trained network loaded from a run folder for inference.
type Model struct {
	// Name is the network's name, e.g. "unet".
	Name string
	// Config is the configuration the network was trained with.
	Config Config
	// ValDice is the validation Dice of the loaded weights.
	ValDice float64
	// Epoch is the epoch the weights come from.
	Epoch int

	graph *nn.Graph
	x     *nn.Tensor
}

// Load reads the best weights of the run in dir. backend, when not empty,
// overrides the backend the run was trained on.
func Load(dir, backend string) (*Model, error) {
	path := filepath.Join(dir, BestFile)
	h, err := ReadHeader(path)
	if err != nil {
		return nil, err
	}
	cfg := h.Config
	if backend != "" {
		cfg.Backend = backend
	}
	g, err := buildGraph(cfg)
	if err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	if _, err := readCheckpoint(path, g.Params(), nil); err != nil {
		return nil, err
	}
	return &Model{Name: cfg.Model, Config: cfg, ValDice: h.ValDice, Epoch: h.Epoch, graph: g,
		x: nn.NewTensor(1, cfg.Size, cfg.Size, 1)}, nil
}

// Size returns the side of the square images the network takes.
func (m *Model) Size() int { return m.Config.Size }

// Backend returns the name of the backend that runs the model.
func (m *Model) Backend() string { return m.graph.Backend().Name() }

// Probabilities returns the tumor probability of every pixel of one
// Size×Size image (row-major, values in [0,1]). It is not safe for
// concurrent use.
func (m *Model) Probabilities(img []float32) ([]float32, error) {
	if len(img) != len(m.x.Data) {
		return nil, fmt.Errorf("train: image has %d pixels, model takes %dx%d",
			len(img), m.Size(), m.Size())
	}
	copy(m.x.Data, img)
	out, err := m.graph.Forward(m.x, false)
	if err != nil {
		return nil, err
	}
	p := make([]float32, len(out.Data))
	for i, z := range out.Data {
		p[i] = nn.Sigmoid(z)
	}
	return p, nil
}

// Evaluate scores the model on split of the cache in dir.
func (m *Model) Evaluate(dir, split string, batch int) (metrics.Summary, error) {
	s, err := cache.Open(dir, split)
	if err != nil {
		return metrics.Summary{}, err
	}
	defer s.Close()
	if s.Size() != m.Size() {
		return metrics.Summary{}, fmt.Errorf("train: %s/%s holds %dpx images, model takes %dpx",
			dir, split, s.Size(), m.Size())
	}
	ev, err := evaluateSplit(m.graph, s, batch, s.Name, true)
	if err != nil {
		return metrics.Summary{}, err
	}
	return ev.summary, nil
}

// EvalReport is the JSON an evaluation is written as: where the scores come
// from, then the metrics' summary.
type EvalReport struct {
	Run   string `json:"run"`
	Model string `json:"model"`
	Data  string `json:"data"`
	Split string `json:"split"`
	Epoch int    `json:"epoch"`
	metrics.Summary
}
