package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"tumorseg/internal/explain"
	"tumorseg/internal/server"
)

// envToken is the environment variable serve reads the token from.
const envToken = "TUMORSEG_TOKEN"

// shutdownGrace is how long requests in progress get to finish after
// SIGINT or SIGTERM.
const shutdownGrace = 30 * time.Second

func serveCommand() *cobra.Command {
	var (
		addr, backend, keep, token string
		runs                       []string
		uploadMB                   int64
		cfg                        server.Config
		llm                        llmFlags
	)
	cmd := &cobra.Command{
		Use:   "serve --run RUN...",
		Short: "Serve the web page and the JSON API",
		Long: "serve loads the best weights of each RUN and answers on --addr: the page at /\n" +
			"(upload a scan, see the marked area, the findings and the explanation, download\n" +
			"the PDF report) and the API under /api/v1 (see the README). Name a network\n" +
			"with NAME=RUN; otherwise it takes its model's name. Each network is loaded\n" +
			"once per inference slot. Uploads stay in memory unless --keep-uploads is set.\n" +
			"With a token (--token or $" + envToken + ") every route but /healthz needs\n" +
			"it; a browser opens /?token=TOKEN once. Ctrl-C lets requests in progress\n" +
			"finish, then stops.",
		Example: "  tumorseg serve --run runs/unet\n" +
			"  tumorseg serve --addr 0.0.0.0:8080 --token \"$(cat token)\" \\\n" +
			"    --run unet=runs/unet --run resunetpp=runs/resunetpp",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(runs) == 0 {
				return errors.New("serve needs at least one --run RUN")
			}
			if uploadMB < 1 || cfg.MaxInflight < 1 || cfg.Queue < 0 {
				return fmt.Errorf("serve: --max-upload-mb and --max-inflight must be at " +
					"least 1 and --queue at least 0")
			}
			nets, err := server.LoadNetworks(runs, backend, cfg.MaxInflight)
			if err != nil {
				return err
			}
			for _, n := range nets {
				slog.Info("model loaded", "name", n.Name, "size", n.Size, "backend", n.Backend,
					"val_dice", *n.ValDice, "epoch", n.Epoch, "instances", len(n.Instances))
			}
			cfg.Networks = nets
			cfg.MaxUploadBytes = uploadMB << 20
			cfg.KeepUploads = keep
			cfg.Token = token
			if cfg.Token == "" {
				cfg.Token = os.Getenv(envToken)
			}
			cfg.Log = slog.Default()
			cfg.Explainers = map[explain.Lang]explain.Explainer{}
			for _, lang := range []explain.Lang{explain.English, explain.TraditionalChinese} {
				if cfg.Explainers[lang], err = newExplainer(llm.config(), lang); err != nil {
					return err
				}
			}
			return serve(cmd.Context(), addr, cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringArrayVar(&runs, "run", nil, "run folder to serve, or NAME=RUN; repeat for more")
	f.StringVar(&backend, "backend", "", "compute backend (default: each run's)")
	f.Int64Var(&uploadMB, "max-upload-mb", server.DefaultMaxUploadBytes>>20,
		"largest request body, in MB (413 past it)")
	f.IntVar(&cfg.MaxSide, "max-side", server.DefaultMaxSide,
		"largest width or height of a scan, read from its header (413 past it)")
	f.IntVar(&cfg.MaxInflight, "max-inflight", server.DefaultMaxInflight,
		"scans segmented at once; each network is loaded this many times")
	f.IntVar(&cfg.Queue, "queue", server.DefaultQueue,
		"requests that may wait for a slot (503 with Retry-After past it)")
	f.DurationVar(&cfg.InferTimeout, "infer-timeout", server.DefaultInferTimeout,
		"time limit of a segmentation, queue included (504 past it)")
	f.DurationVar(&cfg.ExplainTimeout, "explain-timeout", server.DefaultExplainTimeout,
		"time limit of an explanation (504 past it)")
	f.Float32Var(&cfg.Threshold, "threshold", server.DefaultThreshold,
		"probability at or above which a pixel is tumor")
	f.StringVar(&keep, "keep-uploads", "", "folder to save every uploaded scan in "+
		"(default: keep none)")
	f.StringVar(&token, "token", "", "bearer token every route but /healthz needs (or $"+
		envToken+", which keeps it out of the process list)")
	llm.add(cmd)
	return cmd
}

// serve answers on addr until ctx ends, then lets requests in progress
// finish for up to shutdownGrace.
func serve(ctx context.Context, addr string, cfg server.Config) error {
	s, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := s.HTTPServer(addr)
	host, _, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); cfg.Token == "" && (ip == nil || !ip.IsLoopback()) {
		slog.Warn("serving beyond this machine without a token; anyone who can reach it "+
			"can upload scans", "addr", ln.Addr().String())
	}
	slog.Info("serving", "url", "http://"+ln.Addr().String()+"/",
		"max_inflight", cfg.MaxInflight, "queue", cfg.Queue, "token", cfg.Token != "",
		"keep_uploads", cfg.KeepUploads)

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	slog.Info("shutting down; letting requests in progress finish", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutting down: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	slog.Info("stopped")
	return nil
}
