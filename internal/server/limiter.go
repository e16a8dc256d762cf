package server

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter bounds work: at most slots jobs run at once and at most queue
// more wait for a slot. A request past that is refused at once, so a burst
// costs the server no memory beyond the queue.
type limiter struct {
	slots chan struct{}
	max   int    // slots + queue
	what  string // what a job works on, plural, for the busy message

	mu       sync.Mutex
	admitted int           // running and waiting
	mean     time.Duration // moving mean of a job's duration
}

// newLimiter returns a limiter of slots running jobs and queue waiting
// ones; what names the jobs' objects in its busy message, e.g. "scans".
func newLimiter(slots, queue int, what string) *limiter {
	return &limiter{slots: make(chan struct{}, slots), max: slots + queue, what: what}
}

// ticket is a place in a limiter, waiting or running. Its methods are
// called from the request's goroutine; the func handOff returns may be
// called from another.
type ticket struct {
	l        *limiter
	running  bool
	start    time.Time
	handed   bool
	released bool
}

// admit returns a ticket, or a 503 *Error saying the server is busy when
// every slot and every place in the queue is taken.
func (l *limiter) admit() (*ticket, *Error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.admitted >= l.max {
		running := cap(l.slots)
		return nil, &Error{Status: http.StatusServiceUnavailable, Message: "busy: " +
			strconv.Itoa(running) + " " + l.what + " are being worked on and " +
			strconv.Itoa(l.max-running) + " are waiting; retry in a few seconds"}
	}
	l.admitted++
	return &ticket{l: l}, nil
}

// retryAfter returns how many seconds, from 1 to 60, the queue now in
// front of a new request takes to clear at the mean job duration.
func (l *limiter) retryAfter() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	mean := l.mean
	if mean == 0 {
		mean = time.Second
	}
	rounds := float64(l.admitted) / float64(cap(l.slots))
	return int(min(60, max(1, math.Ceil(rounds*mean.Seconds()))))
}

// wait blocks until t holds a slot or ctx ends, and returns ctx's error in
// that case.
func (t *ticket) wait(ctx context.Context) error {
	select {
	case t.l.slots <- struct{}{}:
		t.running, t.start = true, time.Now()
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// handOff returns the func that releases t, for a job that may outlive
// the request; release does nothing from then on.
func (t *ticket) handOff() func() {
	t.handed = true
	return t.free
}

// release frees t unless it was handed off; only the first call counts.
func (t *ticket) release() {
	if !t.handed && !t.released {
		t.released = true
		t.free()
	}
}

// free frees t's place and its slot, if it holds one, and counts the job's
// duration into the mean.
func (t *ticket) free() {
	l := t.l
	if t.running {
		d := time.Since(t.start)
		<-l.slots
		l.mu.Lock()
		if l.mean == 0 {
			l.mean = d
		} else {
			l.mean = (4*l.mean + d) / 5
		}
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.admitted--
	l.mu.Unlock()
}
