package server

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"tumorseg/internal/infer"
)

// admitted returns how many requests l holds, running or waiting.
func admitted(l *limiter) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.admitted
}

// waitAdmitted waits up to five seconds for l to hold n requests.
func waitAdmitted(t *testing.T, l *limiter, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		if admitted(l) == n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the limiter holds %d requests, want %d", admitted(l), n)
}

// gated returns the fake square network whose calls wait for gate.
func gated() *squareSeg {
	seg := newSquare()
	seg.gate, seg.entered = make(chan struct{}), make(chan struct{}, 16)
	return seg
}

// segmentAsync sends a segment request in the background and returns
// the channel its status arrives on.
func segmentAsync(t *testing.T, ctx context.Context, url string, scan []byte) chan int {
	body, ct := multipartBody(t, imagePart("s.png", scan))
	done := make(chan int, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/v1/segment", body)
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	return done
}

func TestBusyPastTheQueue(t *testing.T) {
	seg := gated()
	s, ts := testServer(t, Config{Networks: []Network{fakeNetwork("fake", seg)},
		MaxInflight: 1, Queue: 1})
	scan := scanPNG(t, 64, 64)

	running := segmentAsync(t, context.Background(), ts.URL, scan)
	<-seg.entered
	waiting := segmentAsync(t, context.Background(), ts.URL, scan)
	waitAdmitted(t, s.infer, 2)

	resp := postForm(t, ts.URL+"/api/v1/segment", imagePart("s.png", scan))
	wantError(t, resp, http.StatusServiceUnavailable,
		"busy: 1 scans are being worked on and 1 are waiting")
	if after, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || after < 1 {
		t.Errorf("Retry-After %q, want whole seconds", resp.Header.Get("Retry-After"))
	}

	close(seg.gate)
	for _, c := range []chan int{running, waiting} {
		if status := <-c; status != http.StatusOK {
			t.Errorf("a request admitted before the refusal got %d", status)
		}
	}
	if n := seg.most.Load(); n != 1 {
		t.Errorf("%d calls ran at once, want 1", n)
	}
}

func TestInflightBound(t *testing.T) {
	seg := gated()
	n := fakeNetwork("fake", seg)
	n.Instances = []infer.Segmenter{seg, seg, seg}
	_, ts := testServer(t, Config{Networks: []Network{n}, MaxInflight: 2, Queue: 8})
	scan := scanPNG(t, 64, 64)

	var all []chan int
	for range 5 {
		all = append(all, segmentAsync(t, context.Background(), ts.URL, scan))
	}
	<-seg.entered
	<-seg.entered
	select {
	case <-seg.entered:
		t.Fatal("a third call started with two slots")
	case <-time.After(100 * time.Millisecond):
	}
	close(seg.gate)
	for _, c := range all {
		if status := <-c; status != http.StatusOK {
			t.Errorf("status %d, want 200", status)
		}
	}
	if most := seg.most.Load(); most != 2 {
		t.Errorf("%d calls ran at once, want 2", most)
	}
}

func TestInferenceTimeout(t *testing.T) {
	seg := gated()
	s, ts := testServer(t, Config{Networks: []Network{fakeNetwork("fake", seg)},
		MaxInflight: 1, Queue: 8, InferTimeout: 200 * time.Millisecond})
	scan := scanPNG(t, 64, 64)

	resp := postForm(t, ts.URL+"/api/v1/segment", imagePart("s.png", scan))
	wantError(t, resp, http.StatusGatewayTimeout, "timed out after 200ms segmenting the scan")

	// The network cannot be stopped, so the slot stays taken: the next
	// request times out in the queue.
	resp = postForm(t, ts.URL+"/api/v1/segment", imagePart("s.png", scan))
	wantError(t, resp, http.StatusGatewayTimeout,
		"timed out after 200ms waiting for a free inference slot")

	close(seg.gate)
	waitAdmitted(t, s.infer, 0)
	decode(t, postForm(t, ts.URL+"/api/v1/segment", imagePart("s.png", scan)),
		http.StatusOK, nil)
}

func TestClientLeavingTheQueueFreesItsPlace(t *testing.T) {
	seg := gated()
	s, ts := testServer(t, Config{Networks: []Network{fakeNetwork("fake", seg)},
		MaxInflight: 1, Queue: 1})
	scan := scanPNG(t, 64, 64)

	running := segmentAsync(t, context.Background(), ts.URL, scan)
	<-seg.entered
	ctx, cancel := context.WithCancel(context.Background())
	left := segmentAsync(t, ctx, ts.URL, scan)
	waitAdmitted(t, s.infer, 2)
	cancel()
	<-left
	waitAdmitted(t, s.infer, 1)
	close(seg.gate)
	if status := <-running; status != http.StatusOK {
		t.Errorf("status %d, want 200", status)
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		name            string
		slots, admitted int
		mean            time.Duration
		want            int
	}{
		{"no job measured yet counts a second", 2, 4, 0, 2},
		{"rounds of the queue times the mean", 2, 10, 1500 * time.Millisecond, 8},
		{"at least one second", 4, 1, 10 * time.Millisecond, 1},
		{"at most a minute", 1, 9, 30 * time.Second, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLimiter(tc.slots, 8, "scans")
			l.admitted, l.mean = tc.admitted, tc.mean
			if got := l.retryAfter(); got != tc.want {
				t.Errorf("retryAfter = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestLimiterConcurrentTickets(t *testing.T) {
	l := newLimiter(3, 0, "scans")
	var wg sync.WaitGroup
	var mu sync.Mutex
	running, most := 0, 0
	for range 50 {
		wg.Go(func() {
			for {
				tk, busy := l.admit()
				if busy != nil {
					time.Sleep(time.Millisecond)
					continue
				}
				tk.wait(context.Background())
				mu.Lock()
				running++
				most = max(most, running)
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				running--
				mu.Unlock()
				tk.release()
				return
			}
		})
	}
	wg.Wait()
	if most > 3 || admitted(l) != 0 {
		t.Errorf("%d ran at once with 3 slots, %d left admitted", most, admitted(l))
	}
}
