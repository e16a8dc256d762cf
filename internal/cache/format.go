// Package cache stores a prepared dataset on disk, one file per split, and
// reads it back by memory map.
//
// A split file <split>.tsc holds fixed-size records, one per case, in the
// order of the split's annotation file:
//
//	offset 0     header, headerSize bytes (layout below), zero padded
//	offset 4096  record 0, record 1, ...; each record is
//	             Size*Size float32 image pixels in [0,1], row-major,
//	             Size*Size uint8 mask pixels, 0 or 1, row-major,
//	             zero padding to a multiple of 64 bytes
//	then         the case index, JSON: {"cases": [{"name", "source"}, ...]}
//
// The header, little-endian like every number in the file:
//
//	 0  [8]byte magic "TSGCACHE"
//	 8  uint32  format version
//	12  uint32  Size
//	16  uint64  record count
//	24  uint64  record length in bytes
//	32  uint64  offset of record 0
//	40  uint64  offset of the case index
//	48  uint64  length of the case index in bytes
//	56  uint32  CRC-32 (IEEE) of bytes 0-55
//	60  uint32  zero
package cache

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Layout constants of a split file.
const (
	// Magic opens every split file.
	Magic = "TSGCACHE"
	// Version is the format version this package writes and reads.
	Version = 1
	// Ext is the extension of split files.
	Ext = ".tsc"
	// MaxSize is the largest image side a cache may hold.
	MaxSize = 4096

	headerSize  = 64
	dataOffset  = 4096
	recordAlign = 64
)

// Error is a problem with a cache file or folder.
type Error struct {
	File    string
	Problem string
}

// Error returns "cache: <file>: <problem>".
func (e *Error) Error() string { return "cache: " + e.File + ": " + e.Problem }

// header is the fixed part at the start of a split file.
type header struct {
	size        uint32
	count       uint64
	recordBytes uint64
	dataOffset  uint64
	indexOffset uint64
	indexLength uint64
}

func (h header) encode() []byte {
	b := make([]byte, headerSize)
	copy(b, Magic)
	le := binary.LittleEndian
	le.PutUint32(b[8:], Version)
	le.PutUint32(b[12:], h.size)
	le.PutUint64(b[16:], h.count)
	le.PutUint64(b[24:], h.recordBytes)
	le.PutUint64(b[32:], h.dataOffset)
	le.PutUint64(b[40:], h.indexOffset)
	le.PutUint64(b[48:], h.indexLength)
	le.PutUint32(b[56:], crc32.ChecksumIEEE(b[:56]))
	return b
}

// decodeHeader checks a header against the file's length and returns why
// it is unusable, or "".
func decodeHeader(b []byte, fileLen int64) (header, string) {
	if len(b) < headerSize || string(b[:8]) != Magic {
		return header{}, "not a tumorseg cache file (wrong magic)"
	}
	le := binary.LittleEndian
	if v := le.Uint32(b[8:]); v != Version {
		return header{}, fmt.Sprintf("cache format version %d, this program reads version %d;"+
			" prepare the dataset again", v, Version)
	}
	if le.Uint32(b[56:]) != crc32.ChecksumIEEE(b[:56]) {
		return header{}, "header checksum mismatch"
	}
	h := header{
		size:        le.Uint32(b[12:]),
		count:       le.Uint64(b[16:]),
		recordBytes: le.Uint64(b[24:]),
		dataOffset:  le.Uint64(b[32:]),
		indexOffset: le.Uint64(b[40:]),
		indexLength: le.Uint64(b[48:]),
	}
	switch {
	case h.size == 0 || h.size > MaxSize:
		return h, fmt.Sprintf("image size %d is outside 1..%d", h.size, MaxSize)
	case h.recordBytes != uint64(recordBytes(int(h.size))):
		return h, fmt.Sprintf("record length %d does not fit size %d", h.recordBytes, h.size)
	case h.dataOffset != dataOffset:
		return h, fmt.Sprintf("records start at %d, want %d", h.dataOffset, dataOffset)
	case h.count > uint64(fileLen)/h.recordBytes ||
		dataOffset+h.count*h.recordBytes > uint64(fileLen):
		return h, fmt.Sprintf("truncated: %d records do not fit in %d bytes", h.count, fileLen)
	case h.indexOffset != dataOffset+h.count*h.recordBytes:
		return h, fmt.Sprintf("case index at %d, want %d", h.indexOffset,
			dataOffset+h.count*h.recordBytes)
	case h.indexLength > uint64(fileLen) || h.indexOffset+h.indexLength != uint64(fileLen):
		return h, fmt.Sprintf("truncated: file is %d bytes, header says %d",
			fileLen, h.indexOffset+h.indexLength)
	}
	return h, ""
}

