package fieldservice

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"closeloop/internal/access"
	"closeloop/internal/crm"
	"closeloop/internal/entity"
	"closeloop/internal/errs"
	"closeloop/internal/linktoken"
	"closeloop/internal/records"
	"closeloop/internal/store"
)

// The customer's confirmation of a visit: the engineer shows a link (or
// its text on the phone) once the work is done; the customer opens it on
// the engineer's phone or their own, sees the work done and the parts
// used, and confirms with their name and remarks. Like the fulfilment
// sign-off, the token is 256 random bits shown once, only its SHA-256 is
// kept (visit_links), it is short-lived (ConfirmLinkHours), single-use,
// and a new link replaces the old. It is a small mechanism of this
// package, so that the fulfilment links stay untouched.

// ConfirmLinkHours is the lifetime of a confirmation link: the customer
// confirms on the spot or the same day.
const ConfirmLinkHours = 24

// ConfirmPath is where the confirmation page lives.
const ConfirmPath = "/v/"

// Link is a confirmation link just made: its token is shown once.
type Link struct {
	Token     string    `json:"-"`
	Path      string    `json:"path"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Link states as the page sees them.
const (
	LinkOpen    = "open"
	LinkUsed    = "used"
	LinkExpired = "expired"
)

func errLinkUnknown() error { return errs.New(errs.NotFound, "visit_link_not_found") }

// ConfirmLink makes the confirmation link of a visit whose work is done
// (422 visit_not_done otherwise), replacing an earlier unused one.
func (s *Service) ConfirmLink(ctx context.Context, p *access.Principal, visitID string) (Link, error) {
	var out Link
	err := s.DB.Write(ctx, func(tx *store.Tx) error {
		v, err := s.loadVisit(ctx, tx, p, visitID)
		if err != nil {
			return err
		}
		if v.Str("status") != crm.VisitWorkDone {
			return errs.New(errs.Unprocessable, "visit_not_done")
		}
		tok, err := linktoken.New(linktoken.Link)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE visit_links SET revoked_at = $1 WHERE visit_id = $2 AND used_at IS NULL AND revoked_at IS NULL`, now, v.ID()); err != nil {
			return fmt.Errorf("fieldservice: replace links: %w", err)
		}
		exp := now.Add(ConfirmLinkHours * time.Hour)
		if _, err := tx.ExecContext(ctx, `INSERT INTO visit_links (id, visit_id, token_hash, expires_at, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)`,
			store.NewID(), v.ID(), linktoken.Hash(tok), exp, now, entity.NilIfEmpty(p.UserID)); err != nil {
			return fmt.Errorf("fieldservice: store link: %w", err)
		}
		if err := s.DB.Audit(ctx, tx, store.AuditEntry{ActorID: p.UserID, Entity: "service_visit", RecordID: v.ID(), Action: "public_link",
			Changes: map[string]store.Change{"expires_at": {New: exp}}, RequestID: records.RequestID(ctx)}); err != nil {
			return err
		}
		out = Link{Token: tok, Path: ConfirmPath + tok, ExpiresAt: exp}
		return nil
	})
	return out, err
}

type linkRow struct {
	id, visitID                  string
	expiresAt, usedAt, revokedAt time.Time
}

func (s *Service) findLink(ctx context.Context, q store.Querier, token string) (*linkRow, error) {
	if !linktoken.WellFormed(token, linktoken.Link) {
		return nil, errLinkUnknown()
	}
	var l linkRow
	var exp, used, revoked any
	err := q.QueryRowContext(ctx, `SELECT id, visit_id, expires_at, used_at, revoked_at FROM visit_links WHERE token_hash = $1`, linktoken.Hash(token)).
		Scan(&l.id, &l.visitID, &exp, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errLinkUnknown()
	}
	if err != nil {
		return nil, fmt.Errorf("fieldservice: find link: %w", err)
	}
	l.expiresAt, l.usedAt, l.revokedAt = store.ScanTime(exp), store.ScanTime(used), store.ScanTime(revoked)
	if !l.revokedAt.IsZero() && l.usedAt.IsZero() {
		return nil, errLinkUnknown()
	}
	return &l, nil
}

func (s *Service) linkState(l *linkRow) string {
	switch {
	case !l.usedAt.IsZero():
		return LinkUsed
	case !s.now().Before(l.expiresAt):
		return LinkExpired
	}
	return LinkOpen
}

// PublicPart is a part used, as the customer sees it.
type PublicPart struct {
	Name     string
	SKU      string
	Unit     string
	Quantity int64
}

// PublicVisit is what the confirmation page shows: the visit's number,
// subject, the engineer, the times on site, the work done, the parts —
// nothing else of the customer's records.
type PublicVisit struct {
	State       string
	Number      string
	Subject     string
	Customer    string
	Engineer    string
	CheckedIn   time.Time
	CheckedOut  time.Time
	WorkDone    string
	Parts       []PublicPart
	ExpiresAt   time.Time
	Confirmed   bool
	ConfirmedAt time.Time
	Confirmer   string
	Remarks     string
}

// Public reads the page of a link: NotFound (visit_link_not_found) for
// any token that is not a live link.
func (s *Service) Public(ctx context.Context, token string) (*PublicVisit, error) {
	l, err := s.findLink(ctx, s.DB.R(), token)
	if err != nil {
		return nil, err
	}
	return s.publicView(ctx, s.DB.R(), l)
}

