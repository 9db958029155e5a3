// Package mail sends e-mail over SMTP through an outbox.
//
// A process that mails something (a quote sent to the customer, a
// reminder) calls Enqueue inside its own transaction: the message row and
// the job that delivers it commit with the process's change or not at all.
// The mail.send job (internal/jobs: leased, so one server sends each
// message) builds the MIME message — UTF-8 headers (RFC 2047), text and
// HTML alternatives, attachments — and hands it to the configured server.
// A temporary failure (connection refused, 4xx) is retried with backoff;
// a refusal of the message or a recipient (5xx) marks it failed at once
// with the server's answer; an admin may resend a failed message.
package mail

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"closeloop/internal/attachments"
	"closeloop/internal/errs"
	"closeloop/internal/jobs"
	"closeloop/internal/store"
)

// Status of an outbox message.
const (
	Queued = "queued"
	Sent   = "sent"
	Failed = "failed"
)

// JobKind is the job that delivers one message.
const JobKind = "mail.send"

// MaxAttempts is how often a message is tried before it is marked failed
// (the jobs backoff doubles from 20 s: the last try is about 3 hours after
// the first).
const MaxAttempts = 10

// MaxSize bounds a message's attachments together (servers commonly refuse
// 25 MB and more once base64 has grown them by a third).
const MaxSize = 15 << 20

// Message is an e-mail to send.
type Message struct {
	To      []string // at least one; "张伟 <zhang@example.com>" or a bare address
	Cc      []string
	ReplyTo string
	Subject string
	Text    string // the plain-text body (required unless HTML is given)
	HTML    string // an optional HTML alternative
	// Attachments are sent in order.
	Attachments []Attachment
	// Entity and RecordID name what the message is about (a quote …), so
	// its page can list what was mailed; both optional.
	Entity, RecordID string
	// CreatedBy is the user on whose behalf it is sent (optional).
	CreatedBy string
}

// Attachment is a file to attach: its bytes, or the id of a file already
// in the files table (an uploaded attachment's FileID), which is then not
// copied.
type Attachment struct {
	Name        string
	ContentType string // defaults to application/octet-stream
	Data        []byte
	FileID      string
}

// Service is outgoing mail.
type Service struct {
	DB   *store.DB
	Jobs *jobs.Runner
	// TLSConfig, when set, is used for TLS and STARTTLS connections (a
	// private CA's roots; tests). Nil trusts the system's roots.
	TLSConfig *tls.Config
	// Timeout bounds one delivery attempt (connect, hello, send).
	Timeout time.Duration
}

// New creates the mail service and registers its job with the runner.
func New(db *store.DB, runner *jobs.Runner) *Service {
	s := &Service{DB: db, Jobs: runner, Timeout: 60 * time.Second}
	runner.Handle(JobKind, s.deliverJob)
	return s
}

// afterCommitter is a transaction that can run code after its commit.
type afterCommitter interface{ AfterCommit(func()) }

