package bench

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRunCountsAndPercentiles(t *testing.T) {
	var fail = errors.New("boom")
	r := Run(context.Background(), "t", Load{Conns: 3, Ops: 300}, func(ctx context.Context, w, i int) error {
		if i%10 == 9 {
			return fail
		}
		time.Sleep(time.Duration(w+1) * 100 * time.Microsecond)
		return nil
	})
	if r.N+r.Errors != 300 || r.Errors == 0 || !errors.Is(r.FirstErr, fail) {
		t.Fatalf("n=%d errors=%d first=%v", r.N, r.Errors, r.FirstErr)
	}
	if !(r.P(0.5) <= r.P(0.95) && r.P(0.95) <= r.P(0.99) && r.P(0.99) <= r.P(1)) || r.P(0.01) < 100*time.Microsecond {
		t.Fatalf("percentiles out of order: %v %v %v %v", r.P(0.01), r.P(0.5), r.P(0.95), r.P(1))
	}
	d := Run(context.Background(), "d", Load{Conns: 2, Duration: 50 * time.Millisecond}, func(ctx context.Context, w, i int) error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if d.N == 0 || d.Elapsed < 50*time.Millisecond || d.Elapsed > time.Second {
		t.Fatalf("duration run: n=%d elapsed=%s", d.N, d.Elapsed)
	}
}
