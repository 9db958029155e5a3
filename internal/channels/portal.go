package channels

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/i18n"
	"closeloop/internal/linktoken"
	"closeloop/internal/records"
	"closeloop/internal/store"
	"closeloop/internal/tickets"
)

// The customer's portal (/portal/{token}). A link is 128 random bits
// shown once (in the mail); only its SHA-256 is stored. It expires
// (PortalDays) and can be revoked. It belongs to one customer (every
// contact of that customer reads the same records) or, for a requester
// we could not match, to one e-mail address (the tickets opened with it).
// Everything the portal shows is selected by that scope in SQL: another
// customer's ticket id in the address is simply not found.

// PortalDays is how long a portal link works.
const PortalDays = 7

// PortalPath is where the portal lives.
const PortalPath = "/portal/"

// PortalLink is a link just made; Token is shown once.
type PortalLink struct {
	Token     string
	Path      string
	ExpiresAt time.Time
	Days      int
}

// Portal is an opened link: whose records it shows.
type Portal struct {
	LinkID     string
	CustomerID string // "" for an e-mail-only link
	ContactID  string
	Email      string
	ExpiresAt  time.Time
	Customer   string // the customer's name
}

// portalTokenBytes is the size of a portal token: 128 bits, 22 characters
// (it is typed from a mail on a phone).
const portalTokenBytes = 16

func (s *Service) makePortalLink(ctx context.Context, q store.Querier, createdBy, customerID, contactID, email string, days int) (PortalLink, error) {
	if days <= 0 {
		days = PortalDays
	}
	tok, err := linktoken.New(portalTokenBytes)
	if err != nil {
		return PortalLink{}, err
	}
	now := s.now()
	exp := now.Add(time.Duration(days) * 24 * time.Hour)
	if _, err := q.ExecContext(ctx, `INSERT INTO portal_links (id, customer_id, contact_id, email, token_hash, expires_at, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, store.NewID(), entity.NilIfEmpty(customerID), entity.NilIfEmpty(contactID), entity.NilIfEmpty(strings.ToLower(email)),
		linktoken.Hash(tok), exp, now, entity.NilIfEmpty(createdBy)); err != nil {
		return PortalLink{}, fmt.Errorf("channels: store portal link: %w", err)
	}
	return PortalLink{Token: tok, Path: PortalPath + tok, ExpiresAt: exp, Days: days}, nil
}

func linkUnknown() error { return errs.New(errs.NotFound, "portal_link_not_found") }

// Open resolves a token: NotFound for an unknown, malformed or revoked
// one, Unprocessable portal_link_expired for an expired one.
func (s *Service) Open(ctx context.Context, token string) (*Portal, error) {
	if !linktoken.WellFormed(token, portalTokenBytes) {
		return nil, linkUnknown()
	}
	var p Portal
	var cust, cont, email, name sql.NullString
	var exp, revoked any
	err := s.DB.R().QueryRowContext(ctx, `SELECT l.id, l.customer_id, l.contact_id, l.email, l.expires_at, l.revoked_at, c.name
		FROM portal_links l LEFT JOIN customers c ON c.id = l.customer_id AND c.deleted_at IS NULL WHERE l.token_hash = $1`, linktoken.Hash(token)).
		Scan(&p.LinkID, &cust, &cont, &email, &exp, &revoked, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, linkUnknown()
	}
	if err != nil {
		return nil, fmt.Errorf("channels: open portal link: %w", err)
	}
	if !store.ScanTime(revoked).IsZero() || (cust.Valid && !name.Valid) {
		return nil, linkUnknown()
	}
	p.CustomerID, p.ContactID, p.Email, p.Customer, p.ExpiresAt = cust.String, cont.String, email.String, name.String, store.ScanTime(exp)
	if !s.now().Before(p.ExpiresAt) {
		return nil, errs.New(errs.Unprocessable, "portal_link_expired")
	}
	return &p, nil
}

// RequestLink mails a portal link to a known address: a contact's (one
// link per customer), else a requester's of earlier tickets. Whether
// anything was sent is never told; the answer is the same for every
// address. The caller's address and the e-mail are rate-limited.
func (s *Service) RequestLink(ctx context.Context, email, ip string, l i18n.Lang) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return errs.Field("email", "required")
	}
	if len(email) > 254 || !strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n<>") {
		return errs.Field("email", "invalid_email")
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.hit(ctx, tx, "portal-request:"+ip, RequestLimit, RequestWindow); err != nil {
			return err
		}
		if err := s.hit(ctx, tx, "portal-mail:"+email, 3, time.Hour); err != nil {
			return nil // said the same way; nothing more is sent
		}
		rows, err := tx.QueryContext(ctx, `SELECT c.customer_id, c.id, c.name FROM contacts c JOIN customers k ON k.id = c.customer_id AND k.deleted_at IS NULL
			WHERE lower(c.email) = $1 AND c.deleted_at IS NULL AND NOT c.do_not_contact ORDER BY c.created_at LIMIT 5`, email)
		if err != nil {
			return fmt.Errorf("channels: contacts by e-mail: %w", err)
		}
		type hit struct{ cust, cont, name string }
		var found []hit
		seen := map[string]bool{}
		for rows.Next() {
			var h hit
			var name sql.NullString
			if err := rows.Scan(&h.cust, &h.cont, &name); err != nil {
				rows.Close()
				return err
			}
			h.name = name.String
			if !seen[h.cust] {
				seen[h.cust] = true
				found = append(found, h)
			}
		}
		rows.Close()
		if len(found) == 0 {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tickets WHERE lower(requester_email) = $1 AND customer_id IS NULL AND deleted_at IS NULL`, email).Scan(&n); err != nil {
				return fmt.Errorf("channels: tickets by e-mail: %w", err)
			}
			if n == 0 {
				return nil
			}
			found = append(found, hit{})
		}
		for _, h := range found {
			link, err := s.makePortalLink(ctx, tx, "", h.cust, h.cont, email, 0)
			if err != nil {
				return err
			}
			body := i18n.Msg(l, "chn.mail.link_body", "name", orDash(h.name), "link", s.absURL(link.Path), "days", link.Days, "company", s.companyName(ctx, l == i18n.EN))
			if _, err := s.Mail.Enqueue(ctx, tx, mailMessage(email, i18n.Msg(l, "chn.mail.link_subject", "company", s.companyName(ctx, l == i18n.EN)), body)); err != nil {
				return nil
			}
		}
		return nil
	})
}

