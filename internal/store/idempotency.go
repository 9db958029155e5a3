package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Idempotency keys: a client that may retry a create that moves money (a
// payment) sends a key; the first request's transaction records the key
// with its answer, and a retry gets that answer instead of a second
// record. The key is claimed by the first statement of the transaction, so
// a concurrent duplicate waits on it (PostgreSQL's unique index holds the
// second insert until the first transaction ends; SQLite has one writer)
// and then reads the answer the first one committed.

// IdempotencyTTL is how long a key is remembered.
const IdempotencyTTL = 24 * time.Hour

// IdemRequest names a request by its caller and key, and says what it
// asked (method and path, hash of the body) so that a key reused for
// something else is recognised.
type IdemRequest struct {
	Principal, Key, Scope, BodyHash string
}

// IdemAnswer is what a key's first request was and answered. Status 0
// means the request holding the key has not finished (not stored by the
// code here, which writes the answer in the claiming transaction).
type IdemAnswer struct {
	Scope, BodyHash string
	Status          int
	Response        []byte
}

// ClaimIdempotencyKey takes a key for the transaction: nil when the key
// is new (or expired) and now held by tx, otherwise the first request's
// answer. now is the claim time; keys older than IdempotencyTTL count as
// new.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, tx *Tx, r IdemRequest, now time.Time) (*IdemAnswer, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND created_at < $3`,
		r.Principal, r.Key, timeArg(now.Add(-IdempotencyTTL))); err != nil {
		return nil, fmt.Errorf("store: expire idempotency key: %w", err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (principal, key, scope, body_hash, status, response, created_at)
		VALUES ($1, $2, $3, $4, 0, NULL, $5) ON CONFLICT (principal, key) DO NOTHING`, r.Principal, r.Key, r.Scope, r.BodyHash, timeArg(now))
	if err != nil {
		return nil, fmt.Errorf("store: claim idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 1 {
		return nil, nil
	}
	var a IdemAnswer
	var resp sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT scope, body_hash, status, response FROM idempotency_keys WHERE principal = $1 AND key = $2`, r.Principal, r.Key).
		Scan(&a.Scope, &a.BodyHash, &a.Status, &resp)
	if err != nil {
		return nil, fmt.Errorf("store: read idempotency key: %w", err)
	}
	a.Response = []byte(resp.String)
	return &a, nil
}

// SaveIdempotentAnswer records the answer of the request holding a key,
// in its transaction.
func (db *DB) SaveIdempotentAnswer(ctx context.Context, tx *Tx, r IdemRequest, status int, response []byte) error {
	_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, response = $2 WHERE principal = $3 AND key = $4`,
		status, string(response), r.Principal, r.Key)
	if err != nil {
		return fmt.Errorf("store: save idempotent answer: %w", err)
	}
	return nil
}

// PurgeIdempotencyKeys forgets keys older than IdempotencyTTL.
func (db *DB) PurgeIdempotencyKeys(ctx context.Context, now time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, timeArg(now.Add(-IdempotencyTTL)))
	if err != nil {
		return 0, fmt.Errorf("store: purge idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
