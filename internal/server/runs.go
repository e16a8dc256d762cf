package server

import (
	"fmt"
	"regexp"
	"strings"

	"tumorseg/internal/infer"
	"tumorseg/internal/train"
)

// validName is what a network's name may look like.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ParseRun splits the --run value spec into a network name and a run
// folder: "NAME=DIR" names the network, a plain "DIR" leaves name empty
// for the model's own name. A spec whose part before "=" holds a "/" or
// is no valid name is taken as a folder.
func ParseRun(spec string) (name, dir string, err error) {
	if n, d, ok := strings.Cut(spec, "="); ok && validName.MatchString(n) {
		name, dir = n, d
	} else {
		dir = spec
	}
	if dir == "" {
		return "", "", fmt.Errorf("server: run %q names no folder", spec)
	}
	return name, dir, nil
}

// LoadNetworks loads the run of every spec (see ParseRun) instances times
// on backend (empty: each run's own), so that as many requests can use a
// network at once. It fails when a run does not load or two networks end
// up with one name.
func LoadNetworks(specs []string, backend string, instances int) ([]Network, error) {
	if instances < 1 {
		return nil, fmt.Errorf("server: %d instances per network, want at least 1", instances)
	}
	var out []Network
	seen := map[string]string{}
	for _, spec := range specs {
		name, dir, err := ParseRun(spec)
		if err != nil {
			return nil, err
		}
		n, err := loadNetwork(dir, backend, instances)
		if err != nil {
			return nil, err
		}
		if name != "" {
			n.Name = name
		}
		if first, dup := seen[n.Name]; dup {
			return nil, fmt.Errorf("server: runs %s and %s are both named %q; name them "+
				"with --run NAME=DIR", first, dir, n.Name)
		}
		seen[n.Name] = dir
		out = append(out, n)
	}
	return out, nil
}

// loadNetwork loads the run in dir instances times.
func loadNetwork(dir, backend string, instances int) (Network, error) {
	var n Network
	for i := range instances {
		m, err := train.Load(dir, backend)
		if err != nil {
			return Network{}, err
		}
		if i == 0 {
			dice := m.ValDice
			n = Network{Name: m.Name, Architecture: m.Name, ValDice: &dice, Epoch: m.Epoch,
				Size: m.Size(), Backend: m.Backend()}
		}
		n.Instances = append(n.Instances, infer.Segmenter(m))
	}
	return n, nil
}