// LinkFor makes a portal link for a contact (an agent sends it by hand);
// the caller must be able to change the contact's customer.
func (s *Service) LinkFor(ctx context.Context, p *access.Principal, contactID string) (PortalLink, error) {
	var out PortalLink
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		ce, err := s.R.Entity("contact")
		if err != nil {
			return err
		}
		c, err := s.R.LoadForWrite(ctx, tx, p, ce, contactID, p.Perm("contact").Write, false)
		if err != nil {
			return err
		}
		if out, err = s.makePortalLink(ctx, tx, p.UserID, c.Str("customer_id"), c.ID(), c.Str("email"), 0); err != nil {
			return err
		}
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "contact", RecordID: c.ID(), Action: "portal_link",
			Changes: map[string]store.Change{"expires_at": {New: out.ExpiresAt}}, RequestID: records.RequestID(ctx)})
	})
	return out, err
}

// Revoke ends every portal link of a customer at once (a lost mail, a
// person who left); the caller must be able to change the customer. It
// returns how many links were revoked.
func (s *Service) Revoke(ctx context.Context, p *access.Principal, customerID string) (int64, error) {
	var n int64
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		ce, err := s.R.Entity("customer")
		if err != nil {
			return err
		}
		c, err := s.R.LoadForWrite(ctx, tx, p, ce, customerID, p.Perm("customer").Write, false)
		if err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `UPDATE portal_links SET revoked_at = $1 WHERE customer_id = $2 AND revoked_at IS NULL`, s.now(), c.ID())
		if err != nil {
			return fmt.Errorf("channels: revoke: %w", err)
		}
		n, _ = r.RowsAffected()
		return s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "customer", RecordID: c.ID(), Action: "portal_revoke",
			Changes: map[string]store.Change{"links": {New: n}}, RequestID: records.RequestID(ctx)})
	})
	return n, err
}

// scope is the SQL condition (on tickets t) of a portal's tickets and its
// argument.
func (pt *Portal) scope() (string, any) {
	if pt.CustomerID != "" {
		return `t.customer_id = $1`, pt.CustomerID
	}
	return `t.customer_id IS NULL AND lower(t.requester_email) = $1`, pt.Email
}