// Enqueue adds a message to the outbox inside the caller's transaction q
// and schedules its delivery; it returns the message's id. Nothing is sent
// unless the transaction commits. Addresses are checked here (an invalid
// one is a validation error naming the field), so a queued message can
// only fail at the server.
func (s *Service) Enqueue(ctx context.Context, q store.Querier, m Message) (string, error) {
	to, cc, err := s.check(&m)
	if err != nil {
		return "", err
	}
	id := store.NewID()
	now := store.Now()
	toJ, _ := json.Marshal(to)
	ccJ, _ := json.Marshal(cc)
	if _, err := q.ExecContext(ctx, `INSERT INTO mail_outbox (id, status, to_addrs, cc_addrs, reply_to, subject, text_body, html_body, entity, record_id,
		attempts, created_at, created_by, updated_at) VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11, $10)`,
		id, string(toJ), string(ccJ), null(m.ReplyTo), m.Subject, m.Text, null(m.HTML), null(m.Entity), null(m.RecordID), now, null(m.CreatedBy)); err != nil {
		return "", fmt.Errorf("mail: enqueue: %w", err)
	}
	for i, a := range m.Attachments {
		fileID, size := a.FileID, int64(len(a.Data))
		if fileID == "" {
			fileID = store.NewID()
			if _, err := q.ExecContext(ctx, `INSERT INTO files (id, name, content_type, size, data, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				fileID, a.Name, a.ContentType, size, a.Data, now, null(m.CreatedBy)); err != nil {
				return "", fmt.Errorf("mail: enqueue attachment: %w", err)
			}
		} else if err := q.QueryRowContext(ctx, `SELECT size FROM files WHERE id = $1`, fileID).Scan(&size); err != nil {
			return "", errs.Validation([]errs.FieldError{{Field: "attachments", Code: "mail_attachment_missing", Args: map[string]any{"name": a.Name}}})
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO mail_attachments (message_id, position, name, content_type, size, file_id) VALUES ($1, $2, $3, $4, $5, $6)`,
			id, i+1, a.Name, a.ContentType, size, fileID); err != nil {
			return "", fmt.Errorf("mail: enqueue attachment: %w", err)
		}
	}
	if err := s.schedule(ctx, q); err != nil {
		return "", err
	}
	if _, err := jobsEnqueue(ctx, q, id); err != nil {
		return "", err
	}
	return id, nil
}

// schedule wakes this server's job runner once q commits (other servers
// find the job within their poll interval).
func (s *Service) schedule(_ context.Context, q store.Querier) error {
	if ac, ok := q.(afterCommitter); ok && s.Jobs != nil {
		ac.AfterCommit(s.Jobs.Wake)
	}
	return nil
}

// check validates and normalises a message; it returns the addresses as
// they will be written.
func (s *Service) check(m *Message) (to, cc []string, err error) {
	var bad []errs.FieldError
	addrs := func(field string, in []string) []string {
		var out []string
		for _, a := range in {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			pa, err := mail.ParseAddress(a)
			if err != nil || strings.ContainsAny(pa.Address, "\r\n") {
				bad = append(bad, errs.FieldError{Field: field, Code: "invalid_email", Args: map[string]any{"value": a}})
				continue
			}
			out = append(out, displayAddr(pa))
		}
		return out
	}
	to = addrs("to", m.To)
	cc = addrs("cc", m.Cc)
	if len(to) == 0 && !hasField(bad, "to") {
		bad = append(bad, errs.FieldError{Field: "to", Code: "required"})
	}
	if len(to)+len(cc) > 50 {
		bad = append(bad, errs.FieldError{Field: "to", Code: "mail_too_many_recipients", Args: map[string]any{"max": 50}})
	}
	if r := strings.TrimSpace(m.ReplyTo); r != "" {
		pa, err := mail.ParseAddress(r)
		if err != nil {
			bad = append(bad, errs.FieldError{Field: "reply_to", Code: "invalid_email"})
		} else {
			m.ReplyTo = pa.String()
		}
	}
	m.Subject = strings.Join(strings.Fields(m.Subject), " ") // a header is one line
	switch {
	case m.Subject == "":
		bad = append(bad, errs.FieldError{Field: "subject", Code: "required"})
	case utf8.RuneCountInString(m.Subject) > 500:
		bad = append(bad, errs.FieldError{Field: "subject", Code: "too_long", Args: map[string]any{"max": 500}})
	}
	if strings.TrimSpace(m.Text) == "" && strings.TrimSpace(m.HTML) == "" {
		bad = append(bad, errs.FieldError{Field: "text", Code: "required"})
	}
	if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML) {
		bad = append(bad, errs.FieldError{Field: "text", Code: "invalid_text"})
	}
	var total int64
	for i := range m.Attachments {
		a := &m.Attachments[i]
		a.Name = attachments.SanitizeName(a.Name)
		if a.Name == "" {
			a.Name = fmt.Sprintf("attachment-%d", i+1)
		}
		if a.ContentType == "" {
			a.ContentType = "application/octet-stream"
		}
		if _, _, err := mime.ParseMediaType(a.ContentType); err != nil || strings.ContainsAny(a.ContentType, "\r\n") {
			bad = append(bad, errs.FieldError{Field: "attachments", Code: "invalid_option", Args: map[string]any{"value": a.ContentType}})
		}
		if a.FileID == "" && len(a.Data) == 0 {
			bad = append(bad, errs.FieldError{Field: "attachments", Code: "file_empty", Args: map[string]any{"name": a.Name}})
		}
		total += int64(len(a.Data))
	}
	if total > MaxSize {
		bad = append(bad, errs.FieldError{Field: "attachments", Code: "file_too_large", Args: map[string]any{"max_mb": MaxSize >> 20}})
	}
	return to, cc, errs.Validation(bad)
}

// displayAddr writes an address readably ("张伟 <zhang@example.com>"): the
// outbox shows it as stored; the name is encoded only when the message is
// built.
func displayAddr(a *mail.Address) string {
	name := strings.Join(strings.Fields(a.Name), " ")
	if name == "" {
		return a.Address
	}
	if strings.ContainsAny(name, "()<>[]:;@\\,.\"") {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + a.Address + ">"
}

func hasField(fes []errs.FieldError, field string) bool {
	for _, fe := range fes {
		if fe.Field == field {
			return true
		}
	}
	return false
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// ThreadRoot is the References value every mail about one record carries
// (<entity-record id@domain>), so mail clients show them as one
// conversation and an answer naming it leads back to the record.
func ThreadRoot(entity, recordID, domain string) string {
	return "<" + entity + "-" + recordID + "@" + domain + ">"
}

// ThreadRecord is the record a reference names when it is a ThreadRoot of
// entity ("" otherwise); the domain is not checked, like the outbox ids'.
func ThreadRecord(ref, entity string) string {
	local, _, ok := strings.Cut(strings.TrimPrefix(strings.TrimSpace(ref), "<"), "@")
	if !ok {
		return ""
	}
	id, ok := strings.CutPrefix(local, entity+"-")
	if !ok {
		return ""
	}
	return id
}
