package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Change is one field's old and new value in an audit entry.
type Change struct {
	Old any `json:"old"`
	New any `json:"new"`
}

// AuditEntry is one append-only audit record.
type AuditEntry struct {
	ID        string            `json:"id"`
	At        time.Time         `json:"at"`
	ActorID   string            `json:"actor_id,omitempty"`
	Entity    string            `json:"entity"`
	RecordID  string            `json:"record_id"`
	Action    string            `json:"action"`
	Changes   map[string]Change `json:"changes,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// Audit appends an entry. The table refuses UPDATE and DELETE (triggers on
// both engines), so history cannot be rewritten through the application.
func (db *DB) Audit(ctx context.Context, q Querier, e AuditEntry) error {
	if e.ID == "" {
		e.ID = NewID()
	}
	if e.At.IsZero() {
		e.At = Now()
	}
	ch := e.Changes
	if ch == nil {
		ch = map[string]Change{}
	}
	b, err := json.Marshal(ch)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	args := []any{e.ID, e.At, nullable(e.ActorID), e.Entity, e.RecordID, e.Action, string(b), nullable(e.RequestID)}
	if tx, ok := q.(*Tx); ok {
		tx.appendRow("audit_log", "(id, at, actor_id, entity, record_id, action, changes, request_id)", "(?, ?, ?, ?, ?, ?, ?, ?)", args...)
		return nil
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_log (id, at, actor_id, entity, record_id, action, changes, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, args...)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Entity   string
	RecordID string
	ActorID  string
	Before   time.Time // keyset: entries strictly older
	Limit    int
}

// AuditLog lists entries newest first.
func (db *DB) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	var a Args
	where := "TRUE"
	if f.Entity != "" {
		where += " AND entity = " + a.Add(f.Entity)
	}
	if f.RecordID != "" {
		where += " AND record_id = " + a.Add(f.RecordID)
	}
	if f.ActorID != "" {
		where += " AND actor_id = " + a.Add(f.ActorID)
	}
	if !f.Before.IsZero() {
		where += " AND at < " + a.Add(f.Before)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := db.r.QueryContext(ctx, fmt.Sprintf(`SELECT id, at, actor_id, entity, record_id, action, changes, request_id
		FROM audit_log WHERE %s ORDER BY at DESC, id DESC LIMIT %d`, where, limit), a.V...)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var actor, req nullString
		var changes string
		var at any
		if err := rows.Scan(&e.ID, &at, &actor, &e.Entity, &e.RecordID, &e.Action, &changes, &req); err != nil {
			return nil, err
		}
		e.At = scanTime(at)
		e.ActorID, e.RequestID = actor.String, req.String
		_ = json.Unmarshal([]byte(changes), &e.Changes)
		out = append(out, e)
	}
	return out, rows.Err()
}
