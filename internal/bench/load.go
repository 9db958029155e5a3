package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Op is one unit of work of a load test, run by worker w (0 ≤ w < conns).
// i counts the worker's operations.
type Op func(ctx context.Context, w, i int) error

// Load says how long and how wide a closed-loop load runs: Conns workers
// each run the next operation as soon as the previous one answered.
type Load struct {
	Conns    int
	Duration time.Duration // stop after this long …
	Ops      int           // … or after this many operations (0: no limit)
	Warmup   time.Duration // run, unrecorded, before measuring
}

// Result is what a load test measured.
type Result struct {
	Name    string
	Conns   int
	N       int           // operations that succeeded
	Errors  int           // operations that failed
	Elapsed time.Duration // measured wall time
	// lat are the latencies of successful operations, sorted.
	lat      []time.Duration
	FirstErr error
}

// Rate is successful operations per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.N) / r.Elapsed.Seconds()
}

// P returns the q-quantile (0 < q ≤ 1) of the latencies, nearest rank.
func (r Result) P(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(q*float64(len(r.lat))+0.999999) - 1
	return r.lat[min(max(i, 0), len(r.lat)-1)]
}

// Mean is the mean latency.
func (r Result) Mean() time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	var s time.Duration
	for _, d := range r.lat {
		s += d
	}
	return s / time.Duration(len(r.lat))
}

func (r Result) String() string {
	s := fmt.Sprintf("%-34s conns=%-2d n=%-7d %9.1f op/s  p50=%-8s p95=%-8s p99=%-8s", r.Name, r.Conns, r.N, r.Rate(),
		ms(r.P(0.5)), ms(r.P(0.95)), ms(r.P(0.99)))
	if r.Errors > 0 {
		s += fmt.Sprintf("  errors=%d (%v)", r.Errors, r.FirstErr)
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/1e6) }

// Run drives op with l and measures it. Latencies are kept as sorted
// samples (every operation), so percentiles are exact. Operations in
// flight at the deadline are finished, not cancelled (a cancelled request
// would count as neither success nor failure and would make the server
// log aborted work); the elapsed time includes them.
func Run(ctx context.Context, name string, l Load, op Op) Result {
	if l.Conns <= 0 {
		l.Conns = 1
	}
	if l.Warmup > 0 {
		runWorkers(ctx, l.Conns, 0, time.Now().Add(l.Warmup), op, false)
	}
	var deadline time.Time
	if l.Duration > 0 {
		deadline = time.Now().Add(l.Duration)
	}
	start := time.Now()
	per := runWorkers(ctx, l.Conns, l.Ops, deadline, op, true)
	r := Result{Name: name, Conns: l.Conns, Elapsed: time.Since(start)}
	for _, w := range per {
		r.N += len(w.lat)
		r.Errors += w.errs
		r.lat = append(r.lat, w.lat...)
		if r.FirstErr == nil {
			r.FirstErr = w.first
		}
	}
	slices.Sort(r.lat)
	return r
}

type workerStats struct {
	lat   []time.Duration
	errs  int
	first error
}

func runWorkers(ctx context.Context, conns, ops int, deadline time.Time, op Op, record bool) []*workerStats {
	var wg sync.WaitGroup
	var mu sync.Mutex
	issued := 0
	take := func() bool {
		if ops <= 0 {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		if issued >= ops {
			return false
		}
		issued++
		return true
	}
	out := make([]*workerStats, conns)
	for w := range conns {
		st := &workerStats{lat: make([]time.Duration, 0, 1024)}
		out[w] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && (deadline.IsZero() || time.Now().Before(deadline)) && take(); i++ {
				t := time.Now()
				err := op(ctx, w, i)
				d := time.Since(t)
				if ctx.Err() != nil {
					return // interrupted: not a failure
				}
				if !record {
					continue
				}
				if err != nil {
					st.errs++
					if st.first == nil {
						st.first = err
					}
					continue
				}
				st.lat = append(st.lat, d)
			}
		}()
	}
	wg.Wait()
	return out
}
