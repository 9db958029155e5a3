// Package jobs runs background work from a database table, so that several
// servers on one PostgreSQL share it and each job runs once: a job is
// claimed with a lease by a single UPDATE … RETURNING that re-checks the
// claim condition (and skips rows locked by another claimer on PostgreSQL);
// periodic work is inserted once per time slot under a unique key; a server
// that dies mid-job loses its lease and another picks the job up.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"closeloop/internal/store"
)

// Job is one claimed unit of work.
type Job struct {
	ID          string
	Kind        string
	Payload     json.RawMessage
	Attempts    int
	MaxAttempts int
}

// Handler does a job. Returning an error retries it later (with backoff)
// until its attempts are used up.
type Handler func(ctx context.Context, j Job) error

type periodic struct {
	kind  string
	every time.Duration
}

// Runner claims and runs jobs.
type Runner struct {
	DB    *store.DB
	ID    string        // this server, recorded as the lock holder
	Poll  time.Duration // how often to look for work when idle
	Lease time.Duration // how long a claim lasts without finishing

	mu       sync.Mutex
	handlers map[string]Handler
	periodic []periodic
	wake     chan struct{}
}

// New creates a runner.
func New(db *store.DB) *Runner {
	host, _ := os.Hostname()
	return &Runner{DB: db, ID: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), store.NewID()[24:]), Poll: 2 * time.Second, Lease: 10 * time.Minute,
		handlers: map[string]Handler{}, wake: make(chan struct{}, 1)}
}

// Handle registers the handler of a kind.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handlers[kind] = h
}

// Every schedules a kind once per period (slots aligned to the period).
func (r *Runner) Every(kind string, every time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.periodic = append(r.periodic, periodic{kind, every})
}

// Enqueue adds a job. A non-empty key makes it unique: enqueuing the same
// key again does nothing (so N servers scheduling a slot create one job).
func Enqueue(ctx context.Context, q store.Querier, kind, key string, payload any, runAt time.Time, maxAttempts int) (string, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	id := store.NewID()
	var k any
	if key != "" {
		k = key
	}
	now := store.Now()
	if runAt.IsZero() {
		runAt = now
	}
	_, err = q.ExecContext(ctx, `INSERT INTO jobs (id, kind, unique_key, payload, run_at, status, attempts, max_attempts, created_at)
		VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $7) ON CONFLICT (unique_key) DO NOTHING`, id, kind, k, string(b), runAt.UTC(), maxAttempts, now)
	if err != nil {
		return "", fmt.Errorf("jobs: enqueue %s: %w", kind, err)
	}
	return id, nil
}

// Wake makes the runner look for work now (after enqueuing from this server).
func (r *Runner) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Claim takes the next due job, or returns nil.
func (r *Runner) Claim(ctx context.Context) (*Job, error) {
	now := store.Now()
	lock := ""
	if r.DB.Dialect == store.Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	query := `UPDATE jobs SET status = 'running', lease_until = $1, locked_by = $2, attempts = attempts + 1
		WHERE id = (SELECT id FROM jobs WHERE status IN ('pending', 'running') AND run_at <= $3
			AND (lease_until IS NULL OR lease_until < $3) ORDER BY run_at LIMIT 1` + lock + `)
		AND status IN ('pending', 'running') AND (lease_until IS NULL OR lease_until < $3)
		RETURNING id, kind, payload, attempts, max_attempts`
	var j Job
	var payload string
	err := r.DB.Write(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, query, now.Add(r.Lease), r.ID, now).Scan(&j.ID, &j.Kind, &payload, &j.Attempts, &j.MaxAttempts)
	})
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		return nil, err
	}
	j.Payload = json.RawMessage(payload)
	return &j, nil
}

func (r *Runner) finish(ctx context.Context, j *Job, runErr error) error {
	now := store.Now()
	if runErr == nil {
		_, err := r.DB.W().ExecContext(ctx, `UPDATE jobs SET status = 'done', finished_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2 AND locked_by = $3`, now, j.ID, r.ID)
		return err
	}
	msg := runErr.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	if j.Attempts >= j.MaxAttempts {
		_, err := r.DB.W().ExecContext(ctx, `UPDATE jobs SET status = 'failed', finished_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3 AND locked_by = $4`,
			now, msg, j.ID, r.ID)
		return err
	}
	backoff := time.Duration(1<<min(j.Attempts, 10)) * 10 * time.Second
	_, err := r.DB.W().ExecContext(ctx, `UPDATE jobs SET status = 'pending', run_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3 AND locked_by = $4`,
		now.Add(backoff), msg, j.ID, r.ID)
	return err
}

// RunOne claims and runs a single job; false when there was none.
func (r *Runner) RunOne(ctx context.Context) (bool, error) {
	j, err := r.Claim(ctx)
	if err != nil || j == nil {
		return false, err
	}
	r.mu.Lock()
	h := r.handlers[j.Kind]
	r.mu.Unlock()
	var runErr error
	if h == nil {
		runErr = fmt.Errorf("jobs: no handler for %q", j.Kind)
	} else {
		runErr = safeRun(ctx, h, *j)
	}
	if runErr != nil {
		slog.Warn("job failed", "kind", j.Kind, "id", j.ID, "attempt", j.Attempts, "err", runErr)
	}
	return true, r.finish(context.WithoutCancel(ctx), j, runErr)
}

func safeRun(ctx context.Context, h Handler, j Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return h(ctx, j)
}

// Schedule inserts the current slot of every periodic kind.
func (r *Runner) Schedule(ctx context.Context, now time.Time) error {
	r.mu.Lock()
	ps := append([]periodic(nil), r.periodic...)
	r.mu.Unlock()
	for _, p := range ps {
		slot := now.UTC().Truncate(p.every)
		key := p.kind + "@" + slot.Format(time.RFC3339)
		if _, err := Enqueue(ctx, r.DB.W(), p.kind, key, map[string]any{"slot": slot}, slot, 3); err != nil {
			return err
		}
	}
	return nil
}

// Run loops until ctx ends: schedules periodic slots, runs due jobs.
func (r *Runner) Run(ctx context.Context) {
	t := time.NewTicker(r.Poll)
	defer t.Stop()
	lastPurge := time.Time{}
	for {
		if err := r.Schedule(ctx, time.Now()); err != nil && ctx.Err() == nil {
			slog.Warn("jobs: schedule", "err", err)
		}
		for ctx.Err() == nil {
			ran, err := r.RunOne(ctx)
			if err != nil {
				if ctx.Err() == nil {
					slog.Warn("jobs: claim", "err", err)
				}
				break
			}
			if !ran {
				break
			}
		}
		if time.Since(lastPurge) > time.Hour {
			lastPurge = time.Now()
			_, _ = r.DB.W().ExecContext(ctx, `DELETE FROM jobs WHERE status = 'done' AND finished_at < $1`, store.Now().Add(-7*24*time.Hour))
			_, _ = r.DB.PurgeSessions(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-r.wake:
		}
	}
}
