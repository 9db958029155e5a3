package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"closeloop/internal/apptest"
	"closeloop/internal/store"
)

// Numbers are unique under concurrent writers, a rolled-back write gives its
// number back, and the sequence restarts every month.
func TestMonthlyNumber(t *testing.T) {
	db := apptest.New(t).DB
	ctx := context.Background()
	dec := time.Date(2026, 12, 15, 12, 0, 0, 0, time.UTC)
	take := func(at time.Time) (string, error) {
		var n string
		err := db.Write(ctx, func(tx *store.Tx) (err error) {
			n, err = db.MonthlyNumber(ctx, tx, "Q", 4, at)
			return err
		})
		return n, err
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				n, err := take(dec)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[n] {
					t.Errorf("number %s given twice", n)
				}
				seen[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 40 || !seen["Q-202612-0001"] || !seen["Q-202612-0040"] {
		t.Fatalf("want Q-202612-0001 … 0040, got %d numbers", len(seen))
	}
	boom := errors.New("boom")
	if err := db.Write(ctx, func(tx *store.Tx) error {
		if _, err := db.MonthlyNumber(ctx, tx, "Q", 4, dec); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n, _ := take(dec); n != "Q-202612-0041" {
		t.Fatalf("after a rollback want Q-202612-0041, got %s", n)
	}
	if n, _ := take(dec.AddDate(0, 1, 0)); n != "Q-202701-0001" {
		t.Fatalf("a new month restarts: got %s", n)
	}
}
