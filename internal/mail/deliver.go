package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"closeloop/internal/jobs"
	"closeloop/internal/store"
)

// errNotConfigured is recorded while no SMTP server is set: the message
// waits (retried like an unreachable server) until one is.
var errNotConfigured = errors.New("SMTP is not configured (Settings → E-mail)")

// deliverJob is the mail.send job: one attempt at one message.
func (s *Service) deliverJob(ctx context.Context, j jobs.Job) error {
	var p struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(j.Payload, &p); err != nil || p.ID == "" {
		return nil // nothing to retry
	}
	final := j.Attempts >= j.MaxAttempts
	retry, err := s.attempt(ctx, p.ID, final)
	if retry {
		return err
	}
	return nil
}

// attempt tries to send a queued message once and records the outcome.
// It reports whether the job should try again later.
func (s *Service) attempt(ctx context.Context, id string, final bool) (retry bool, err error) {
	msg, err := s.load(ctx, s.DB.R(), id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if msg.Status != Queued {
		return false, nil // sent already, or failed and not resent
	}
	cfg, err := s.smtp(ctx, s.DB.R())
	if err != nil {
		return true, err
	}
	var sendErr error
	var messageID string
	if !cfg.Configured() {
		sendErr = errNotConfigured
	} else {
		messageID, sendErr = s.send(ctx, cfg, msg)
	}
	if ctx.Err() != nil && sendErr != nil {
		// The server is shutting down: this attempt does not count.
		return true, sendErr
	}
	giveUp := sendErr != nil && (final || Permanent(sendErr))
	if err := s.record(context.WithoutCancel(ctx), id, messageID, sendErr, giveUp); err != nil {
		return true, err
	}
	return sendErr != nil && !giveUp, sendErr
}

// record writes an attempt's outcome: sent, failed (given up, with the
// server's answer), or still queued with the answer of this attempt.
func (s *Service) record(ctx context.Context, id, messageID string, sendErr error, giveUp bool) error {
	now := store.Now()
	var q string
	var args []any
	switch {
	case sendErr == nil:
		q, args = `UPDATE mail_outbox SET status = 'sent', attempts = attempts + 1, last_error = NULL, message_id = $1, sent_at = $2, updated_at = $2
			WHERE id = $3 AND status = 'queued'`, []any{messageID, now, id}
	default:
		status := Queued
		if giveUp {
			status = Failed
		}
		q, args = `UPDATE mail_outbox SET status = $1, attempts = attempts + 1, last_error = $2, updated_at = $3
			WHERE id = $4 AND status = 'queued'`, []any{status, errorText(sendErr), now, id}
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	})
}

// errorText is what the outbox shows of a failure: the server's answer
// where there is one, at most 2,000 bytes.
func errorText(err error) string {
	msg := err.Error()
	var se *gomail.SendError
	if errors.As(err, &se) {
		msg = strings.TrimSpace(strings.ReplaceAll(se.Error(), "\r\n", " "))
	}
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	return msg
}

// Permanent reports an error that retrying will not cure: the server
// refused the sender, a recipient or the message itself with a 5xx
// answer. Everything else — the server unreachable, TLS or sign-in
// failing (the admin may fix the settings), 4xx answers — is retried.
func Permanent(err error) bool {
	var se *gomail.SendError
	if !errors.As(err, &se) || se.IsTemp() {
		return false
	}
	switch se.Reason {
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
		return se.ErrorCode() >= 500
	}
	return false
}

// outgoing is a stored message as the sender reads it.
type outgoing struct {
	Item
	text, html string
	files      []outFile
}

type outFile struct {
	name, contentType, fileID string
}

