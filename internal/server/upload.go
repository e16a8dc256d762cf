package server

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"tumorseg/internal/atomicio"
	"tumorseg/internal/infer"
	"tumorseg/internal/preprocess"
)

// Fields of a multipart upload.
const (
	// FieldImage holds the scan: a PNG, JPEG or TIFF file.
	FieldImage = "image"
	// FieldModel names the network; empty or absent means the default.
	FieldModel = "model"
	// FieldPixelSpacing is the side of one pixel in millimetres.
	FieldPixelSpacing = "pixel_spacing"
	// FieldLang is the language of the explanation, en or zh-TW.
	FieldLang = "lang"
)

// maxFieldBytes bounds a text field of a multipart upload.
const maxFieldBytes = 1 << 10

// upload is a scan sent as a multipart form, held in memory.
type upload struct {
	// name is the file name the client gave, reduced to a plain base name.
	name string
	data []byte
	// format is "png", "jpeg" or "tiff", from the image header.
	format string
	// width and height are the image's, from its header.
	width, height int
	fields        map[string]string
}

// limitBody bounds r's body to Config.MaxUploadBytes and returns a 413
// *Error at once when the declared length is already over.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request) *Error {
	if r.ContentLength > s.cfg.MaxUploadBytes {
		return s.tooLarge()
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes)
	return nil
}

// tooLarge returns the 413 *Error of a body over Config.MaxUploadBytes.
func (s *Server) tooLarge() *Error {
	limit := strconv.FormatInt(s.cfg.MaxUploadBytes, 10) + " bytes"
	if mb := s.cfg.MaxUploadBytes >> 20; mb<<20 == s.cfg.MaxUploadBytes {
		limit = strconv.FormatInt(mb, 10) + " MB"
	}
	return errorf(http.StatusRequestEntityTooLarge, "the request is larger than %s", limit)
}

// readUpload reads the multipart body of r into memory: the scan in
// FieldImage and the text fields named in fields, each at most
// maxFieldBytes. Nothing is written to disk, unlike
// http.Request.ParseMultipartForm, which spills large files to temporary
// ones. It returns a 400 *Error for a body that is not multipart, lacks
// the scan or holds an unknown or repeated field, and a 413 for one over
// the size limit.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request,
	fields ...string) (*upload, error) {
	if err := s.limitBody(w, r); err != nil {
		return nil, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errorf(http.StatusBadRequest,
			"want a multipart/form-data body with the scan in the field %q: %v", FieldImage, err)
	}
	up := &upload{fields: map[string]string{}}
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, s.bodyError(err)
		}
		name := part.FormName()
		switch {
		case name == FieldImage && !seen[name]:
			up.name = cleanName(part.FileName())
			if up.data, err = io.ReadAll(part); err != nil {
				return nil, s.bodyError(err)
			}
		case slices.Contains(fields, name) && !seen[name]:
			v, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
			if err != nil {
				return nil, s.bodyError(err)
			}
			if len(v) > maxFieldBytes {
				return nil, errorf(http.StatusBadRequest, "field %q is longer than %d bytes",
					name, maxFieldBytes)
			}
			up.fields[name] = strings.TrimSpace(string(v))
		case seen[name]:
			return nil, errorf(http.StatusBadRequest, "field %q is sent twice", name)
		default:
			return nil, errorf(http.StatusBadRequest, "unknown field %q (want %s)", name,
				strings.Join(append([]string{FieldImage}, fields...), ", "))
		}
		seen[name] = true
		part.Close()
	}
	if !seen[FieldImage] || len(up.data) == 0 {
		return nil, errorf(http.StatusBadRequest, "no scan in the field %q", FieldImage)
	}
	if up.name == "" {
		up.name = "scan"
	}
	return up, nil
}

// bodyError turns an error reading the body into a 413 when the body went
// over the limit and a 400 otherwise.
func (s *Server) bodyError(err error) *Error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return s.tooLarge()
	}
	return errorf(http.StatusBadRequest, "bad multipart body: %v", err)
}

