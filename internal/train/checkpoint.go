package train

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"tumorseg/internal/atomicio"
	"tumorseg/internal/nn"
)

// Checkpoint layout: a magic, the format version, the length of a JSON
// header, the header, the network's parameter block, then (when the header
// says so) the optimizer's moments as a second parameter block.
const (
	checkpointMagic   = "TSEGCKPT"
	checkpointVersion = 1
	maxHeaderBytes    = 64 << 20
)

// ErrCheckpointVersion is returned for a checkpoint written by another
// format version of tumorseg.
var ErrCheckpointVersion = errors.New("checkpoint written by another tumorseg format version")

// Header is the JSON part of a checkpoint: everything but the arrays.
type Header struct {
	FormatVersion int     `json:"format_version"`
	Config        Config  `json:"config"`
	Epoch         int     `json:"epoch"`     // epochs completed, from 1
	AdamStep      int     `json:"adam_step"` // optimizer steps taken
	RNGState      []byte  `json:"rng_state"` // the training random source
	Stopper       Stopper `json:"stopper"`   // early-stopping state
	History       []Epoch `json:"history"`   // one row per completed epoch
	ValDice       float64 `json:"val_dice"`  // validation Dice of these weights
	Finished      bool    `json:"finished"`  // training ended; best weights restored
	StopReason    string  `json:"stop_reason,omitempty"`
	HasOptimizer  bool    `json:"has_optimizer"`
	TrainSeconds  float64 `json:"train_seconds"`
	NumParams     int     `json:"num_params"`
}

// writeCheckpoint writes h, the graph's parameters and (if adam is not nil)
// the optimizer's moments to path atomically.
func writeCheckpoint(path string, h Header, params []*nn.Param, adam *nn.Adam) error {
	return writeCheckpointAs(path, h, params, adam, checkpointVersion)
}

// writeCheckpointAs writes a checkpoint that claims format version v.
func writeCheckpointAs(path string, h Header, params []*nn.Param, adam *nn.Adam, v int) error {
	h.FormatVersion = v
	h.HasOptimizer = adam != nil
	js, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("train: %s: %w", path, err)
	}
	return atomicio.WriteFile(path, func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 1<<20)
		bw.WriteString(checkpointMagic)
		var n [8]byte
		binary.LittleEndian.PutUint32(n[:4], uint32(v))
		binary.LittleEndian.PutUint32(n[4:], uint32(len(js)))
		bw.Write(n[:])
		bw.Write(js)
		if err := nn.WriteParams(bw, params); err != nil {
			return err
		}
		if adam != nil {
			if err := nn.WriteParams(bw, adam.State()); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
}

// readHeader opens a checkpoint and reads its header, leaving the reader
// at the parameter block.
func readHeader(path string) (*Header, *bufio.Reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("train: %w", err)
	}
	br := bufio.NewReaderSize(f, 1<<20)
	var head [16]byte
	if _, err := io.ReadFull(br, head[:8]); err != nil || string(head[:8]) != checkpointMagic {
		f.Close()
		return nil, nil, nil, fmt.Errorf("train: %s: not a tumorseg checkpoint", path)
	}
	if _, err := io.ReadFull(br, head[8:12]); err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("train: %s: truncated checkpoint", path)
	}
	if v := binary.LittleEndian.Uint32(head[8:]); v != checkpointVersion {
		f.Close()
		return nil, nil, nil, fmt.Errorf("train: %s: format version %d, this build reads %d: %w",
			path, v, checkpointVersion, ErrCheckpointVersion)
	}
	if _, err := io.ReadFull(br, head[12:]); err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("train: %s: truncated checkpoint", path)
	}
	n := binary.LittleEndian.Uint32(head[12:])
	if n > maxHeaderBytes {
		f.Close()
		return nil, nil, nil, fmt.Errorf("train: %s: corrupt header length %d", path, n)
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(br, js); err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("train: %s: truncated header", path)
	}
	var h Header
	dec := json.NewDecoder(bytes.NewReader(js))
	if err := dec.Decode(&h); err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("train: %s: corrupt header: %v", path, err)
	}
	return &h, br, f, nil
}

// ReadHeader returns the header of the checkpoint at path.
func ReadHeader(path string) (*Header, error) {
	h, _, f, err := readHeader(path)
	if err != nil {
		return nil, err
	}
	f.Close()
	return h, nil
}

// readCheckpoint reads the checkpoint at path into params and, when adam is
// not nil, the optimizer's moments.
func readCheckpoint(path string, params []*nn.Param, adam *nn.Adam) (*Header, error) {
	h, br, f, err := readHeader(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := nn.ReadParams(br, params); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	if adam != nil {
		if !h.HasOptimizer {
			return nil, fmt.Errorf("train: %s: holds no optimizer state to resume from", path)
		}
		if err := adam.LoadAdamState(br, h.AdamStep); err != nil {
			return nil, fmt.Errorf("train: %s: optimizer state: %w", path, err)
		}
	}
	return h, nil
}
