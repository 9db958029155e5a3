package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Event is one entry of a customer's or lead's timeline (the 客户报告):
// what happened, when, by whom, about which record.
type Event struct {
	ID         string         `json:"id"`
	At         time.Time      `json:"at"`
	CustomerID string         `json:"customer_id,omitempty"`
	LeadID     string         `json:"lead_id,omitempty"`
	ActorID    string         `json:"actor_id,omitempty"`
	Kind       string         `json:"kind"`
	Entity     string         `json:"entity"`
	RecordID   string         `json:"record_id"`
	Data       map[string]any `json:"data,omitempty"`
}

// AddEvent appends a timeline event.
func (db *DB) AddEvent(ctx context.Context, q Querier, ev Event) error {
	if ev.ID == "" {
		ev.ID = NewID()
	}
	if ev.At.IsZero() {
		ev.At = Now()
	}
	data := ev.Data
	if data == nil {
		data = map[string]any{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	args := []any{ev.ID, timeArg(ev.At), nullable(ev.CustomerID), nullable(ev.LeadID), nullable(ev.ActorID), ev.Kind, ev.Entity, ev.RecordID, string(b)}
	if tx, ok := q.(*Tx); ok {
		tx.appendRow("timeline", "(id, at, customer_id, lead_id, actor_id, kind, entity, record_id, data)", "(?, ?, ?, ?, ?, ?, ?, ?, ?)", args...)
		return nil
	}
	_, err = q.ExecContext(ctx, `INSERT INTO timeline (id, at, customer_id, lead_id, actor_id, kind, entity, record_id, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, args...)
	if err != nil {
		return fmt.Errorf("store: timeline: %w", err)
	}
	return nil
}

// SetEventTime moves the events about a record (an activity whose time was
// corrected) to a new time.
func (db *DB) SetEventTime(ctx context.Context, q Querier, recordID, kind string, at time.Time) error {
	_, err := q.ExecContext(ctx, `UPDATE timeline SET at = $1 WHERE record_id = $2 AND kind = $3`, timeArg(at), recordID, kind)
	return err
}

// LinkEvents attaches the events of a lead to a customer (on conversion),
// or of one customer to another (on merge).
func (db *DB) LinkEvents(ctx context.Context, q Querier, column, fromID, customerID string) error {
	if column != "lead_id" && column != "customer_id" {
		return fmt.Errorf("store: link events by %q", column)
	}
	_, err := q.ExecContext(ctx, `UPDATE timeline SET customer_id = $1 WHERE `+column+` = $2`, customerID, fromID)
	return err
}

// Events lists a timeline newest first; column is customer_id or lead_id.
// Paging is by (at, id), so events sharing a timestamp at a page boundary
// are neither skipped nor repeated; beforeID may be empty for a bare time.
func (db *DB) Events(ctx context.Context, column, id string, before time.Time, beforeID string, limit int) ([]Event, error) {
	if column != "lead_id" && column != "customer_id" {
		return nil, fmt.Errorf("store: events by %q", column)
	}
	var a Args
	where := column + " = " + a.Add(id)
	switch {
	case !before.IsZero() && beforeID != "":
		where += " AND (at, id) < (" + a.Add(before) + ", " + a.Add(beforeID) + ")"
	case !before.IsZero():
		where += " AND at < " + a.Add(before)
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := db.r.QueryContext(ctx, fmt.Sprintf(`SELECT id, at, customer_id, lead_id, actor_id, kind, entity, record_id, data
		FROM timeline WHERE %s ORDER BY at DESC, id DESC LIMIT %d`, where, limit), a.V...)
	if err != nil {
		return nil, fmt.Errorf("store: events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var ev Event
		var at any
		var cust, lead, actor nullString
		var data string
		if err := rows.Scan(&ev.ID, &at, &cust, &lead, &actor, &ev.Kind, &ev.Entity, &ev.RecordID, &data); err != nil {
			return nil, err
		}
		ev.At = scanTime(at)
		ev.CustomerID, ev.LeadID, ev.ActorID = cust.String, lead.String, actor.String
		_ = json.Unmarshal([]byte(data), &ev.Data)
		out = append(out, ev)
	}
	return out, rows.Err()
}
