package nn

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// paramMagic starts a parameter block; paramVersion is its layout version.
const (
	paramMagic   = "TSEGPRM\x00"
	paramVersion = 1
	maxParamElem = 1 << 30
)

// ErrParamFormat is returned when a parameter block is not one this
// version of tumorseg wrote.
var ErrParamFormat = errors.New("nn: not a tumorseg parameter block of this version")

// WriteParams writes ps to w: a magic, a version, the count, then each
// parameter's name, shape and little-endian float32 data.
func WriteParams(w io.Writer, ps []*Param) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(paramMagic)
	le := binary.LittleEndian
	hdr := le.AppendUint32(nil, paramVersion)
	hdr = le.AppendUint32(hdr, uint32(len(ps)))
	bw.Write(hdr)
	buf := make([]byte, 0, 1<<16)
	for _, p := range ps {
		h := le.AppendUint32(nil, uint32(len(p.Name)))
		h = append(h, p.Name...)
		h = le.AppendUint32(h, uint32(len(p.Shape)))
		for _, s := range p.Shape {
			h = le.AppendUint32(h, uint32(s))
		}
		bw.Write(h)
		for i := 0; i < len(p.Data); i += 1 << 14 {
			buf = buf[:0]
			for _, v := range p.Data[i:min(len(p.Data), i+1<<14)] {
				buf = le.AppendUint32(buf, math.Float32bits(v))
			}
			if _, err := bw.Write(buf); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}

// ReadParams reads a block written by WriteParams into ps, which must hold
// the same names with the same shapes, in any order.
func ReadParams(r io.Reader, ps []*Param) error {
	byName := make(map[string]*Param, len(ps))
	for _, p := range ps {
		byName[p.Name] = p
	}
	br := bufio.NewReader(r)
	le := binary.LittleEndian
	var head [16]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return fmt.Errorf("%w: %v", ErrParamFormat, err)
	}
	if string(head[:8]) != paramMagic || le.Uint32(head[8:]) != paramVersion {
		return ErrParamFormat
	}
	count := int(le.Uint32(head[12:]))
	if count != len(ps) {
		return fmt.Errorf("nn: parameter block holds %d arrays, network has %d", count, len(ps))
	}
	u32 := func() (uint32, error) {
		var b [4]byte
		_, err := io.ReadFull(br, b[:])
		return le.Uint32(b[:]), err
	}
	seen := map[string]bool{}
	for range count {
		n, err := u32()
		if err != nil || n > 4096 {
			return fmt.Errorf("nn: parameter block truncated or corrupt")
		}
		name := make([]byte, n)
		if _, err := io.ReadFull(br, name); err != nil {
			return fmt.Errorf("nn: parameter block truncated")
		}
		p, ok := byName[string(name)]
		if !ok || seen[p.Name] {
			return fmt.Errorf("nn: parameter %q does not belong to this network", name)
		}
		seen[p.Name] = true
		nd, err := u32()
		if err != nil || nd > 8 {
			return fmt.Errorf("nn: parameter %s: corrupt shape", p.Name)
		}
		shape := make([]int, nd)
		elems := 1
		for i := range shape {
			s, err := u32()
			if err != nil {
				return fmt.Errorf("nn: parameter %s: truncated shape", p.Name)
			}
			shape[i] = int(s)
			elems *= int(s)
			if elems > maxParamElem {
				return fmt.Errorf("nn: parameter %s: shape too large", p.Name)
			}
		}
		if !slices.Equal(shape, p.Shape) {
			return fmt.Errorf("nn: parameter %s has shape %v, network wants %v",
				p.Name, shape, p.Shape)
		}
		raw := make([]byte, 4*elems)
		if _, err := io.ReadFull(br, raw); err != nil {
			return fmt.Errorf("nn: parameter %s: truncated data", p.Name)
		}
		for i := range p.Data {
			p.Data[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	}
	return nil
}

// LoadAdamState reads moments written from a.State() and the step count.
func (a *Adam) LoadAdamState(r io.Reader, step int) error {
	if err := ReadParams(r, a.State()); err != nil {
		return err
	}
	a.Step = step
	return a.checkState()
}
