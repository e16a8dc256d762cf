// Command load is a bounded load test of tumorseg's HTTP API. It sends -n
// segment requests with one scan, -c at a time, to a server on this machine
// only, then prints the throughput, the latency percentiles and how many
// requests were refused as busy (503).
//
// With -run it starts the server itself, in this process, on 127.0.0.1 with
// the limits given; with -url it targets one already running, which must
// listen on a loopback address:
//
//	go run -tags dnnl ./bench/load -run /work/runs/unet-seed -image scan.jpg
//	go run ./bench/load -url http://127.0.0.1:8080 -image scan.jpg -n 500 -c 8
//
// It is not part of the test suite: it takes as long as the server needs.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sort"
	"sync"
	"time"

	"tumorseg/internal/server"
)

// options are the flags.
type options struct {
	url, run, backend, image, model, token string
	cpuProfile                             string
	n, c, inflight, queue                  int
	timeout                                time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "server to target, on a loopback address "+
		"(default: start one with -run)")
	flag.StringVar(&o.run, "run", "", "run folder to serve from this process when -url is empty")
	flag.StringVar(&o.backend, "backend", "", "compute backend of -run (default: the run's)")
	flag.StringVar(&o.image, "image", "", "scan to send (PNG, JPEG or TIFF)")
	flag.StringVar(&o.model, "model", "", "network to ask for (default: the server's default)")
	flag.StringVar(&o.token, "token", os.Getenv("TUMORSEG_TOKEN"), "bearer token, if the "+
		"server needs one")
	flag.IntVar(&o.n, "n", 200, "requests to send")
	flag.IntVar(&o.c, "c", 4, "requests in flight at once")
	flag.IntVar(&o.inflight, "max-inflight", server.DefaultMaxInflight,
		"inference slots of the server started with -run")
	flag.IntVar(&o.queue, "queue", server.DefaultQueue,
		"queue of the server started with -run")
	flag.DurationVar(&o.timeout, "timeout", time.Minute, "time limit of one request")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process, "+
		"the server started with -run included, to this file")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.image == "" || (o.url == "") == (o.run == "") {
		return errors.New("give -image and one of -url and -run")
	}
	if o.n < 1 || o.c < 1 || o.n > 1e6 || o.c > 1024 {
		return fmt.Errorf("-n %d and -c %d must lie in [1, 1000000] and [1, 1024]", o.n, o.c)
	}
	scan, err := os.ReadFile(o.image)
	if err != nil {
		return err
	}
	base := o.url
	if base == "" {
		addr, stop, err := startServer(o)
		if err != nil {
			return err
		}
		defer stop()
		base = "http://" + addr
	} else if err := checkLoopback(base); err != nil {
		return err
	}

	body, ct, err := form(filepath.Base(o.image), scan, o.model)
	if err != nil {
		return err
	}
	// One warm-up request plans the network and checks the setup.
	client := &http.Client{Timeout: o.timeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.c}}
	if r := send(client, base, body, ct, o.token); r.err != nil || r.status != http.StatusOK {
		return fmt.Errorf("warm-up request: status %d: %v", r.status, r.err)
	}

	fmt.Printf("target %s, scan %s (%d KB), %d requests, %d at a time\n", base,
		filepath.Base(o.image), len(scan)>>10, o.n, o.c)
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	results, elapsed := hammer(client, base, body, ct, o.token, o.n, o.c)
	report(os.Stdout, results, elapsed)
	return nil
}

// startServer serves o.run on 127.0.0.1 from this process and returns its
// address and the func that stops it.
func startServer(o options) (string, func(), error) {
	nets, err := server.LoadNetworks([]string{o.run}, o.backend, o.inflight)
	if err != nil {
		return "", nil, err
	}
	s, err := server.New(server.Config{Networks: nets, MaxInflight: o.inflight,
		Queue: o.queue, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := s.HTTPServer(ln.Addr().String())
	go srv.Serve(ln)
	n := nets[0]
	fmt.Printf("server: %s (%dpx, %s backend), %d inference slots, queue %d\n", n.Name,
		n.Size, n.Backend, o.inflight, o.queue)
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// checkLoopback returns an error unless raw is an http URL whose host is a
// loopback address or localhost.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("-url %q is not an http URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-url %q is not on a loopback address; this test only loads "+
			"a server on this machine", raw)
	}
	return nil
}

// form returns the multipart body of a segment request for the scan.
func form(name string, scan []byte, model string) ([]byte, string, error) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, err := mw.CreateFormFile(server.FieldImage, name)
	if err != nil {
		return nil, "", err
	}
	w.Write(scan)
	if model != "" {
		mw.WriteField(server.FieldModel, model)
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return b.Bytes(), mw.FormDataContentType(), nil
}

// result is the outcome of one request.
type result struct {
	status  int // 0 when no answer came
	latency time.Duration
	err     error
}

// send posts one segment request and reads the whole answer.
func send(client *http.Client, base string, body []byte, ct, token string) result {
	start := time.Now()
	req, err := http.NewRequest(http.MethodPost, base+"/api/v1/segment", bytes.NewReader(body))
	if err != nil {
		return result{err: err}
	}
	req.Header.Set("Content-Type", ct)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return result{latency: time.Since(start), err: err}
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return result{status: resp.StatusCode, latency: time.Since(start), err: err}
}

// hammer sends n requests from c goroutines and returns their results and
// the time all took.
func hammer(client *http.Client, base string, body []byte, ct, token string,
	n, c int) ([]result, time.Duration) {
	results := make([]result, n)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for i := range next {
				results[i] = send(client, base, body, ct, token)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return results, time.Since(start)
}

// report prints the throughput, the latency percentiles of the answered
// requests and the count of each status.
func report(w io.Writer, results []result, elapsed time.Duration) {
	counts := map[int]int{}
	var ok, all []time.Duration
	var firstErr error
	for _, r := range results {
		counts[r.status]++
		if r.err != nil && firstErr == nil {
			firstErr = r.err
		}
		if r.status != 0 {
			all = append(all, r.latency)
		}
		if r.status == http.StatusOK {
			ok = append(ok, r.latency)
		}
	}
	fmt.Fprintf(w, "%d requests in %.2f s: %.2f requests/s, %.2f answered 200/s\n",
		len(results), elapsed.Seconds(), float64(len(results))/elapsed.Seconds(),
		float64(len(ok))/elapsed.Seconds())
	for _, l := range []struct {
		name string
		d    []time.Duration
	}{{"200", ok}, {"all answers", all}} {
		if len(l.d) == 0 {
			continue
		}
		slices.Sort(l.d)
		fmt.Fprintf(w, "latency of %s (ms): p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", l.name,
			ms(percentile(l.d, 50)), ms(percentile(l.d, 90)), ms(percentile(l.d, 99)),
			ms(l.d[len(l.d)-1]))
	}
	statuses := make([]int, 0, len(counts))
	for s := range counts {
		statuses = append(statuses, s)
	}
	sort.Ints(statuses)
	fmt.Fprint(w, "statuses:")
	for _, s := range statuses {
		name := fmt.Sprint(s)
		if s == 0 {
			name = "no answer"
		}
		fmt.Fprintf(w, "  %s: %d", name, counts[s])
	}
	fmt.Fprintf(w, "\n503 busy: %d\n", counts[http.StatusServiceUnavailable])
	if firstErr != nil {
		fmt.Fprintln(w, "first error:", firstErr)
	}
}

// percentile returns the nearest-rank p-th percentile of sorted: the
// smallest value with at least p% of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(len(sorted)-1, i))]
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