// cleanName returns the base of a client's file name without control
// characters and at most 200 bytes long, or "" when nothing is left.
func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	for len(name) > 200 {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	return name
}

// checkHeader reads the image header of up and refuses, before any pixel
// is decoded, a file that is no PNG, JPEG or TIFF (415), one whose header
// does not parse (422), and an image wider or taller than Config.MaxSide
// or of more than preprocess.MaxPixels pixels (413). A small file that
// claims a huge image is thus refused for what it claims.
func (s *Server) checkHeader(up *upload) error {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(up.data))
	if errors.Is(err, image.ErrFormat) {
		return errorf(http.StatusUnsupportedMediaType,
			"%s is not a PNG, JPEG or TIFF image", up.name)
	}
	if err != nil {
		return errorf(http.StatusUnprocessableEntity, "%s: bad image header: %v", up.name, err)
	}
	switch format {
	case "png", "jpeg", "tiff":
	default:
		return errorf(http.StatusUnsupportedMediaType,
			"%s is a %s image; send PNG, JPEG or TIFF", up.name, strings.ToUpper(format))
	}
	w, h := cfg.Width, cfg.Height
	limit := min(s.cfg.MaxSide, preprocess.MaxSide)
	switch {
	case w <= 0 || h <= 0:
		return errorf(http.StatusUnprocessableEntity, "%s: image is %dx%d", up.name, w, h)
	case w > limit || h > limit:
		return errorf(http.StatusRequestEntityTooLarge,
			"%s: image is %dx%d, larger than %d on a side", up.name, w, h, limit)
	case w*h > preprocess.MaxPixels:
		return errorf(http.StatusRequestEntityTooLarge,
			"%s: image is %dx%d, more than %d pixels", up.name, w, h, preprocess.MaxPixels)
	}
	up.format, up.width, up.height = format, w, h
	return nil
}

// decode returns the scan's pixels, or a 422 *Error naming the problem.
func (up *upload) decode() (*preprocess.Image, error) {
	img, err := preprocess.DecodeReader(bytes.NewReader(up.data), up.name)
	if err != nil {
		return nil, &Error{Status: http.StatusUnprocessableEntity, Message: err.Error()}
	}
	return img, nil
}

// pixelSpacing returns the pixel spacing in up's FieldPixelSpacing in mm,
// 0 when the field is empty, or a 400 *Error when it is not a number in
// (0, infer.MaxPixelSpacingMM].
func (up *upload) pixelSpacing() (float64, error) {
	v := up.fields[FieldPixelSpacing]
	if v == "" {
		return 0, nil
	}
	mm, err := strconv.ParseFloat(v, 64)
	if err != nil || !(mm > 0 && mm <= infer.MaxPixelSpacingMM) {
		return 0, errorf(http.StatusBadRequest,
			"pixel_spacing %q is not a number of millimetres in (0, %d]", v,
			infer.MaxPixelSpacingMM)
	}
	return mm, nil
}

// keep saves up into Config.KeepUploads, when set, as
// <UTC time>-<random>.<format>, and returns the path ("" when not kept).
func (s *Server) keep(up *upload) (string, error) {
	dir := s.cfg.KeepUploads
	if dir == "" {
		return "", nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("server: keeping uploads: %w", err)
	}
	var rnd [4]byte
	rand.Read(rnd[:])
	ext := map[string]string{"png": ".png", "jpeg": ".jpg", "tiff": ".tif"}[up.format]
	name := time.Now().UTC().Format("20060102T150405.000") + "-" + hex.EncodeToString(rnd[:]) +
		ext
	path := filepath.Join(dir, name)
	err := atomicio.WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(up.data)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("server: keeping uploads: %w", err)
	}
	return path, nil
}

// isMultipart reports whether r's body is a multipart form.
func isMultipart(r *http.Request) bool {
	t, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && t == "multipart/form-data"
}
