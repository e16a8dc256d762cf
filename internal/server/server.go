// Package server serves tumorseg's web page and its JSON API over HTTP: a
// scan goes in, the tumor mask, overlay and findings come out, then a
// patient-language explanation and a PDF report.
//
// Routes, all but /healthz behind the optional bearer token:
//
//	GET  /                  the page (embedded, works offline)
//	GET  /healthz           liveness, never behind the token
//	GET  /api/v1/models     the loaded networks
//	POST /api/v1/segment    multipart scan in, findings and PNGs out
//	POST /api/v1/explain    findings in, explanation and check verdicts out
//	POST /api/v1/report     findings, scan and mask, or a fresh scan, in; PDF out
//
// Everything a client sends is bounded before it is used: the request body
// by Config.MaxUploadBytes, an image's width and height by Config.MaxSide
// read from its header before any pixel is decoded, and the work by a fixed
// number of slots behind a bounded queue, one set for segmentations and
// one for explanations and reports; past a queue a request is answered
// 503 at once, before its body is read. Every phase has a time limit.
// Errors are JSON objects with one field, "error". Uploaded scans are held
// in memory only, unless Config.KeepUploads names a folder.
package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"tumorseg/internal/explain"
	"tumorseg/internal/infer"
)

// Defaults of Config, used where a field is zero; DefaultQueue is the
// default of the serve command, since a zero Queue means no queue.
const (
	DefaultMaxUploadBytes = 20 << 20
	DefaultMaxSide        = 4096
	DefaultMaxInflight    = 2
	DefaultQueue          = 8
	DefaultInferTimeout   = 30 * time.Second
	DefaultExplainTimeout = 150 * time.Second
	DefaultThreshold      = 0.5
)

// Network is one loaded segmentation network.
type Network struct {
	// Name is how clients choose the network, e.g. "unet".
	Name string `json:"name"`
	// Architecture is the network's kind, e.g. "unet"; it may equal Name.
	Architecture string `json:"architecture"`
	// ValDice is the validation Dice of the weights, nil when unknown.
	ValDice *float64 `json:"val_dice"`
	// Epoch is the training epoch the weights come from, 0 when unknown.
	Epoch int `json:"epoch"`
	// Size is the side of the square images the network takes.
	Size int `json:"size"`
	// Backend names the compute backend that runs it.
	Backend string `json:"backend"`
	// Instances run the network, each used by one request at a time; all
	// must have size Size. With fewer instances than inference slots,
	// requests for this network wait for a free instance.
	Instances []infer.Segmenter `json:"-"`
}

// Config is everything that determines a Server. Zero fields but Queue
// take the Default values above.
type Config struct {
	// Networks are the loaded networks; the first is the default.
	Networks []Network
	// Explainers write explanations, one per language; a language without
	// one gets explain.Offline.
	Explainers map[explain.Lang]explain.Explainer
	// Token, when not empty, must come as a bearer token on every request
	// but /healthz.
	Token string
	// MaxUploadBytes bounds the body of every request.
	MaxUploadBytes int64
	// MaxSide bounds the width and the height of an uploaded image.
	MaxSide int
	// MaxInflight is the number of inference slots: scans decoded,
	// segmented and encoded at the same time.
	MaxInflight int
	// Queue is how many requests may wait for a slot, 0 for none; more
	// are refused with 503.
	Queue int
	// InferTimeout bounds a segmentation, waiting in the queue included;
	// past it the request is answered 504.
	InferTimeout time.Duration
	// ExplainTimeout bounds writing an explanation (a language model may
	// be asked twice).
	ExplainTimeout time.Duration
	// Threshold is the probability at or above which a pixel is tumor.
	Threshold float32
	// KeepUploads, when not empty, is a folder where every uploaded scan
	// is saved as it came; otherwise scans stay in memory only.
	KeepUploads string
	// Log receives one line per request and the server's warnings; nil
	// discards them.
	Log *slog.Logger
}

// Server answers the page and API routes. Build it with New; it is safe
// for concurrent use.
type Server struct {
	cfg      Config
	networks map[string]*network
	order    []*network
	infer    *limiter
	explain  *limiter
	handler  http.Handler
}

// network is a Network with its pool of free instances.
type network struct {
	Network
	free chan infer.Segmenter
}

// New checks cfg and returns the server. It fails when there is no
// network, two share a name, a network has no instance or one of the
// wrong size, or a limit is negative.
func New(cfg Config) (*Server, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, networks: map[string]*network{},
		infer:   newLimiter(cfg.MaxInflight, cfg.Queue, "scans"),
		explain: newLimiter(cfg.MaxInflight, cfg.Queue, "explanations")}
	for _, n := range cfg.Networks {
		if err := checkNetwork(n); err != nil {
			return nil, err
		}
		if _, dup := s.networks[n.Name]; dup {
			return nil, fmt.Errorf("server: two networks are named %q", n.Name)
		}
		nw := &network{Network: n, free: make(chan infer.Segmenter, len(n.Instances))}
		for _, seg := range n.Instances {
			nw.free <- seg
		}
		s.networks[n.Name] = nw
		s.order = append(s.order, nw)
	}
	s.handler = s.routes()
	return s, nil
}

