package server

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"tumorseg/internal/infer"
)

// squareSeg is a fake network of side size: probability p on the square of
// columns and rows [lo, hi), 0 elsewhere. It counts the calls running at
// once and the most ever seen. When gate is set, each call waits for a
// value from it (or for a minute) before answering, and sends on entered
// when it starts.
type squareSeg struct {
	size, lo, hi int
	p            float32
	gate         chan struct{}
	entered      chan struct{}

	running, most atomic.Int32
}

func (s *squareSeg) Size() int { return s.size }

func (s *squareSeg) Probabilities(img []float32) ([]float32, error) {
	n := s.running.Add(1)
	defer s.running.Add(-1)
	for {
		m := s.most.Load()
		if n <= m || s.most.CompareAndSwap(m, n) {
			break
		}
	}
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-time.After(time.Minute):
		}
	}
	out := make([]float32, s.size*s.size)
	for y := s.lo; y < s.hi; y++ {
		for x := s.lo; x < s.hi; x++ {
			out[y*s.size+x] = s.p
		}
	}
	return out, nil
}

// fakeNetwork returns a Network of the one instance seg.
func fakeNetwork(name string, seg *squareSeg) Network {
	dice := 0.75
	return Network{Name: name, Architecture: "fake", ValDice: &dice, Epoch: 3,
		Size: seg.size, Backend: "none", Instances: []infer.Segmenter{seg}}
}

// newSquare returns the fake network of side 64 marking [16, 32) with 0.9.
func newSquare() *squareSeg { return &squareSeg{size: 64, lo: 16, hi: 32, p: 0.9} }

// testServer starts a Server on cfg, with one fake network when cfg has
// none, behind an httptest server closed with the test.
func testServer(t *testing.T, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if len(cfg.Networks) == 0 {
		cfg.Networks = []Network{fakeNetwork("fake", newSquare())}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// scanPNG returns a w×h gray PNG: a bright disc, the head, on black.
func scanPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, w, h))
	cx, cy, r := float64(w-1)/2, float64(h-1)/2, 0.4*float64(min(w, h))
	for y := range h {
		for x := range w {
			dx, dy := float64(x)-cx, float64(y)-cy
			if dx*dx+dy*dy <= r*r {
				m.SetGray(x, y, color.Gray{Y: 160})
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG returns a PNG of a few dozen bytes whose header claims a w×h
// gray image; its pixel data is a stub that would never decode.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(kind)
		b.Write(data)
		crc := crc32.NewIEEE()
		crc.Write([]byte(kind))
		crc.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8] = 8 // bit depth; colour type 0 is gray
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00})
	chunk("IEND", nil)
	return b.Bytes()
}

// part is one field of a multipart form; a file when file is not empty.
type part struct {
	name, file string
	data       []byte
}

// multipartBody returns the body and content type of a form of parts.
func multipartBody(t *testing.T, parts ...part) (*bytes.Buffer, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.file != "" {
			w, err = mw.CreateFormFile(p.name, p.file)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Write(p.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &b, mw.FormDataContentType()
}

// imagePart is the FieldImage part holding data as name.
func imagePart(name string, data []byte) part { return part{FieldImage, name, data} }

// field is a text field of a form.
func field(name, value string) part { return part{name: name, data: []byte(value)} }

// post sends a POST of body with content type ct to url, with the bearer
// token when not empty.
func post(t *testing.T, url, ct string, body io.Reader, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// postForm sends parts to the segment route of ts.
func postForm(t *testing.T, url string, parts ...part) *http.Response {
	t.Helper()
	body, ct := multipartBody(t, parts...)
	return post(t, url, ct, body, "")
}

// postJSON sends v as JSON to url.
func postJSON(t *testing.T, url string, v any) *http.Response {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return post(t, url, "application/json", bytes.NewReader(data), "")
}

// decode reads resp's JSON body into v, failing unless resp has status.
func decode(t *testing.T, resp *http.Response, status int, v any) {
	t.Helper()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, data)
	}
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%v: %s", err, data)
		}
	}
}

// wantError checks that resp is an error answer with status whose message
// contains want.
func wantError(t *testing.T, resp *http.Response, status int, want string) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var e ErrorBody
	decode(t, resp, status, &e)
	if !strings.Contains(e.Error, want) {
		t.Errorf("error %q does not contain %q", e.Error, want)
	}
}