func (s *Service) publicView(ctx context.Context, q store.Querier, l *linkRow) (*PublicVisit, error) {
	v, err := s.DB.Get(ctx, q, s.entity("service_visit"), l.visitID, store.True, false)
	if err != nil {
		if errs.KindOf(err) == errs.NotFound {
			return nil, errLinkUnknown()
		}
		return nil, err
	}
	pv := &PublicVisit{State: s.linkState(l), Number: v.Str("number"), Subject: v.Str("subject"), CheckedIn: v.Time("checked_in_at"),
		CheckedOut: v.Time("checked_out_at"), WorkDone: v.Str("work_done"), ExpiresAt: l.expiresAt,
		Confirmed: v.Str("status") == crm.VisitConfirmed, ConfirmedAt: v.Time("confirmed_at"), Confirmer: v.Str("confirmer_name"), Remarks: v.Str("confirm_remarks")}
	if c, err := s.DB.Get(ctx, q, s.entity("customer"), v.Str("customer_id"), store.True, false); err == nil {
		pv.Customer = c.Str("name")
	}
	if id := v.Str("owner_id"); id != "" {
		_ = q.QueryRowContext(ctx, `SELECT name FROM users WHERE id = $1`, id).Scan(&pv.Engineer)
	}
	rows, err := q.QueryContext(ctx, `SELECT sp.name, sp.sku, COALESCE(sp.unit, ''), m.quantity FROM stock_movements m JOIN spare_parts sp ON sp.id = m.part_id
		WHERE m.visit_id = $1 AND m.kind = $2 ORDER BY m.created_at, m.id`, v.ID(), crm.MoveOut)
	if err != nil {
		return nil, fmt.Errorf("fieldservice: public parts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pp PublicPart
		if err := rows.Scan(&pp.Name, &pp.SKU, &pp.Unit, &pp.Quantity); err != nil {
			return nil, err
		}
		pv.Parts = append(pv.Parts, pp)
	}
	return pv, rows.Err()
}

// ConfirmInput is the customer's confirmation.
type ConfirmInput struct {
	Name    string
	Remarks string
}

// Confirm records the customer's confirmation through a link: the name
// is required (at most 100 characters), remarks at most 2000. The link is
// used up in the same transaction (of two at once exactly one gets
// through: 409 visit_link_used for the other); an expired link is 422
// visit_link_expired.
func (s *Service) Confirm(ctx context.Context, token, ip string, in ConfirmInput) (*PublicVisit, error) {
	in.Name, in.Remarks = strings.TrimSpace(in.Name), strings.TrimSpace(in.Remarks)
	var bad []errs.FieldError
	switch {
	case in.Name == "":
		bad = append(bad, errs.FieldError{Field: "name", Code: "required"})
	case utf8.RuneCountInString(in.Name) > 100:
		bad = append(bad, errs.FieldError{Field: "name", Code: "too_long", Args: map[string]any{"max": 100}})
	}
	if utf8.RuneCountInString(in.Remarks) > 2000 {
		bad = append(bad, errs.FieldError{Field: "remarks", Code: "too_long", Args: map[string]any{"max": 2000}})
	}
	l, err := s.findLink(ctx, s.DB.R(), token)
	if err != nil {
		return nil, err
	}
	if err := errs.Validation(bad); err != nil {
		return nil, err
	}
	sys := system()
	var out *PublicVisit
	err = s.DB.Write(ctx, func(tx *store.Tx) error {
		now := s.now()
		r, err := tx.ExecContext(ctx, `UPDATE visit_links SET used_at = $1, used_ip = $2 WHERE id = $3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1`,
			now, entity.NilIfEmpty(ip), l.id)
		if err != nil {
			return fmt.Errorf("fieldservice: use link: %w", err)
		}
		if n, _ := r.RowsAffected(); n != 1 {
			var used any
			if err := tx.QueryRowContext(ctx, `SELECT used_at FROM visit_links WHERE id = $1`, l.id).Scan(&used); err != nil {
				return fmt.Errorf("fieldservice: link: %w", err)
			}
			if !store.ScanTime(used).IsZero() {
				return errs.New(errs.Conflict, "visit_link_used")
			}
			return errs.New(errs.Unprocessable, "visit_link_expired")
		}
		ve := s.entity("service_visit")
		v, err := s.DB.Get(ctx, tx, ve, l.visitID, store.True, false)
		if err != nil {
			return err
		}
		if _, err := crm.VisitStep(crm.VisitStepConfirm, v.Str("status")); err != nil {
			return err
		}
		set := entity.Record{"status": crm.VisitConfirmed, "confirmed_at": now, "confirmer_name": in.Name,
			"confirm_remarks": entity.NilIfEmpty(in.Remarks), "confirm_ip": entity.NilIfEmpty(ip)}
		if _, err := s.R.SetTx(records.AsProcess(ctx), tx, sys, ve, v, set); err != nil {
			return err
		}
		if err := s.event(ctx, tx, sys, v.Str("customer_id"), "visit_confirmed", ve.Name, v.ID(), map[string]any{"title": v.Str("number"), "name": in.Name}); err != nil {
			return err
		}
		line := fmt.Sprintf("客户 %s 已确认上门服务 %s", in.Name, v.Str("number"))
		if in.Remarks != "" {
			line += "：" + in.Remarks
		}
		if err := s.ticketLine(ctx, tx, sys, v, line); err != nil {
			return err
		}
		l.usedAt = now
		out, err = s.publicView(ctx, tx, l)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