// fill replaces the zero fields of c by their defaults and checks the
// rest.
func (c *Config) fill() error {
	if len(c.Networks) == 0 {
		return errors.New("server: no network to serve")
	}
	if c.MaxUploadBytes < 0 || c.MaxSide < 0 || c.MaxInflight < 0 || c.Queue < 0 ||
		c.InferTimeout < 0 || c.ExplainTimeout < 0 {
		return errors.New("server: a limit is negative")
	}
	if !(c.Threshold >= 0 && c.Threshold <= 1) {
		return fmt.Errorf("server: threshold %v is outside (0, 1]", c.Threshold)
	}
	c.MaxUploadBytes = orDefault(c.MaxUploadBytes, DefaultMaxUploadBytes)
	c.MaxSide = orDefault(c.MaxSide, DefaultMaxSide)
	c.MaxInflight = orDefault(c.MaxInflight, DefaultMaxInflight)
	c.InferTimeout = orDefault(c.InferTimeout, DefaultInferTimeout)
	c.ExplainTimeout = orDefault(c.ExplainTimeout, DefaultExplainTimeout)
	c.Threshold = orDefault(c.Threshold, DefaultThreshold)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// checkNetwork returns an error unless n has a name, a size and instances
// of that size.
func checkNetwork(n Network) error {
	if n.Name == "" {
		return errors.New("server: a network has no name")
	}
	if len(n.Instances) == 0 {
		return fmt.Errorf("server: network %q has no instance", n.Name)
	}
	for _, seg := range n.Instances {
		if seg == nil || seg.Size() != n.Size {
			return fmt.Errorf("server: network %q: an instance does not take %dpx images",
				n.Name, n.Size)
		}
	}
	return nil
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// HTTPServer returns an http.Server for s on addr with a time limit on
// every phase: 10 s for the headers, a minute for the whole request, and
// for the answer, counted like the request from the end of the headers,
// that minute, InferTimeout, ExplainTimeout and half a minute of margin.
// An idle connection is closed after two minutes.
func (s *Server) HTTPServer(addr string) *http.Server {
	write := time.Minute + s.cfg.InferTimeout + s.cfg.ExplainTimeout + 30*time.Second
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      write,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Log.Handler(), slog.LevelWarn),
	}
}

// routes returns the handler of every route, wrapped in the access log
// and the token check.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /{$}", pageHandler())
	mux.Handle("GET /static/", staticHandler())
	api := map[string]string{} // path → method
	for _, r := range []struct {
		method, path string
		h            func(http.ResponseWriter, *http.Request) error
	}{
		{http.MethodGet, "/api/v1/models", s.models},
		{http.MethodPost, "/api/v1/segment", s.segment},
		{http.MethodPost, "/api/v1/explain", s.explainRoute},
		{http.MethodPost, "/api/v1/report", s.report},
	} {
		mux.Handle(r.method+" "+r.path, s.api(r.h))
		api[r.path] = r.method
	}
	mux.Handle("/api/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		if m, ok := api[r.URL.Path]; ok {
			w.Header().Set("Allow", m)
			return errorf(http.StatusMethodNotAllowed, "%s takes %s, not %s", r.URL.Path, m,
				r.Method)
		}
		return errorf(http.StatusNotFound, "no route %s %s", r.Method, r.URL.Path)
	}))
	// Every other path: the same JSON 404 as under /api/.
	mux.Handle("/", s.api(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "no route %s %s", r.Method, r.URL.Path)
	}))
	return s.accessLog(s.authorize(mux))
}

// Health is the answer of /healthz.
type Health struct {
	// Status is "ok".
	Status string `json:"status"`
	// Networks counts the loaded networks.
	Networks int `json:"networks"`
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Health{Status: "ok", Networks: len(s.order)})
}

// Models is the answer of /api/v1/models.
type Models struct {
	// Models lists the networks, the default first.
	Models []Network `json:"models"`
	// Default names the network used when a request names none.
	Default string `json:"default"`
	// MaxUploadBytes and MaxSide are the limits on an upload.
	MaxUploadBytes int64 `json:"max_upload_bytes"`
	MaxSide        int   `json:"max_side"`
	// Threshold is the probability at or above which a pixel is tumor.
	Threshold float64 `json:"threshold"`
	// Languages are the languages explanations are written in.
	Languages []explain.Lang `json:"languages"`
	// Explainer says who writes English explanations: explain.SourceLLM
	// when a language model does, explain.SourceOffline otherwise.
	Explainer string `json:"explainer"`
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) error {
	m := Models{Default: s.order[0].Name, MaxUploadBytes: s.cfg.MaxUploadBytes,
		MaxSide: s.cfg.MaxSide, Threshold: float64(s.cfg.Threshold),
		Languages: []explain.Lang{explain.English, explain.TraditionalChinese},
		Explainer: s.explainerName()}
	for _, n := range s.order {
		m.Models = append(m.Models, n.Network)
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// network returns the network called name, the default when name is
// empty, or a 404 error.
func (s *Server) network(name string) (*network, error) {
	if name == "" {
		return s.order[0], nil
	}
	n, ok := s.networks[name]
	if !ok {
		return nil, errorf(http.StatusNotFound, "no network named %q is loaded", name)
	}
	return n, nil
}

// explainer returns the explainer for lang.
func (s *Server) explainer(lang explain.Lang) explain.Explainer {
	if e, ok := s.cfg.Explainers[lang]; ok && e != nil {
		return e
	}
	return explain.Offline{Lang: lang}
}

// explainerName returns explain.SourceLLM when the English explainer asks
// a language model and explain.SourceOffline otherwise.
func (s *Server) explainerName() string {
	if _, ok := s.explainer(explain.English).(*explain.LLM); ok {
		return explain.SourceLLM
	}
	return explain.SourceOffline
}

// writeJSON writes v as the JSON body of a response with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
