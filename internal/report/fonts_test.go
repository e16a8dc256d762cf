package report

import (
	"bytes"
	"encoding/binary"
	"testing"
	"unicode/utf16"
)

// nameTable returns a name table holding one Windows family name.
func nameTable(name string) []byte {
	u := utf16.Encode([]rune(name))
	b := make([]byte, 18, 18+2*len(u))
	be := binary.BigEndian
	be.PutUint16(b[2:], 1)  // count
	be.PutUint16(b[4:], 18) // string storage offset
	be.PutUint16(b[6:], 3)  // platform: Windows
	be.PutUint16(b[8:], 1)  // encoding: Unicode BMP
	be.PutUint16(b[12:], 1) // name: family
	be.PutUint16(b[14:], uint16(2*len(u)))
	for _, c := range u {
		b = be.AppendUint16(b, c)
	}
	return b
}

// collection returns a font collection of faces with the given versions
// and names, each with a name table only.
func collection(versions []uint32, names []string) []byte {
	be := binary.BigEndian
	n := len(names)
	dirAt := 12 + 4*n
	tablesAt := dirAt + 28*n
	out := []byte("ttcf")
	out = be.AppendUint32(out, 0x00010000)
	out = be.AppendUint32(out, uint32(n))
	for i := range n {
		out = be.AppendUint32(out, uint32(dirAt+28*i))
	}
	at := tablesAt
	for i, name := range names {
		out = be.AppendUint32(out, versions[i])
		out = be.AppendUint16(out, 1)
		out = append(out, 0, 0, 0, 0, 0, 0)
		out = append(out, "name"...)
		out = be.AppendUint32(out, 0)
		out = be.AppendUint32(out, uint32(at))
		out = be.AppendUint32(out, uint32(len(nameTable(name))))
		at += len(nameTable(name))
	}
	for _, name := range names {
		out = append(out, nameTable(name)...)
	}
	return out
}

func TestTrueTypeFace(t *testing.T) {
	const tt, cff = 0x00010000, 0x4f54544f // "OTTO"
	tests := []struct {
		name     string
		versions []uint32
		names    []string
		want     string
	}{
		{"the TW face", []uint32{tt, tt, tt}, []string{"Foo CN", "Foo HK", "Foo TW"}, "Foo TW"},
		{"the first face without a TW one", []uint32{tt, tt}, []string{"Bar", "Bar Mono"}, "Bar"},
		{"CFF faces skipped", []uint32{cff, tt}, []string{"Baz TW", "Baz"}, "Baz"},
	}
	for _, tc := range tests {
		face, err := trueTypeFace(collection(tc.versions, tc.names))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := faceName(face, 0); got != tc.want || !isTrueType(face) {
			t.Errorf("%s: face %q, want %q", tc.name, got, tc.want)
		}
		// The rebuilt face holds its one table right after the directory.
		if off := binary.BigEndian.Uint32(face[12+8:]); off != 28 ||
			!bytes.Equal(face[28:28+len(nameTable(tc.want))], nameTable(tc.want)) {
			t.Errorf("%s: name table at %d, not copied after the directory", tc.name, off)
		}
	}

	plain := collection([]uint32{tt}, []string{"Plain"})[16:]
	if got, err := trueTypeFace(plain); err != nil || !bytes.Equal(got, plain) {
		t.Errorf("a TrueType file comes back as it is: %v", err)
	}
	for name, data := range map[string][]byte{
		"CFF only":   collection([]uint32{cff}, []string{"Only"}),
		"OpenType":   append([]byte("OTTO"), make([]byte, 20)...),
		"truncated":  []byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x09"),
		"not a font": []byte("hello, world"),
	} {
		if _, err := trueTypeFace(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
