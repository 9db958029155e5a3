// Package notify is the one home of user notifications (通知): a row per
// user and event, written in the transaction of the process that causes it
// (a pool return, an approval waiting for someone), listed newest first,
// marked read one by one or all at once. Messages are rendered per kind
// from the catalogue entry "notify.<kind>" with the row's data as
// arguments, so a notification reads in the reader's language.
package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/store"
)

// Notify writes a notification for userID inside the caller's transaction:
// kind names the message ("pool_returned", "approval_pending" …), entity
// and recordID the record it is about (its page is the link), data the
// message's arguments (title, names, a note).
func Notify(ctx context.Context, q store.Querier, userID, kind, entityName, recordID string, data map[string]any) error {
	if userID == "" {
		return nil
	}
	if data == nil {
		data = map[string]any{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("notify: %s data: %w", kind, err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO notifications (id, user_id, at, kind, entity, record_id, data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		store.NewID(), userID, store.Now(), kind, nullable(entityName), nullable(recordID), string(b))
	if err != nil {
		return fmt.Errorf("notify: %s for %s: %w", kind, userID, err)
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Notification is one row as its reader sees it.
type Notification struct {
	ID       string         `json:"id"`
	At       time.Time      `json:"at"`
	Kind     string         `json:"kind"`
	Entity   string         `json:"entity,omitempty"`
	RecordID string         `json:"record_id,omitempty"`
	Data     map[string]any `json:"data"`
	ReadAt   *time.Time     `json:"read_at,omitempty"`
}

// Service reads and marks a user's notifications.
type Service struct {
	DB *store.DB
}

// New makes the service.
func New(db *store.DB) *Service { return &Service{DB: db} }

// Page is one page of notifications and the cursor of the next ("" at the end).
type Page struct {
	Items  []Notification `json:"items"`
	Next   string         `json:"next_cursor,omitempty"`
	Unread int            `json:"unread"`
}

// MaxLimit caps a page.
const MaxLimit = 100

// List returns p's notifications newest first (only unread ones when
// unread is set), limit per page, continuing after cursor.
func (s *Service) List(ctx context.Context, p *access.Principal, unread bool, cursor string, limit int) (Page, error) {
	if p == nil || p.UserID == "" {
		return Page{}, errs.Denied()
	}
	if limit <= 0 || limit > MaxLimit {
		limit = 20
	}
	var a store.Args
	where := "user_id = " + a.Add(p.UserID)
	if unread {
		where += " AND read_at IS NULL"
	}
	if cursor != "" {
		at, id, ok := parseCursor(cursor)
		if !ok {
			return Page{}, errs.Validation([]errs.FieldError{{Field: "cursor", Code: "bad_cursor"}})
		}
		where += " AND (at < " + a.Add(at) + " OR (at = " + a.Add(at) + " AND id < " + a.Add(id) + "))"
	}
	rows, err := s.DB.R().QueryContext(ctx, fmt.Sprintf(`SELECT id, at, kind, entity, record_id, data, read_at FROM notifications
		WHERE %s ORDER BY at DESC, id DESC LIMIT %d`, where, limit+1), a.V...)
	if err != nil {
		return Page{}, fmt.Errorf("notify: list: %w", err)
	}
	defer rows.Close()
	var out Page
	out.Items = []Notification{}
	for rows.Next() {
		var n Notification
		var at, readAt any
		var ent, rid *string
		var data string
		if err := rows.Scan(&n.ID, &at, &n.Kind, &ent, &rid, &data, &readAt); err != nil {
			return Page{}, err
		}
		n.At = store.ScanTime(at)
		if readAt != nil {
			t := store.ScanTime(readAt)
			n.ReadAt = &t
		}
		if ent != nil {
			n.Entity = *ent
		}
		if rid != nil {
			n.RecordID = *rid
		}
		_ = json.Unmarshal([]byte(data), &n.Data)
		if n.Data == nil {
			n.Data = map[string]any{}
		}
		out.Items = append(out.Items, n)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(out.Items) > limit {
		last := out.Items[limit-1]
		out.Items = out.Items[:limit]
		out.Next = last.At.UTC().Format(time.RFC3339Nano) + "|" + last.ID
	}
	if out.Unread, err = s.Unread(ctx, p.UserID); err != nil {
		return Page{}, err
	}
	return out, nil
}

func parseCursor(c string) (time.Time, string, bool) {
	ts, id, ok := strings.Cut(c, "|")
	if !ok {
		return time.Time{}, "", false
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil || len(id) > 40 {
		return time.Time{}, "", false
	}
	return at.UTC(), id, true
}

// Unread counts a user's unread notifications (the bell's number).
func (s *Service) Unread(ctx context.Context, userID string) (int, error) {
	var n int
	if err := s.DB.R().QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("notify: unread: %w", err)
	}
	return n, nil
}

// Get returns one of p's notifications; another user's answers NotFound.
func (s *Service) Get(ctx context.Context, p *access.Principal, id string) (*Notification, error) {
	return s.one(ctx, s.DB.R(), p, id)
}

func (s *Service) one(ctx context.Context, q store.Querier, p *access.Principal, id string) (*Notification, error) {
	var n Notification
	var at, readAt any
	var ent, rid *string
	var data string
	err := q.QueryRowContext(ctx, `SELECT id, at, kind, entity, record_id, data, read_at FROM notifications WHERE id = $1 AND user_id = $2`, id, p.UserID).
		Scan(&n.ID, &at, &n.Kind, &ent, &rid, &data, &readAt)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errs.NotFoundf("notification")
		}
		return nil, fmt.Errorf("notify: get: %w", err)
	}
	n.At = store.ScanTime(at)
	if readAt != nil {
		t := store.ScanTime(readAt)
		n.ReadAt = &t
	}
	if ent != nil {
		n.Entity = *ent
	}
	if rid != nil {
		n.RecordID = *rid
	}
	_ = json.Unmarshal([]byte(data), &n.Data)
	return &n, nil
}

// MarkRead marks one of p's notifications read (again is no error) and
// returns it.
func (s *Service) MarkRead(ctx context.Context, p *access.Principal, id string) (*Notification, error) {
	if p == nil || p.UserID == "" {
		return nil, errs.Denied()
	}
	id = strings.ToLower(strings.TrimSpace(id))
	if !entity.LooksLikeID(id) {
		return nil, errs.NotFoundf("notification")
	}
	var out *Notification
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE id = $2 AND user_id = $3 AND read_at IS NULL`, store.Now(), id, p.UserID); err != nil {
			return fmt.Errorf("notify: mark read: %w", err)
		}
		var err error
		out, err = s.one(ctx, tx, p, id)
		return err
	})
	return out, err
}

// MarkAllRead marks every unread notification of p read and says how many.
func (s *Service) MarkAllRead(ctx context.Context, p *access.Principal) (int, error) {
	if p == nil || p.UserID == "" {
		return 0, errs.Denied()
	}
	var n int64
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL`, store.Now(), p.UserID)
		if err != nil {
			return fmt.Errorf("notify: mark all read: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