// recordBytes is the length of one record for images of size x size.
func recordBytes(size int) int {
	n := 5 * size * size
	return (n + recordAlign - 1) / recordAlign * recordAlign
}

// caseEntry is one case in a split file's index.
type caseEntry struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

type caseIndex struct {
	Cases []caseEntry `json:"cases"`
}

// Split is one prepared split, memory-mapped read-only. Its methods may be
// called from several goroutines at once.
type Split struct {
	path  string
	data  []byte
	size  int
	count int
	rec   int
	cases []caseEntry
}

// Open maps the split file dir/<split>.tsc and checks its header.
func Open(dir, split string) (*Split, error) {
	path := filepath.Join(dir, split+Ext)
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return nil, &Error{path, "cache files are little-endian; this machine is not"}
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{path, "file does not exist"}
		}
		return nil, &Error{path, err.Error()}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &Error{path, err.Error()}
	}

	b := make([]byte, headerSize)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, &Error{path, fmt.Sprintf("truncated: file is %d bytes", fi.Size())}
	}
	h, problem := decodeHeader(b, fi.Size())
	if problem != "" {
		return nil, &Error{path, problem}
	}

	data, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, &Error{path, "memory map: " + err.Error()}
	}
	s := &Split{path: path, data: data, size: int(h.size), count: int(h.count),
		rec: int(h.recordBytes)}
	var idx caseIndex
	if err := json.Unmarshal(data[h.indexOffset:], &idx); err != nil {
		s.Close()
		return nil, &Error{path, "case index: " + err.Error()}
	}
	if len(idx.Cases) != s.count {
		s.Close()
		return nil, &Error{path, fmt.Sprintf("case index lists %d cases, header says %d",
			len(idx.Cases), s.count)}
	}
	s.cases = idx.Cases
	return s, nil
}

// Len returns the number of cases.
func (s *Split) Len() int { return s.count }

// Size returns the side of every image and mask in pixels.
func (s *Split) Size() int { return s.size }

// Path returns the split file's path.
func (s *Split) Path() string { return s.path }

// record returns the offset of case i's record; it panics when i is out of
// range.
func (s *Split) record(i int) int {
	if i < 0 || i >= s.count {
		panic(fmt.Sprintf("cache: case %d out of range [0,%d)", i, s.count))
	}
	return dataOffset + i*s.rec
}

// Image returns case i's image, Size*Size pixels in [0,1], row-major. The
// slice views the read-only mapping: writing to it crashes the program, and
// it is invalid after Close.
func (s *Split) Image(i int) []float32 {
	off := s.record(i)
	return unsafe.Slice((*float32)(unsafe.Pointer(&s.data[off])), s.size*s.size)
}

// Mask returns case i's mask, Size*Size pixels of 0 or 1, row-major, under
// the same terms as Image.
func (s *Split) Mask(i int) []uint8 {
	off := s.record(i) + 4*s.size*s.size
	n := s.size * s.size
	return s.data[off : off+n : off+n]
}

// Name returns case i's image file name as the annotation file gives it.
func (s *Split) Name(i int) string {
	s.record(i)
	return s.cases[i].Name
}

// Source returns the path of case i's image file when it was prepared.
func (s *Split) Source(i int) string {
	s.record(i)
	return s.cases[i].Source
}

// Close unmaps the file. Slices from Image and Mask must not be used after.
func (s *Split) Close() error {
	if s.data == nil {
		return nil
	}
	err := unix.Munmap(s.data)
	s.data = nil
	if err != nil {
		return &Error{s.path, "unmap: " + err.Error()}
	}
	return nil
}

// splitOrder lists split names the way a dataset's folders are listed.
var splitOrder = []string{"train", "valid", "val", "test"}

// Splits lists the prepared splits in dir: train, valid, val and test first,
// then the others by name.
func Splits(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &Error{dir, "folder does not exist"}
		}
		return nil, &Error{dir, err.Error()}
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(n, Ext) && !strings.HasPrefix(n, ".") {
			names = append(names, strings.TrimSuffix(n, Ext))
		}
	}
	sortSplits(names)
	return names, nil
}

func sortSplits(names []string) {
	rank := func(n string) int {
		if i := slices.Index(splitOrder, n); i >= 0 {
			return i
		}
		return len(splitOrder)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rank(names[i]), rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
}

// ValidationSplit returns the name of the validation split prepared in dir:
// "valid" when it exists, else "val".
func ValidationSplit(dir string) (string, error) {
	names, err := Splits(dir)
	if err != nil {
		return "", err
	}
	for _, n := range []string{"valid", "val"} {
		if slices.Contains(names, n) {
			return n, nil
		}
	}
	return "", &Error{dir, "no validation split (valid" + Ext + " or val" + Ext + ")"}
}
