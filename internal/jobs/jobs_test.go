package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"closeloop/internal/apptest"
	"closeloop/internal/jobs"
)

// Three runners on one database: every job runs exactly once, and a
// periodic slot scheduled by all three becomes one job.
func TestExactlyOnceAcrossRunners(t *testing.T) {
	a := apptest.New(t)
	ctx := context.Background()
	const n = 200
	for i := range n {
		if _, err := jobs.Enqueue(ctx, a.DB.W(), "count", "", map[string]int{"i": i}, time.Time{}, 3); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int]int{}
	var runners []*jobs.Runner
	for range 3 {
		r := jobs.New(a.DB)
		r.Handle("count", func(ctx context.Context, j jobs.Job) error {
			var p struct{ I int }
			if err := json.Unmarshal(j.Payload, &p); err != nil {
				return err
			}
			mu.Lock()
			seen[p.I]++
			mu.Unlock()
			return nil
		})
		r.Handle("tick", func(context.Context, jobs.Job) error {
			mu.Lock()
			seen[-1]++
			mu.Unlock()
			return nil
		})
		r.Every("tick", time.Hour)
		runners = append(runners, r)
	}
	slot := time.Now()
	var wg sync.WaitGroup
	for _, r := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.Schedule(ctx, slot); err != nil {
				t.Error(err)
			}
			for {
				ran, err := r.RunOne(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if !ran {
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if seen[i] != 1 {
			t.Errorf("job %d ran %d times", i, seen[i])
		}
	}
	if seen[-1] != 1 {
		t.Errorf("the periodic slot ran %d times", seen[-1])
	}
}

func TestRetryAndLeaseExpiry(t *testing.T) {
	a := apptest.New(t)
	ctx := context.Background()
	r := jobs.New(a.DB)
	calls := 0
	r.Handle("flaky", func(context.Context, jobs.Job) error {
		calls++
		return errors.New("temporary")
	})
	id, err := jobs.Enqueue(ctx, a.DB.W(), "flaky", "only-one", nil, time.Time{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.Enqueue(ctx, a.DB.W(), "flaky", "only-one", nil, time.Time{}, 2); err != nil {
		t.Fatal(err)
	}
	if ran, err := r.RunOne(ctx); !ran || calls != 1 || err != nil {
		t.Fatalf("first attempt: ran %v calls %d err %v", ran, calls, err)
	}
	// It is retried later, not now.
	if ran, _ := r.RunOne(ctx); ran {
		t.Fatal("a failed job must wait for its backoff")
	}
	a.DB.W().ExecContext(ctx, `UPDATE jobs SET run_at = $1 WHERE id = $2`, time.Now().Add(-time.Second).UTC(), id)
	r.RunOne(ctx)
	var status string
	a.DB.R().QueryRowContext(ctx, `SELECT status FROM jobs WHERE id = $1`, id).Scan(&status)
	if status != "failed" || calls != 2 {
		t.Fatalf("after max attempts: %s, %d calls", status, calls)
	}
	// A job whose runner died is taken over when its lease runs out.
	id2, _ := jobs.Enqueue(ctx, a.DB.W(), "slow", "", nil, time.Time{}, 3)
	dead := jobs.New(a.DB)
	j, err := dead.Claim(ctx)
	if err != nil || j == nil || j.ID != id2 {
		t.Fatalf("claim: %v %v", j, err)
	}
	alive := jobs.New(a.DB)
	done := false
	alive.Handle("slow", func(context.Context, jobs.Job) error { done = true; return nil })
	if ran, _ := alive.RunOne(ctx); ran {
		t.Fatal("a leased job was taken while its lease holds")
	}
	a.DB.W().ExecContext(ctx, `UPDATE jobs SET lease_until = $1 WHERE id = $2`, time.Now().Add(-time.Second).UTC(), id2)
	if ran, _ := alive.RunOne(ctx); !ran || !done {
		t.Fatal("an expired lease was not taken over")
	}
}