func (s *Service) load(ctx context.Context, q store.Querier, id string) (*outgoing, error) {
	it, text, html, err := s.item(ctx, q, id)
	if err != nil {
		return nil, err
	}
	out := &outgoing{Item: it, text: text, html: html}
	rows, err := q.QueryContext(ctx, `SELECT name, content_type, file_id FROM mail_attachments WHERE message_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("mail: attachments of %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var f outFile
		if err := rows.Scan(&f.name, &f.contentType, &f.fileID); err != nil {
			return nil, err
		}
		out.files = append(out.files, f)
	}
	return out, rows.Err()
}

// build makes the MIME message: From with the configured name, To, Cc,
// Reply-To, the subject (RFC 2047 encoded when not ASCII), a Message-ID
// naming the outbox row, References naming the record it is about, the
// text body with an HTML alternative, then the attachments.
func (s *Service) build(ctx context.Context, cfg SMTP, m *outgoing) (*gomail.Msg, string, error) {
	g := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := g.FromFormat(cfg.FromName, cfg.FromAddress); err != nil {
		return nil, "", fmt.Errorf("mail: from address: %w", err)
	}
	if err := g.To(m.To...); err != nil {
		return nil, "", fmt.Errorf("mail: to: %w", err)
	}
	if len(m.Cc) > 0 {
		if err := g.Cc(m.Cc...); err != nil {
			return nil, "", fmt.Errorf("mail: cc: %w", err)
		}
	}
	if m.ReplyTo != "" {
		if err := g.ReplyTo(m.ReplyTo); err != nil {
			return nil, "", fmt.Errorf("mail: reply-to: %w", err)
		}
	}
	g.Subject(m.Subject)
	domain := "closeloop.local"
	if at := strings.LastIndexByte(cfg.FromAddress, '@'); at >= 0 {
		domain = cfg.FromAddress[at+1:]
	}
	messageID := m.ID + "@" + domain
	g.SetMessageIDWithValue(messageID)
	if m.Entity != "" && m.RecordID != "" {
		// Every mail about one record names the same thread root, so the
		// customer's mail client shows a ticket's acknowledgement, replies
		// and updates as one conversation.
		g.SetGenHeader(gomail.HeaderReferences, ThreadRoot(m.Entity, m.RecordID, domain))
	}
	g.SetDate()
	g.SetGenHeader("X-Mailer", "Closeloop")
	switch {
	case m.text != "" && m.html != "":
		g.SetBodyString(gomail.TypeTextPlain, m.text)
		g.AddAlternativeString(gomail.TypeTextHTML, m.html)
	case m.html != "":
		g.SetBodyString(gomail.TypeTextHTML, m.html)
	default:
		g.SetBodyString(gomail.TypeTextPlain, m.text)
	}
	for _, f := range m.files {
		var data []byte
		if err := s.DB.R().QueryRowContext(ctx, `SELECT data FROM files WHERE id = $1`, f.fileID).Scan(&data); err != nil {
			return nil, "", fmt.Errorf("mail: attachment %s: %w", f.name, err)
		}
		if err := g.AttachReader(f.name, bytes.NewReader(data), gomail.WithFileContentType(gomail.ContentType(f.contentType))); err != nil {
			return nil, "", fmt.Errorf("mail: attach %s: %w", f.name, err)
		}
	}
	return g, messageID, nil
}

// client connects as configured: TLS from the start, STARTTLS required,
// or plain; it signs in when a user name is set, choosing the strongest
// mechanism the server offers (credentials only over an encrypted
// connection, or to localhost).
func (s *Service) client(cfg SMTP) (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(s.timeout())}
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \t") {
		opts = append(opts, gomail.WithHELO(h))
	}
	tc := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		tc = s.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
	}
	switch cfg.Security {
	case SecurityTLS:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSConfig(tc))
	case SecurityNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tc))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	return gomail.NewClient(cfg.Host, opts...)
}

func (s *Service) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return 60 * time.Second
}

// send delivers one message; it returns its Message-ID.
func (s *Service) send(ctx context.Context, cfg SMTP, m *outgoing) (string, error) {
	g, messageID, err := s.build(ctx, cfg, m)
	if err != nil {
		return "", err
	}
	c, err := s.client(cfg)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, g); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "", fmt.Errorf("no answer from %s:%d within %s: %w", cfg.Host, cfg.Port, s.timeout(), err)
		}
		return "", err
	}
	return messageID, nil
}