// TicketRow is a ticket in the portal's list.
type TicketRow struct {
	ID, Number, Subject, Status, Kind string
	CreatedAt, UpdatedAt              time.Time
}

// PortalTickets lists the portal's tickets, newest first (at most 200).
func (s *Service) PortalTickets(ctx context.Context, pt *Portal) ([]TicketRow, error) {
	cond, arg := pt.scope()
	rows, err := s.DB.R().QueryContext(ctx, `SELECT t.id, t.number, t.subject, t.status, t.kind, t.created_at, t.updated_at FROM tickets t
		WHERE `+cond+` AND t.deleted_at IS NULL AND t.merged_into_id IS NULL ORDER BY t.created_at DESC LIMIT 200`, arg)
	if err != nil {
		return nil, fmt.Errorf("channels: portal tickets: %w", err)
	}
	defer rows.Close()
	var out []TicketRow
	for rows.Next() {
		var r TicketRow
		var c, u any
		if err := rows.Scan(&r.ID, &r.Number, &r.Subject, &r.Status, &r.Kind, &c, &u); err != nil {
			return nil, err
		}
		r.CreatedAt, r.UpdatedAt = store.ScanTime(c), store.ScanTime(u)
		out = append(out, r)
	}
	return out, rows.Err()
}

// PortalMessage is a line of a ticket as the customer sees it.
type PortalMessage struct {
	Kind, Body, From string
	At               time.Time
}

// TicketView is one ticket in the portal.
type TicketView struct {
	TicketRow
	Description, Resolution string
	Messages                []PortalMessage
	Open                    bool
}

// PortalTicket shows one of the portal's tickets: public replies and the
// customer's messages only. A ticket outside the scope is NotFound.
func (s *Service) PortalTicket(ctx context.Context, pt *Portal, id string) (*TicketView, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if !isID(id) {
		return nil, errs.NotFoundf("ticket")
	}
	cond, arg := pt.scope()
	var v TicketView
	var c, u any
	var res sql.NullString
	err := s.DB.R().QueryRowContext(ctx, `SELECT t.id, t.number, t.subject, t.status, t.kind, t.created_at, t.updated_at, t.description, t.resolution
		FROM tickets t WHERE `+cond+` AND t.id = $2 AND t.deleted_at IS NULL`, arg, id).
		Scan(&v.ID, &v.Number, &v.Subject, &v.Status, &v.Kind, &c, &u, &v.Description, &res)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFoundf("ticket")
	}
	if err != nil {
		return nil, fmt.Errorf("channels: portal ticket: %w", err)
	}
	v.CreatedAt, v.UpdatedAt, v.Resolution = store.ScanTime(c), store.ScanTime(u), res.String
	v.Open = crm.TicketOpen(v.Status) || v.Status == crm.TicketResolved
	rows, err := s.DB.R().QueryContext(ctx, `SELECT m.kind, m.body, m.from_name, m.created_at FROM ticket_messages m
		WHERE m.ticket_id = $1 AND m.kind IN ('reply', 'customer') ORDER BY m.created_at, m.id`, v.ID)
	if err != nil {
		return nil, fmt.Errorf("channels: portal messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m PortalMessage
		var from sql.NullString
		var at any
		if err := rows.Scan(&m.Kind, &m.Body, &from, &at); err != nil {
			return nil, err
		}
		m.From, m.At = from.String, store.ScanTime(at)
		v.Messages = append(v.Messages, m)
	}
	return &v, rows.Err()
}

// Write adds the customer's message to one of the portal's tickets (a
// resolved one too: the agent decides whether to reopen).
func (s *Service) Write(ctx context.Context, pt *Portal, ticketID, body, ip string) error {
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	if body == "" {
		return errs.Field("body", "required")
	}
	if n := len([]rune(body)); n > MaxDescription {
		return errs.Field("body", "too_long", "max", MaxDescription)
	}
	v, err := s.PortalTicket(ctx, pt, ticketID)
	if err != nil {
		return err
	}
	if v.Status == crm.TicketClosed {
		return errs.New(errs.Unprocessable, "portal_ticket_closed")
	}
	return s.DB.Write(ctx, func(tx *store.Tx) error {
		if err := s.hit(ctx, tx, "portal-write:"+pt.LinkID, 30, time.Hour); err != nil {
			return err
		}
		var name sql.NullString
		if pt.ContactID != "" {
			_ = tx.QueryRowContext(ctx, `SELECT name FROM contacts WHERE id = $1`, pt.ContactID).Scan(&name)
		}
		_, err := s.Tickets.CustomerWrote(ctx, tx, v.ID, tickets.Message{Body: body, Channel: crm.ChannelPortal, FromName: name.String, FromEmail: pt.Email})
		return err
	})
}

