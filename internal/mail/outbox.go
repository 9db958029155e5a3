package mail

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/jobs"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// Item is an outbox message as admins see it (bodies are not included in
// lists).
type Item struct {
	ID          string           `json:"id"`
	Status      string           `json:"status"`
	To          []string         `json:"to"`
	Cc          []string         `json:"cc"`
	ReplyTo     string           `json:"reply_to,omitempty"`
	Subject     string           `json:"subject"`
	Entity      string           `json:"entity,omitempty"`
	RecordID    string           `json:"record_id,omitempty"`
	Attempts    int              `json:"attempts"`
	LastError   string           `json:"last_error,omitempty"`
	MessageID   string           `json:"message_id,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	CreatedBy   string           `json:"created_by,omitempty"`
	UpdatedAt   time.Time        `json:"updated_at"`
	SentAt      *time.Time       `json:"sent_at,omitempty"`
	Attachments []AttachmentInfo `json:"attachments"`
}

// AttachmentInfo describes an attached file.
type AttachmentInfo struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

const itemColumns = `id, status, to_addrs, cc_addrs, reply_to, subject, entity, record_id, attempts, last_error, message_id, created_at, created_by, updated_at, sent_at`

func scanItem(row interface{ Scan(...any) error }, extra ...any) (Item, error) {
	var it Item
	var to, cc string
	var replyTo, entity, recordID, lastErr, messageID, by sql.NullString
	var created, updated, sent any
	dest := append([]any{&it.ID, &it.Status, &to, &cc, &replyTo, &it.Subject, &entity, &recordID, &it.Attempts, &lastErr, &messageID, &created, &by, &updated, &sent}, extra...)
	if err := row.Scan(dest...); err != nil {
		return it, err
	}
	_ = json.Unmarshal([]byte(to), &it.To)
	_ = json.Unmarshal([]byte(cc), &it.Cc)
	if it.To == nil {
		it.To = []string{}
	}
	if it.Cc == nil {
		it.Cc = []string{}
	}
	it.ReplyTo, it.Entity, it.RecordID, it.LastError, it.MessageID, it.CreatedBy = replyTo.String, entity.String, recordID.String, lastErr.String, messageID.String, by.String
	it.CreatedAt, it.UpdatedAt = store.ScanTime(created), store.ScanTime(updated)
	if sent != nil {
		t := store.ScanTime(sent)
		it.SentAt = &t
	}
	it.Attachments = []AttachmentInfo{}
	return it, nil
}

// item loads a message with its bodies and attachment list.
func (s *Service) item(ctx context.Context, q store.Querier, id string) (Item, string, string, error) {
	var text string
	var html sql.NullString
	it, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemColumns+`, text_body, html_body FROM mail_outbox WHERE id = $1`, id), &text, &html)
	if err != nil {
		return it, "", "", err
	}
	rows, err := q.QueryContext(ctx, `SELECT name, content_type, size FROM mail_attachments WHERE message_id = $1 ORDER BY position`, id)
	if err != nil {
		return it, "", "", err
	}
	defer rows.Close()
	for rows.Next() {
		var a AttachmentInfo
		if err := rows.Scan(&a.Name, &a.ContentType, &a.Size); err != nil {
			return it, "", "", err
		}
		it.Attachments = append(it.Attachments, a)
	}
	return it, text, html.String, rows.Err()
}

// Detail is one message with its bodies.
type Detail struct {
	Item
	Text string `json:"text"`
	HTML string `json:"html,omitempty"`
}

// Get returns a message with its bodies (admins only: mail carries
// customers' data).
func (s *Service) Get(ctx context.Context, p *access.Principal, id string) (Detail, error) {
	if p == nil || !p.IsAdmin() {
		return Detail{}, errs.Denied()
	}
	if !entity.LooksLikeID(id) {
		return Detail{}, errs.NotFoundf("mail")
	}
	it, text, html, err := s.item(ctx, s.DB.R(), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Detail{}, errs.NotFoundf("mail")
	}
	if err != nil {
		return Detail{}, fmt.Errorf("mail: get %s: %w", id, err)
	}
	return Detail{Item: it, Text: text, HTML: html}, nil
}

// Filter selects outbox messages.
type Filter struct {
	Status   string // queued, sent, failed, or "" for all
	Entity   string // with RecordID: the mail about one record
	RecordID string
	Limit    int    // 1–200, default 50
	Cursor   string // from a previous page
}

// Page is a page of the outbox, newest first.
type Page struct {
	Items      []Item `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// List pages through the outbox, newest first.
func (s *Service) List(ctx context.Context, p *access.Principal, f Filter) (Page, error) {
	if p == nil || !p.IsAdmin() {
		return Page{}, errs.Denied()
	}
	switch f.Status {
	case "", Queued, Sent, Failed:
	default:
		return Page{}, errs.Validation([]errs.FieldError{{Field: "status", Code: "invalid_option", Args: map[string]any{"value": f.Status}}})
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 200)
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.Entity != "" {
		where = append(where, "entity = "+arg(f.Entity))
	}
	if f.RecordID != "" {
		if !entity.LooksLikeID(f.RecordID) {
			return Page{Items: []Item{}}, nil
		}
		where = append(where, "record_id = "+arg(f.RecordID))
	}
	if f.Cursor != "" {
		at, id, ok := decodeCursor(f.Cursor)
		if !ok {
			return Page{}, errs.New(errs.Invalid, "bad_cursor")
		}
		a, b := arg(at), arg(id)
		where = append(where, "(created_at < "+a+" OR created_at = "+a+" AND id < "+b+")")
	}
	q := `SELECT ` + itemColumns + ` FROM mail_outbox`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT " + arg(f.Limit+1)
	rows, err := s.DB.R().QueryContext(ctx, q, args...)
	if err != nil {
		return Page{}, fmt.Errorf("mail: list: %w", err)
	}
	defer rows.Close()
	out := Page{Items: []Item{}}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return Page{}, err
		}
		out.Items = append(out.Items, it)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(out.Items) > f.Limit {
		out.Items = out.Items[:f.Limit]
		last := out.Items[len(out.Items)-1]
		out.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	return out, nil
}

// Counts returns how many messages are in each status (for the page's tabs).
func (s *Service) Counts(ctx context.Context, p *access.Principal) (map[string]int, error) {
	if p == nil || !p.IsAdmin() {
		return nil, errs.Denied()
	}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT status, count(*) FROM mail_outbox GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("mail: counts: %w", err)
	}
	defer rows.Close()
	out := map[string]int{Queued: 0, Sent: 0, Failed: 0}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, rows.Err()
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeCursor(c string) (time.Time, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	ts, id, ok := strings.Cut(string(b), "|")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil || !entity.LooksLikeID(id) {
		return time.Time{}, "", false
	}
	return t, id, true
}

// Resend queues a failed message again (the admin confirmed it), audited.
// Only failed messages can be resent: a queued one is still being tried
// and a sent one would reach its recipients twice.
func (s *Service) Resend(ctx context.Context, p *access.Principal, id string) error {
	if p == nil || !p.IsAdmin() || p.ReadOnly {
		return errs.Denied()
	}
	if !entity.LooksLikeID(id) {
		return errs.NotFoundf("mail")
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		var status, lastErr sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT status, last_error FROM mail_outbox WHERE id = $1`, id).Scan(&status, &lastErr)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.NotFoundf("mail")
		}
		if err != nil {
			return err
		}
		if status.String != Failed {
			return errs.New(errs.Unprocessable, "mail_not_failed", "status", status.String)
		}
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = 'queued', updated_at = $1 WHERE id = $2 AND status = 'failed'`, store.Now(), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.New(errs.Conflict, "stale_version")
		}
		if _, err := jobsEnqueue(ctx, tx, id); err != nil {
			return err
		}
		if err := s.schedule(ctx, tx); err != nil {
			return err
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "mail", RecordID: id, Action: "mail_resend",
			Changes: map[string]store.Change{"status": {Old: Failed, New: Queued}, "last_error": {Old: lastErr.String}}, RequestID: records.RequestID(ctx)})
	})
}

