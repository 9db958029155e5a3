package store

import (
	"context"
	"fmt"
	"time"
)

// Next takes the next value of a named counter inside q's transaction: the
// row stays locked until it commits, so two writers never get the same
// value and a rolled-back write gives its number back.
func (db *DB) Next(ctx context.Context, q Querier, name string) (int64, error) {
	var v int64
	err := q.QueryRowContext(ctx, `INSERT INTO counters (name, value) VALUES ($1, 1)
		ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value`, name).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("next value of counter %s: %w", name, err)
	}
	return v, nil
}

// MonthlyNumber is a document number that restarts every month:
// prefix-yyyymm-nnnn with at least digits digits (Q-202612-0001,
// GD-202612-00001). The month is taken in loc (the company's time zone).
func (db *DB) MonthlyNumber(ctx context.Context, q Querier, prefix string, digits int, now time.Time) (string, error) {
	month := now.In(db.Loc()).Format("200601")
	n, err := db.Next(ctx, q, prefix+"-"+month)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%s-%0*d", prefix, month, digits, n), nil
}

// Loc is the company's time zone (dates, months of numbers); UTC when unset.
func (db *DB) Loc() *time.Location {
	if db.loc == nil {
		return time.UTC
	}
	return db.loc
}