// NewRequest opens a ticket from the portal for its customer.
func (s *Service) NewRequest(ctx context.Context, pt *Portal, r Request) (Receipt, error) {
	r.Channel, r.portal = crm.ChannelPortal, pt
	if r.Email == "" {
		r.Email = pt.Email
	}
	if r.Name == "" && pt.ContactID != "" {
		var name sql.NullString
		_ = s.DB.R().QueryRowContext(ctx, `SELECT name FROM contacts WHERE id = $1`, pt.ContactID).Scan(&name)
		r.Name = name.String
	}
	if r.Name == "" {
		r.Name = pt.Email
	}
	if r.Name == "" {
		r.Name = pt.Customer
	}
	return s.Submit(ctx, r)
}

// OrderRow is an order in the portal.
type OrderRow struct {
	Number, Status, Currency string
	Total                    int64
	CreatedAt                time.Time
}

// Orders lists the customer's orders (none for an e-mail-only link).
func (s *Service) Orders(ctx context.Context, pt *Portal) ([]OrderRow, error) {
	if pt.CustomerID == "" {
		return nil, nil
	}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT number, status, currency, total, created_at FROM sales_orders WHERE customer_id = $1 AND deleted_at IS NULL
		ORDER BY created_at DESC LIMIT 100`, pt.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("channels: portal orders: %w", err)
	}
	defer rows.Close()
	var out []OrderRow
	for rows.Next() {
		var o OrderRow
		var cur, num sql.NullString
		var total sql.NullInt64
		var at any
		if err := rows.Scan(&num, &o.Status, &cur, &total, &at); err != nil {
			return nil, err
		}
		o.Number, o.Currency, o.Total, o.CreatedAt = num.String, cur.String, total.Int64, store.ScanTime(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

// DeliveryRow is a delivery in the portal.
type DeliveryRow struct {
	Number, Status, Carrier, TrackingNo string
	ShippedAt, SignedAt                 time.Time
}

// Deliveries lists the customer's deliveries.
func (s *Service) Deliveries(ctx context.Context, pt *Portal) ([]DeliveryRow, error) {
	if pt.CustomerID == "" {
		return nil, nil
	}
	rows, err := s.DB.R().QueryContext(ctx, `SELECT number, status, carrier, tracking_no, shipped_at, signed_at FROM deliveries WHERE customer_id = $1 AND deleted_at IS NULL
		ORDER BY created_at DESC LIMIT 100`, pt.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("channels: portal deliveries: %w", err)
	}
	defer rows.Close()
	var out []DeliveryRow
	for rows.Next() {
		var d DeliveryRow
		var num, carrier, track sql.NullString
		var sh, si any
		if err := rows.Scan(&num, &d.Status, &carrier, &track, &sh, &si); err != nil {
			return nil, err
		}
		d.Number, d.Carrier, d.TrackingNo, d.ShippedAt, d.SignedAt = num.String, carrier.String, track.String, store.ScanTime(sh), store.ScanTime(si)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Article is a public knowledge-base article.
type Article struct {
	ID, Title, Summary, Body string
}

// Articles lists the public knowledge-base articles (audience public).
func (s *Service) Articles(ctx context.Context) ([]Article, error) {
	rows, err := s.DB.R().QueryContext(ctx, `SELECT id, title, summary, body FROM knowledge_articles WHERE audience = 'public' AND deleted_at IS NULL
		ORDER BY updated_at DESC LIMIT 50`)
	if err != nil {
		return nil, fmt.Errorf("channels: articles: %w", err)
	}
	defer rows.Close()
	var out []Article
	for rows.Next() {
		var a Article
		var sum, body sql.NullString
		if err := rows.Scan(&a.ID, &a.Title, &sum, &body); err != nil {
			return nil, err
		}
		a.Summary, a.Body = sum.String, body.String
		out = append(out, a)
	}
	return out, rows.Err()
}