// SendTest sends a short message to an address now, with the saved
// settings, and returns the outcome (recorded in the outbox like any
// message, so the list shows it). The error, if any, is the server's.
func (s *Service) SendTest(ctx context.Context, p *access.Principal, to, subject, text string) (Item, error) {
	if p == nil || !p.IsAdmin() || p.ReadOnly {
		return Item{}, errs.Denied()
	}
	cfg, err := s.smtp(ctx, s.DB.R())
	if err != nil {
		return Item{}, err
	}
	if !cfg.Configured() {
		return Item{}, errs.New(errs.Unprocessable, "smtp_not_configured")
	}
	m := Message{To: []string{to}, Subject: subject, Text: text, CreatedBy: p.UserID}
	mto, mcc, err := s.check(&m)
	if err != nil {
		return Item{}, err
	}
	id := store.NewID()
	now := store.Now()
	toJ, _ := json.Marshal(mto)
	ccJ, _ := json.Marshal(mcc)
	// Written as queued outside any job: the attempt below is its only one.
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO mail_outbox (id, status, to_addrs, cc_addrs, subject, text_body, entity, attempts, created_at, created_by, updated_at)
			VALUES ($1, 'queued', $2, $3, $4, $5, 'smtp_test', 0, $6, $7, $6)`, id, string(toJ), string(ccJ), m.Subject, m.Text, now, p.UserID)
		return err
	})
	if err != nil {
		return Item{}, fmt.Errorf("mail: test message: %w", err)
	}
	if _, err := s.attempt(ctx, id, true); err != nil && ctx.Err() != nil {
		return Item{}, err
	}
	d, err := s.Get(ctx, p, id)
	return d.Item, err
}

// jobsEnqueue schedules one delivery of a message.
func jobsEnqueue(ctx context.Context, q store.Querier, id string) (string, error) {
	return jobs.Enqueue(ctx, q, JobKind, "", map[string]string{"id": id}, time.Time{}, MaxAttempts)
}
