// Package channels is how customers reach the service desk and hear back
// (售后渠道): the public service form (HTML and JSON, no sign-in), mail in
// from an IMAP mailbox polled by the service.mail_in job, mail out through
// the outbox (acknowledgement, public replies, resolution), and the
// customer's portal reached by a magic link. Every ticket is made by
// tickets.Service.Create and every customer message by CustomerWrote, so
// numbering, SLA and assignment rules apply whatever the channel.
package channels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/attachments"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/mail"
	"closeloop/internal/pdfdoc"
	"closeloop/internal/records"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// Service runs the channels.
type Service struct {
	R       *records.Service
	DB      *store.DB
	Tickets *tickets.Service
	Mail    *mail.Service
	Files   *attachments.Service
	// Company is the letterhead (the name in mails and on the portal).
	Company func(ctx context.Context) (pdfdoc.Company, error)
	// BaseURL is the public address of the server (portal links in mails).
	BaseURL string
	// Dial overrides how the IMAP connection is made (tests); nil dials.
	TLSInsecure bool

	nowFunc func() time.Time
}

// New creates the service and hooks its mail-out rules on ticket messages
// (public replies) and tickets (resolution).
func New(r *records.Service, t *tickets.Service, m *mail.Service, files *attachments.Service) *Service {
	s := &Service{R: r, DB: r.DB, Tickets: t, Mail: m, Files: files, nowFunc: store.Now}
	r.On("ticket_message", records.Hooks{After: s.afterMessage})
	r.On("ticket", records.Hooks{After: s.afterTicket})
	return s
}

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.nowFunc = now }

func (s *Service) now() time.Time { return entity.CanonTime(s.nowFunc()) }

func (s *Service) companyName(ctx context.Context, en bool) string {
	if s.Company == nil {
		return ""
	}
	c, err := s.Company(ctx)
	if err != nil {
		return ""
	}
	if en && c.NameEn != "" {
		return c.NameEn
	}
	return c.Name
}

// hit counts one use of bucket now and answers TooMany (with the seconds
// until the oldest counted use leaves the window) when limit uses are
// already in the window. Rows older than a day are dropped on the way.
func (s *Service) hit(ctx context.Context, tx *store.Tx, bucket string, limit int, window time.Duration) error {
	now := s.now()
	if _, err := tx.ExecContext(ctx, `DELETE FROM channel_hits WHERE at < $1`, now.Add(-24*time.Hour)); err != nil {
		return fmt.Errorf("channels: purge hits: %w", err)
	}
	var n int
	var oldest any
	if err := tx.QueryRowContext(ctx, `SELECT count(*), min(at) FROM channel_hits WHERE bucket = $1 AND at > $2`, bucket, now.Add(-window)).Scan(&n, &oldest); err != nil {
		return fmt.Errorf("channels: count hits: %w", err)
	}
	if n >= limit {
		wait := int(store.ScanTime(oldest).Add(window).Sub(now).Seconds() + 0.999)
		return errs.New(errs.TooMany, "too_many_requests", "seconds", max(wait, 1))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO channel_hits (id, bucket, at) VALUES ($1, $2, $3)`, store.NewID(), bucket, now); err != nil {
		return fmt.Errorf("channels: count hit: %w", err)
	}
	return nil
}

// match finds the customer and contact of a requester by e-mail, else by
// phone, when exactly one contact has it (or, by phone, one customer's
// switchboard); ambiguous or unknown matches nothing.
func (s *Service) match(ctx context.Context, q store.Querier, email, phone string) (customerID, contactID string, err error) {
	find := func(query string, arg string) (string, string, bool, error) {
		rows, err := q.QueryContext(ctx, query, arg)
		if err != nil {
			return "", "", false, fmt.Errorf("channels: match: %w", err)
		}
		defer rows.Close()
		var cust, cont string
		n := 0
		for rows.Next() {
			var a, b sql.NullString
			if err := rows.Scan(&a, &b); err != nil {
				return "", "", false, err
			}
			cust, cont = a.String, b.String
			n++
		}
		return cust, cont, n == 1, rows.Err()
	}
	if email = strings.ToLower(strings.TrimSpace(email)); email != "" {
		cu, co, ok, err := find(`SELECT c.customer_id, c.id FROM contacts c JOIN customers k ON k.id = c.customer_id
			WHERE lower(c.email) = $1 AND c.deleted_at IS NULL AND k.deleted_at IS NULL LIMIT 2`, email)
		if err != nil || ok {
			return cu, co, err
		}
	}
	if phone = entity.NormalizePhone(phone); phone != "" {
		cu, co, ok, err := find(`SELECT c.customer_id, c.id FROM contacts c JOIN customers k ON k.id = c.customer_id
			WHERE c.phone = $1 AND c.deleted_at IS NULL AND k.deleted_at IS NULL LIMIT 2`, phone)
		if err != nil || ok {
			return cu, co, err
		}
		cu, _, ok, err = find(`SELECT id, NULL FROM customers WHERE phone = $1 AND deleted_at IS NULL LIMIT 2`, phone)
		if err != nil || ok {
			return cu, "", err
		}
	}
	return "", "", nil
}

// contactMail is the address mail about a ticket goes to: the contact's
// own (never to a contact marked do-not-contact), else the requester's.
func (s *Service) contactMail(ctx context.Context, q store.Querier, t entity.Record) (addr, name string, ok bool, err error) {
	if cid := t.Str("contact_id"); cid != "" {
		var email, cname sql.NullString
		var dnc bool
		err := q.QueryRowContext(ctx, `SELECT email, name, do_not_contact FROM contacts WHERE id = $1`, cid).Scan(&email, &cname, &dnc)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return "", "", false, fmt.Errorf("channels: contact: %w", err)
		}
		if dnc {
			return "", "", false, nil
		}
		if email.String != "" {
			return email.String, cname.String, true, nil
		}
	}
	if e := t.Str("requester_email"); e != "" {
		// a requester whose address belongs to a do-not-contact contact
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM contacts WHERE lower(email) = $1 AND do_not_contact AND deleted_at IS NULL`, strings.ToLower(e)).Scan(&n); err != nil {
			return "", "", false, fmt.Errorf("channels: do-not-contact: %w", err)
		}
		if n > 0 {
			return "", "", false, nil
		}
		return e, t.Str("requester_name"), true, nil
	}
	return "", "", false, nil
}

var sys = access.SystemPrincipal

var idRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// isID reports whether s is shaped like a record id (PostgreSQL refuses
// anything else inside a transaction).
func isID(s string) bool { return idRE.MatchString(s) }
