package report

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf16"

	"tumorseg/internal/explain"
)

// Font is one TrueType face for the PDF, with the file and Debian package
// it comes from.
type Font struct {
	// Path is the font file; Package the Debian package that ships it.
	Path, Package string
	// Regular holds the face as a TrueType file; Bold the bold face, or
	// nil to use Regular for bold text too.
	Regular, Bold []byte
}

// fontFile is a font file where a Debian package installs it.
type fontFile struct {
	path, bold, pkg string
}

// Fonts FindFont looks for, best first. The writer embeds TrueType
// outlines only: OpenType fonts with CFF outlines, such as fonts-noto-cjk's,
// cannot be used.
var (
	latinFonts = []fontFile{
		{"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
			"/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "fonts-dejavu-core"},
		{"/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
			"/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf", "fonts-liberation2"},
		{"/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
			"/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf", "fonts-liberation"},
	}
	cjkFonts = []fontFile{
		{"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "", "fonts-wqy-microhei"},
		{"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "", "fonts-wqy-zenhei"},
		{"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "", "fonts-droid-fallback"},
		{"/usr/share/fonts/truetype/arphic/uming.ttc", "", "fonts-arphic-uming"},
		{"/usr/share/fonts/truetype/arphic/ukai.ttc", "", "fonts-arphic-ukai"},
		{"/usr/share/fonts/truetype/arphic-bsmi00lp/bsmi00lp.ttf", "", "fonts-arphic-bsmi00lp"},
		{"/usr/share/fonts/truetype/arphic-bkai00mp/bkai00mp.ttf", "", "fonts-arphic-bkai00mp"},
	}
)

// CJKPackage is the Debian package a missing-font error asks for.
const CJKPackage = "fonts-wqy-zenhei"

// FindFont returns the first installed font of the list for lang: for
// English a Latin font (DejaVu Sans or Liberation Sans), or nil when none
// is installed and the PDF's built-in Helvetica must do; for zh-TW a CJK
// TrueType font, or an error naming the Debian package to install. In a
// font collection the first face whose name holds "TW" is used, else the
// first face.
func FindFont(lang explain.Lang) (*Font, error) {
	if lang != explain.TraditionalChinese {
		f, _ := firstFont(latinFonts)
		return f, nil
	}
	f, looked := firstFont(cjkFonts)
	if f == nil {
		return nil, fmt.Errorf("report: no Chinese TrueType font for zh-TW text; install "+
			"the Debian package %s (apt-get install %s); looked for %s", CJKPackage,
			CJKPackage, strings.Join(looked, ", "))
	}
	return f, nil
}

// firstFont returns the first usable font of files and the paths tried.
func firstFont(files []fontFile) (*Font, []string) {
	var looked []string
	for _, ff := range files {
		looked = append(looked, ff.path)
		regular, err := loadFace(ff.path)
		if err != nil {
			continue
		}
		f := &Font{Path: ff.path, Package: ff.pkg, Regular: regular}
		if ff.bold != "" {
			f.Bold, _ = loadFace(ff.bold)
		}
		return f, looked
	}
	return nil, looked
}

// loadFace reads the font file at path and returns one TrueType face of
// it: the file itself, or a face of a collection (.ttc) rebuilt as a
// standalone file.
func loadFace(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	face, err := trueTypeFace(data)
	if err != nil {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	return face, nil
}

// Tags of the sfnt formats (https://learn.microsoft.com/typography/opentype/spec/otff).
const (
	tagCollection = "ttcf"
	tagCFF        = "OTTO"
)

var errFont = errors.New("not a TrueType font")

// trueTypeFace returns data when it is a TrueType font, or the face of the
// collection data that FindFont prefers, rebuilt as a standalone font: its
// table directory followed by copies of the tables it points at.
func trueTypeFace(data []byte) ([]byte, error) {
	if len(data) < 12 {
		return nil, errFont
	}
	if string(data[:4]) != tagCollection {
		if !isTrueType(data) {
			return nil, errFont
		}
		return data, nil
	}
	n := int(binary.BigEndian.Uint32(data[8:]))
	if n < 1 || 12+4*n > len(data) {
		return nil, errFont
	}
	chosen := -1
	for i := range n {
		off := int(binary.BigEndian.Uint32(data[12+4*i:]))
		if off+12 > len(data) || !isTrueType(data[off:]) {
			continue
		}
		if chosen < 0 {
			chosen = off
		}
		if strings.Contains(faceName(data, off), "TW") {
			chosen = off
			break
		}
	}
	if chosen < 0 {
		return nil, errFont
	}
	return extractFace(data, chosen)
}

// isTrueType reports whether the font at the start of b has TrueType
// outlines.
func isTrueType(b []byte) bool {
	v := binary.BigEndian.Uint32(b)
	return v == 0x00010000 || string(b[:4]) == "true"
}

// table is one record of a font's table directory.
type table struct {
	tag          string
	check        uint32
	offset, size int
}

// tables returns the table directory of the font at off in data, offsets
// counted from the start of data.
func tables(data []byte, off int) ([]table, error) {
	if off+12 > len(data) {
		return nil, errFont
	}
	n := int(binary.BigEndian.Uint16(data[off+4:]))
	if off+12+16*n > len(data) {
		return nil, errFont
	}
	out := make([]table, n)
	for i := range out {
		r := data[off+12+16*i:]
		be := binary.BigEndian
		out[i] = table{tag: string(r[:4]), check: be.Uint32(r[4:]),
			offset: int(be.Uint32(r[8:])), size: int(be.Uint32(r[12:]))}
		if out[i].offset+out[i].size > len(data) || out[i].offset < 0 || out[i].size < 0 {
			return nil, errFont
		}
	}
	return out, nil
}

// extractFace returns the face at off of the collection data as a
// standalone font file, each table padded to 4 bytes.
func extractFace(data []byte, off int) ([]byte, error) {
	ts, err := tables(data, off)
	if err != nil {
		return nil, err
	}
	head := 12 + 16*len(ts)
	out := make([]byte, head)
	copy(out, data[off:off+12])
	for i, t := range ts {
		r := out[12+16*i:]
		copy(r, t.tag)
		binary.BigEndian.PutUint32(r[4:], t.check)
		binary.BigEndian.PutUint32(r[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(r[12:], uint32(t.size))
		out = append(out, data[t.offset:t.offset+t.size]...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}

// faceName returns the family and full names of the font at off in data,
// joined by "|", from its name table; "" when it has none readable.
func faceName(data []byte, off int) string {
	ts, err := tables(data, off)
	if err != nil {
		return ""
	}
	for _, t := range ts {
		if t.tag != "name" || t.size < 6 {
			continue
		}
		nt := data[t.offset : t.offset+t.size]
		count := int(binary.BigEndian.Uint16(nt[2:]))
		strs := int(binary.BigEndian.Uint16(nt[4:]))
		var names []string
		for i := range count {
			if 6+12*i+12 > len(nt) {
				break
			}
			r := nt[6+12*i:]
			be := binary.BigEndian
			platform, id := be.Uint16(r), be.Uint16(r[6:])
			size, at := int(be.Uint16(r[8:])), strs+int(be.Uint16(r[10:]))
			if id != 1 && id != 4 || at+size > len(nt) {
				continue
			}
			s := nt[at : at+size]
			if platform == 3 || platform == 0 {
				u := make([]uint16, len(s)/2)
				for j := range u {
					u[j] = binary.BigEndian.Uint16(s[2*j:])
				}
				names = append(names, string(utf16.Decode(u)))
			} else {
				names = append(names, string(s))
			}
		}
		return strings.Join(names, "|")
	}
	return ""
}
