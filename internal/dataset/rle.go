package dataset

import (
	"errors"
	"fmt"
)

// RLE is a W x H binary mask as COCO run-length encodes it: Counts are the
// lengths of alternating runs of 0 and 1, starting with 0, over the pixels
// in column-major order (down the first column, then the next).
type RLE struct {
	W, H   int
	Counts []uint32
}

// Mask returns the decoded mask, row-major, 0 or 1 per pixel. Runs past
// W*H pixels are cut off.
func (r RLE) Mask() []uint8 {
	n := r.W * r.H
	m := make([]uint8, n)
	p := 0
	for k, c := range r.Counts {
		end := min(p+int(c), n)
		if k%2 == 1 {
			for q := p; q < end; q++ {
				// q runs down column q/H.
				m[(q%r.H)*r.W+q/r.H] = 1
			}
		}
		p = end
	}
	return m
}

// decodeCounts decodes COCO's compressed counts string. Each count is
// written in 5-bit groups, least significant first, as the characters
// '0'+g where g holds the group and 0x20 marks that another group follows;
// 0x10 in the last group is the sign. From the fourth count on, the value
// written is the difference from the count two places earlier.
func decodeCounts(s string) ([]uint32, error) {
	var counts []uint32
	for p := 0; p < len(s); {
		var v int64
		for shift := 0; ; shift += 5 {
			if p == len(s) {
				return nil, errors.New("counts string ends inside a number")
			}
			if shift > 35 {
				return nil, fmt.Errorf("counts string has a number too long at byte %d", p)
			}
			c := int64(s[p]) - '0'
			if c < 0 || c > 63 {
				return nil, fmt.Errorf("counts string has byte %q at %d", s[p], p)
			}
			p++
			v |= (c & 0x1f) << shift
			if c&0x20 == 0 {
				if c&0x10 != 0 {
					v |= -1 << (shift + 5)
				}
				break
			}
		}
		if len(counts) > 2 {
			v += int64(counts[len(counts)-2])
		}
		if v < 0 || v > 1<<32-1 {
			return nil, fmt.Errorf("counts string gives run %d the length %d",
				len(counts), v)
		}
		counts = append(counts, uint32(v))
	}
	return counts, nil
}
